"""The kinds of activity a workshop agenda can hold.

Each kind brings a typed config (a pydantic model that validates every way a config arrives: the
editor's form, a JSON template, an import) and its config form. Code that depends on the kind asks
the registry instead of comparing ``activity.kind`` strings.
"""

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from flask_babel import lazy_gettext as _l
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

ShortText = Field(min_length=1, max_length=120)
#: An agenda position (from 0) that a step refers to.
Position = Annotated[int, Field(ge=0, lt=60)]


def _clean_list(values: list[str]) -> list[str]:
    """Strip entries, drop empty ones and duplicates, keep the order."""
    seen: dict[str, None] = {}
    for value in values:
        value = value.strip()
        if value:
            seen.setdefault(value, None)
    return list(seen)


class KindConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Figure(KindConfig):
    value: str = Field(min_length=1, max_length=20)
    label: str = Field(min_length=1, max_length=80)


class InfoConfig(KindConfig):
    #: Markdown, sanitised when rendered.
    body: str = Field(default="", max_length=5000)
    figures: list[Figure] = Field(default_factory=list, max_length=12)


class CheckinConfig(KindConfig):
    organisations: list[str] = Field(min_length=1, max_length=40)
    roles: list[str] = Field(default_factory=list, max_length=40)
    is_required: bool = False

    _clean = field_validator("organisations", "roles")(_clean_list)

    @field_validator("organisations", "roles")
    @classmethod
    def _short_entries(cls, values: list[str]) -> list[str]:
        if any(len(value) > 120 for value in values):
            raise ValueError(str(_l("Einträge dürfen höchstens 120 Zeichen lang sein.")))
        return values

    @field_validator("organisations")
    @classmethod
    def _some_organisations(cls, values: list[str]) -> list[str]:
        if not values:  # ``min_length`` counted the blank entries that cleaning dropped
            raise ValueError(str(_l("Bitte mindestens eine Organisation angeben.")))
        return values


class CardsConfig(KindConfig):
    #: Columns such as Erhalten / Zurücklassen / Neu gestalten; none for a plain card question.
    columns: list[str] = Field(default_factory=list, max_length=6)
    max_cards: int = Field(default=5, ge=1, le=50)
    #: Per column; ``None`` leaves only ``max_cards``.
    max_per_column: int | None = Field(default=None, ge=1, le=50)
    max_length: int = Field(default=280, ge=20, le=1000)
    #: Cards wait for the moderator before anyone else sees them.
    is_premoderated: bool = True

    _clean = field_validator("columns")(_clean_list)


class ClusteringConfig(KindConfig):
    #: Agenda positions of the card steps whose approved cards are clustered.
    sources: list[Position] = Field(default_factory=list, max_length=10)


VoteMethod = Literal["dots", "points", "ranking", "single", "multiple", "scale", "fist", "matrix"]


class VoteConfig(KindConfig):
    method: VoteMethod = "dots"
    #: Where the items come from: a fixed list, participants' proposals, or a clustering step.
    items_from: Literal["fixed", "proposed", "clusters"] = "fixed"
    options: list[str] = Field(default_factory=list, max_length=60)
    #: Agenda position of the clustering step when ``items_from`` is "clusters".
    source: Position | None = None
    dots: int = Field(default=3, ge=1, le=50)
    max_per_option: int = Field(default=1, ge=1, le=50)
    budget: int = Field(default=100, ge=1, le=1000)
    top_k: int = Field(default=3, ge=1, le=20)
    #: Dots: nobody may put dots on a topic they proposed themselves.
    not_own: bool = False
    #: Topics one person may propose when ``items_from`` is "proposed".
    max_proposals: int = Field(default=2, ge=1, le=10)
    is_live: bool = False

    _clean = field_validator("options")(_clean_list)

    @model_validator(mode="after")
    def _items_present(self) -> "VoteConfig":
        if self.items_from == "fixed" and not self.options:
            raise ValueError(str(_l("Eine feste Liste braucht mindestens einen Eintrag.")))
        if self.items_from == "clusters" and self.source is None:
            raise ValueError(str(_l("Bitte den Clustern-Schritt angeben, aus dem die Themen kommen.")))
        return self


class RecommendationsConfig(KindConfig):
    #: Agenda positions of the steps (clusters, votes) the recommendations draw on.
    sources: list[Position] = Field(default_factory=list, max_length=10)
    has_consent_check: bool = True


@dataclass(frozen=True)
class ActivityKind:
    name: str
    label: Any
    description: Any
    config_model: type[KindConfig]
    #: Whether participants answer on their phones (and the step can be opened and closed).
    is_interactive: bool = True

    def validate(self, config: dict | None) -> dict:
        """Return the normalised config or raise :class:`ConfigError`."""
        try:
            return self.config_model.model_validate(config or {}).model_dump()
        except ValidationError as error:
            raise ConfigError(error) from error

    def default_config(self) -> dict:
        return self.config_model.model_construct().model_dump()


class ConfigError(ValueError):
    """A config that its kind does not accept; ``errors`` maps field names to messages."""

    def __init__(self, error: ValidationError):
        self.errors = {".".join(str(p) for p in e["loc"]) or "config": _message(e) for e in error.errors()}
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))


def _message(error: dict) -> str:
    """A pydantic error in the user's language."""
    ctx = error.get("ctx") or {}
    messages = {
        "missing": lambda: _l("Angabe fehlt."),
        "extra_forbidden": lambda: _l("Unbekannte Einstellung."),
        "string_too_short": lambda: _l("Zu kurz."),
        "string_too_long": lambda: _l("Höchstens %(n)s Zeichen.", n=ctx.get("max_length")),
        "too_short": lambda: _l("Mindestens %(n)s Einträge.", n=ctx.get("min_length")),
        "too_long": lambda: _l("Höchstens %(n)s Einträge.", n=ctx.get("max_length")),
        "greater_than_equal": lambda: _l("Mindestens %(n)s.", n=ctx.get("ge")),
        "less_than_equal": lambda: _l("Höchstens %(n)s.", n=ctx.get("le")),
        "int_parsing": lambda: _l("Bitte eine ganze Zahl angeben."),
        "int_type": lambda: _l("Bitte eine ganze Zahl angeben."),
        "bool_parsing": lambda: _l("Bitte ja oder nein angeben."),
        "literal_error": lambda: _l("Bitte einen der vorgesehenen Werte wählen."),
        "value_error": lambda: str(ctx.get("error", error["msg"])),
    }
    build = messages.get(error["type"])
    return str(build()) if build else str(_l("Ungültiger Wert (%(detail)s).", detail=error["msg"]))


#: Config fields that point at other steps by agenda position (a list or a single position).
STEP_REFERENCES = ("sources", "source")


def referenced_positions(config: dict) -> set[int]:
    """Agenda positions a config refers to."""
    found: set[int] = set()
    for name in STEP_REFERENCES:
        value = config.get(name)
        if isinstance(value, int):
            found.add(value)
        elif isinstance(value, list):
            found.update(v for v in value if isinstance(v, int))
    return found


def remap_references(config: dict, new_positions: dict[int, int]) -> dict:
    """Return ``config`` with its step references moved to the steps' new positions."""
    changed = dict(config)
    for name in STEP_REFERENCES:
        value = config.get(name)
        if isinstance(value, int):
            changed[name] = new_positions.get(value, value)
        elif isinstance(value, list):
            changed[name] = [new_positions.get(v, v) for v in value]
    return changed


KINDS: dict[str, ActivityKind] = {}


def register(kind: ActivityKind) -> ActivityKind:
    KINDS[kind.name] = kind
    return kind


def get_kind(name: str) -> ActivityKind:
    """Return the registered kind or raise ``KeyError``."""
    return KINDS[name]


register(ActivityKind("info", _l("Information"), _l("Text und Kennzahlen für alle"), InfoConfig, False))
register(ActivityKind("checkin", _l("Check-in"), _l("Organisation und Rolle (freiwillig)"), CheckinConfig))
register(ActivityKind("cards", _l("Kartenabfrage"), _l("Ideen auf Karten, optional in Spalten"), CardsConfig))
register(ActivityKind("clustering", _l("Clustern"), _l("Karten zu Themen ordnen"), ClusteringConfig, False))
register(ActivityKind("vote", _l("Abstimmung"), _l("Punkten, Budget, Rangfolge, Skalen, Matrix"), VoteConfig))
register(
    ActivityKind(
        "recommendations", _l("Handlungsempfehlungen"), _l("Empfehlungen mit Konsens-Check"), RecommendationsConfig
    )
)

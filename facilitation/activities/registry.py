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
            raise ValueError("entries must be at most 120 characters")
        return values

    @field_validator("organisations")
    @classmethod
    def _some_organisations(cls, values: list[str]) -> list[str]:
        if not values:  # ``min_length`` counted the blank entries that cleaning dropped
            raise ValueError("at least one organisation is needed")
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
    is_live: bool = False

    _clean = field_validator("options")(_clean_list)

    @model_validator(mode="after")
    def _items_present(self) -> "VoteConfig":
        if self.items_from == "fixed" and not self.options:
            raise ValueError("a fixed list needs at least one item")
        if self.items_from == "clusters" and self.source is None:
            raise ValueError("clusters need the clustering step they come from")
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
        self.errors = {".".join(str(p) for p in e["loc"]) or "config": e["msg"] for e in error.errors()}
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))


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

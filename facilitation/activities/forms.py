"""The editor's forms: one config form per activity kind, on top of title and prompt."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectChoice, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

LINES_HELP = _l("Ein Eintrag pro Zeile.")


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _positions(text: str | None) -> list[int]:
    """Agenda steps are numbered from 1 in the editor and from 0 in the config."""
    return [int(part) - 1 for part in (text or "").replace(",", " ").split() if part.isdigit() and int(part) > 0]


def _numbers(positions: list[int]) -> str:
    return ", ".join(str(p + 1) for p in positions)


class ActivityForm(FlaskForm):
    title = StringField(_l("Titel"), validators=[DataRequired(), Length(max=200)])
    prompt = TextAreaField(_l("Frage oder Hinweis für alle"), validators=[Optional(), Length(max=5000)])
    submit = SubmitField(_l("Speichern"))

    def load_config(self, config: dict) -> None:
        """Fill the kind's fields from a stored config."""

    def config(self) -> dict:
        """The kind's config from the submitted fields."""
        return {}


class InfoForm(ActivityForm):
    body = TextAreaField(_l("Text (Markdown)"), validators=[Optional(), Length(max=5000)])
    figures = TextAreaField(
        _l("Kennzahlen"),
        validators=[Optional(), Length(max=2000)],
        description=_l("Eine pro Zeile: Wert | Beschriftung, z. B. „44 von 40 | Beratungstage“."),
    )

    def load_config(self, config):
        self.body.data = config.get("body", "")
        self.figures.data = "\n".join(f"{f['value']} | {f['label']}" for f in config.get("figures", []))

    def config(self):
        figures = []
        for line in _lines(self.figures.data):
            value, _, label = line.partition("|")
            figures.append({"value": value.strip(), "label": label.strip()})
        return {"body": self.body.data or "", "figures": figures}


class CheckinForm(ActivityForm):
    organisations = TextAreaField(_l("Organisationen"), validators=[DataRequired()], description=LINES_HELP)
    roles = TextAreaField(_l("Rollen"), validators=[Optional()], description=LINES_HELP)
    is_required = BooleanField(_l("Check-in ist Pflicht"))

    def load_config(self, config):
        self.organisations.data = "\n".join(config.get("organisations", []))
        self.roles.data = "\n".join(config.get("roles", []))
        self.is_required.data = config.get("is_required", False)

    def config(self):
        return {
            "organisations": _lines(self.organisations.data),
            "roles": _lines(self.roles.data),
            "is_required": self.is_required.data,
        }


class CardsForm(ActivityForm):
    columns = TextAreaField(
        _l("Spalten"),
        validators=[Optional()],
        description=_l("Optional, eine pro Zeile, z. B. Erhalten / Zurücklassen / Neu gestalten."),
    )
    max_cards = IntegerField(_l("Karten pro Person"), default=5, validators=[InputRequired(), NumberRange(1, 50)])
    max_per_column = IntegerField(_l("Karten pro Person und Spalte"), validators=[Optional(), NumberRange(1, 50)])
    max_length = IntegerField(_l("Zeichen pro Karte"), default=280, validators=[InputRequired(), NumberRange(20, 1000)])
    is_premoderated = BooleanField(_l("Karten vor dem Zeigen freigeben (Vorab-Moderation)"), default=True)

    def load_config(self, config):
        self.columns.data = "\n".join(config.get("columns", []))
        for name in ("max_cards", "max_per_column", "max_length", "is_premoderated"):
            getattr(self, name).data = config.get(name)

    def config(self):
        return {
            "columns": _lines(self.columns.data),
            "max_cards": self.max_cards.data,
            "max_per_column": self.max_per_column.data,
            "max_length": self.max_length.data,
            "is_premoderated": self.is_premoderated.data,
        }


class ClusteringForm(ActivityForm):
    sources = StringField(
        _l("Karten aus den Schritten (Nummern)"), validators=[Optional()], description=_l("z. B. „3, 4“")
    )

    def load_config(self, config):
        self.sources.data = _numbers(config.get("sources", []))

    def config(self):
        return {"sources": _positions(self.sources.data)}


class VoteForm(ActivityForm):
    method = SelectField(
        _l("Verfahren"),
        choices=[
            SelectChoice("dots", _l("Punkten (Klebepunkte)")),
            SelectChoice("points", _l("Budget (Punkte verteilen)")),
            SelectChoice("ranking", _l("Rangfolge")),
            SelectChoice("single", _l("Einfachauswahl")),
            SelectChoice("multiple", _l("Mehrfachauswahl")),
            SelectChoice("scale", _l("Zustimmungsskala 1–5")),
            SelectChoice("fist", _l("Fist-of-five")),
            SelectChoice("matrix", _l("2×2-Matrix (Wichtigkeit × Dringlichkeit)")),
        ],
    )
    items_from = SelectField(
        _l("Themen"),
        choices=[
            SelectChoice("fixed", _l("Feste Liste")),
            SelectChoice("proposed", _l("Vorschläge der Teilnehmenden")),
            SelectChoice("clusters", _l("Cluster eines Clustern-Schritts")),
        ],
    )
    options = TextAreaField(_l("Feste Liste"), validators=[Optional()], description=LINES_HELP)
    source = IntegerField(_l("Clustern-Schritt (Nummer)"), validators=[Optional(), NumberRange(1, 60)])
    dots = IntegerField(_l("Punkte pro Person"), default=3, validators=[Optional(), NumberRange(1, 50)])
    max_per_option = IntegerField(
        _l("Höchstens Punkte pro Thema"), default=1, validators=[Optional(), NumberRange(1, 50)]
    )
    budget = IntegerField(_l("Budget"), default=100, validators=[Optional(), NumberRange(1, 1000)])
    top_k = IntegerField(_l("Rangfolge: wie viele Plätze"), default=3, validators=[Optional(), NumberRange(1, 20)])
    not_own = BooleanField(_l("Punkten: keine Punkte auf eigene Vorschläge"))
    max_proposals = IntegerField(_l("Vorschläge pro Person"), default=2, validators=[Optional(), NumberRange(1, 10)])
    is_live = BooleanField(_l("Ergebnisse live zeigen (sonst erst nach Freigabe)"))

    def load_config(self, config):
        self.options.data = "\n".join(config.get("options", []))
        self.source.data = config["source"] + 1 if config.get("source") is not None else None
        for name in ("method", "items_from", "dots", "max_per_option", "budget", "top_k", "not_own", "is_live"):
            getattr(self, name).data = config.get(name)
        self.max_proposals.data = config.get("max_proposals", 2)

    def config(self):
        return {
            "method": self.method.data,
            "items_from": self.items_from.data,
            "options": _lines(self.options.data),
            "source": self.source.data - 1 if self.source.data else None,
            "dots": self.dots.data or 3,
            "max_per_option": self.max_per_option.data or 1,
            "budget": self.budget.data or 100,
            "top_k": self.top_k.data or 3,
            "not_own": self.not_own.data,
            "max_proposals": self.max_proposals.data or 2,
            "is_live": self.is_live.data,
        }


class RecommendationsForm(ActivityForm):
    sources = StringField(_l("Grundlage: Schritte (Nummern)"), validators=[Optional()], description=_l("z. B. „5, 6“"))
    has_consent_check = BooleanField(_l("Konsens-Check (Fist-of-five) je Empfehlung"), default=True)

    def load_config(self, config):
        self.sources.data = _numbers(config.get("sources", []))
        self.has_consent_check.data = config.get("has_consent_check", True)

    def config(self):
        return {"sources": _positions(self.sources.data), "has_consent_check": self.has_consent_check.data}


#: The config form of each kind in ``activities.registry.KINDS``.
FORMS: dict[str, type[ActivityForm]] = {
    "info": InfoForm,
    "checkin": CheckinForm,
    "cards": CardsForm,
    "clustering": ClusteringForm,
    "vote": VoteForm,
    "recommendations": RecommendationsForm,
}


class MoveForm(FlaskForm):
    position = IntegerField(validators=[InputRequired(), NumberRange(1, 60)])

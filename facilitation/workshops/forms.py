from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DateField,
    EmailField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError


class WorkshopForm(FlaskForm):
    title = StringField(_l("Titel"), validators=[DataRequired(), Length(max=200)])
    organiser = StringField(_l("Veranstalter"), validators=[Optional(), Length(max=200)])
    venue = StringField(_l("Ort"), validators=[Optional(), Length(max=200)])
    starts_on = DateField(_l("Datum"), validators=[Optional()])
    description = TextAreaField(
        _l("Ziele und Leitfragen"),
        validators=[Optional(), Length(max=5000)],
        description=_l("Erscheint in der Dokumentation."),
    )
    min_group_size = IntegerField(
        _l("Kleinste gezeigte Gruppe"),
        default=5,
        validators=[InputRequired(), NumberRange(min=1, max=50)],
        description=_l("Auswertungen nach Organisation oder Rolle zeigen kleinere Gruppen nur als „< k“."),
    )
    retention_days = IntegerField(
        _l("Aufbewahrung der Karten (Tage nach Ende)"),
        default=90,
        validators=[InputRequired(), NumberRange(min=1, max=3650)],
    )
    submit = SubmitField(_l("Speichern"))

    def fields_for_service(self) -> dict:
        return {
            name: getattr(self, name).data
            for name in ("title", "organiser", "venue", "starts_on", "description", "min_group_size", "retention_days")
        }


class NewWorkshopForm(WorkshopForm):
    template = SelectField(
        _l("Vorlage"), validators=[Optional()], description=_l("Übernimmt Ablauf und Einstellungen der Vorlage.")
    )
    title = StringField(
        _l("Titel"), validators=[Length(max=200)], description=_l("Leer lassen für den Titel der Vorlage.")
    )
    submit = SubmitField(_l("Workshop anlegen"))

    def validate_title(self, field) -> None:
        if not self.template.data and not (field.data or "").strip():
            raise ValidationError(_l("Bitte einen Titel angeben."))


class ImportForm(FlaskForm):
    file = FileField(_l("Workshop-Definition (JSON)"), validators=[FileRequired()])
    submit = SubmitField(_l("Importieren"))


class MemberForm(FlaskForm):
    email = EmailField(_l("E-Mail-Adresse des Kontos"), validators=[DataRequired(), Length(max=254)])
    role = SelectField(
        _l("Rolle"),
        choices=[
            SelectChoice("moderator", _l("Moderation")),
            SelectChoice("observer", _l("Beobachtung")),
            SelectChoice("owner", _l("Verantwortlich")),
        ],
    )
    submit = SubmitField(_l("Hinzufügen"))


class ConfirmForm(FlaskForm):
    """An empty form: a POST button with CSRF protection."""

    submit = SubmitField(_l("Bestätigen"))

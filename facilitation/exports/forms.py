from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SubmitField


class ArchiveForm(FlaskForm):
    file = FileField(
        _l("Workshop-Archiv (JSON)"),
        validators=[FileRequired()],
        description=_l("Eine Datei „archiv-….json“, die eine andere Installation heruntergeladen hat."),
    )
    submit = SubmitField(_l("Archiv importieren"))

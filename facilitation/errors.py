"""Error pages in the user's language; never a bare 500."""

import logging

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from facilitation.extensions import db

logger = logging.getLogger(__name__)


def _messages() -> dict[int, str]:
    return {
        400: _("Die Anfrage war unvollständig oder fehlerhaft."),
        403: _("Dafür fehlt Ihnen die Berechtigung."),
        404: _("Diese Seite gibt es nicht (mehr)."),
        405: _("Diese Aktion ist hier nicht möglich."),
        413: _("Die Datei oder Eingabe ist zu groß."),
        429: _("Zu viele Versuche. Bitte warten Sie einen Moment."),
        500: _("Ein unerwarteter Fehler ist aufgetreten. Es wurde nichts halb gespeichert."),
    }


def _render(code: int, message: str):
    if request.accept_mimetypes.best == "application/json":
        return {"ok": False, "error": message}, code
    return render_template("error.html", code=code, message=message), code


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return _render(
            400, _("Das Formular ist abgelaufen. Bitte laden Sie die Seite neu und versuchen Sie es noch einmal.")
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return _render(error.code or 500, _messages().get(error.code, error.description))

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        db.session.rollback()
        logger.exception("Unhandled error on %s", request.path)
        return _render(500, _messages()[500])

"""Error pages in the user's language; never a bare 500."""

import logging

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import TimeoutError as PoolTimeout
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

    @app.errorhandler(PoolTimeout)
    def no_connection_free(error: PoolTimeout):
        # Every database connection of this process stayed busy for DB_POOL_TIMEOUT (a burst larger
        # than the pool): nothing was written; the same request a moment later works.
        db.session.rollback()
        logger.warning("No database connection free for %s", request.path)
        body, code = _render(503, _("Der Server ist gerade ausgelastet. Bitte gleich noch einmal versuchen."))
        return body, code, {"Retry-After": "2"}

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        db.session.rollback()
        logger.exception("Unhandled error on %s", request.path)
        return _render(500, _messages()[500])

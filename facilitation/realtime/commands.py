"""Socket commands: validated, authorised and answered with an ack, whatever the client sends.

A handler decorated with :func:`command` receives the connection's :class:`Viewer` and the payload
parsed by its pydantic schema. Every failure becomes an error ack ``{"ok": False, "error": code,
"message": text}`` in the user's language (``busy`` when no database connection came free in time);
nothing is half-written because services own their transactions and the session is rolled back on any
error.
"""

import logging
from dataclasses import dataclass
from functools import wraps

from flask import request
from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from facilitation.extensions import db, socketio
from facilitation.modeling import DomainError
from facilitation.realtime import ratelimit
from facilitation.realtime.connection import Viewer, current_viewer, reauthenticated_viewer
from facilitation.realtime.ratelimit import ANSWER_RATE, Rate  # noqa: F401  (for the domains' @command)

logger = logging.getLogger(__name__)

ClientId = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
#: Largest id a command may name: a bigger number would overflow the database's integer column (an
#: internal error instead of an invalid payload).
MAX_ID = 2**31 - 1


class Command(BaseModel):
    """Base of every command payload: unknown fields are refused, strings stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class NoPayload(Command):
    pass


@dataclass(frozen=True)
class Registered:
    """What ``@command`` was told about an event (tests enumerate these)."""

    schema: type[Command]
    screens: tuple[str, ...]
    moderator: bool
    rate: Rate | None


#: Every command by event name.
COMMANDS: dict[str, Registered] = {}


def error_ack(code: str, message: str, **extra) -> dict:
    return {"ok": False, "error": code, "message": message, **extra}


def _busy(event: str) -> dict:
    """Every database connection of this process stayed busy for ``DB_POOL_TIMEOUT``: nothing was
    written, and the phone keeps the command and sends it again (``live.js``)."""
    logger.warning("Command %s: no database connection free, answered busy", event)
    return error_ack("busy", _("Der Server ist gerade ausgelastet. Bitte gleich noch einmal versuchen."))


def _field_errors(error: ValidationError) -> dict[str, str]:
    return {".".join(str(p) for p in e["loc"]) or "payload": e["type"] for e in error.errors()}


def command(
    event: str,
    schema: type[Command] = NoPayload,
    *,
    screens: tuple[str, ...] = (),
    moderator: bool = False,
    rate: Rate | None = None,
):
    """Register ``fn(viewer, payload) -> dict | None`` as the handler of ``event``.

    ``screens`` limits who may send it (e.g. ``("phone",)``); ``moderator`` requires a console whose
    account may moderate the workshop. Every command comes out of the sender's general budget
    (``ratelimit.DEFAULT_RATE``, for consoles ``CONSOLE_RATE``); ``rate`` adds a stricter one shared by
    the commands that name it (e.g. ``ANSWER_RATE`` for cards). Over budget the ack is ``rate_limited``
    and nothing happens.
    """

    def decorate(fn):
        @wraps(fn)
        def handler(data=None, *extra):
            viewer: Viewer | None = current_viewer()
            if viewer is None:
                return error_ack("unauthorised", _("Die Verbindung ist nicht angemeldet. Bitte Seite neu laden."))
            key = ratelimit.sender(viewer, request.sid)
            limited = ratelimit.refusal(key, ratelimit.general_rate(viewer)) or (rate and ratelimit.refusal(key, rate))
            if limited:
                return limited
            if moderator and viewer.screen == "console":
                try:
                    viewer = reauthenticated_viewer(viewer)  # the role may have changed since the connect
                except PoolTimeout:
                    db.session.rollback()
                    return _busy(event)
            if (screens and viewer.screen not in screens) or (moderator and not viewer.can_moderate):
                return error_ack("forbidden", _("Dafür fehlt die Berechtigung."))
            if extra:  # a client that emits more than one argument would otherwise raise a TypeError
                return error_ack("invalid", _("Die Eingabe ist unvollständig oder ungültig."), fields={})
            try:
                payload = schema.model_validate(data if data is not None else {})
            except ValidationError as error:
                return error_ack(
                    "invalid", _("Die Eingabe ist unvollständig oder ungültig."), fields=_field_errors(error)
                )
            try:
                result = fn(viewer, payload)
            except DomainError as error:
                db.session.rollback()
                return error_ack(error.code, str(error.message))
            except PoolTimeout:
                db.session.rollback()
                return _busy(event)
            except Exception:
                db.session.rollback()
                logger.exception("Command %s failed", event)
                return error_ack("internal", _("Das hat nicht geklappt. Bitte noch einmal versuchen."))
            return {"ok": True, **(result or {})}

        socketio.on(event)(handler)
        COMMANDS[event] = Registered(schema, screens, moderator, rate)
        return fn

    return decorate


@socketio.on("*")
def on_unknown_event(event, *_args):
    """Any event without a handler: an error ack (a client waiting for one gets it), nothing else."""
    viewer = current_viewer()
    limited = ratelimit.refusal(ratelimit.sender(viewer, request.sid), ratelimit.general_rate(viewer))
    return limited or error_ack("unknown", _("Diesen Befehl kennt der Server nicht."))

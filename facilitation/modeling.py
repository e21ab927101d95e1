"""Small building blocks shared by the domain models."""

import enum
from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l

from facilitation.extensions import db


def utcnow() -> datetime:
    """Return the current time as a naive UTC datetime (what both SQLite and PostgreSQL store)."""
    return datetime.now(UTC).replace(tzinfo=None)


def commit_keeping_state() -> None:
    """Commit the session without expiring the objects it holds.

    For the live commands that a forum sends hundreds of times a second (a card, a ballot, a
    moderation): what they just wrote is what was committed, so the ack and the events published
    after the commit are built from the objects in memory instead of reading each one again. Only for
    a transaction that wrote what it will read afterwards.
    """
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


class DomainError(ValueError):
    """A request the domain rules refuse. ``message`` is for the user (translated), ``code`` for clients,
    ``errors`` maps field names to messages."""

    code = "refused"

    def __init__(self, message, errors: dict | None = None, *, code: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.errors = errors or {}
        if code:
            self.code = code


class InvalidTransition(ValueError):
    """A state change that the state machine does not allow."""

    def __init__(self, current: enum.Enum, wanted: enum.Enum):
        super().__init__(f"{current.value} → {wanted.value}")
        self.current = current
        self.wanted = wanted
        self.message = _l("Dieser Schritt ist im aktuellen Zustand nicht möglich.")


class StateMachine(enum.Enum):
    """An enum whose members name the states they may move to in ``_transitions``."""

    @classmethod
    def transitions(cls) -> dict:
        raise NotImplementedError

    def can_become(self, wanted: "StateMachine") -> bool:
        return wanted in self.transitions().get(self, ())

    def become(self, wanted: "StateMachine") -> "StateMachine":
        """Return ``wanted`` if the move is allowed, else raise :class:`InvalidTransition`."""
        if not self.can_become(wanted):
            raise InvalidTransition(self, wanted)
        return wanted

"""Activities: the steps of a workshop's agenda."""

from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from facilitation.extensions import db
from facilitation.modeling import StateMachine, utcnow
from facilitation.workshops.models import Workshop


class ActivityState(StateMachine):
    pending = "pending"
    open = "open"
    closed = "closed"

    @classmethod
    def transitions(cls) -> dict:
        return {cls.pending: (cls.open,), cls.open: (cls.closed,), cls.closed: (cls.open,)}

    @property
    def label(self) -> str:
        return str({"pending": _l("Vorbereitet"), "open": _l("Offen"), "closed": _l("Geschlossen")}[self.value])


class Activity(db.Model):
    __tablename__ = "activities"
    __table_args__ = (UniqueConstraint("workshop_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), index=True)
    #: Place in the agenda, from 0.
    position: Mapped[int]
    #: Name of the kind in ``activities.registry``.
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    #: The question or instruction shown on the phones.
    prompt: Mapped[str] = mapped_column(Text, default="")
    #: Kind-specific settings, validated by the kind's config form.
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[ActivityState] = mapped_column(
        Enum(ActivityState, native_enum=False, length=20), default=ActivityState.pending
    )
    #: Whether phones and projector see the answers (cards, results).
    is_revealed: Mapped[bool] = mapped_column(default=False)
    #: Timer: either running until ``timer_ends_at`` or paused with ``timer_remaining`` seconds left.
    timer_ends_at: Mapped[datetime | None]
    timer_remaining: Mapped[int | None]
    opened_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    workshop: Mapped[Workshop] = relationship(back_populates="activities", foreign_keys=[workshop_id])

    def change_state(self, wanted: ActivityState) -> None:
        """Move to ``wanted`` or raise ``InvalidTransition``."""
        self.state = self.state.become(wanted)
        if wanted is ActivityState.open:
            self.opened_at = utcnow()
        else:
            self.closed_at = utcnow()

    @property
    def is_open(self) -> bool:
        return self.state is ActivityState.open

    def __repr__(self) -> str:
        return f"<Activity {self.id} {self.kind} #{self.position}>"

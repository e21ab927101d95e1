"""Workshops, who may run them, and the audit log."""

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from facilitation.accounts.models import Account
from facilitation.extensions import db
from facilitation.modeling import StateMachine, utcnow

if TYPE_CHECKING:
    from facilitation.activities.models import Activity

#: Join codes avoid characters that are easily confused when read from a projector (0/O, 1/I/L).
JOIN_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 6


class WorkshopState(StateMachine):
    draft = "draft"
    live = "live"
    ended = "ended"
    archived = "archived"

    @classmethod
    def transitions(cls) -> dict:
        return {
            cls.draft: (cls.live,),
            cls.live: (cls.ended,),
            cls.ended: (cls.live, cls.archived),
            cls.archived: (cls.ended,),
        }

    @property
    def label(self) -> str:
        return str(
            {
                "draft": _l("Entwurf"),
                "live": _l("Läuft"),
                "ended": _l("Beendet"),
                "archived": _l("Archiviert"),
            }[self.value]
        )


class Role(enum.Enum):
    owner = "owner"
    moderator = "moderator"
    observer = "observer"

    @property
    def label(self) -> str:
        return str(
            {"owner": _l("Verantwortlich"), "moderator": _l("Moderation"), "observer": _l("Beobachtung")}[self.value]
        )

    @property
    def rank(self) -> int:
        """Higher ranks include the rights of lower ones."""
        return {"observer": 1, "moderator": 2, "owner": 3}[self.value]


class Workshop(db.Model):
    __tablename__ = "workshops"
    __table_args__ = (
        CheckConstraint("min_group_size >= 1", name="min_group_size_positive"),
        CheckConstraint("retention_days >= 1", name="retention_days_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    #: Aims and guiding questions, shown in the Dokumentation.
    description: Mapped[str] = mapped_column(Text, default="")
    organiser: Mapped[str] = mapped_column(String(200), default="")
    venue: Mapped[str] = mapped_column(String(200), default="")
    starts_on: Mapped[date | None]
    #: Short code phones type or scan to join; see ``JOIN_CODE_ALPHABET``.
    join_code: Mapped[str] = mapped_column(String(12), unique=True)
    #: Secret part of the projector link.
    screen_key: Mapped[str] = mapped_column(String(64))
    state: Mapped[WorkshopState] = mapped_column(
        Enum(WorkshopState, native_enum=False, length=20), default=WorkshopState.draft
    )
    #: The step every screen follows; ``None`` shows the welcome screen.
    current_activity_id: Mapped[int | None] = mapped_column(
        ForeignKey("activities.id", use_alter=True, ondelete="SET NULL")
    )
    #: Breakdowns hide organisations and roles with fewer people than this.
    min_group_size: Mapped[int] = mapped_column(default=5)
    retention_days: Mapped[int] = mapped_column(default=90)
    language: Mapped[str] = mapped_column(String(5), default="de")
    #: Bumped in SQL on every change the screens must follow; snapshots carry it.
    version: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    #: When the raw cards of an ended workshop were deleted (retention).
    purged_at: Mapped[datetime | None]

    activities: Mapped[list["Activity"]] = relationship(
        back_populates="workshop",
        order_by="Activity.position",
        cascade="all, delete-orphan",
        foreign_keys="Activity.workshop_id",
        passive_deletes=True,
    )
    current_activity: Mapped["Activity | None"] = relationship(foreign_keys=[current_activity_id], post_update=True)
    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="workshop", cascade="all, delete-orphan", passive_deletes=True
    )

    def change_state(self, wanted: WorkshopState) -> None:
        """Move to ``wanted`` or raise ``InvalidTransition``."""
        self.state = self.state.become(wanted)
        if wanted is WorkshopState.live and self.started_at is None:
            self.started_at = utcnow()
        if wanted is WorkshopState.ended:
            self.ended_at = utcnow()

    @property
    def is_live(self) -> bool:
        return self.state is WorkshopState.live

    def __repr__(self) -> str:
        return f"<Workshop {self.id} {self.join_code}>"


class Membership(db.Model):
    """An account's role in one workshop."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("workshop_id", "account_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    workshop: Mapped[Workshop] = relationship(back_populates="memberships")
    account: Mapped[Account] = relationship()


class AuditEntry(db.Model):
    """Who did what, when. Kept when the workshop itself is deleted."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int | None] = mapped_column(ForeignKey("workshops.id", ondelete="SET NULL"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    #: The actor as shown in the log (kept when the account is gone), e.g. an e-mail or "system".
    actor: Mapped[str] = mapped_column(String(254))
    #: Dotted verb, e.g. ``card.approved``.
    action: Mapped[str] = mapped_column(String(80))
    #: What it was done to, e.g. ``card:42``.
    target: Mapped[str] = mapped_column(String(80), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

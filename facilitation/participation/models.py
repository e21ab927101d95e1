"""Participants and the cards they write."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from facilitation.accounts.models import Account
from facilitation.activities.models import Activity
from facilitation.extensions import db
from facilitation.modeling import StateMachine, utcnow
from facilitation.workshops.models import Workshop


class Participant(db.Model):
    """A phone in a workshop: a random token, no account, an optional coarse profile."""

    __tablename__ = "participants"

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), index=True)
    #: SHA-256 of the random token in the phone's cookie; the token itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: Check-in answers, from the workshop's lists.
    organisation: Mapped[str | None] = mapped_column(String(120))
    role: Mapped[str | None] = mapped_column(String(120))
    checked_in_at: Mapped[datetime | None]
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)

    workshop: Mapped[Workshop] = relationship()

    def __repr__(self) -> str:
        return f"<Participant {self.id}>"


class CardStatus(StateMachine):
    pending = "pending"
    visible = "visible"
    hidden = "hidden"
    rejected = "rejected"
    withdrawn = "withdrawn"

    @classmethod
    def transitions(cls) -> dict:
        return {
            cls.pending: (cls.visible, cls.hidden, cls.rejected, cls.withdrawn),
            cls.visible: (cls.hidden, cls.rejected, cls.withdrawn),
            cls.hidden: (cls.visible, cls.rejected, cls.withdrawn),
            cls.rejected: (cls.visible, cls.hidden),
            cls.withdrawn: (),
        }

    @property
    def label(self) -> str:
        return str(
            {
                "pending": _l("Wartet auf Freigabe"),
                "visible": _l("Freigegeben"),
                "hidden": _l("Ausgeblendet"),
                "rejected": _l("Abgelehnt"),
                "withdrawn": _l("Zurückgezogen"),
            }[self.value]
        )


class Card(db.Model):
    __tablename__ = "cards"
    __table_args__ = (UniqueConstraint("participant_id", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"), index=True)
    #: Id the phone generated for the command that created the card; a resend finds the same card.
    client_id: Mapped[str] = mapped_column(String(64))
    #: Column of the step (e.g. "Erhalten"), or empty.
    column: Mapped[str] = mapped_column(String(80), default="")
    text: Mapped[str] = mapped_column(Text)
    #: The participant's words before a moderator edited them.
    original_text: Mapped[str | None] = mapped_column(Text)
    is_edited: Mapped[bool] = mapped_column(default=False)
    status: Mapped[CardStatus] = mapped_column(
        Enum(CardStatus, native_enum=False, length=20), default=CardStatus.pending, index=True
    )
    reject_reason: Mapped[str] = mapped_column(String(280), default="")
    #: Kinds of personal data the card seems to contain (see ``participation.pii``).
    personal_data: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    moderated_at: Mapped[datetime | None]
    moderated_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))

    activity: Mapped[Activity] = relationship()
    participant: Mapped[Participant | None] = relationship()
    moderated_by: Mapped[Account | None] = relationship()

    def change_status(self, wanted: CardStatus) -> None:
        self.status = self.status.become(wanted)

    @property
    def is_flagged(self) -> bool:
        return bool(self.personal_data)

    def __repr__(self) -> str:
        return f"<Card {self.id} {self.status.value}>"

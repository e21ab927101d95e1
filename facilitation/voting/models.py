"""Options to vote on and the ballots cast."""

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from facilitation.activities.models import Activity
from facilitation.clustering.models import Cluster
from facilitation.extensions import db
from facilitation.modeling import utcnow
from facilitation.participation.models import Participant


class OptionSource(enum.Enum):
    fixed = "fixed"
    proposed = "proposed"
    cluster = "cluster"


class Option(db.Model):
    __tablename__ = "options"
    __table_args__ = (UniqueConstraint("activity_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    label: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[OptionSource] = mapped_column(
        Enum(OptionSource, native_enum=False, length=20), default=OptionSource.fixed
    )
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("clusters.id", ondelete="SET NULL"))
    #: Who proposed it ("Reservethema"); hidden from every screen.
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id", ondelete="SET NULL"))
    #: Proposed options wait for the moderator.
    is_approved: Mapped[bool] = mapped_column(default=True)

    activity: Mapped[Activity] = relationship()
    cluster: Mapped[Cluster | None] = relationship()


class Ballot(db.Model):
    """One participant's whole answer to one voting step; replaced when changed."""

    __tablename__ = "ballots"
    __table_args__ = (UniqueConstraint("activity_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"))
    #: Id of the phone's last ``cast_votes`` command; a resend of it changes nothing.
    client_id: Mapped[str] = mapped_column(String(64))
    cast_at: Mapped[datetime] = mapped_column(default=utcnow)

    entries: Mapped[list["BallotEntry"]] = relationship(
        back_populates="ballot", cascade="all, delete-orphan", passive_deletes=True
    )
    participant: Mapped[Participant] = relationship()


class BallotEntry(db.Model):
    __tablename__ = "ballot_entries"
    __table_args__ = (
        UniqueConstraint("ballot_id", "option_id"),
        CheckConstraint("value >= 0", name="value_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.id", ondelete="CASCADE"), index=True)
    option_id: Mapped[int] = mapped_column(ForeignKey("options.id", ondelete="CASCADE"), index=True)
    #: Dots, points, rank or scale value, by the step's method.
    value: Mapped[int] = mapped_column(default=1)
    #: Position on the 2×2 matrix (Wichtigkeit, Dringlichkeit), 0–1.
    x: Mapped[float | None]
    y: Mapped[float | None]

    ballot: Mapped[Ballot] = relationship(back_populates="entries")
    option: Mapped[Option] = relationship()

"""Options to vote on, the ballots cast, and the running tallies of a voting step."""

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from facilitation.activities.models import Activity
from facilitation.clustering.models import Cluster
from facilitation.extensions import db
from facilitation.modeling import StateMachine, utcnow
from facilitation.participation.models import Participant


class OptionSource(enum.Enum):
    fixed = "fixed"
    proposed = "proposed"
    cluster = "cluster"


class OptionStatus(StateMachine):
    """Fixed and cluster options are visible from the start; proposals wait for the moderator."""

    pending = "pending"
    visible = "visible"
    hidden = "hidden"

    @classmethod
    def transitions(cls) -> dict:
        return {
            cls.pending: (cls.visible, cls.hidden),
            cls.visible: (cls.hidden,),
            cls.hidden: (cls.visible,),
        }

    @property
    def label(self) -> str:
        return str(
            {"pending": _l("Wartet auf Freigabe"), "visible": _l("Freigegeben"), "hidden": _l("Ausgeblendet")}[
                self.value
            ]
        )


class Option(db.Model):
    __tablename__ = "options"
    __table_args__ = (
        UniqueConstraint("activity_id", "position"),
        # A proposal is stored once per phone command, however often the phone resends it.
        UniqueConstraint("proposed_by_id", "client_id"),
    )

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
    #: Id of the phone command that proposed it.
    client_id: Mapped[str | None] = mapped_column(String(64))
    #: Proposed options wait for the moderator; only visible options can be voted on.
    status: Mapped[OptionStatus] = mapped_column(
        Enum(OptionStatus, native_enum=False, length=20), default=OptionStatus.visible
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    activity: Mapped[Activity] = relationship()
    cluster: Mapped[Cluster | None] = relationship()

    def change_status(self, wanted: OptionStatus) -> None:
        self.status = self.status.become(wanted)

    @property
    def is_visible(self) -> bool:
        return self.status is OptionStatus.visible

    def __repr__(self) -> str:
        return f"<Option {self.id} {self.source.value} {self.status.value}>"


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
        back_populates="ballot", cascade="all, delete-orphan", passive_deletes=True, order_by="BallotEntry.option_id"
    )
    participant: Mapped[Participant] = relationship()

    def __repr__(self) -> str:
        return f"<Ballot {self.id} activity {self.activity_id}>"


class BallotEntry(db.Model):
    __tablename__ = "ballot_entries"
    __table_args__ = (
        UniqueConstraint("ballot_id", "option_id"),
        CheckConstraint("value >= 0", name="value_not_negative"),
        CheckConstraint("x IS NULL OR (x >= 0 AND x <= 1)", name="x_in_unit_range"),
        CheckConstraint("y IS NULL OR (y >= 0 AND y <= 1)", name="y_in_unit_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.id", ondelete="CASCADE"), index=True)
    option_id: Mapped[int] = mapped_column(ForeignKey("options.id", ondelete="CASCADE"), index=True)
    #: Dots, points, rank or scale value, by the step's method.
    value: Mapped[int] = mapped_column(default=1)
    #: Position on the 2×2 matrix (Wichtigkeit, Dringlichkeit), 0–1 in steps of 0.01.
    x: Mapped[float | None]
    y: Mapped[float | None]

    ballot: Mapped[Ballot] = relationship(back_populates="entries")
    option: Mapped[Option] = relationship()


class Tally(db.Model):
    """Running totals of the ballot entries of one option with one value.

    Changed in SQL (``entries = entries + n``) in the transaction that changes the entries, so results
    read a few rows instead of counting every entry again; ``voting.services.count_tallies`` recounts
    them from the entries to check.
    """

    __tablename__ = "tallies"
    __table_args__ = (
        UniqueConstraint("option_id", "value"),
        CheckConstraint("entries >= 0", name="entries_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    option_id: Mapped[int] = mapped_column(ForeignKey("options.id", ondelete="CASCADE"))
    value: Mapped[int]
    #: How many ballots gave the option this value.
    entries: Mapped[int] = mapped_column(default=0)
    #: Sums of the matrix positions of those entries, in hundredths (integers: no rounding drift).
    sum_x: Mapped[int] = mapped_column(default=0)
    sum_y: Mapped[int] = mapped_column(default=0)

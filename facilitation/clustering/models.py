"""Clusters of cards, built on the projector by the moderator."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from facilitation.activities.models import Activity
from facilitation.extensions import db
from facilitation.modeling import utcnow
from facilitation.participation.models import Card


class Cluster(db.Model):
    __tablename__ = "clusters"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The clustering step the cluster belongs to.
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(120))
    #: One of the board's named colours.
    colour: Mapped[str] = mapped_column(String(20), default="blue")
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    activity: Mapped[Activity] = relationship()
    placements: Mapped[list["Placement"]] = relationship(
        back_populates="cluster", cascade="all, delete-orphan", passive_deletes=True
    )


class Placement(db.Model):
    """A card in a cluster; a card sits in at most one cluster of a clustering step."""

    __tablename__ = "placements"
    __table_args__ = (UniqueConstraint("activity_id", "card_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"))
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id", ondelete="CASCADE"), index=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)

    cluster: Mapped[Cluster] = relationship(back_populates="placements")
    card: Mapped[Card] = relationship()

"""Clusters of cards, built on the projector by the moderator."""

import enum
from datetime import datetime

from sqlalchemy import JSON, Enum, ForeignKey, LargeBinary, String, UniqueConstraint
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


class SuggestionKind(enum.Enum):
    #: Unassigned cards proposed as a new cluster.
    group = "group"
    #: Clusters on the board proposed to become one theme.
    merge = "merge"


class SuggestionStatus(enum.Enum):
    pending = "pending"
    accepted = "accepted"
    rejected = "rejected"


class Suggestion(db.Model):
    """A proposal of the suggestion engine; nothing on the board changes until the moderator accepts it."""

    __tablename__ = "cluster_suggestions"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), index=True)
    kind: Mapped[SuggestionKind] = mapped_column(Enum(SuggestionKind, native_enum=False, length=20))
    status: Mapped[SuggestionStatus] = mapped_column(
        Enum(SuggestionStatus, native_enum=False, length=20), default=SuggestionStatus.pending
    )
    label: Mapped[str] = mapped_column(String(120))
    #: The most distinctive terms behind the label, best first.
    terms: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Cards still proposed (``group``); cards the moderator accepted or rejected leave the list.
    card_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    #: Clusters proposed to merge (``merge``), the first one keeps its place on the board.
    cluster_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    #: The most central card of the proposal, shown as its example.
    example_card_id: Mapped[int | None] = mapped_column(ForeignKey("cards.id", ondelete="SET NULL"))
    #: The cluster that accepting (a part of) a ``group`` proposal created.
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("clusters.id", ondelete="SET NULL"))
    #: Which engine proposed it (``e5`` or ``tfidf``) and at which granularity (−2 fewer … +2 more themes).
    engine: Mapped[str] = mapped_column(String(20), default="")
    granularity: Mapped[int] = mapped_column(default=0)
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    activity: Mapped[Activity] = relationship()


class CardEmbedding(db.Model):
    """A card's sentence vector, computed once per text and model, for the suggestion engine."""

    __tablename__ = "card_embeddings"

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id", ondelete="CASCADE"), unique=True)
    #: Name of the model that computed ``vector``; another model means computing it again.
    model: Mapped[str] = mapped_column(String(80))
    #: SHA-256 of the text the vector was computed from; a moderator's correction makes it stale.
    text_hash: Mapped[str] = mapped_column(String(64))
    #: float32 values, little-endian.
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

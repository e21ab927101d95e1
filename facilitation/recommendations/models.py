"""Handlungsempfehlungen and their consent checks."""

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from facilitation.activities.models import Activity
from facilitation.extensions import db
from facilitation.modeling import utcnow
from facilitation.participation.models import Participant


class RecommendationStatus(enum.Enum):
    draft = "draft"
    agreed = "agreed"
    in_progress = "in_progress"
    done = "done"


class Recommendation(db.Model):
    __tablename__ = "recommendations"
    __table_args__ = (UniqueConstraint("activity_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    topic: Mapped[str] = mapped_column(String(200))  #: Thema
    text: Mapped[str] = mapped_column(Text, default="")  #: Empfehlung
    rationale: Mapped[str] = mapped_column(Text, default="")  #: Begründung
    responsible: Mapped[str] = mapped_column(String(200), default="")  #: Zuständigkeit
    involved: Mapped[str] = mapped_column(String(300), default="")  #: Beteiligte
    timeframe: Mapped[str] = mapped_column(String(120), default="")  #: Zeitrahmen
    priority: Mapped[str] = mapped_column(String(40), default="")  #: Priorität
    status: Mapped[RecommendationStatus] = mapped_column(
        Enum(RecommendationStatus, native_enum=False, length=20), default=RecommendationStatus.draft
    )
    #: Whether phones may answer the consent check now.
    is_consent_open: Mapped[bool] = mapped_column(default=False)
    #: When the moderator last put it on the screens; the step's current recommendation is the latest.
    shown_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    activity: Mapped[Activity] = relationship()
    links: Mapped[list["RecommendationLink"]] = relationship(
        back_populates="recommendation", cascade="all, delete-orphan", passive_deletes=True
    )


class RecommendationLink(db.Model):
    """A cluster or voting option that a recommendation builds on."""

    __tablename__ = "recommendation_links"
    __table_args__ = (
        UniqueConstraint("recommendation_id", "cluster_id"),
        UniqueConstraint("recommendation_id", "option_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(ForeignKey("recommendations.id", ondelete="CASCADE"))
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("clusters.id", ondelete="CASCADE"))
    option_id: Mapped[int | None] = mapped_column(ForeignKey("options.id", ondelete="CASCADE"))

    recommendation: Mapped[Recommendation] = relationship(back_populates="links")


class ConsentVote(db.Model):
    """Fist-of-five on one recommendation: 0–5 fingers, dissent in words."""

    __tablename__ = "consent_votes"
    __table_args__ = (
        UniqueConstraint("recommendation_id", "participant_id"),
        CheckConstraint("fingers BETWEEN 0 AND 5", name="fingers_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(ForeignKey("recommendations.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(String(64))
    fingers: Mapped[int]
    dissent: Mapped[str] = mapped_column(Text, default="")
    cast_at: Mapped[datetime] = mapped_column(default=utcnow)

    participant: Mapped[Participant] = relationship()

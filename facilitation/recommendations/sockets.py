"""Handlungsempfehlungen over Socket.IO: the moderators' drafting commands and the phones' consent check.

Console commands need a console that may moderate; their ack carries the step as consoles draw it
(``{"view": …}``). Screens get ``recommendations_changed`` coalesced per step; phones get
``current_recommendation_changed`` when the recommendation on the screens or its consent check
changes, and ``own_consent_changed`` for their own answer.
"""

from flask_babel import lazy_gettext as _l
from pydantic import Field

from facilitation.accounts.models import Account
from facilitation.activities.models import Activity
from facilitation.extensions import db
from facilitation.participation.models import Participant
from facilitation.realtime.commands import ANSWER_RATE, MAX_ID, ClientId, Command, command
from facilitation.realtime.connection import Viewer, activity_view
from facilitation.recommendations import services
from facilitation.recommendations.models import Recommendation

Id = Field(ge=1, le=MAX_ID)
Ids = Field(default=None, max_length=50)


def _text(name: str):
    return Field(default=None, max_length=services.LIMITS[name])


@activity_view("recommendations")
def recommendations_view(activity: Activity, viewer: Viewer) -> dict:
    """Consoles: every recommendation and what to draft from; projector and phones: the current one."""
    participant = db.session.get(Participant, viewer.participant_id) if viewer.participant_id else None
    return services.view(activity, viewer.screen, participant)


def _actor(viewer: Viewer) -> Account:
    return db.session.get(Account, viewer.account_id)


def _step(viewer: Viewer, activity_id: int) -> Activity:
    activity = db.session.get(Activity, activity_id)
    if activity is None or activity.workshop_id != viewer.workshop_id:
        raise services.RecommendationError(_l("Diesen Schritt gibt es in diesem Workshop nicht."), code="not_found")
    return services.require_step(activity)


def _recommendation(viewer: Viewer, recommendation_id: int) -> Recommendation:
    recommendation = db.session.get(Recommendation, recommendation_id)
    if recommendation is None or recommendation.activity.workshop_id != viewer.workshop_id:
        raise services.RecommendationError(_l("Diese Empfehlung gibt es nicht."), code="not_found")
    return recommendation


def _view(activity: Activity, **extra) -> dict:
    return {"view": services.view(activity, "console"), **extra}


class Fields(Command):
    topic: str | None = _text("topic")
    text: str | None = _text("text")
    rationale: str | None = _text("rationale")
    responsible: str | None = _text("responsible")
    involved: str | None = _text("involved")
    timeframe: str | None = _text("timeframe")
    priority: str | None = _text("priority")
    status: str | None = Field(default=None, max_length=20)
    cluster_ids: list[int] | None = Ids
    option_ids: list[int] | None = Ids


class CreateRecommendation(Fields):
    activity_id: int = Id


class UpdateRecommendation(Fields):
    recommendation_id: int = Id
    redraft_rationale: bool = False


class RecommendationRef(Command):
    recommendation_id: int = Id


class MoveRecommendation(RecommendationRef):
    position: int = Field(ge=0, le=services.MAX_RECOMMENDATIONS)


class ShowRecommendation(Command):
    activity_id: int = Id
    #: ``null``: the overview of all recommendations.
    recommendation_id: int | None = Field(default=None, ge=1, le=MAX_ID)


class CastConsent(Command):
    client_id: str = ClientId
    recommendation_id: int = Id
    fingers: int = Field(ge=0, le=5)
    dissent: str = Field(default="", max_length=services.DISSENT_MAX)


def _fields(payload: Fields) -> dict:
    return {
        name: value for name, value in payload.model_dump().items() if name in services.LIMITS and value is not None
    }


@command("create_recommendation", CreateRecommendation, screens=("console",), moderator=True)
def on_create_recommendation(viewer: Viewer, payload: CreateRecommendation):
    """Console drafts a recommendation (from clusters and topics); screens get ``recommendations_changed``."""
    activity = _step(viewer, payload.activity_id)
    recommendation = services.create_recommendation(
        _actor(viewer),
        activity,
        cluster_ids=payload.cluster_ids or [],
        option_ids=payload.option_ids or [],
        status=payload.status or "draft",
        **_fields(payload),
    )
    return _view(activity, recommendation_id=recommendation.id)


@command("update_recommendation", UpdateRecommendation, screens=("console",), moderator=True)
def on_update_recommendation(viewer: Viewer, payload: UpdateRecommendation):
    recommendation = _recommendation(viewer, payload.recommendation_id)
    services.update_recommendation(
        _actor(viewer),
        recommendation,
        cluster_ids=payload.cluster_ids,
        option_ids=payload.option_ids,
        status=payload.status,
        redraft_rationale=payload.redraft_rationale,
        **_fields(payload),
    )
    return _view(recommendation.activity)


@command("delete_recommendation", RecommendationRef, screens=("console",), moderator=True)
def on_delete_recommendation(viewer: Viewer, payload: RecommendationRef):
    recommendation = _recommendation(viewer, payload.recommendation_id)
    activity = recommendation.activity
    services.delete_recommendation(_actor(viewer), recommendation)
    return _view(activity)


@command("move_recommendation", MoveRecommendation, screens=("console",), moderator=True)
def on_move_recommendation(viewer: Viewer, payload: MoveRecommendation):
    recommendation = _recommendation(viewer, payload.recommendation_id)
    services.move_recommendation(_actor(viewer), recommendation, payload.position)
    return _view(recommendation.activity)


@command("show_recommendation", ShowRecommendation, screens=("console",), moderator=True)
def on_show_recommendation(viewer: Viewer, payload: ShowRecommendation):
    """Console puts a recommendation on projector and phones: ``current_recommendation_changed``."""
    activity = _step(viewer, payload.activity_id)
    recommendation = _recommendation(viewer, payload.recommendation_id) if payload.recommendation_id else None
    if recommendation is not None and recommendation.activity_id != activity.id:
        raise services.RecommendationError(_l("Diese Empfehlung gibt es nicht."), code="not_found")
    services.show_recommendation(_actor(viewer), activity, recommendation)
    return _view(activity)


@command("open_consent", RecommendationRef, screens=("console",), moderator=True)
def on_open_consent(viewer: Viewer, payload: RecommendationRef):
    """Console opens the consent check of a recommendation (and shows it)."""
    recommendation = services.open_consent(_actor(viewer), _recommendation(viewer, payload.recommendation_id))
    return _view(recommendation.activity)


@command("close_consent", RecommendationRef, screens=("console",), moderator=True)
def on_close_consent(viewer: Viewer, payload: RecommendationRef):
    recommendation = services.close_consent(_actor(viewer), _recommendation(viewer, payload.recommendation_id))
    return _view(recommendation.activity)


@command("cast_consent", CastConsent, screens=("phone",), rate=ANSWER_RATE)
def on_cast_consent(viewer: Viewer, payload: CastConsent):
    """Phone gives fist-of-five (0–5) on the open consent check; a resend changes nothing.

    Broadcast: ``own_consent_changed`` to the participant's tabs, coalesced ``recommendations_changed``
    to the screens.
    """
    participant = db.session.get(Participant, viewer.participant_id)
    vote, _changed = services.cast_consent(
        participant,
        _recommendation(viewer, payload.recommendation_id),
        client_id=payload.client_id,
        fingers=payload.fingers,
        dissent=payload.dissent,
    )
    return {"consent": {"recommendation_id": vote.recommendation_id, "fingers": vote.fingers, "dissent": vote.dissent}}

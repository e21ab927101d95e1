"""Results over Socket.IO: the consoles' breakdowns of a vote or a consent check by organisation or role."""

from typing import Literal

from flask_babel import lazy_gettext as _l
from pydantic import Field

from facilitation.activities.models import Activity
from facilitation.extensions import db
from facilitation.realtime.commands import MAX_ID, Command, command
from facilitation.realtime.connection import Viewer
from facilitation.recommendations.models import Recommendation
from facilitation.results import services


class BreakdownRequest(Command):
    activity_id: int = Field(ge=1, le=MAX_ID)
    by: Literal["organisation", "role"] = "organisation"


@command("load_breakdown", BreakdownRequest, screens=("console",))
def on_load_breakdown(viewer: Viewer, payload: BreakdownRequest):
    """Console (observers too) asks for a vote's breakdown; acked with it, small groups suppressed."""
    activity = db.session.get(Activity, payload.activity_id)
    if activity is None or activity.workshop_id != viewer.workshop_id:
        raise services.ResultsError(_l("Diesen Schritt gibt es in diesem Workshop nicht."), code="not_found")
    return {"breakdown": services.breakdown(activity, payload.by)}


class ConsentBreakdownRequest(Command):
    recommendation_id: int = Field(ge=1, le=MAX_ID)
    by: Literal["organisation", "role"] = "organisation"


@command("load_consent_breakdown", ConsentBreakdownRequest, screens=("console",))
def on_load_consent_breakdown(viewer: Viewer, payload: ConsentBreakdownRequest):
    """Console (observers too) asks for a consent check's breakdown; acked with it, small groups suppressed."""
    recommendation = db.session.get(Recommendation, payload.recommendation_id)
    if recommendation is None or recommendation.activity.workshop_id != viewer.workshop_id:
        raise services.ResultsError(_l("Diese Empfehlung gibt es in diesem Workshop nicht."), code="not_found")
    return {"breakdown": services.consent_breakdown(recommendation, payload.by)}

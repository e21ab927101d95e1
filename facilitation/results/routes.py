"""Results pages: a vote's results with breakdowns (moderators, observers) and its chart as SVG."""

import hmac

from flask import Blueprint, Response, abort, render_template, request

from facilitation.activities.models import Activity
from facilitation.extensions import db
from facilitation.results import services
from facilitation.security import found_by_code, join_limit
from facilitation.voting import services as voting
from facilitation.workshops import services as workshop_services
from facilitation.workshops.access import workshop_role
from facilitation.workshops.models import Role, Workshop

bp = Blueprint("results", __name__)


def _vote_of(workshop: Workshop, activity_id: int) -> Activity:
    activity = db.session.get(Activity, activity_id)
    if activity is None or activity.workshop_id != workshop.id or activity.kind != "vote":
        abort(404)
    return activity


def _svg(svg: str) -> Response:
    # Results change with every vote: never cached. The SVG carries no script, and ``<img>`` runs none.
    return Response(
        svg,
        mimetype="image/svg+xml",
        headers={"Cache-Control": "no-store", "Content-Security-Policy": "default-src 'none'"},
    )


@bp.route("/workshops/<int:workshop_id>/steps/<int:activity_id>/results")
@workshop_role(Role.observer)
def vote_results(workshop, activity_id: int):
    """A vote's results with the breakdowns by organisation and role, for the team (also to print)."""
    activity = _vote_of(workshop, activity_id)
    voting.ensure_options(activity)
    return render_template(
        "results/vote.html",
        workshop=workshop,
        activity=activity,
        results=voting.results(activity),
        is_visible=voting.results_visible(activity),
        breakdowns=[services.breakdown(activity, by) for by in services.GROUPINGS],
    )


@bp.route("/workshops/<int:workshop_id>/steps/<int:activity_id>/chart.svg")
@workshop_role(Role.observer)
def vote_chart(workshop, activity_id: int):
    """The chart for the team: always, also before the results are revealed."""
    activity = _vote_of(workshop, activity_id)
    voting.ensure_options(activity)
    return _svg(services.chart(activity))


@bp.route("/<code>/chart/<int:activity_id>.svg")
@join_limit()
def screen_chart(code: str, activity_id: int):
    """The chart for the projector (its key in ``?key=``): only once the results are visible.

    A wrong code or key counts against the client's join-code miss budget (``security.JOIN_MISS_LIMIT``).
    """
    workshop = workshop_services.find_by_join_code(code)
    if workshop is None:
        abort(404)
    key = request.args.get("key", "")
    if not hmac.compare_digest(key.encode(), workshop.screen_key.encode()):
        abort(404)
    found_by_code()
    activity = _vote_of(workshop, activity_id)
    try:
        return _svg(services.chart(activity, for_screen=True))
    except services.ResultsError:
        abort(404)

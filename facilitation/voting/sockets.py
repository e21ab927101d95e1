"""Voting steps over Socket.IO: what each screen sees of them, the phones' ballots and proposals, and
the moderators' commands for proposed topics."""

from flask_babel import lazy_gettext as _l
from pydantic import Field

from facilitation.accounts.models import Account
from facilitation.activities.models import Activity
from facilitation.extensions import db
from facilitation.participation.models import Participant
from facilitation.realtime import payloads
from facilitation.realtime.commands import ANSWER_RATE, MAX_ID, ClientId, Command, command
from facilitation.realtime.connection import Viewer, activity_view
from facilitation.voting import services
from facilitation.voting.methods import Entry
from facilitation.voting.models import Option

#: More lines than any step has topics (60 fixed ones plus proposals); the service checks each one.
MAX_LINES = 200


@activity_view("vote")
def vote_view(activity: Activity, viewer: Viewer) -> dict:
    """Phones: the topics, their own ballot and proposals, and the results once visible. Projector: the
    topics and the results as far as visible. Consoles: every topic (proposals too) and the results."""
    options = services.ensure_options(activity)
    visible = [payloads.option(o) for o in options if o.is_visible]
    if viewer.screen == "phone":
        participant = db.session.get(Participant, viewer.participant_id)
        ballot = services.own_ballot(participant, activity)
        return {
            "options": visible,
            "ballot": payloads.ballot(ballot) if ballot else None,
            "own_proposals": [payloads.option(o, own=True) for o in services.own_proposals(participant, activity)],
            "proposals_left": services.proposals_left(participant, activity),
            "results": services.screen_results(activity, options) if services.results_visible(activity) else None,
        }
    if viewer.screen == "projector":
        return {"options": visible, "results": services.screen_results(activity, options)}
    return {
        "options": [services.option_for_moderator(o) for o in options],
        "results": {**services.results(activity, options), "is_visible": services.results_visible(activity)},
    }


def _participant(viewer: Viewer) -> Participant:
    return db.session.get(Participant, viewer.participant_id)


def _activity(viewer: Viewer, activity_id: int) -> Activity:
    activity = db.session.get(Activity, activity_id)
    if activity is None or activity.workshop_id != viewer.workshop_id:
        raise services.VotingError(_l("Diesen Schritt gibt es in diesem Workshop nicht."), code="not_found")
    return activity


class BallotLine(Command):
    option_id: int = Field(ge=1, le=MAX_ID)
    #: Dots, points, rank or scale value; 1 for a choice (and ignored on the matrix).
    value: int = Field(default=1, ge=0, le=1000)
    #: Matrix only: Wichtigkeit and Dringlichkeit, 0–1.
    x: float | None = Field(default=None, ge=0, le=1, allow_inf_nan=False)
    y: float | None = Field(default=None, ge=0, le=1, allow_inf_nan=False)


class CastVotes(Command):
    client_id: str = ClientId
    activity_id: int = Field(ge=1, le=MAX_ID)
    #: The whole ballot; an empty list takes the vote back.
    entries: list[BallotLine] = Field(default_factory=list, max_length=MAX_LINES)


class ProposeOption(Command):
    client_id: str = ClientId
    activity_id: int = Field(ge=1, le=MAX_ID)
    label: str = Field(max_length=500)


class OptionRef(Command):
    option_id: int = Field(ge=1, le=MAX_ID)


@command("cast_votes", CastVotes, screens=("phone",), rate=ANSWER_RATE)
def on_cast_votes(viewer: Viewer, payload: CastVotes):
    """Phone sends its whole ballot; acked with the stored ballot (the same one for a resend).

    Broadcast: ``own_ballot_changed`` to the voter's tabs, coalesced ``results_changed`` to projector and
    moderators. Other phones get nothing.
    """
    entries = [Entry(line.option_id, line.value, line.x, line.y) for line in payload.entries]
    ballot, _changed = services.cast_votes(
        _participant(viewer), _activity(viewer, payload.activity_id), client_id=payload.client_id, entries=entries
    )
    return {"ballot": payloads.ballot(ballot) if ballot else None}


@command("propose_option", ProposeOption, screens=("phone",), rate=ANSWER_RATE)
def on_propose_option(viewer: Viewer, payload: ProposeOption):
    """Phone proposes a topic; it waits for the moderator. Broadcast: ``option_changed`` to moderators,
    ``own_option_changed`` to the proposer's tabs."""
    participant = _participant(viewer)
    activity = _activity(viewer, payload.activity_id)
    option, _is_new = services.propose_option(participant, activity, client_id=payload.client_id, label=payload.label)
    return {
        "option": payloads.option(option, own=True),
        "proposals_left": services.proposals_left(participant, option.activity),
    }


def _option(viewer: Viewer, option_id: int) -> Option:
    option = db.session.get(Option, option_id)
    if option is None or option.activity.workshop_id != viewer.workshop_id:
        raise services.VotingError(_l("Dieses Thema gibt es nicht."), code="not_found")
    return option


def _actor(viewer: Viewer) -> Account:
    return db.session.get(Account, viewer.account_id)


@command("approve_option", OptionRef, screens=("console",), moderator=True)
def on_approve_option(viewer: Viewer, payload: OptionRef):
    """Moderator puts a proposed topic on the ballot: ``options_changed`` to everyone."""
    option = services.approve_option(_actor(viewer), _option(viewer, payload.option_id))
    return {"option": services.option_for_moderator(option)}


@command("hide_option", OptionRef, screens=("console",), moderator=True)
def on_hide_option(viewer: Viewer, payload: OptionRef):
    """Moderator keeps a proposed topic off the ballot (only while it has no votes)."""
    option = services.hide_option(_actor(viewer), _option(viewer, payload.option_id))
    return {"option": services.option_for_moderator(option)}


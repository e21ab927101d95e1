"""Snapshots for every screen, and the moderator's commands that run the agenda live."""

from flask_babel import lazy_gettext as _l
from pydantic import Field
from sqlalchemy.orm import joinedload

from facilitation.accounts.models import Account
from facilitation.activities import services
from facilitation.activities.models import Activity
from facilitation.extensions import db
from facilitation.realtime import payloads
from facilitation.realtime.commands import MAX_ID, Command, command
from facilitation.realtime.connection import Viewer, snapshot_builder, view_of_activity
from facilitation.workshops.models import Workshop, WorkshopState


@snapshot_builder
def build_snapshot(viewer: Viewer) -> dict:
    """Everything a screen needs to draw itself, with the version it was taken at."""
    # The workshop with its current step in one query: every (re)connect and refresh runs this.
    workshop = db.session.get(Workshop, viewer.workshop_id, options=[joinedload(Workshop.current_activity)])
    current = workshop.current_activity
    snapshot = {
        "version": workshop.version,
        "screen": viewer.screen,
        "workshop": payloads.workshop(workshop),
        "activity": payloads.activity(current) if current else None,
        "view": view_of_activity(current, viewer) if current else {},
    }
    if viewer.screen == "console":
        snapshot["activities"] = [payloads.activity(a) for a in workshop.activities]
        snapshot["can_moderate"] = viewer.can_moderate
    return snapshot


def _actor(viewer: Viewer) -> Account:
    return db.session.get(Account, viewer.account_id)


def _activity(viewer: Viewer, activity_id: int) -> Activity:
    activity = db.session.get(Activity, activity_id)
    if activity is None or activity.workshop_id != viewer.workshop_id:
        raise services.ActivityError(_l("Diesen Schritt gibt es in diesem Workshop nicht."), code="not_found")
    return activity


class ActivityRef(Command):
    activity_id: int = Field(ge=1, le=MAX_ID)


class ShowActivity(Command):
    activity_id: int | None = Field(default=None, ge=1, le=MAX_ID)


class Reveal(ActivityRef):
    is_revealed: bool = True


class Timer(ActivityRef):
    seconds: int | None = Field(default=None, ge=1, le=services.MAX_TIMER_SECONDS)


class TimerExtension(ActivityRef):
    seconds: int = Field(ge=1, le=services.MAX_TIMER_SECONDS)


class WorkshopStateChange(Command):
    state: WorkshopState


@command("change_workshop_state", WorkshopStateChange, screens=("console",), moderator=True)
def on_change_workshop_state(viewer: Viewer, payload: WorkshopStateChange):
    """Console starts, ends or resumes the workshop; everyone gets ``workshop_changed``."""
    workshop = db.session.get(Workshop, viewer.workshop_id)
    services.change_workshop_state(_actor(viewer), workshop, payload.state)


@command("show_activity", ShowActivity, screens=("console",), moderator=True)
def on_show_activity(viewer: Viewer, payload: ShowActivity):
    """Console puts a step (or the welcome screen) on every screen: ``current_activity_changed``."""
    workshop = db.session.get(Workshop, viewer.workshop_id)
    activity = _activity(viewer, payload.activity_id) if payload.activity_id else None
    services.show_activity(_actor(viewer), workshop, activity)


@command("open_activity", ActivityRef, screens=("console",), moderator=True)
def on_open_activity(viewer: Viewer, payload: ActivityRef):
    """Console opens a step for answers (and shows it): ``activity_changed``."""
    services.open_activity(_actor(viewer), _activity(viewer, payload.activity_id))


@command("close_activity", ActivityRef, screens=("console",), moderator=True)
def on_close_activity(viewer: Viewer, payload: ActivityRef):
    """Console closes a step: ``activity_changed``."""
    services.close_activity(_actor(viewer), _activity(viewer, payload.activity_id))


@command("reveal_activity", Reveal, screens=("console",), moderator=True)
def on_reveal_activity(viewer: Viewer, payload: Reveal):
    """Console shows or hides the answers on the projector: ``activity_changed``."""
    services.reveal_activity(_actor(viewer), _activity(viewer, payload.activity_id), payload.is_revealed)


@command("set_timer", Timer, screens=("console",), moderator=True)
def on_set_timer(viewer: Viewer, payload: Timer):
    """Console starts a countdown (or removes it with ``seconds: null``): ``activity_changed``."""
    services.set_timer(_actor(viewer), _activity(viewer, payload.activity_id), payload.seconds)


@command("pause_timer", ActivityRef, screens=("console",), moderator=True)
def on_pause_timer(viewer: Viewer, payload: ActivityRef):
    services.pause_timer(_actor(viewer), _activity(viewer, payload.activity_id))


@command("resume_timer", ActivityRef, screens=("console",), moderator=True)
def on_resume_timer(viewer: Viewer, payload: ActivityRef):
    services.resume_timer(_actor(viewer), _activity(viewer, payload.activity_id))


@command("extend_timer", TimerExtension, screens=("console",), moderator=True)
def on_extend_timer(viewer: Viewer, payload: TimerExtension):
    services.extend_timer(_actor(viewer), _activity(viewer, payload.activity_id), payload.seconds)


@command("load_activity", ActivityRef, screens=("console",))
def on_load_activity(viewer: Viewer, payload: ActivityRef):
    """Console (also an observer's) loads any step's view, e.g. to moderate a step not on screen."""
    activity = _activity(viewer, payload.activity_id)
    return {"activity": payloads.activity(activity), "view": view_of_activity(activity, viewer)}

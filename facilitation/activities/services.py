"""The agenda of a workshop: editing steps, workshop definitions (templates), and running steps live."""

import json
import logging
from datetime import timedelta
from importlib import resources

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from facilitation.accounts.models import Account
from facilitation.activities.models import Activity, ActivityState
from facilitation.activities.registry import KINDS, ConfigError, get_kind, referenced_positions, remap_references
from facilitation.extensions import db
from facilitation.modeling import DomainError, InvalidTransition, utcnow
from facilitation.realtime import broadcast, payloads, rooms
from facilitation.workshops import services as workshop_services
from facilitation.workshops.models import Workshop, WorkshopState

logger = logging.getLogger(__name__)

DEFINITION_FORMAT = "facilitation.workshop"
DEFINITION_VERSION = 1
MAX_ACTIVITIES = 60
MAX_TIMER_SECONDS = 4 * 3600


class ActivityError(DomainError):
    """A request the agenda rules refuse; ``message`` is for the user, ``errors`` per field."""


# -- editing the agenda ---------------------------------------------------------------------------


def _validated(kind: str, title: str, config: dict | None) -> tuple[str, dict]:
    if kind not in KINDS:
        raise ActivityError(_l("Unbekannte Art von Schritt: %(kind)s", kind=kind))
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise ActivityError(_l("Bitte einen Titel mit höchstens 200 Zeichen angeben."))
    try:
        return title, get_kind(kind).validate(config)
    except ConfigError as error:
        raise ActivityError(_l("Die Einstellungen des Schritts sind unvollständig."), error.errors) from error


def _ensure_editable(activity: Activity) -> None:
    if activity.state is not ActivityState.pending:
        raise ActivityError(_l("Ein Schritt, der schon lief, kann nicht mehr geändert werden."))


def _add(workshop: Workshop, kind: str, title: str, prompt: str, config: dict | None) -> Activity:
    title, config = _validated(kind, title, config)
    count = db.session.scalar(select(func.count(Activity.id)).where(Activity.workshop_id == workshop.id))
    if count >= MAX_ACTIVITIES:
        raise ActivityError(_l("Ein Workshop hat höchstens %(n)d Schritte.", n=MAX_ACTIVITIES))
    activity = Activity(
        workshop=workshop, position=count, kind=kind, title=title, prompt=(prompt or "").strip()[:5000], config=config
    )
    db.session.add(activity)
    return activity


def add_activity(
    actor: Account, workshop: Workshop, *, kind: str, title: str, prompt: str = "", config: dict | None = None
) -> Activity:
    """Append a step of ``kind`` to the agenda."""
    activity = _add(workshop, kind, title, prompt, config)
    db.session.flush()
    workshop_services.record_audit(
        actor, "activity.added", workshop=workshop, target=f"activity:{activity.id}", kind=kind
    )
    db.session.commit()
    return activity


def update_activity(
    actor: Account, activity: Activity, *, title: str, prompt: str = "", config: dict | None = None
) -> Activity:
    """Change a step that has not run yet."""
    _ensure_editable(activity)
    activity.title, activity.config = _validated(activity.kind, title, config)
    activity.prompt = (prompt or "").strip()[:5000]
    workshop_services.record_audit(
        actor, "activity.updated", workshop=activity.workshop, target=f"activity:{activity.id}"
    )
    db.session.commit()
    return activity


def _renumber(workshop: Workshop, ordered: list[Activity]) -> None:
    """Give ``ordered`` the positions 0…n-1 without tripping the unique (workshop, position) rule.

    Steps that refer to others by position (a clustering step's card steps, …) follow the move.
    """
    new_positions = {activity.position: position for position, activity in enumerate(ordered)}
    for activity in ordered:
        if referenced_positions(activity.config):
            activity.config = remap_references(activity.config, new_positions)
    db.session.flush()
    db.session.execute(
        update(Activity).where(Activity.workshop_id == workshop.id).values(position=-Activity.position - 1)
    )
    for position, activity in enumerate(ordered):
        db.session.execute(update(Activity).where(Activity.id == activity.id).values(position=position))
    db.session.expire_all()


def move_activity(actor: Account, activity: Activity, position: int) -> None:
    """Move a step to ``position`` (clamped to the agenda), shifting the others."""
    workshop = activity.workshop
    ordered = [a for a in workshop.activities if a.id != activity.id]
    position = max(0, min(position, len(ordered)))
    ordered.insert(position, activity)
    _renumber(workshop, ordered)
    workshop_services.record_audit(
        actor, "activity.moved", workshop=workshop, target=f"activity:{activity.id}", position=position
    )
    db.session.commit()


def remove_activity(actor: Account, activity: Activity) -> None:
    """Delete a step that has not run yet and close the gap."""
    _ensure_editable(activity)
    workshop = activity.workshop
    remaining = [a for a in workshop.activities if a.id != activity.id]
    users = [a.title for a in remaining if activity.position in referenced_positions(a.config)]
    if users:
        raise ActivityError(
            _l(
                "„%(titles)s“ baut auf diesem Schritt auf. Bitte dort zuerst die Grundlage ändern.",
                titles="“, „".join(users),
            )
        )
    if workshop.current_activity_id == activity.id:
        workshop.current_activity_id = None
    workshop_services.record_audit(
        actor, "activity.removed", workshop=workshop, target=f"activity:{activity.id}", title=activity.title
    )
    db.session.delete(activity)
    db.session.flush()
    _renumber(workshop, remaining)
    db.session.commit()


# -- definitions and templates --------------------------------------------------------------------


def export_definition(workshop: Workshop) -> dict:
    """Return the workshop's definition (settings and agenda, no answers) as JSON-ready data."""
    return {
        "format": DEFINITION_FORMAT,
        "version": DEFINITION_VERSION,
        "workshop": {
            "title": workshop.title,
            "description": workshop.description,
            "organiser": workshop.organiser,
            "venue": workshop.venue,
            "starts_on": workshop.starts_on.isoformat() if workshop.starts_on else None,
            "min_group_size": workshop.min_group_size,
            "retention_days": workshop.retention_days,
        },
        "activities": [
            {"kind": a.kind, "title": a.title, "prompt": a.prompt, "config": a.config} for a in workshop.activities
        ],
    }


def import_definition(actor: Account | None, definition: dict, **overrides) -> Workshop:
    """Create a new draft workshop from a definition; refuse it whole if any part is invalid."""
    if not isinstance(definition, dict) or definition.get("format") != DEFINITION_FORMAT:
        raise ActivityError(_l("Die Datei ist keine Workshop-Definition."))
    if definition.get("version") != DEFINITION_VERSION:
        raise ActivityError(_l("Diese Version der Workshop-Definition wird nicht unterstützt."))
    fields = definition.get("workshop") or {}
    if not isinstance(fields, dict):
        raise ActivityError(_l("Die Angaben zum Workshop sind ungültig."))
    fields = {**fields, **overrides}
    steps = definition.get("activities") or []
    if not isinstance(steps, list) or len(steps) > MAX_ACTIVITIES:
        raise ActivityError(_l("Die Liste der Schritte ist ungültig."))
    validated = []
    for number, step in enumerate(steps, start=1):
        if not isinstance(step, dict):
            raise ActivityError(_l("Schritt %(n)d ist ungültig.", n=number))
        kind, prompt = str(step.get("kind")), str(step.get("prompt") or "")
        try:
            title, config = _validated(kind, str(step.get("title") or ""), step.get("config"))
        except ActivityError as error:
            raise ActivityError(
                _l("Schritt %(n)d: %(message)s", n=number, message=error.message), error.errors
            ) from error
        validated.append((kind, title, prompt, config))
    try:
        workshop = workshop_services.create_workshop(actor, **fields)
    except (TypeError, ValueError) as error:
        raise ActivityError(getattr(error, "message", _l("Die Angaben zum Workshop sind ungültig."))) from error
    for kind, title, prompt, config in validated:
        _add(workshop, kind, title, prompt, config)
        db.session.flush()
    workshop_services.record_audit(actor, "workshop.imported", workshop=workshop, target=f"workshop:{workshop.id}")
    db.session.commit()
    return workshop


def duplicate_workshop(actor: Account, workshop: Workshop) -> Workshop:
    """Copy a workshop's settings and agenda (not its answers) into a new draft."""
    title = str(_l("%(title)s (Kopie)", title=workshop.title))[:200]
    return import_definition(actor, export_definition(workshop), title=title)


def list_presets() -> dict[str, str]:
    """Names and titles of the templates shipped with the app."""
    presets = {}
    for entry in resources.files("facilitation.activities").joinpath("presets").iterdir():
        if entry.name.endswith(".json"):
            presets[entry.name.removesuffix(".json")] = json.loads(entry.read_text("utf-8"))["workshop"]["title"]
    return dict(sorted(presets.items()))


def load_preset(name: str) -> dict:
    if name not in list_presets():
        raise ActivityError(_l("Unbekannte Vorlage."))
    path = resources.files("facilitation.activities").joinpath("presets", f"{name}.json")
    return json.loads(path.read_text("utf-8"))


# -- running steps live -----------------------------------------------------------------------------


def _publish_activity(activity: Activity, version: int) -> None:
    broadcast.publish(
        rooms.everyone(activity.workshop_id),
        "activity_changed",
        {"activity": payloads.activity(activity), "version": version},
    )


def _commit_and_publish(actor: Account, activity: Activity, action: str, **details) -> Activity:
    version = workshop_services.bump_version(activity.workshop)
    workshop_services.record_audit(
        actor, action, workshop=activity.workshop, target=f"activity:{activity.id}", **details
    )
    db.session.commit()
    _publish_activity(activity, version)
    return activity


def _change_state(activity: Activity, wanted: ActivityState) -> None:
    try:
        activity.change_state(wanted)
    except InvalidTransition as error:
        raise ActivityError(error.message) from error


def change_workshop_state(actor: Account, workshop: Workshop, wanted: WorkshopState) -> Workshop:
    """Start, end or resume the workshop; ending it closes the steps still open."""
    if wanted is WorkshopState.ended and workshop.state.can_become(wanted):
        for activity in workshop.activities:
            if activity.is_open and activity.state.can_become(ActivityState.closed):
                close_activity(actor, activity)
    return workshop_services.change_state(actor, workshop, wanted)


def show_activity(actor: Account, workshop: Workshop, activity: Activity | None) -> Workshop:
    """Make ``activity`` the step every screen shows (``None``: the welcome screen)."""
    if activity is not None and activity.workshop_id != workshop.id:
        raise ActivityError(_l("Dieser Schritt gehört nicht zu diesem Workshop."))
    workshop.current_activity = activity
    workshop_services.record_audit(
        actor, "activity.shown", workshop=workshop, target=f"activity:{activity.id}" if activity else ""
    )
    _commit_and_publish_current(workshop, activity)
    return workshop


def _commit_and_publish_current(workshop: Workshop, activity: Activity | None) -> None:
    version = workshop_services.bump_version(workshop)
    db.session.commit()
    broadcast.publish(
        rooms.everyone(workshop.id),
        "current_activity_changed",
        {"activity": payloads.activity(activity) if activity else None, "version": version},
    )


def open_activity(actor: Account, activity: Activity) -> Activity:
    """Let phones answer; also shows the step."""
    if not get_kind(activity.kind).is_interactive:
        raise ActivityError(_l("Dieser Schritt nimmt keine Antworten entgegen."))
    if not activity.workshop.is_live:
        raise ActivityError(_l("Bitte zuerst den Workshop starten."))
    _change_state(activity, ActivityState.open)
    workshop = activity.workshop
    is_shown = workshop.current_activity_id == activity.id
    workshop.current_activity = activity
    _commit_and_publish(actor, activity, "activity.opened")
    if not is_shown:  # every screen follows the current step: tell them it moved
        _commit_and_publish_current(workshop, activity)
    return activity


def close_activity(actor: Account, activity: Activity) -> Activity:
    _change_state(activity, ActivityState.closed)
    activity.timer_ends_at = None
    activity.timer_remaining = None
    return _commit_and_publish(actor, activity, "activity.closed")


def reveal_activity(actor: Account, activity: Activity, is_revealed: bool = True) -> Activity:
    """Show (or hide again) the answers on the projector and the phones."""
    activity.is_revealed = is_revealed
    return _commit_and_publish(actor, activity, "activity.revealed" if is_revealed else "activity.concealed")


def _check_seconds(seconds: int) -> int:
    if not isinstance(seconds, int) or isinstance(seconds, bool) or not 1 <= seconds <= MAX_TIMER_SECONDS:
        raise ActivityError(_l("Bitte eine Dauer zwischen 1 Sekunde und 4 Stunden angeben."))
    return seconds


def set_timer(actor: Account, activity: Activity, seconds: int | None) -> Activity:
    """Start a countdown of ``seconds`` (``None`` removes the timer)."""
    if seconds is None:
        activity.timer_ends_at = activity.timer_remaining = None
    else:
        activity.timer_ends_at = utcnow() + timedelta(seconds=_check_seconds(seconds))
        activity.timer_remaining = None
    return _commit_and_publish(actor, activity, "timer.set", seconds=seconds)


def pause_timer(actor: Account, activity: Activity) -> Activity:
    if activity.timer_ends_at is None:
        raise ActivityError(_l("Es läuft kein Timer."))
    left = (activity.timer_ends_at - utcnow()).total_seconds()
    activity.timer_remaining = max(0, round(left))
    activity.timer_ends_at = None
    return _commit_and_publish(actor, activity, "timer.paused")


def resume_timer(actor: Account, activity: Activity) -> Activity:
    if activity.timer_remaining is None:
        raise ActivityError(_l("Der Timer ist nicht angehalten."))
    activity.timer_ends_at = utcnow() + timedelta(seconds=activity.timer_remaining)
    activity.timer_remaining = None
    return _commit_and_publish(actor, activity, "timer.resumed")


def extend_timer(actor: Account, activity: Activity, seconds: int) -> Activity:
    """Add time to a running or paused timer, or start one."""
    seconds = _check_seconds(seconds)
    if activity.timer_remaining is not None:
        activity.timer_remaining = min(MAX_TIMER_SECONDS, activity.timer_remaining + seconds)
    elif activity.timer_ends_at is not None:
        now = utcnow()
        activity.timer_ends_at = min(
            max(activity.timer_ends_at, now) + timedelta(seconds=seconds), now + timedelta(seconds=MAX_TIMER_SECONDS)
        )
    else:
        activity.timer_ends_at = utcnow() + timedelta(seconds=seconds)
    return _commit_and_publish(actor, activity, "timer.extended", seconds=seconds)

"""Connections, who they belong to, and the snapshot each (re)connect receives.

``realtime`` imports no domain: the domains register here how a screen is authenticated
(:func:`authenticator`), what the workshop snapshot holds (:func:`snapshot_builder`) and what each
activity kind adds to it (:func:`activity_view`).
"""

import logging
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from flask import request
from flask_socketio import ConnectionRefusedError, join_room

from facilitation.extensions import socketio
from facilitation.realtime import broadcast, ratelimit, rooms
from facilitation.realtime.presence import shared as shared_presence

logger = logging.getLogger(__name__)

SCREENS = ("phone", "projector", "console")


@dataclass(frozen=True)
class Viewer:
    """Who is on the other end of a connection."""

    screen: str
    workshop_id: int
    participant_id: int | None = None
    account_id: int | None = None
    #: Moderators may act; observers (and the projector) only watch.
    can_moderate: bool = False
    rooms: tuple[str, ...] = field(default=())


Authenticator = Callable[[dict], Viewer | None]
_authenticators: dict[str, Authenticator] = {}
_snapshot_builder: list[Callable[[Viewer], dict]] = []
_activity_views: dict[str, Callable[[Any, Viewer], dict]] = {}
_presence_listeners: list[Callable[[int], None]] = []

_viewers: dict[str, Viewer] = {}
#: The ``auth`` each connection was made with, to check a console's rights again for every command.
_auths: dict[str, dict] = {}
_viewers_lock = threading.Lock()


def authenticator(screen: str):
    """Register the function that turns a connect's ``auth`` into a :class:`Viewer` (or ``None``)."""

    def decorate(fn: Authenticator) -> Authenticator:
        _authenticators[screen] = fn
        return fn

    return decorate


def snapshot_builder(fn: Callable[[Viewer], dict]) -> Callable[[Viewer], dict]:
    """Register the function that builds a screen's full snapshot."""
    _snapshot_builder[:] = [fn]
    return fn


def activity_view(kind: str):
    """Register what an activity kind adds to a snapshot, for a given viewer."""

    def decorate(fn):
        _activity_views[kind] = fn
        return fn

    return decorate


def on_presence_change(fn: Callable[[int], None]) -> Callable[[int], None]:
    """Register a callback run with the workshop id whenever a connection comes or goes."""
    _presence_listeners.append(fn)
    return fn


def view_of_activity(activity, viewer: Viewer) -> dict:
    """Return the kind-specific part of a snapshot, or an empty dict for kinds without one."""
    build = _activity_views.get(activity.kind)
    return build(activity, viewer) if build else {}


def build_snapshot(viewer: Viewer) -> dict:
    return _snapshot_builder[0](viewer)


def viewer_of(sid: str) -> Viewer | None:
    return _viewers.get(sid)


def current_viewer() -> Viewer | None:
    """The viewer of the connection whose event is being handled."""
    return _viewers.get(request.sid)


def reauthenticated_viewer(viewer: Viewer) -> Viewer:
    """The current connection's ``viewer`` with its rights checked again, e.g. before a moderator command.

    A role can be revoked (or an account removed) while its console stays connected; the rights
    found at connect time must not outlive that.
    """
    sid = request.sid
    with _viewers_lock:
        auth = _auths.get(sid, {})
    fresh = _authenticators[viewer.screen](auth)
    if fresh is None or fresh.workshop_id != viewer.workshop_id or fresh.account_id != viewer.account_id:
        fresh = replace(viewer, can_moderate=False)
    if fresh.can_moderate != viewer.can_moderate:
        with _viewers_lock:
            if sid in _viewers:
                _viewers[sid] = replace(_viewers[sid], can_moderate=fresh.can_moderate)
    return replace(viewer, can_moderate=fresh.can_moderate)


def presence(workshop_id: int) -> dict[str, int]:
    """Who is connected to a workshop now: distinct phones, projectors and consoles.

    Over every server process when they share a message queue (``realtime.presence``), else this one's.
    """
    return shared_presence(workshop_id, local_presence, _presence_changed)


def _presence_changed(workshop_id: int) -> None:
    for listener in _presence_listeners:
        listener(workshop_id)


def local_presence(workshop_id: int) -> dict[str, int]:
    """Connections of this process: distinct phones, projectors and consoles of a workshop."""
    with _viewers_lock:
        viewers = [v for v in _viewers.values() if v.workshop_id == workshop_id]
    counts = Counter(v.screen for v in viewers if v.screen != "phone")
    return {
        "phones": len({v.participant_id for v in viewers if v.screen == "phone"}),
        "projectors": counts["projector"],
        "consoles": counts["console"],
    }


def connected_participant_ids(workshop_id: int) -> set[int]:
    with _viewers_lock:
        return {v.participant_id for v in _viewers.values() if v.workshop_id == workshop_id and v.participant_id}


def send_snapshot(sid: str, viewer: Viewer) -> None:
    broadcast.publish(sid, "snapshot", build_snapshot(viewer))


@socketio.on("connect")
def on_connect(auth=None):
    """Any screen connects with ``auth = {"screen": ..., "code": ..., ...}``; it gets a ``snapshot``."""
    auth = auth if isinstance(auth, dict) else {}
    if ratelimit.connects_refused():  # a flood of failed connects from this address
        raise ConnectionRefusedError("unauthorised")
    authenticate = _authenticators.get(auth.get("screen"))
    viewer = authenticate(auth) if authenticate else None
    if viewer is None:
        ratelimit.count_failed_connect()
        raise ConnectionRefusedError("unauthorised")
    with _viewers_lock:
        if not ratelimit.connections().open(ratelimit.connection_key(viewer), ratelimit.max_connections(viewer)):
            raise ConnectionRefusedError("too_many_connections")
        _viewers[request.sid] = viewer
        _auths[request.sid] = auth
    for room in viewer.rooms:
        join_room(room)
    send_snapshot(request.sid, viewer)
    for listener in _presence_listeners:
        listener(viewer.workshop_id)
    logger.debug("Connected %s as %s", request.sid, viewer)


@socketio.on("disconnect")
def on_disconnect(reason=None):
    """Forget the connection and tell the moderators the new count."""
    with _viewers_lock:
        viewer = _viewers.pop(request.sid, None)
        _auths.pop(request.sid, None)
        if viewer:
            ratelimit.connections().close(ratelimit.connection_key(viewer))
    if viewer:
        for listener in _presence_listeners:
            listener(viewer.workshop_id)


@socketio.on("request_snapshot")
def on_request_snapshot(*_args):
    """Any screen asks for a fresh snapshot (e.g. after it noticed a version gap); acked with it."""
    viewer = current_viewer()
    if viewer is None:
        return {"ok": False, "error": "unauthorised"}
    limited = ratelimit.refusal(ratelimit.sender(viewer, request.sid), ratelimit.general_rate(viewer))
    return limited or {"ok": True, "snapshot": build_snapshot(viewer)}


def phone_rooms(workshop_id: int, participant_id: int) -> tuple[str, ...]:
    return (rooms.phones(workshop_id), rooms.participant(participant_id))

"""The one place that sends events to clients.

Services call :func:`publish` after their transaction committed. Aggregates for the projector and the
moderators go through :func:`publish_coalesced`, which sends at most one update per key and interval
however many submissions arrive, so the cost of a submission does not grow with the audience.
"""

import logging
import threading
from collections.abc import Callable, Iterable

from flask import current_app

from facilitation.extensions import socketio

logger = logging.getLogger(__name__)

Rooms = str | Iterable[str]

#: Where each app keeps its scheduled updates: ``key -> (rooms, event, build)``.
PENDING = "realtime.pending"
_pending_lock = threading.Lock()


def publish(rooms: Rooms, event: str, payload: dict) -> None:
    """Send ``event`` with ``payload`` to one room or several."""
    targets = [rooms] if isinstance(rooms, str) else list(rooms)
    for room in targets:
        socketio.emit(event, payload, to=room, ignore_queue=_is_own_connection(room))
    logger.debug("Published %s to %s", event, targets)


def _is_own_connection(room: str) -> bool:
    """Whether ``room`` is a connection of this process (a snapshot after a connect): it needs no trip
    through the message queue to the other processes. Room names have a colon, connection ids none."""
    if ":" in room or socketio.server is None:
        return False
    return socketio.server.manager.eio_sid_from_sid(room, "/") is not None


def publish_coalesced(key: str, rooms: Rooms, event: str, build: Callable[[], dict]) -> None:
    """Publish ``build()`` to ``rooms`` soon, once per ``key`` and coalescing interval.

    ``build`` runs when the update is sent (in an app context), so it sees every change made until
    then; calls for a key that is already scheduled only replace its builder.
    """
    # Per app: keys such as ``wall:1`` repeat across apps (every test app has an activity 1), and an
    # update scheduled by one app must never run another app's builder against its database.
    app = current_app._get_current_object()
    with _pending_lock:
        pending = app.extensions.setdefault(PENDING, {})
        is_scheduled = key in pending
        pending[key] = (rooms, event, build)
    if not is_scheduled:
        socketio.start_background_task(_send_later, app, key)


def _send_later(app, key: str) -> None:
    socketio.sleep(app.config["REALTIME_COALESCE_SECONDS"])
    with _pending_lock:
        rooms, event, build = app.extensions[PENDING].pop(key)
    with app.app_context():
        try:
            publish(rooms, event, build())
        except Exception:  # a failed aggregate must not kill the server's background loop
            logger.exception("Coalesced update %s failed", key)

"""The one place that sends events to clients.

Services call :func:`publish` after their transaction committed. Aggregates for the projector and the
moderators go through :func:`publish_coalesced`, which sends at most one update per key and interval
however many submissions arrive, so the cost of a submission does not grow with the audience.

With several processes, two processes' aggregates of one step can reach a screen in the opposite order
of the database states they were built from (A reads, B commits and sends its newer aggregate, A's
older one arrives last). Each coalesced payload therefore carries ``seq``: a clock read before the
aggregate's queries (Redis's clock with a message queue, this process's without), so the payload with
the highest ``seq`` started last and has seen every change whose own update has a lower one. Screens
drop an aggregate whose ``seq`` is below the last they showed for the same event and step (``live.js``).
"""

import logging
import threading
import time
from collections.abc import Callable, Iterable

import redis
from flask import current_app
from sqlalchemy.exc import TimeoutError as PoolTimeout

from facilitation.extensions import socketio
from facilitation.realtime import presence

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
    then; calls for a key that is already scheduled only replace its builder. The payload gets ``seq``
    (:func:`aggregate_clock`, read before ``build``) unless it has one of its own.
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
            # Read before the builder's first query (a fresh session): everything committed before this
            # moment is in the aggregate, so the highest ``seq`` marks the most complete one.
            seq = aggregate_clock(app)
            payload = build()
            if seq is not None:
                payload.setdefault("seq", seq)
            publish(rooms, event, payload)
        except PoolTimeout:
            # Every database connection was busy (a burst): the screens would keep the last aggregate
            # until the next change, so try again one interval later unless a newer update is scheduled.
            logger.warning("Coalesced update %s: no database connection free, trying again", key)
            with _pending_lock:
                is_scheduled = key in app.extensions[PENDING]
                app.extensions[PENDING].setdefault(key, (rooms, event, build))
            if not is_scheduled:
                socketio.start_background_task(_send_later, app, key)
        except Exception:  # a failed aggregate must not kill the server's background loop
            logger.exception("Coalesced update %s failed", key)


def aggregate_clock(app) -> int | None:
    """Microseconds on the clock all processes share: Redis's with a message queue, else this process's.

    ``None`` when Redis does not answer: the payload goes without ``seq`` (screens take it as before)
    rather than with a reading of another clock that could run behind Redis's.
    """
    state = presence._state(app)
    if state is None:
        return time.time_ns() // 1000
    try:
        seconds, microseconds = state["redis"].time()
    except redis.RedisError as error:
        logger.warning("No ordering clock for a coalesced update: %s", error)
        return None
    return seconds * 1_000_000 + microseconds

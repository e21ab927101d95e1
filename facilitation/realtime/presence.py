"""Who is connected now, over every server process.

A process knows only its own connections (``connection.local_presence``). With a message queue (several
processes behind nginx), each process keeps its counts per workshop in a Redis hash and sums everyone's:

    <channel>:presence:<workshop_id>  →  {<process id>: "<phones> <projectors> <consoles> <unix time>"}

A process writes its entry whenever it publishes the counts (coalesced, after its connections changed)
and refreshes its entries every ``REFRESH`` seconds; entries older than ``TTL`` — of a process that
died without clearing them — are left out of the sum and removed. The key is the message queue's
channel, so installations that share a Redis keep apart. If Redis does not answer, the counts of this
process are used until it does.

A participant with tabs on two processes counts once on each (their number of phones is summed).

The sums of two processes may reach a screen in the opposite order of the exchanges that made them, and
the later one is the right one. Each sum therefore carries ``seq``: Redis's clock (microseconds) read in
the same transaction as the entries, so a higher ``seq`` has seen every write of a lower one. Screens
drop a ``presence_changed`` whose ``seq`` is below the last they showed.
"""

import logging
import threading
import time
import uuid
from collections.abc import Callable

import redis
from flask import current_app

from facilitation.extensions import socketio

logger = logging.getLogger(__name__)

#: Seconds between the refreshes of a process's entries, and after which an entry no longer counts.
REFRESH = 10.0
TTL = 30.0
FIELDS = ("phones", "projectors", "consoles")
#: This process (a restarted process is a new one; the old entries expire).
PROCESS_ID = uuid.uuid4().hex[:12]

_state_lock = threading.Lock()


def _state(app) -> dict | None:
    """Redis connection and bookkeeping of ``app``, or ``None`` without a message queue."""
    url = app.config.get("SOCKETIO_MESSAGE_QUEUE")
    if not url or not str(url).startswith(("redis://", "rediss://", "unix://")):
        return None
    with _state_lock:
        state = app.extensions.get("realtime.presence")
        if state is None:
            state = app.extensions["realtime.presence"] = {
                "redis": redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2),
                "prefix": f"{app.config.get('SOCKETIO_CHANNEL', 'flask-socketio')}:presence:",
                "workshops": set(),
                "refreshing": False,
            }
    return state


Count = Callable[[int], dict[str, int]]


def shared(workshop_id: int, count: Count, changed: Callable[[int], None]) -> dict[str, int]:
    """Record this process's counts (``count(workshop_id)``) and return the sum over all processes.

    ``changed(workshop_id)`` is called (in an app context) when the sum changes without a connection
    of this process coming or going: when the entry of a process that died expires.
    """
    app = current_app._get_current_object()
    state = _state(app)
    local = count(workshop_id)
    if state is None:
        return local
    try:
        total, _expired = _exchange(state, workshop_id, local)
    except redis.RedisError as error:
        logger.warning("Presence counts of other processes unavailable: %s", error)
        return local
    with _state_lock:
        state["workshops"].add(workshop_id)
        start = not state["refreshing"]
        state["refreshing"] = True
    if start:
        socketio.start_background_task(_refresh_forever, app, state, count, changed)
    return total


def _exchange(state: dict, workshop_id: int, local: dict[str, int]) -> tuple[dict[str, int], bool]:
    """Write this process's entry, read every entry; return the sum and whether stale ones were removed."""
    key = state["prefix"] + str(workshop_id)
    now = time.time()
    with state["redis"].pipeline() as pipe:
        if any(local.values()):
            pipe.hset(key, PROCESS_ID, _encode(local, now))
            pipe.expire(key, int(TTL * 2))
        else:
            pipe.hdel(key, PROCESS_ID)
        pipe.hgetall(key)
        pipe.time()
        *_written, entries, (seconds, microseconds) = pipe.execute()
    total = dict.fromkeys(FIELDS, 0)
    stale = []
    for process, value in entries.items():
        counts, written = _decode(value)
        if counts is None or now - written > TTL:
            stale.append(process)
            continue
        for name in FIELDS:
            total[name] += counts[name]
    if stale:
        state["redis"].hdel(key, *stale)
    # Two processes' sums can reach a screen in either order; Redis's clock at the moment of the
    # exchange (one transaction) orders them, and screens keep the newest.
    total["seq"] = seconds * 1_000_000 + microseconds
    return total, bool(stale)


def _encode(counts: dict[str, int], now: float) -> str:
    return " ".join(str(int(counts.get(name, 0))) for name in FIELDS) + f" {now:.3f}"


def _decode(value: bytes) -> tuple[dict[str, int] | None, float]:
    try:
        *numbers, written = value.decode().split()
        return dict(zip(FIELDS, map(int, numbers), strict=True)), float(written)
    except (ValueError, UnicodeDecodeError):
        return None, 0.0


def _refresh_forever(app, state: dict, count: Count, changed: Callable[[int], None]) -> None:
    """Every ``REFRESH`` seconds: renew this process's entries, drop expired ones of others (and then
    let the screens know)."""
    while True:
        socketio.sleep(REFRESH)
        with _state_lock:
            workshops = set(state["workshops"])
        for workshop_id in workshops:
            local = count(workshop_id)
            try:
                _total, expired = _exchange(state, workshop_id, local)
            except redis.RedisError as error:
                logger.warning("Could not refresh the presence counts: %s", error)
                continue
            if expired:
                with app.app_context():
                    changed(workshop_id)
            if not any(local.values()):
                with _state_lock:
                    state["workshops"].discard(workshop_id)

"""Token buckets for socket commands: how many commands a participant (or a console) may send.

A bucket holds ``burst`` tokens and refills at ``per_minute``; every command takes one. Buckets are
keyed by who sends (a participant, an account, or the connection of a projector), never by address.

With one process they live in its memory (:class:`Buckets`). With several processes behind nginx
(``SOCKETIO_MESSAGE_QUEUE`` is a Redis URL) they live in that Redis (:class:`RedisBuckets`), one hash
per bucket under ``<channel>:budget:``, taken atomically by a small Lua script: a participant whose
tabs sit on two processes, or who reconnects to another one, has one budget, not one per process. If
Redis does not answer, each process counts in its own memory until it does.

The clock is injectable (:func:`use_clock`): tests freeze it, so no bucket refills while they send.

Connections are bounded too (:class:`Connections`, :func:`connects_refused`): how many a sender holds
at once on a process, and how often an address may fail to connect.
"""

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis
from flask import Flask, current_app, request
from flask_babel import gettext as _
from limits import parse_many

from facilitation.extensions import limiter
from facilitation.security import address_key

logger = logging.getLogger(__name__)

Clock = Callable[[], float]


@dataclass(frozen=True)
class Rate:
    """At most ``burst`` commands at once and ``per_minute`` on average; ``name`` is the bucket."""

    name: str
    burst: int
    per_minute: float


#: Every command and event of a connection, whatever it is: stops floods, never a person.
DEFAULT_RATE = Rate("any", burst=120, per_minute=240)
#: The same for consoles. A console acts for a logged-in account with a role, every change it makes is
#: audited, and in a large forum it must keep up with the room: a team approving cards as fast as
#: hundreds of phones write them, often several consoles on one account (the budget is the
#: account's). Still a ceiling for a runaway script or a stolen session.
CONSOLE_RATE = Rate("console", burst=600, per_minute=1800)
#: Writing cards (and later votes): a phone sends its whole offline queue at once after a reconnect
#: (at most a step's ``max_cards``, 50, plus edits); nobody writes a card per second for long.
ANSWER_RATE = Rate("answers", burst=60, per_minute=60)


class Buckets:
    """Token buckets per ``(scope, key)``; thread- and greenlet-safe, pruned as they fill up again."""

    PRUNE_EVERY = 1000

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}
        self._takes = 0

    def take(self, scope: str, key: str, rate: Rate) -> float:
        """Take a token; return 0 when allowed, else the seconds until the next token."""
        now = self._clock()
        refill = rate.per_minute / 60
        with self._lock:
            tokens, last = self._buckets.get((scope, key), (float(rate.burst), now))
            tokens = min(float(rate.burst), tokens + (now - last) * refill)
            if tokens >= 1:
                self._buckets[(scope, key)] = (tokens - 1, now)
                wait = 0.0
            else:
                self._buckets[(scope, key)] = (tokens, now)
                wait = (1 - tokens) / refill if refill else float("inf")
            self._takes += 1
            if self._takes % self.PRUNE_EVERY == 0:
                self._prune(now)
        return wait

    def _prune(self, now: float) -> None:
        """Forget buckets idle for ten minutes: they are full again (no rate here refills slower)."""
        idle = [k for k, (_tokens, last) in self._buckets.items() if now - last > 600]
        for key in idle:
            del self._buckets[key]

    def clear(self) -> None:
        with self._lock:
            self._buckets.clear()


#: One bucket, atomically: refill since the last take (never past ``burst``; a clock of another process
#: that lags behind refills nothing), take a token if there is one, return the seconds to wait (0 if
#: taken). ``KEYS[1]`` the bucket; ``ARGV``: burst, refill per second, now, seconds to keep the key.
_TAKE = """
local burst = tonumber(ARGV[1])
local refill = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local last = tonumber(state[2])
if tokens == nil or last == nil then
  tokens = burst
  last = now
end
if now > last then
  tokens = math.min(burst, tokens + (now - last) * refill)
  last = now
end
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
elseif refill > 0 then
  wait = (1 - tokens) / refill
else
  wait = -1
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'at', string.format('%.17g', last))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
return string.format('%.17g', wait)
"""


class RedisBuckets:
    """The same buckets in Redis, shared by every process of an installation.

    ``fallback`` counts while Redis is unreachable; after a failure Redis is asked again only after
    ``RETRY`` seconds, so an outage does not make every command wait for a timeout.
    """

    RETRY = 5.0

    def __init__(self, client: redis.Redis, prefix: str, clock: Clock = time.time, fallback: Buckets | None = None):
        self._redis = client
        self._prefix = prefix
        self._clock = clock
        self._script = client.register_script(_TAKE)
        self._fallback = fallback or Buckets()
        self._down_until = 0.0

    def take(self, scope: str, key: str, rate: Rate) -> float:
        """Take a token; return 0 when allowed, else the seconds until the next token."""
        if time.monotonic() < self._down_until:
            return self._fallback.take(scope, key, rate)
        refill = rate.per_minute / 60
        keep = math.ceil(rate.burst / refill) + 60 if refill else 3600
        try:
            wait = float(
                self._script(
                    keys=[f"{self._prefix}{scope}:{key}"], args=[rate.burst, repr(refill), repr(self._clock()), keep]
                )
            )
        except redis.RedisError as error:
            logger.warning("Command budgets counted per process, Redis does not answer: %s", error)
            self._down_until = time.monotonic() + self.RETRY
            return self._fallback.take(scope, key, rate)
        return float("inf") if wait < 0 else wait

    def clear(self) -> None:
        self._fallback.clear()
        keys = list(self._redis.scan_iter(match=f"{self._prefix}*", count=1000))
        if keys:
            self._redis.delete(*keys)


def _redis_url(app: Flask) -> str | None:
    url = app.config.get("SOCKETIO_MESSAGE_QUEUE")
    return url if url and str(url).startswith(("redis://", "rediss://", "unix://")) else None


def _new_buckets(app: Flask, clock: Clock | None = None) -> Buckets | RedisBuckets:
    url = _redis_url(app)
    if url is None:
        return Buckets(clock or time.monotonic)
    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    prefix = f"{app.config.get('SOCKETIO_CHANNEL', 'flask-socketio')}:budget:"
    # Wall-clock time: the processes of one installation share it (monotonic clocks differ per process).
    return RedisBuckets(client, prefix, clock or time.time, fallback=Buckets(clock or time.monotonic))


_buckets_lock = threading.Lock()


def buckets() -> Buckets | RedisBuckets:
    """The buckets of the current app (each test app starts with full ones): in Redis with a message
    queue, else in memory."""
    app = current_app._get_current_object()
    found = app.extensions.get("realtime.buckets")
    if found is None:
        with _buckets_lock:
            found = app.extensions.get("realtime.buckets")
            if found is None:
                found = app.extensions["realtime.buckets"] = _new_buckets(app)
    return found


def use_clock(app: Flask, clock: Clock) -> None:
    """Count ``app``'s budgets with ``clock`` (seconds) from now on, starting full.

    Tests freeze it (``lambda: 1000.0``): then no bucket refills while a test sends, however slowly
    the machine runs.
    """
    with _buckets_lock:
        app.extensions["realtime.buckets"] = _new_buckets(app, clock)


def sender(viewer, sid: str) -> str:
    """Whose budget a command comes out of: the participant's, the account's, or the connection's."""
    if viewer is not None and viewer.participant_id:
        return f"participant:{viewer.participant_id}"
    if viewer is not None and viewer.account_id:
        return f"account:{viewer.account_id}"
    return f"sid:{sid}"


def general_rate(viewer) -> Rate:
    """The budget every command and event of this viewer comes out of: consoles get their own."""
    return CONSOLE_RATE if viewer is not None and viewer.screen == "console" else DEFAULT_RATE


def refusal(key: str, rate: Rate = DEFAULT_RATE) -> dict | None:
    """``None`` if the sender may go on, else the error ack ``rate_limited`` with ``retry_after`` seconds."""
    wait = buckets().take(rate.name, key, rate)
    if not wait:
        return None
    return {
        "ok": False,
        "error": "rate_limited",
        "message": _("Zu viele Eingaben in kurzer Zeit. Bitte einen Moment warten – es wird gleich erneut gesendet."),
        "retry_after": max(1, math.ceil(wait)),
    }


# -- connections ------------------------------------------------------------------------------------

#: Connections one sender may hold at once on one server process: a phone's tabs (per participant), a
#: team's consoles (per account), a workshop's projectors. Every connection receives the broadcasts of
#: its rooms, so one stolen or scripted token must not multiply them.
MAX_CONNECTIONS = {"phone": 10, "projector": 20, "console": 50}

#: Connects refused for want of authentication, per client address (hashed, in the HTTP limits'
#: storage: Redis when several processes share it). Real screens are not refused, so they never count.
#: Over it, connects from that address without any cookie are refused before they are authenticated
#: (no database work); screens that loaded our pages carry their cookies and are checked as usual.
CONNECT_FAILURE_LIMIT = "120 per minute; 1200 per hour"


class Connections:
    """How many connections each sender holds on this process."""

    def __init__(self):
        self._lock = threading.Lock()
        self._open: dict[str, int] = {}

    def open(self, key: str, limit: int) -> bool:
        """Count a new connection of ``key``; ``False`` (and nothing counted) if it holds ``limit``."""
        with self._lock:
            held = self._open.get(key, 0)
            if held >= limit:
                return False
            self._open[key] = held + 1
            return True

    def close(self, key: str) -> None:
        with self._lock:
            held = self._open.get(key, 0) - 1
            if held > 0:
                self._open[key] = held
            else:
                self._open.pop(key, None)

    def held(self, key: str) -> int:
        return self._open.get(key, 0)


def connections() -> Connections:
    """The connection counts of the current app (each test app starts with none)."""
    return current_app.extensions.setdefault("realtime.connections", Connections())


def connection_key(viewer) -> str:
    """Whose connections a viewer's count: the participant's, the account's, the workshop's projectors."""
    if viewer.participant_id:
        return f"participant:{viewer.participant_id}"
    if viewer.account_id:
        return f"account:{viewer.account_id}"
    return f"{viewer.screen}:{viewer.workshop_id}"


def max_connections(viewer) -> int:
    return MAX_CONNECTIONS.get(viewer.screen, MAX_CONNECTIONS["phone"])


def _connect_failure_limits():
    return parse_many(current_app.config.get("SOCKET_CONNECT_FAILURE_LIMIT") or CONNECT_FAILURE_LIMIT)


def _failure_key(address: str) -> tuple[str, ...]:
    return (current_app.config.get("RATELIMIT_KEY_PREFIX") or "facilitation", "connect-failures", address)


def connects_refused() -> bool:
    """The client's address used up its failed-connect budget and this connect carries no cookie."""
    if request.cookies:
        return False
    key = address_key()
    try:
        return not all(limiter.limiter.test(item, *_failure_key(key)) for item in _connect_failure_limits())
    except Exception as error:  # a storage outage must not stop connections
        logger.warning("Failed connects not counted: %s", error)
        return False


def count_failed_connect() -> None:
    key = address_key()
    try:
        for item in _connect_failure_limits():
            limiter.limiter.hit(item, *_failure_key(key))
    except Exception as error:
        logger.warning("Failed connects not counted: %s", error)

"""Token buckets for socket commands: how many commands a participant (or a console) may send.

A bucket holds ``burst`` tokens and refills at ``per_minute``; every command takes one. Buckets live
in the memory of the server process, keyed by who sends (a participant, an account, or the
connection of a projector), never by address. With several processes each counts its own
connections; a phone stays on one process while it is connected.
"""

import math
import threading
import time
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _


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


def buckets() -> Buckets:
    """The buckets of the current app (each test app starts with full ones)."""
    return current_app.extensions.setdefault("realtime.buckets", Buckets())


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

"""Presence over several processes: each process's counts in Redis, summed, dead processes left out."""

import secrets
import time

import pytest
import redis

from facilitation.realtime import presence

ZERO = {"phones": 0, "projectors": 0, "consoles": 0}


@pytest.fixture
def state(redis_url):
    """What ``presence`` keeps per app, on a key prefix of this test's own."""
    connection = redis.Redis.from_url(redis_url)
    prefix = f"test-presence-{secrets.token_hex(4)}:presence:"
    yield {"redis": connection, "prefix": prefix, "workshops": set(), "refreshing": False}
    keys = connection.keys(prefix + "*")
    if keys:
        connection.delete(*keys)
    connection.close()


def counted(total: dict) -> dict:
    """The counts of a sum, without its ``seq``."""
    return {name: total[name] for name in presence.FIELDS}


def other_process(state, workshop_id: int, counts: dict, written: float, process: str = "other-process") -> None:
    state["redis"].hset(state["prefix"] + str(workshop_id), process, presence._encode(counts, written))


@pytest.mark.redis
def test_the_counts_of_every_process_add_up(state):
    other_process(state, 7, {"phones": 5, "projectors": 1, "consoles": 0}, time.time())
    total, expired = presence._exchange(state, 7, {"phones": 3, "projectors": 0, "consoles": 2})
    assert counted(total) == {"phones": 8, "projectors": 1, "consoles": 2}
    assert not expired
    # The other process reads this one's entry the same way.
    assert presence._exchange(state, 7, {"phones": 3, "projectors": 0, "consoles": 2})[0]["phones"] == 8


@pytest.mark.redis
def test_a_process_that_died_stops_counting(state):
    other_process(state, 7, {"phones": 40, "projectors": 1, "consoles": 1}, time.time() - presence.TTL - 1, "dead")
    other_process(state, 7, {"phones": 2, "projectors": 0, "consoles": 0}, time.time(), "alive")
    total, expired = presence._exchange(state, 7, {"phones": 1, "projectors": 0, "consoles": 0})
    assert counted(total) == {"phones": 3, "projectors": 0, "consoles": 0}
    assert expired
    assert not state["redis"].hexists(state["prefix"] + "7", "dead"), "the stale entry is removed"


@pytest.mark.redis
def test_a_process_without_connections_leaves_no_entry(state):
    presence._exchange(state, 7, {"phones": 2, "projectors": 0, "consoles": 1})
    total, _expired = presence._exchange(state, 7, ZERO)
    assert counted(total) == ZERO
    assert not state["redis"].hexists(state["prefix"] + "7", presence.PROCESS_ID)


@pytest.mark.redis
def test_workshops_are_counted_apart(state):
    presence._exchange(state, 7, {"phones": 2, "projectors": 0, "consoles": 0})
    assert presence._exchange(state, 8, {"phones": 1, "projectors": 0, "consoles": 0})[0]["phones"] == 1


@pytest.mark.redis
def test_a_later_sum_has_a_higher_seq_and_has_seen_the_earlier_writes(state, monkeypatch):
    """Two processes' sums may reach a screen in either order; ``seq`` tells which one is right."""
    earlier, _ = presence._exchange(state, 7, {"phones": 2, "projectors": 0, "consoles": 0})
    monkeypatch.setattr(presence, "PROCESS_ID", "second-process")
    later, _ = presence._exchange(state, 7, {"phones": 1, "projectors": 1, "consoles": 0})
    assert later["seq"] > earlier["seq"]
    assert counted(later) == {"phones": 3, "projectors": 1, "consoles": 0}
    assert counted(earlier) == {"phones": 2, "projectors": 0, "consoles": 0}  # the stale one a screen drops


def test_one_process_without_a_message_queue_counts_its_own(app):
    counts = {"phones": 4, "projectors": 1, "consoles": 2}
    assert presence.shared(3, lambda _workshop: counts, lambda _workshop: None) == counts
    assert "realtime.presence" not in app.extensions

"""Two server processes with one Redis share the guards: the failed-connect budget of a client address
and each participant's command budget."""

import math
import time

import pytest
import redis
import requests
import socketio
from liveforum import Forum, Screen, two_processes

from facilitation.realtime.ratelimit import ANSWER_RATE

pytestmark = [pytest.mark.server, pytest.mark.postgres, pytest.mark.redis]

STALE_FAILURES = "*LIMITER/facilitation/connect-failures/*"


def refused(url: str, auth: dict) -> bool:
    """Whether the server refused a connect with ``auth``."""
    client = socketio.Client(reconnection=False)
    try:
        client.connect(url, auth=auth, transports=["websocket"], wait_timeout=10)
    except socketio.exceptions.ConnectionError:
        return True
    client.disconnect()
    return False


@pytest.fixture
def two_servers(tmp_path, postgres_url, redis_url):
    """Two processes on one PostgreSQL database and one Redis, with the demo workshop: (servers, code, key)."""

    def forget_earlier_runs(queue: str) -> None:
        # Failed connects are counted per address (ours is 127.0.0.1) for an hour: forget earlier runs'.
        limits = redis.Redis.from_url(queue)
        for stale in limits.scan_iter(match=STALE_FAILURES):
            limits.delete(stale)

    guarded = {"FACILITATION_SOCKET_CONNECT_FAILURE_LIMIT": "3 per hour"}
    with two_processes(tmp_path, postgres_url, redis_url, "guard", guarded, forget_earlier_runs) as forum:
        yield forum.servers, forum.code, forum.key
        for server in forum.servers:
            assert "Traceback" not in server.output(), server.output()[-3000:]
    forget_earlier_runs(forum.queue)


def test_failed_connects_on_one_process_count_on_the_other(two_servers, screens):
    (first, second), code, key = two_servers
    projector = {"screen": "projector", "code": code, "key": key}
    assert not refused(second.url, projector), "the right key connects while the budget lasts"
    for guess in range(3):
        assert refused(first.url, {**projector, "key": f"guess-{guess}"})

    assert refused(second.url, projector), "the other process refuses it now, right key or not"
    # A phone with its cookie is authenticated as usual.
    http = requests.Session()
    assert http.get(f"{second.url}/{code}", timeout=10).status_code == 200
    phone = Screen(Forum(second, code, ""), {"screen": "phone", "code": code}, http=http)
    screens.opened.append(phone)
    assert phone.snapshot["screen"] == "phone"


def test_a_participant_has_one_command_budget_over_both_processes(two_servers, screens):
    """The same phone (one cookie) on both processes sends answers as fast as it can.

    Shared, the budget lets through at most ``burst`` plus what refilled while the test ran, however
    long that took; counted per process, each process would let ``burst`` through.
    """
    servers, code, _key = two_servers
    http = requests.Session()
    assert http.get(f"{servers[0].url}/{code}", timeout=10).status_code == 200
    tabs = [Screen(Forum(server, code, ""), {"screen": "phone", "code": code}, http=http) for server in servers]
    screens.opened.extend(tabs)

    started = time.monotonic()
    acks = [
        tabs[number % 2].call("withdraw_card", {"client_id": f"probe-{number:04d}", "card_id": 999_999})
        for number in range(2 * ANSWER_RATE.burst + 20)
    ]
    elapsed = time.monotonic() - started

    let_through = [ack for ack in acks if ack.get("error") != "rate_limited"]
    assert all(ack.get("error") == "not_found" for ack in let_through), let_through[:3]
    refilled = math.ceil(elapsed * ANSWER_RATE.per_minute / 60)
    assert len(let_through) <= ANSWER_RATE.burst + refilled + 1, (len(let_through), elapsed)

"""Token buckets for socket commands: in memory (pure, on a fake clock) and shared through Redis."""

import secrets
import time

import pytest
import redis

from facilitation.realtime import ratelimit
from facilitation.realtime.ratelimit import Buckets, Rate

RATE = Rate("test", burst=3, per_minute=60)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_a_burst_then_one_per_refill_interval():
    clock = Clock()
    buckets = Buckets(clock)
    assert [buckets.take("test", "p1", RATE) for _ in range(3)] == [0, 0, 0]
    assert buckets.take("test", "p1", RATE) == 1.0
    clock.now += 0.5
    assert 0 < buckets.take("test", "p1", RATE) <= 0.5
    clock.now += 0.5
    assert buckets.take("test", "p1", RATE) == 0


def test_buckets_are_per_sender_and_scope():
    buckets = Buckets(Clock())
    for _ in range(3):
        buckets.take("test", "p1", RATE)
    assert buckets.take("test", "p1", RATE) > 0
    assert buckets.take("test", "p2", RATE) == 0
    assert buckets.take("other", "p1", Rate("other", 1, 1)) == 0


def test_refill_never_exceeds_the_burst():
    clock = Clock()
    buckets = Buckets(clock)
    buckets.take("test", "p1", RATE)
    clock.now += 3600
    assert [buckets.take("test", "p1", RATE) for _ in range(4)][-1] > 0


def test_idle_buckets_are_forgotten():
    clock = Clock()
    buckets = Buckets(clock)
    buckets.PRUNE_EVERY = 2
    buckets.take("test", "old", RATE)
    clock.now += 601
    buckets.take("test", "new", RATE)
    assert ("test", "old") not in buckets._buckets
    assert ("test", "new") in buckets._buckets


# -- shared through Redis ---------------------------------------------------------------------------


def app_with_queue(make_app, url: str, channel: str = "flask-socketio"):
    """An app whose budgets see a message queue. Set after ``create_app``: Flask-SocketIO keeps a
    queue it was once given for every later app, and its test client refuses to work with one."""
    app = make_app()
    app.config.update(SOCKETIO_MESSAGE_QUEUE=url, SOCKETIO_CHANNEL=channel)
    return app


@pytest.fixture
def two_apps_on_one_redis(make_app, redis_url):
    """Two app instances (as two server processes would be) with one message queue, on a frozen clock."""
    channel = f"budget-test-{secrets.token_hex(6)}"
    apps = [app_with_queue(make_app, redis_url, channel) for _ in range(2)]
    now = time.time()
    for app in apps:
        ratelimit.use_clock(app, lambda: now)
    yield apps
    redis.Redis.from_url(redis_url).delete(*[f"{channel}:budget:{RATE.name}:{key}" for key in ("p1", "p2")])


def take(app, key: str, rate: Rate = RATE) -> float:
    with app.app_context():
        return ratelimit.buckets().take(rate.name, key, rate)


def test_with_a_message_queue_the_budget_is_shared_by_every_process(two_apps_on_one_redis):
    first, second = two_apps_on_one_redis
    with first.app_context():
        assert isinstance(ratelimit.buckets(), ratelimit.RedisBuckets)
    assert [take(first, "p1"), take(second, "p1"), take(first, "p1")] == [0, 0, 0]
    assert take(second, "p1") == 1.0, "the third token went on the first process: none is left on the second"
    assert take(first, "p1") == 1.0
    assert take(second, "p2") == 0, "another sender has a budget of its own"


def test_a_shared_bucket_refills_with_the_clock(make_app, redis_url):
    channel = f"budget-test-{secrets.token_hex(6)}"
    clock = Clock()
    clock.now = time.time()
    apps = [app_with_queue(make_app, redis_url, channel) for _ in range(2)]
    for app in apps:
        ratelimit.use_clock(app, clock)
    for number in range(3):
        assert take(apps[number % 2], "p1") == 0
    assert take(apps[0], "p1") == 1.0
    clock.now += 0.5
    assert 0 < take(apps[1], "p1") <= 0.5
    clock.now += 0.5
    assert take(apps[1], "p1") == 0
    clock.now += 3600
    assert [take(apps[0], "p1") for _ in range(4)][-1] > 0, "never more than the burst"
    redis.Redis.from_url(redis_url).delete(f"{channel}:budget:{RATE.name}:p1")


def test_the_socket_refusal_comes_from_the_shared_budget(two_apps_on_one_redis):
    first, second = two_apps_on_one_redis
    answers = ratelimit.Rate(RATE.name, burst=2, per_minute=60)
    with first.test_request_context():
        assert ratelimit.refusal("p1", answers) is None
        assert ratelimit.refusal("p1", answers) is None
    with second.test_request_context():
        ack = ratelimit.refusal("p1", answers)
    assert ack["ok"] is False and ack["error"] == "rate_limited" and ack["retry_after"] == 1


def test_without_redis_each_process_counts_in_memory(make_app):
    app = app_with_queue(make_app, "redis://127.0.0.1:9/0")  # nothing listens on port 9
    ratelimit.use_clock(app, Clock())
    assert [take(app, "p1") for _ in range(3)] == [0, 0, 0]
    assert take(app, "p1") == 1.0, "counted in memory while Redis does not answer"
    assert take(app, "p2") == 0

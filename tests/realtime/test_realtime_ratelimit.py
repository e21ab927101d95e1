"""Token buckets for socket commands (pure, on a fake clock)."""

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

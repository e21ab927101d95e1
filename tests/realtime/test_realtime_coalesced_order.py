"""Coalesced aggregates of two processes carry ``seq``, which orders them by the database state they saw.

Two apps on one PostgreSQL database stand for two server processes; Redis's clock is the one they share.
Process A builds its aggregate, process B commits a newer change and builds its own; A's is delivered
last (as the message queue may do). ``seq`` says B's is the newer one, so a screen keeps it
(``static/js/live.js`` drops a payload whose ``seq`` is below the last it took for that event and step).
"""

import pytest

from facilitation.extensions import db
from facilitation.participation import services as participation
from facilitation.realtime import broadcast
from facilitation.workshops import services as workshop_services
from facilitation.workshops.models import Workshop


@pytest.fixture
def processes(postgres_url, redis_url, make_app, monkeypatch):
    """Two apps on one database whose aggregate clock is Redis's; ``sent`` records what they publish."""
    apps = [
        make_app(SQLALCHEMY_DATABASE_URI=postgres_url, REALTIME_COALESCE_SECONDS=0),
        make_app(SQLALCHEMY_DATABASE_URI=postgres_url, REALTIME_COALESCE_SECONDS=0),
    ]
    for app in apps:
        # Only the clock needs the queue's Redis; the test's Socket.IO server stays without one.
        app.config["SOCKETIO_MESSAGE_QUEUE"] = redis_url
    sent = []
    # Joining publishes presence too (from background tasks): keep this test's event only.
    monkeypatch.setattr(
        broadcast, "publish", lambda rooms, event, payload: event == "test_changed" and sent.append(payload)
    )
    with apps[0].app_context():
        workshop_id = workshop_services.create_workshop(None, title="Zukunftsforum").id
    return apps, workshop_id, sent


def join(app, workshop_id: int, token: str) -> None:
    with app.app_context():
        participation.join_workshop(db.session.get(Workshop, workshop_id), token)
        db.session.remove()


def send_update(app, workshop_id: int) -> None:
    """What ``publish_coalesced`` does once its interval has passed: build the aggregate and send it."""
    key = f"test-count:{workshop_id}"
    with app.app_context():
        build = lambda: {"activity_id": workshop_id, **participation.participation_counts(workshop_id)}  # noqa: E731
        app.extensions.setdefault(broadcast.PENDING, {})[key] = ("screens", "test_changed", build)
    broadcast._send_later(app, key)


def newest(payloads: list[dict]) -> dict:
    """What a screen shows after all of ``payloads`` arrived in any order: the highest ``seq``."""
    return max(payloads, key=lambda payload: payload["seq"])


def test_the_aggregate_built_after_a_commit_orders_after_one_built_before(processes):
    (a, b), workshop_id, sent = processes
    join(a, workshop_id, "token-first-phone-000001")
    send_update(a, workshop_id)  # A builds from one participant ...
    join(b, workshop_id, "token-second-phone-00002")
    send_update(b, workshop_id)  # ... B commits the second and sends the newer aggregate
    older, newer = sent
    assert (older["joined"], newer["joined"]) == (1, 2)
    assert isinstance(older["seq"], int) and newer["seq"] > older["seq"]
    # A's arrives last: the screen still shows B's.
    assert newest([newer, older])["joined"] == 2


def test_a_payload_with_its_own_seq_keeps_it(processes):
    (a, _b), _workshop_id, sent = processes
    with a.app_context():
        a.extensions.setdefault(broadcast.PENDING, {})["own"] = ("screens", "test_changed", lambda: {"seq": 7})
    broadcast._send_later(a, "own")
    assert sent == [{"seq": 7}]


def test_one_process_without_redis_orders_by_its_own_clock(make_app, monkeypatch):
    app = make_app()
    first = broadcast.aggregate_clock(app)
    assert isinstance(first, int) and broadcast.aggregate_clock(app) >= first


def test_redis_without_an_answer_sends_the_aggregate_without_seq(make_app, monkeypatch):
    """Better no ``seq`` (screens take the payload) than one of another clock that may run behind."""
    app = make_app(REALTIME_COALESCE_SECONDS=0)
    app.config["SOCKETIO_MESSAGE_QUEUE"] = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    sent = []
    monkeypatch.setattr(broadcast, "publish", lambda rooms, event, payload: sent.append(payload))
    with app.app_context():
        app.extensions.setdefault(broadcast.PENDING, {})["k"] = ("screens", "test_changed", lambda: {"n": 1})
    broadcast._send_later(app, "k")
    assert sent == [{"n": 1}]

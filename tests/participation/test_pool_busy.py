"""A socket command that finds no free database connection answers ``busy`` and writes nothing.

Real PostgreSQL with a pool of two connections and no overflow: the test holds both, a phone's
``submit_card`` waits ``DB_POOL_TIMEOUT`` for one and gets the translated "busy, try again" ack instead
of a traceback; sent again once the connections are free, the same command is stored once.
"""

import time

import pytest
from sqlalchemy import func, select

from facilitation import config
from facilitation.extensions import db
from facilitation.participation import services as participation
from facilitation.participation.models import Card
from facilitation.realtime import broadcast

POOL = {"DB_POOL_SIZE": 2, "DB_MAX_OVERFLOW": 0, "DB_POOL_TIMEOUT": 0.2}


@pytest.fixture
def app(postgres_url, make_app):
    """The app on PostgreSQL with a tiny pool; ``make_app`` after ``postgres_url`` so that its background
    updates are joined and its engine disposed before the database is dropped."""
    app = make_app(SQLALCHEMY_DATABASE_URI=postgres_url, **POOL)
    with app.app_context():
        yield app
        db.session.remove()


def test_a_command_without_a_free_connection_is_answered_busy_and_stores_nothing(
    app, phone, live_workshop, cards_step, open_step
):
    step = open_step(cards_step)
    payload = {"client_id": "card-busy-01", "activity_id": step.id, "text": "Fallberatung", "column": "Erhalten"}
    client = phone(live_workshop)
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"] == {"pool_size": 2, "max_overflow": 0, "pool_timeout": 0.2}

    db.session.close()  # the test's own session gives its connection back; then every one is held
    held = [db.engine.connect() for _ in range(POOL["DB_POOL_SIZE"])]
    try:
        ack = client.command("submit_card", payload)
    finally:
        for connection in held:
            connection.close()

    assert ack == {
        "ok": False,
        "error": "busy",
        "message": "Der Server ist gerade ausgelastet. Bitte gleich noch einmal versuchen.",
    }
    assert db.session.scalar(select(func.count(Card.id))) == 0

    again = client.command("submit_card", payload)  # what live.js does with a busy ack
    assert again["ok"] is True, again
    assert db.session.scalar(select(func.count(Card.id))) == 1


def test_the_busy_message_is_translated(app, phone, live_workshop, cards_step, open_step):
    step = open_step(cards_step)
    http = app.test_client()
    http.get(f"/{live_workshop.join_code}?lang=en")
    client = phone(live_workshop, http=http)
    payload = {"client_id": "card-busy-02", "activity_id": step.id, "text": "x", "column": "Erhalten"}
    db.session.close()
    held = [db.engine.connect() for _ in range(POOL["DB_POOL_SIZE"])]
    try:
        ack = client.command("submit_card", payload)
    finally:
        for connection in held:
            connection.close()
    assert ack["error"] == "busy"
    assert ack["message"] == "The server is busy right now. Please try again in a moment."


def test_the_pool_is_sized_from_the_environment_for_postgresql_only(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "test")
    monkeypatch.setenv("FACILITATION_DB_POOL_SIZE", "7")
    monkeypatch.setenv("FACILITATION_DB_MAX_OVERFLOW", "3")
    monkeypatch.setenv("FACILITATION_DB_POOL_TIMEOUT", "2.5")
    settings = config.load_config(tmp_path)
    assert config.engine_options(settings) == {}  # SQLite: one file, its pool left as it is
    settings["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://u@127.0.0.1/db"
    assert config.engine_options(settings) == {"pool_size": 7, "max_overflow": 3, "pool_timeout": 2.5}
    monkeypatch.delenv("FACILITATION_DB_POOL_SIZE")
    defaults = config.engine_options({**config.load_config(tmp_path), "SQLALCHEMY_DATABASE_URI": "postgresql://x"})
    assert defaults == {"pool_size": config.DB_POOL_SIZE, "max_overflow": 3, "pool_timeout": 2.5}


def test_a_page_without_a_free_connection_is_a_translated_503_not_a_500(app, live_workshop):
    code = live_workshop.join_code
    http = app.test_client()
    db.session.close()
    held = [db.engine.connect() for _ in range(POOL["DB_POOL_SIZE"])]
    try:
        response = http.get(f"/{code}?lang=en")
    finally:
        for connection in held:
            connection.close()
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    assert "The server is busy right now. Please try again in a moment." in response.get_data(as_text=True)
    assert http.get(f"/{code}").status_code == 200


def test_a_coalesced_update_without_a_free_connection_is_sent_once_one_is_free(app, live_workshop, monkeypatch):
    """Dropped, it would leave the projector on the last aggregate until the next change."""
    workshop_id = live_workshop.id
    sent = []
    monkeypatch.setattr(
        broadcast, "publish", lambda rooms, event, payload: event == "test_changed" and sent.append(payload)
    )
    app.config["REALTIME_COALESCE_SECONDS"] = 0.05
    app.extensions.setdefault(broadcast.PENDING, {})["count"] = (
        "screens",
        "test_changed",
        lambda: participation.participation_counts(workshop_id),
    )
    db.session.close()
    held = [db.engine.connect() for _ in range(POOL["DB_POOL_SIZE"])]
    try:
        broadcast._send_later(app, "count")
        assert sent == []
    finally:
        for connection in held:
            connection.close()
    deadline = time.monotonic() + 5
    while not sent:
        assert time.monotonic() < deadline, "the update was not tried again"
        time.sleep(0.02)
    assert sent[0]["joined"] == 0 and isinstance(sent[0]["seq"], int)

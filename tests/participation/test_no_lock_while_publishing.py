"""Services commit before they publish: no write transaction is open while anything is sent.

Every publish of a live scenario checks, through a second SQLite connection, that it can take the
write lock at once, i.e. that the service's transaction is already committed.
"""

import sqlite3
import threading

import pytest
from sqlalchemy.engine import make_url

from facilitation.extensions import db
from facilitation.realtime import broadcast

pytestmark = pytest.mark.usefixtures("fast_coalescing")


@pytest.fixture
def lock_probe(app, monkeypatch):
    path = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
    checked = []
    original = broadcast.publish

    def publish(rooms, event, payload):
        if threading.current_thread() is not threading.main_thread():
            # A coalesced update, sent from a background task that only reads; it may run while a
            # command on the main thread holds its own write transaction.
            return original(rooms, event, payload)
        probe = sqlite3.connect(path, timeout=0)
        try:
            probe.execute("BEGIN IMMEDIATE")  # fails with "database is locked" inside a write
            probe.rollback()
        finally:
            probe.close()
        assert not (db.session.new or db.session.dirty or db.session.deleted), event
        checked.append(event)
        original(rooms, event, payload)

    monkeypatch.setattr(broadcast, "publish", publish)
    return checked


def test_a_live_card_step_publishes_only_committed_state(live_workshop, cards_step, phone, console, owner, lock_probe):
    moderation = console(live_workshop, owner)
    assert moderation.command("open_activity", {"activity_id": cards_step.id})["ok"]
    author = phone(live_workshop)
    ack = author.command(
        "submit_card",
        {"client_id": "lock-probe-1", "activity_id": cards_step.id, "text": "Karte", "column": "Erhalten"},
    )
    assert ack["ok"], ack
    card_id = ack["card"]["id"]
    assert author.command("edit_card", {"client_id": "lock-probe-2", "card_id": card_id, "text": "Neu"})["ok"]
    for event, payload in (
        ("approve_card", {"card_id": card_id}),
        ("reveal_activity", {"activity_id": cards_step.id}),
        ("set_timer", {"activity_id": cards_step.id, "seconds": 60}),
        ("edit_card_text", {"card_id": card_id, "text": "Korrigiert"}),
        ("reject_card", {"card_id": card_id, "reason": "Doppelt"}),
        ("close_activity", {"activity_id": cards_step.id}),
        ("change_workshop_state", {"state": "ended"}),
    ):
        assert moderation.command(event, payload)["ok"], event
    assert {"snapshot", "own_card_changed", "card_changed", "activity_changed", "workshop_changed"} <= set(lock_probe)

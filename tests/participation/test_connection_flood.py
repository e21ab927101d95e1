"""Socket connection floods: a sender holds a bounded number of connections, and an address that keeps
failing to connect is refused before its connects reach the database."""

import pytest
from sqlalchemy import event

from facilitation.extensions import db
from facilitation.realtime import ratelimit


def test_a_participant_holds_at_most_its_connections(live_workshop, phone):
    limit = ratelimit.MAX_CONNECTIONS["phone"]
    first = phone(live_workshop)
    tabs = [first] + [phone(live_workshop, http=first.http) for _ in range(limit - 1)]
    assert all(tab.is_connected() for tab in tabs)

    one_too_many = phone(live_workshop, http=first.http)
    assert not one_too_many.is_connected()
    assert phone(live_workshop).is_connected(), "another participant has connections of their own"

    tabs[0].disconnect()
    again = phone(live_workshop, http=first.http)
    assert again.is_connected(), "a closed connection frees its place"
    assert again.command("request_snapshot")["ok"] is True


def test_a_workshop_holds_at_most_its_projector_connections(app, live_workshop, projector):
    screens = [projector(live_workshop) for _ in range(ratelimit.MAX_CONNECTIONS["projector"])]
    assert all(screen.is_connected() for screen in screens)
    assert not projector(live_workshop).is_connected()


@pytest.fixture
def queries(app):
    """The SQL statements the test's connects ran."""
    seen = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    event.remove(db.engine, "before_cursor_execute", record)


def test_an_address_that_keeps_failing_is_refused_before_authentication(app, live_workshop, phone, projector, queries):
    app.config["SOCKET_CONNECT_FAILURE_LIMIT"] = "5 per minute"
    joined = phone(live_workshop)  # a real phone of the same address, with its cookie
    joined.disconnect()
    for guess in range(5):  # projectors connect without cookies
        assert not projector(live_workshop, key=f"guess-{guess}").is_connected()

    key = live_workshop.screen_key  # read before counting: the test's own query
    queries.clear()
    assert not projector(live_workshop, key=key).is_connected(), "no cookie: refused, even with the right key"
    assert queries == [], "refused before any database work"

    again = phone(live_workshop, http=joined.http)
    assert again.is_connected(), "a screen with its cookie is checked as usual"


def test_connects_that_succeed_never_use_up_the_budget(app, live_workshop, projector):
    app.config["SOCKET_CONNECT_FAILURE_LIMIT"] = "5 per minute"
    for _ in range(3):
        screens = [projector(live_workshop) for _ in range(6)]
        assert all(screen.is_connected() for screen in screens)
        for screen in screens:
            screen.disconnect()

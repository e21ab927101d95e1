"""Socket.IO handlers reach every app, not only the first one (STYLE rule 7), and publish() reaches
exactly the room it names."""

import pytest

from facilitation.extensions import db
from facilitation.realtime import broadcast, rooms
from facilitation.workshops import services as workshop_services


def received(client, event: str) -> list:
    """The payload of every ``event`` the test client got since the last call."""
    return [message["args"][0] for message in client.get_received() if message["name"] == event]


@pytest.fixture
def second_app(make_app):
    """The second of two apps, with a workshop; its server is the one the test clients talk to."""
    make_app()
    app = make_app()
    with app.app_context():
        workshop = workshop_services.create_workshop(None, title="Zweites Forum")
        app.config["TEST_WORKSHOP"] = {"id": workshop.id, "code": workshop.join_code, "key": workshop.screen_key}
    return app


def projector(app, **changes):
    workshop = app.config["TEST_WORKSHOP"]
    return {"screen": "projector", "code": workshop["code"], "key": workshop["key"], **changes}


def test_a_projector_on_the_second_app_gets_a_snapshot(second_app, connect, published):
    client = connect(second_app, auth=projector(second_app))

    assert client.is_connected()
    (snapshot,) = received(client, "snapshot")
    assert {"version", "workshop"} <= set(snapshot)
    assert snapshot["workshop"]["join_code"] == second_app.config["TEST_WORKSHOP"]["code"]
    assert snapshot["version"] == snapshot["workshop"]["version"] == 0


def test_an_event_round_trips_on_the_second_app(second_app, connect, published):
    client = connect(second_app, auth=projector(second_app))

    ack = client.emit("request_snapshot", {}, callback=True)

    assert ack["ok"] is True
    assert ack["snapshot"]["workshop"]["title"] == "Zweites Forum"


@pytest.mark.parametrize(
    "auth",
    [
        {"key": "wrong"},
        {"key": ""},
        {"code": "ABCDEF"},
        {"code": ""},
        {"screen": "television"},
        {"screen": None},
    ],
    ids=str,
)
def test_a_connect_with_wrong_credentials_is_refused(second_app, connect, published, auth):
    client = connect(second_app, auth=projector(second_app, **auth))

    assert not client.is_connected()


@pytest.mark.parametrize("auth", [None, "projector", ["projector"]], ids=str)
def test_a_connect_without_auth_is_refused(second_app, connect, auth):
    assert not connect(second_app, auth=auth).is_connected()


def test_publish_delivers_to_the_named_room_only(second_app, make_app, connect, published):
    workshop_id = second_app.config["TEST_WORKSHOP"]["id"]
    client = connect(second_app, auth=projector(second_app))
    client.get_received()

    with second_app.app_context():
        broadcast.publish(rooms.projector(workshop_id), "test_event", {"n": 1})
        broadcast.publish(rooms.moderators(workshop_id), "test_event", {"n": 2})
        broadcast.publish(rooms.phones(workshop_id), "test_event", {"n": 3})
        broadcast.publish(rooms.projector(workshop_id + 1), "test_event", {"n": 4})
        broadcast.publish(rooms.everyone(workshop_id), "test_event", {"n": 5})

    assert received(client, "test_event") == [{"n": 1}, {"n": 5}]


def test_a_state_change_reaches_the_projector(second_app, connect, published):
    workshop_id = second_app.config["TEST_WORKSHOP"]["id"]
    client = connect(second_app, auth=projector(second_app))
    client.get_received()

    with second_app.app_context():
        workshop = db.session.get(workshop_services.Workshop, workshop_id)
        workshop_services.change_state(None, workshop, workshop_services.WorkshopState.live)

    assert received(client, "workshop_changed") == [{"state": "live", "version": 1}]

"""How the projector and the moderator console connect (``workshops/sockets.py``)."""

import pytest

from facilitation.workshops import services
from facilitation.workshops.models import Role


def snapshot_of(client) -> dict:
    (snapshot,) = [m["args"][0] for m in client.get_received() if m["name"] == "snapshot"]
    return snapshot


@pytest.fixture
def workshop(create_workshop, create_activity, owner):
    workshop = create_workshop(owner=owner)
    create_activity(workshop, kind="cards")
    return workshop


@pytest.mark.parametrize(("role", "can_moderate"), [(Role.owner, True), (Role.moderator, True), (Role.observer, False)])
def test_team_members_connect_as_console(
    app, client, login, connect, published, workshop, create_account, role, can_moderate
):
    account = create_account()
    services.grant_role(None, workshop, account, role)
    login(client, account)

    console = connect(app, auth={"screen": "console", "code": workshop.join_code}, http_client=client)

    assert console.is_connected()
    snapshot = snapshot_of(console)
    assert snapshot["can_moderate"] is can_moderate
    assert [a["kind"] for a in snapshot["activities"]] == ["cards"]


def test_an_account_without_a_role_cannot_connect_as_console(app, client, login, connect, workshop, create_account):
    login(client, create_account())

    assert not connect(app, auth={"screen": "console", "code": workshop.join_code}, http_client=client).is_connected()


def test_anonymous_cannot_connect_as_console(app, client, connect, workshop):
    assert not connect(app, auth={"screen": "console", "code": workshop.join_code}, http_client=client).is_connected()


def test_the_projector_code_may_be_typed_loosely(app, connect, published, workshop):
    code = f"{workshop.join_code[:3].lower()}-{workshop.join_code[3:]}"

    projector = connect(app, auth={"screen": "projector", "code": code, "key": workshop.screen_key})

    assert projector.is_connected()
    assert "activities" not in snapshot_of(projector)  # the projector never gets the agenda

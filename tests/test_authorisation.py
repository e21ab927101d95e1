"""Every route of a workshop, from every blueprint (read from ``app.url_map``), as every outsider.

Anonymous visitors and participants (who hold only a phone cookie) are sent to the login; a moderator
of another workshop gets a 404 (workshops of others cannot be discovered); an observer gets at most a
read-only page. Whatever they send, the workshop stays as it was.
"""

import json

import pytest
from werkzeug.routing import Rule

from facilitation.extensions import db
from facilitation.workshops import services as workshop_services
from facilitation.workshops.models import Role, WorkshopState

#: Pages an observer must not see (they watch the forum and its results, they do not run it).
OBSERVER_REFUSED = {
    "workshops.edit",
    "workshops.members",
    "workshops.audit",
    "activities.add",
    "activities.edit",
    "activities.export_definition",
}


def workshop_rules(app) -> list[tuple[Rule, str]]:
    return sorted(
        (
            (rule, method)
            for rule in app.url_map.iter_rules()
            if "workshop_id" in rule.arguments
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
        ),
        key=lambda pair: (pair[0].rule, pair[1]),
    )


def url_of(rule: Rule, workshop, activity, owner) -> str:
    values = {"workshop_id": workshop.id, "activity_id": activity.id, "account_id": owner.id, "kind": "cards"}
    path = rule.rule
    for name in rule.arguments:
        path = path.replace(f"<int:{name}>", str(values.get(name, 1))).replace(f"<{name}>", str(values.get(name, 1)))
    return path


def state_of(workshop) -> str:
    db.session.expire_all()
    tables = {
        "workshops": "SELECT * FROM workshops WHERE id = :w",
        "activities": "SELECT * FROM activities WHERE workshop_id = :w",
        "memberships": "SELECT * FROM memberships WHERE workshop_id = :w",
        "audit": "SELECT id, action FROM audit_entries WHERE workshop_id = :w",
    }
    return json.dumps(
        {
            name: [list(map(str, r)) for r in db.session.execute(db.text(sql), {"w": workshop.id})]
            for name, sql in tables.items()
        }
    )


@pytest.fixture
def scene(app, owner, create_workshop, create_activity, create_account, login):
    workshop = create_workshop(owner=owner)
    activity = create_activity(workshop, kind="cards")
    workshop_services.change_state(owner, workshop, WorkshopState.live)
    observer = create_account(email="beobachtung@example.org")
    workshop_services.grant_role(owner, workshop, observer, Role.observer)
    stranger = create_account(email="fremd@example.org")
    create_workshop(owner=stranger, title="Fremder Workshop")

    participant = app.test_client()
    assert participant.get(f"/{workshop.join_code}").status_code == 200
    observing = app.test_client()
    login(observing, observer)
    foreign = app.test_client()
    login(foreign, stranger)
    return {
        "workshop": workshop,
        "activity": activity,
        "owner": owner,
        "clients": {
            "anonymous": app.test_client(),
            "participant": participant,
            "observer": observing,
            "other workshop's moderator": foreign,
        },
    }


def test_every_workshop_route_refuses_outsiders(app, scene):
    rules = workshop_rules(app)
    assert len(rules) >= 20, "the URL map should list the workshop routes of every blueprint"
    workshop, activity, owner = scene["workshop"], scene["activity"], scene["owner"]
    before = state_of(workshop)
    for rule, method in rules:
        url = url_of(rule, workshop, activity, owner)
        form = {"title": "Übernommen", "position": "1", "email": "fremd@example.org", "role": "owner"}
        for who, client in scene["clients"].items():
            response = client.open(url, method=method, data=form if method == "POST" else None)
            response.close()
            status = response.status_code
            where = f"{method} {rule.rule} as {who}: {status}"
            if who in ("anonymous", "participant"):
                assert status == 302 and "/login" in response.location, where
            elif who == "other workshop's moderator":
                assert status == 404, where
            elif method == "GET" and rule.endpoint not in OBSERVER_REFUSED:
                assert status in (200, 403, 404), where  # read-only pages; 404: e.g. results of no vote
            else:
                assert status in (403, 404), where  # every change, and the organisers' pages
    assert state_of(workshop) == before, "an outsider changed the workshop"


def test_the_console_page_hides_the_projector_key_from_observers(app, scene):
    workshop = scene["workshop"]
    page = scene["clients"]["observer"].get(f"/workshops/{workshop.id}/console").get_data(as_text=True)
    assert workshop.screen_key not in page


def test_projector_links_cannot_be_guessed(app, scene):
    workshop = scene["workshop"]
    assert len(workshop.screen_key) >= 32  # token_urlsafe(24): 192 random bits
    client = scene["clients"]["anonymous"]
    for key in ("", workshop.screen_key[:-1], workshop.screen_key.upper(), workshop.screen_key + "x"):
        assert client.get(f"/{workshop.join_code}/screen", query_string={"key": key}).status_code == 404
    assert client.get(f"/{workshop.join_code}/screen", query_string={"key": workshop.screen_key}).status_code == 200

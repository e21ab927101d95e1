"""Who may open which moderator page: every URL of the editor, for every kind of visitor."""

import io
import json
from types import SimpleNamespace

import pytest
from flask import Flask

from facilitation.activities import services as activity_services
from facilitation.activities.routes import bp as activities_bp
from facilitation.workshops import services
from facilitation.workshops.models import Role
from facilitation.workshops.routes import bp as workshops_bp

#: The least role each moderator page needs; ``None``: any logged-in account (pages of no workshop).
NEEDED = {
    "workshops.index": None,
    "workshops.edit": Role.owner,
    "workshops.delete": Role.owner,
    "workshops.members": Role.owner,
    "workshops.remove_member": Role.owner,
    "workshops.audit": Role.moderator,
    "activities.new_workshop": None,
    "activities.import_workshop": None,
    "activities.agenda": Role.observer,
    "activities.duplicate": Role.moderator,
    "activities.export_definition": Role.moderator,
    "activities.add": Role.moderator,
    "activities.edit": Role.moderator,
    "activities.move": Role.moderator,
    "activities.remove": Role.moderator,
}
PUBLIC = {"workshops.home", "workshops.privacy", "workshops.accessibility"}


def _moderator_routes() -> list[tuple[str, str]]:
    """Every (endpoint, method) of the editor's blueprints, read from the URL map."""
    app = Flask(__name__)
    app.register_blueprint(workshops_bp)
    app.register_blueprint(activities_bp)
    return sorted(
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.split(".")[0] in ("workshops", "activities") and rule.endpoint not in PUBLIC
        for method in rule.methods - {"HEAD", "OPTIONS"}
    )


ROUTES = _moderator_routes()
ROUTE_IDS = [f"{method} {endpoint}" for endpoint, method in ROUTES]
#: Routes of a workshop (an undeclared one counts as such until ``NEEDED`` names it).
WORKSHOP_ROUTES = [(endpoint, method) for endpoint, method in ROUTES if NEEDED.get(endpoint, Role.owner)]


@pytest.fixture
def team(create_workshop, create_activity, create_account, owner):
    """A workshop with one step and an owner, a moderator, an observer, and a stranger who runs another."""
    workshop = create_workshop(owner=owner)
    activity = create_activity(workshop, kind="info")
    moderator, observer, stranger = (create_account(email=f"{name}@example.org") for name in ("mod", "obs", "other"))
    services.grant_role(owner, workshop, moderator, Role.moderator)
    services.grant_role(owner, workshop, observer, Role.observer)
    create_workshop(owner=stranger)
    return SimpleNamespace(
        workshop=workshop,
        activity=activity,
        accounts={"owner": owner, "moderator": moderator, "observer": observer, "stranger": stranger},
    )


def url(app, endpoint, team):
    values = {
        "workshop_id": team.workshop.id,
        "activity_id": team.activity.id,
        "kind": "info",
        "account_id": team.accounts["observer"].id,
    }
    rule = next(rule for rule in app.url_map.iter_rules(endpoint))
    return app.url_map.bind("localhost").build(endpoint, {k: v for k, v in values.items() if k in rule.arguments})


def valid_form(endpoint, team) -> dict:
    """What a browser would post to ``endpoint`` to succeed."""
    definition = json.dumps(activity_services.export_definition(team.workshop)).encode()
    return {
        "workshops.edit": {"title": "Neu", "min_group_size": "5", "retention_days": "90"},
        "workshops.members": {"email": "obs@example.org", "role": "moderator"},
        "activities.new_workshop": {"title": "Neu", "template": "", "min_group_size": "5", "retention_days": "90"},
        "activities.import_workshop": {"file": (io.BytesIO(definition), "workshop.json")},
        "activities.add": {"title": "Neu"},
        "activities.edit": {"title": "Geändert"},
        "activities.move": {"position": "1"},
    }.get(endpoint, {})


def request(client, method, path, data=None):
    return client.open(path, method=method, data=data or {})


def test_every_moderator_route_declares_the_role_it_needs():
    assert {endpoint for endpoint, _ in ROUTES} == set(NEEDED)


@pytest.mark.parametrize(("endpoint", "method"), ROUTES, ids=ROUTE_IDS)
def test_anonymous_visitors_are_sent_to_the_login(app, client, team, endpoint, method):
    path = url(app, endpoint, team)

    response = request(client, method, path)

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize(("endpoint", "method"), WORKSHOP_ROUTES, ids=[f"{m} {e}" for e, m in WORKSHOP_ROUTES])
def test_accounts_below_the_needed_role_are_refused(app, team, login, endpoint, method):
    needed = NEEDED[endpoint]
    path = url(app, endpoint, team)
    expected = {"stranger": 404}
    expected |= {name: 403 for name in ("observer", "moderator") if Role[name].rank < needed.rank}

    statuses = {}
    for name in expected:
        client = app.test_client()
        login(client, team.accounts[name])
        statuses[name] = request(client, method, path, valid_form(endpoint, team)).status_code

    assert statuses == expected
    assert services.role_of(team.accounts["observer"], team.workshop) is Role.observer  # nothing was done


def _allowed(endpoint):
    needed = NEEDED.get(endpoint)
    least = needed.name if needed else "stranger"
    return [least] if least == "owner" else [least, "owner"]


@pytest.mark.parametrize(
    ("endpoint", "method", "who"),
    [(endpoint, method, who) for endpoint, method in ROUTES for who in _allowed(endpoint)],
    ids=[f"{method} {endpoint} as {who}" for endpoint, method in ROUTES for who in _allowed(endpoint)],
)
def test_accounts_with_the_needed_role_get_through(app, client, team, login, endpoint, method, who):
    login(client, team.accounts[who])

    response = request(client, method, url(app, endpoint, team), valid_form(endpoint, team))

    if method == "GET":
        assert response.status_code == 200
    else:
        assert response.status_code == 302
        assert not response.headers["Location"].startswith("/login")

"""Fixtures and helpers for voting steps (used by ``tests/voting`` and ``tests/results``): a live
workshop with a check-in and a vote step of any method, voters, and the three screens.

The test folders' ``conftest.py`` import the fixtures from here; tests import the helpers."""

import itertools

import pytest

from facilitation.activities import services as activity_services
from facilitation.extensions import db
from facilitation.participation import services as participation_services
from facilitation.voting import services
from facilitation.voting.methods import Entry
from facilitation.workshops import services as workshop_services
from facilitation.workshops.models import WorkshopState

TOPICS = ["Krisenmanagement", "Personal", "Führung", "Kinderschutzkoordination", "Inklusion"]
ORGANISATIONS = [
    "Jugendamt Rostock",
    "Jugendamt Schwerin",
    "Jugendamt Greifswald",
    "Land",
    "Freier Träger",
]
ROLES = ["Leitung", "ASD-Fachkraft", "Kinderschutzkoordination"]


@pytest.fixture
def vote_workshop(owner, create_workshop):
    """``vote_workshop(**config)``: a live workshop with a check-in (step 0) and a vote (step 1), its
    config the demo's dots (3 dots, at most 1 per topic) on ``TOPICS`` unless overridden."""

    def create(title="Abstimmung", state=WorkshopState.live, **config):
        workshop = create_workshop(owner=owner)
        activity_services.add_activity(
            owner,
            workshop,
            kind="checkin",
            title="Check-in",
            config={"organisations": ORGANISATIONS, "roles": ROLES},
        )
        activity_services.add_activity(
            owner,
            workshop,
            kind="vote",
            title=title,
            config={"method": "dots", "items_from": "fixed", "options": TOPICS, "dots": 3, **config},
        )
        if state is WorkshopState.live:
            workshop_services.change_state(owner, workshop, WorkshopState.live)
        return workshop

    return create


@pytest.fixture
def vote_step(owner, vote_workshop):
    """``vote_step(**config)``: the vote step of a new live workshop, opened."""

    def create(**config):
        workshop = vote_workshop(**config)
        return activity_services.open_activity(owner, workshop.activities[1])

    return create


@pytest.fixture
def voter(app):
    """``voter(workshop, organisation=None, role=None)``: a new participant, checked in if given a group."""
    numbers = itertools.count(1)

    def join(workshop, organisation=None, role=None):
        token = f"voter-{next(numbers)}-{participation_services.new_token()}"
        participant = participation_services.join_workshop(workshop, token)
        participant.token = token
        if organisation or role:
            participant.organisation = organisation
            participant.role = role
            db.session.commit()
        return participant

    return join


@pytest.fixture
def client_id():
    numbers = itertools.count(1)
    return lambda: f"cid-{next(numbers):06d}"


def option_ids(activity) -> dict[str, int]:
    """Option ids of a step by label (creating the options if nobody looked at the step yet)."""
    return {o.label: o.id for o in services.ensure_options(activity)}


def entries(activity, by_label: dict) -> list[Entry]:
    """Ballot entries from ``{label: value}`` or ``{label: (x, y)}`` (matrix)."""
    ids = option_ids(activity)
    return [
        Entry(ids[label], 1, *value) if isinstance(value, tuple) else Entry(ids[label], value)
        for label, value in by_label.items()
    ]


# -- screens ------------------------------------------------------------------------------------------


@pytest.fixture
def phone(app, connect):
    """``phone(workshop, http=None)``: a phone's socket client, with the cookie from ``GET /<code>``
    (a second tab of the same participant when given the first one's ``http``)."""

    def open_phone(workshop, http=None):
        http = http or app.test_client()
        if http.get_cookie(f"fac_{workshop.join_code}") is None:
            assert http.get(f"/{workshop.join_code}").status_code == 200
        client = connect(app, {"screen": "phone", "code": workshop.join_code}, http)
        client.http = http
        return client

    return open_phone


@pytest.fixture
def console(app, connect, login):
    def open_console(workshop, account):
        http = app.test_client()
        login(http, account)
        return connect(app, {"screen": "console", "code": workshop.join_code}, http)

    return open_console


@pytest.fixture
def projector(app, connect):
    def open_projector(workshop):
        return connect(app, {"screen": "projector", "code": workshop.join_code, "key": workshop.screen_key})

    return open_projector


def received(client, event=None) -> list:
    """Payloads of the events the client got since the last call (only ``event`` if given)."""
    return [e["args"][0] if e["args"] else None for e in client.get_received() if event in (None, e["name"])]


def snapshot_of(client) -> dict:
    [snapshot] = received(client, "snapshot")[-1:]
    return snapshot

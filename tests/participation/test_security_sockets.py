"""Who may send which socket command, what each screen learns about others, and the command budgets.

The authorisation matrix enumerates every registered command (``realtime.commands.COMMANDS``), so a
command added later is covered without touching this file.
"""

import json

import pytest
from sqlalchemy import func, select

from facilitation.extensions import db, socketio
from facilitation.participation import services
from facilitation.participation.models import Card
from facilitation.realtime import ratelimit
from facilitation.realtime.commands import COMMANDS
from facilitation.workshops import services as workshop_services
from facilitation.workshops.models import AuditEntry, Role, WorkshopState

pytestmark = pytest.mark.usefixtures("fast_coalescing")

MODERATOR_COMMANDS = sorted(event for event, c in COMMANDS.items() if c.moderator)
PHONE_COMMANDS = sorted(event for event, c in COMMANDS.items() if c.screens == ("phone",))


@pytest.fixture
def step(cards_step, open_step):
    return open_step(cards_step)


@pytest.fixture
def a_card(join, step):
    participant = join(step.workshop)
    card, _ = services.submit_card(
        participant, step, client_id="victim-card-1", text="Geheim vor Freigabe", column="Erhalten"
    )
    return card


def plausible_payload(event: str, step, card) -> dict:
    """A payload that would pass validation for the commands we know, so refusals are about rights."""
    values = {
        "activity_id": step.id,
        "card_id": card.id,
        "state": "ended",
        "seconds": 60,
        "is_revealed": True,
        "is_premoderated": False,
        "reason": "Unpassend",
        "text": "Übernommen",
        "client_id": "attacker-0001",
        "column": "Erhalten",
    }
    fields = COMMANDS[event].schema.model_fields
    return {name: values[name] for name in fields if name in values}


def everything(workshop) -> str:
    """Everything of ``workshop`` in the database that a command could touch, as one comparable string."""
    db.session.expire_all()
    queries = {
        "workshops": "SELECT * FROM workshops WHERE id = :w",
        "activities": "SELECT * FROM activities WHERE workshop_id = :w",
        "cards": "SELECT * FROM cards WHERE activity_id IN (SELECT id FROM activities WHERE workshop_id = :w)",
        "participants": "SELECT * FROM participants WHERE workshop_id = :w",
        "memberships": "SELECT * FROM memberships WHERE workshop_id = :w",
        "audit_entries": "SELECT * FROM audit_entries WHERE workshop_id = :w",
    }
    rows = {
        name: [tuple(map(str, r)) for r in db.session.execute(db.text(sql), {"w": workshop.id})]
        for name, sql in queries.items()
    }
    return json.dumps(rows, sort_keys=True)


def test_every_command_is_registered_with_a_schema():
    assert {"submit_card", "approve_card", "change_workshop_state", "load_activity"} <= set(COMMANDS)
    assert set(COMMANDS) <= set(socketio.server.handlers["/"])
    assert MODERATOR_COMMANDS and PHONE_COMMANDS


@pytest.mark.parametrize("event", MODERATOR_COMMANDS)
def test_moderator_commands_are_refused_to_everyone_else(
    event, app, live_workshop, step, a_card, phone, projector, console, observer, create_account, create_workshop
):
    stranger = create_account(email="fremd@example.org")
    elsewhere = create_workshop(owner=stranger, title="Anderer Workshop")
    workshop_services.change_state(stranger, elsewhere, WorkshopState.live)
    payload = plausible_payload(event, step, a_card)
    clients = (
        ("participant", phone(live_workshop)),
        ("projector", projector(live_workshop)),
        ("observer", console(live_workshop, observer)),
    )
    foreign = console(elsewhere, stranger)
    before = everything(live_workshop)

    for who, client in clients:
        ack = client.command(event, payload)
        assert ack["ok"] is False and ack["error"] == "forbidden", (who, ack)
        assert ack["message"]

    # A moderator of another workshop, connected to theirs, naming this workshop's steps and cards.
    # (Commands without ids, such as ``change_workshop_state``, act on the moderator's own workshop.)
    ack = foreign.command(event, payload)
    if any(name in payload for name in ("activity_id", "card_id", "option_id", "cluster_id")):
        assert ack["ok"] is False, ack
    # ... and cannot connect to this workshop's console at all.
    assert not console(live_workshop, stranger).is_connected()

    assert everything(live_workshop) == before, f"{event} changed something"


@pytest.mark.parametrize("event", PHONE_COMMANDS)
def test_phone_commands_are_refused_to_screens(event, live_workshop, step, a_card, projector, console, owner):
    clients = (projector(live_workshop), console(live_workshop, owner))
    before = everything(live_workshop)
    for client in clients:
        ack = client.command(event, plausible_payload(event, step, a_card))
        assert ack["ok"] is False and ack["error"] == "forbidden", ack
    assert everything(live_workshop) == before


def test_anonymous_connections_are_refused(app, live_workshop, socket_client):
    for auth in (
        None,
        {},
        {"screen": "console", "code": live_workshop.join_code},
        {"screen": "projector", "code": live_workshop.join_code},
        {"screen": "projector", "code": live_workshop.join_code, "key": live_workshop.screen_key[:-1] + "x"},
        {"screen": "phone", "code": live_workshop.join_code},
        {"screen": "admin", "code": live_workshop.join_code},
        {"screen": ["phone"], "code": {"$ne": ""}},
    ):
        assert not socket_client(app, auth=auth).is_connected(), auth


def test_a_participant_cannot_touch_another_participants_card(live_workshop, step, a_card, phone):
    intruder = phone(live_workshop)
    before = everything(live_workshop)
    for event in ("edit_card", "withdraw_card"):
        ack = intruder.command(
            event,
            {"client_id": "intruder-01", "card_id": a_card.id, "text": "Übernommen"}
            if event == "edit_card"
            else {"client_id": "intruder-01", "card_id": a_card.id},
        )
        assert ack["ok"] is False and ack["error"] == "not_found", ack
    assert everything(live_workshop) == before


def test_nobody_learns_who_wrote_what(app, live_workshop, step, phone, projector, console, owner, join):
    """No payload to any screen carries participant ids or tokens; phones see only their own cards."""
    author = phone(live_workshop)
    other = phone(live_workshop)
    wall = projector(live_workshop)
    moderation = console(live_workshop, owner)
    ack = author.command(
        "submit_card", {"client_id": "author-card-1", "activity_id": step.id, "text": "Nur meins", "column": "Erhalten"}
    )
    assert ack["ok"]
    moderation.command("approve_card", {"card_id": ack["card"]["id"]})
    moderation.command("reveal_activity", {"activity_id": step.id})
    other_snapshot = other.command("request_snapshot")["snapshot"]
    assert other_snapshot["view"]["own_cards"] == [], "another phone never gets someone else's card"
    assert "Nur meins" not in json.dumps(other.events()), "phones get no card of others, before or after reveal"

    tokens = [c.http.get_cookie(f"fac_{live_workshop.join_code}").value for c in (author, other)]
    participant_ids = [str(p.id) for p in db.session.scalars(select(services.Participant))]
    for client in (author, other, wall, moderation):
        for event, payload in [*client.events(), ("snapshot", client.command("request_snapshot")["snapshot"])]:
            text = json.dumps(payload)
            assert "participant" not in text, (event, text[:200])
            assert not any(token in text for token in tokens), event
            if isinstance(payload, dict) and "card" in payload:
                assert set(payload["card"]) & {"participant_id", "author", "token_hash"} == set()
    assert participant_ids  # the ids exist, they just never leave the server


@pytest.fixture
def frozen_budgets(app):
    """Budgets on a stopped clock: nothing refills while a test sends, however loaded the machine."""
    ratelimit.use_clock(app, lambda: 1000.0)


def test_rate_limited_commands_get_an_error_ack_and_change_nothing(app, live_workshop, step, phone, frozen_budgets):
    client = phone(live_workshop)
    burst = ratelimit.ANSWER_RATE.burst
    for number in range(burst):
        ack = client.command("withdraw_card", {"client_id": f"probe-{number:04d}", "card_id": 999_999})
        assert ack["error"] == "not_found", ack
    ack = client.command(
        "submit_card", {"client_id": "over-the-limit", "activity_id": step.id, "text": "Zu viel", "column": "Erhalten"}
    )
    assert ack["ok"] is False and ack["error"] == "rate_limited" and ack["retry_after"] >= 1, ack
    assert "warten" in ack["message"]
    assert db.session.scalar(select(func.count(Card.id))) == 0
    # Other commands still have budget: the general one is larger.
    assert client.command("request_snapshot")["ok"] is True


def test_the_budget_is_per_participant_not_per_connection(app, live_workshop, step, phone, frozen_budgets):
    first = phone(live_workshop)
    second_tab = phone(live_workshop, http=first.http)
    for number in range(ratelimit.ANSWER_RATE.burst):
        first.command("withdraw_card", {"client_id": f"probe-{number:04d}", "card_id": 999_999})
    assert second_tab.command("withdraw_card", {"client_id": "probe-last", "card_id": 1})["error"] == "rate_limited"
    assert (
        phone(live_workshop).command("withdraw_card", {"client_id": "probe-new", "card_id": 1})["error"] == "not_found"
    )


def test_unknown_events_get_an_error_ack_in_the_users_language(app, live_workshop, phone):
    client = phone(live_workshop)
    ack = client.command("drop_tables", {"x": 1})
    assert ack == {"ok": False, "error": "unknown", "message": "Diesen Befehl kennt der Server nicht."}
    english = app.test_client()
    english.get(f"/{live_workshop.join_code}?lang=en")
    ack = phone(live_workshop, http=english).command("__proto__")
    assert ack["error"] == "unknown" and ack["message"] == "The server does not know this command."


UNICODE_CASES = [
    ("\u202eevil\u202c text", "evil text"),  # right-to-left override
    ("a\u200bb\u200cc\u200dd\u2060e\ufeff", "abcde"),  # zero-width characters
    ("Cafe\u0301", "Café"),  # combining accent → NFC
    ("Kinderschutz 👩\u200d👧\u200d👦🛡️", "Kinderschutz 👩\u200d👧\u200d👦🛡️"),  # emoji sequences stay whole
    ("a\u200db \u200d👩", "ab 👩"),  # joiners outside emoji go
    ("Zeile\x00eins\x07\x1b[31m", "Zeileeins[31m"),  # control characters
    ("\u00a0\u2003 leer \u3000", "leer"),
]


@pytest.mark.parametrize(("typed", "expected"), UNICODE_CASES, ids=range(len(UNICODE_CASES)))
def test_unicode_edge_cases_are_cleaned_or_refused_never_an_error(live_workshop, step, phone, typed, expected):
    client = phone(live_workshop)
    ack = client.command(
        "submit_card", {"client_id": "unicode-0001", "activity_id": step.id, "text": typed, "column": "Erhalten"}
    )
    assert ack["ok"] is True or ack["error"] in ("empty", "too_long", "invalid"), ack
    if ack["ok"]:
        stored = ack["card"]["text"]
        assert stored == services.clean_text(typed) == expected
        assert not any(c in stored for c in "\u202e\u202c\u200b\x00\x07\x1b\ufeff")


def test_only_invisible_text_is_an_empty_card(live_workshop, step, phone):
    ack = phone(live_workshop).command(
        "submit_card",
        {
            "client_id": "unicode-0002",
            "activity_id": step.id,
            "text": "\u200b\u202e\u2060\x00 \t",
            "column": "Erhalten",
        },
    )
    assert ack["error"] == "empty", ack


def test_closed_steps_and_steps_of_other_workshops_are_refused(
    live_workshop, cards_step, phone, owner, create_workshop, create_activity
):
    client = phone(live_workshop)
    ack = client.command(
        "submit_card", {"client_id": "closed-0001", "activity_id": cards_step.id, "text": "x", "column": "Erhalten"}
    )
    assert ack["error"] == "closed", ack
    other = create_workshop(owner=owner)
    foreign = create_activity(other, "cards")
    ack = client.command(
        "submit_card", {"client_id": "closed-0002", "activity_id": foreign.id, "text": "x", "column": "Erhalten"}
    )
    assert ack["error"] == "not_found", ack
    assert db.session.scalar(select(func.count(AuditEntry.id))) >= 1
    assert db.session.scalar(select(func.count(Card.id))) == 0


def test_observer_console_rights_are_rechecked_when_promoted_and_demoted(live_workshop, step, console, observer, owner):
    client = console(live_workshop, observer)
    assert client.command("close_activity", {"activity_id": step.id})["error"] == "forbidden"
    workshop_services.grant_role(owner, live_workshop, observer, Role.moderator)
    assert client.command("close_activity", {"activity_id": step.id})["ok"] is True
    workshop_services.grant_role(owner, live_workshop, observer, Role.observer)
    assert client.command("open_activity", {"activity_id": step.id})["error"] == "forbidden"

"""The live forum over Socket.IO: who may connect, what each screen gets, and every command's ack."""

import logging
import time

import pytest
from flask import current_app
from sqlalchemy import func, select

from facilitation.activities import services as activity_services
from facilitation.extensions import db
from facilitation.participation import services
from facilitation.participation.models import Card, CardStatus
from facilitation.realtime import broadcast
from facilitation.workshops import services as workshop_services
from facilitation.workshops.models import AuditEntry, Role, WorkshopState

COLUMNS = ["Erhalten", "Zurücklassen", "Neu gestalten"]

pytestmark = pytest.mark.usefixtures("fast_coalescing")


@pytest.fixture
def step(cards_step, open_step):
    """The open card step with columns (max 6 cards, 3 per column)."""
    return open_step(cards_step)


def card_payload(step, text="Fallberatung erhalten", column="Erhalten", client_id="card-0001", **extra):
    return {"client_id": client_id, "activity_id": step.id, "text": text, "column": column, **extra}


def count_cards() -> int:
    return db.session.scalar(select(func.count(Card.id)))


def state_of(workshop) -> dict:
    """Everything a command could change, to compare before and after."""
    db.session.expire_all()
    return {
        "workshop": (workshop.state, workshop.version, workshop.current_activity_id),
        "activities": [
            (a.id, a.state, a.is_revealed, a.timer_ends_at, a.timer_remaining, a.config) for a in workshop.activities
        ],
        "cards": [(c.id, c.status, c.text, c.reject_reason, c.is_edited) for c in db.session.scalars(select(Card))],
        "audit": db.session.scalar(select(func.count(AuditEntry.id))),
        "participants": [(p.organisation, p.role) for p in db.session.scalars(select(services.Participant))],
    }


def is_error(ack, code=None) -> bool:
    return (
        isinstance(ack, dict)
        and ack.get("ok") is False
        and isinstance(ack.get("message"), str)
        and ack["message"] != ""
        and (code is None or ack.get("error") == code)
    )


# -- who may connect --------------------------------------------------------------------------------


def test_phone_connects_with_the_cookie_from_the_join_page(phone, live_workshop):
    client = phone(live_workshop)
    assert client.is_connected()
    assert client.snapshot()["screen"] == "phone"


def test_phone_without_cookie_is_refused(app, live_workshop, socket_client):
    client = socket_client(app, auth={"screen": "phone", "code": live_workshop.join_code})
    assert not client.is_connected()


def test_phone_with_a_made_up_token_is_refused(app, live_workshop, socket_client):
    http = app.test_client()
    http.set_cookie(f"fac_{live_workshop.join_code}", "guessed-token")
    client = socket_client(app, auth={"screen": "phone", "code": live_workshop.join_code}, flask_test_client=http)
    assert not client.is_connected()


def test_phone_cookie_of_one_workshop_does_not_open_another(phone, live_workshop, create_workshop, owner):
    other = create_workshop(owner=owner, title="Anderes Forum")
    first = phone(live_workshop)
    assert first.is_connected()
    # The cookie is per join code: the other workshop has none, and a copied token does not work there.
    first.http.set_cookie(f"fac_{other.join_code}", first.http.get_cookie(f"fac_{live_workshop.join_code}").value)
    elsewhere = phone(other, http=first.http)
    assert not elsewhere.is_connected()


@pytest.mark.parametrize(
    "auth",
    [
        None,
        [],
        "phone",
        {},
        {"screen": "phone"},
        {"screen": "phone", "code": None},
        {"screen": "phone", "code": "ZZZZZZ"},
        {"screen": "admin", "code": "{code}"},
        {"screen": ["phone"], "code": "{code}"},
    ],
)
def test_malformed_auth_is_refused(app, phone, live_workshop, socket_client, auth):
    http = phone(live_workshop).http  # has a valid cookie: the auth alone must refuse
    if isinstance(auth, dict):
        auth = {k: v.format(code=live_workshop.join_code) if isinstance(v, str) else v for k, v in auth.items()}
    client = socket_client(app, auth=auth, flask_test_client=http)
    assert not client.is_connected()


def test_projector_needs_the_screen_key(projector, live_workshop):
    assert projector(live_workshop).is_connected()
    assert not projector(live_workshop, key="wrong-key").is_connected()
    assert not projector(live_workshop, key=live_workshop.screen_key[:-1]).is_connected()


def test_projector_without_key_is_refused(app, live_workshop, socket_client):
    client = socket_client(app, auth={"screen": "projector", "code": live_workshop.join_code})
    assert not client.is_connected()


def test_console_needs_a_role_in_the_workshop(
    app, console, live_workshop, create_account, create_workshop, socket_client
):
    anonymous = socket_client(app, auth={"screen": "console", "code": live_workshop.join_code})
    assert not anonymous.is_connected()

    stranger = create_account(email="stranger@example.org")
    create_workshop(owner=stranger, title="Sein eigenes Forum")
    assert not console(live_workshop, stranger).is_connected(), "a moderator of another workshop"


def test_console_of_owner_moderator_and_observer(console, live_workshop, owner, observer, create_account):
    moderator = create_account(email="moderator@example.org")
    workshop_services.grant_role(owner, live_workshop, moderator, Role.moderator)
    admin = create_account(email="admin@example.org", is_admin=True)

    assert console(live_workshop, owner).snapshot()["can_moderate"] is True
    assert console(live_workshop, moderator).snapshot()["can_moderate"] is True
    assert console(live_workshop, admin).snapshot()["can_moderate"] is True
    assert console(live_workshop, observer).snapshot()["can_moderate"] is False


# -- snapshots --------------------------------------------------------------------------------------


def test_snapshots_per_screen(phone, projector, console, live_workshop, owner, step, observer):
    author = phone(live_workshop)
    ack = author.command("submit_card", card_payload(step, text="Frau Müller anrufen: 0171 1234567"))
    assert ack["ok"], ack

    phone_view = phone(live_workshop).snapshot()  # another phone sees nothing of it
    own_view = phone(live_workshop, http=author.http).snapshot()  # the author's second tab
    wall = projector(live_workshop).snapshot()
    console_view = console(live_workshop, owner).snapshot()
    db.session.expire_all()

    for snapshot, screen in ((phone_view, "phone"), (wall, "projector"), (console_view, "console")):
        assert snapshot["screen"] == screen
        assert snapshot["version"] == live_workshop.version
        assert snapshot["workshop"] == {
            "id": live_workshop.id,
            "title": live_workshop.title,
            "join_code": live_workshop.join_code,
            "state": "live",
            "current_activity_id": step.id,
            "version": live_workshop.version,
        }
        assert snapshot["activity"]["id"] == step.id and snapshot["activity"]["state"] == "open"
        assert snapshot["activity"]["config"]["columns"] == COLUMNS

    assert set(phone_view) == {"version", "screen", "workshop", "activity", "view"}
    assert phone_view["view"] == {
        "own_cards": [],
        "left": {"total": 6, "columns": dict.fromkeys(COLUMNS, 3)},
    }
    assert [c["text"] for c in own_view["view"]["own_cards"]] == ["Frau Müller anrufen: 0171 1234567"]
    own_card = own_view["view"]["own_cards"][0]
    assert own_card["client_id"] == "card-0001" and own_card["status"] == "pending"
    assert own_card["personal_data"] == ["name", "phone"], "the author is told why"
    assert own_view["view"]["left"]["columns"]["Erhalten"] == 2

    assert set(wall) == {"version", "screen", "workshop", "activity", "view"}
    assert wall["view"]["cards"] == [], "blind until revealed"
    assert wall["view"]["counts"]["status"]["pending"] == 1

    assert [a["id"] for a in console_view["activities"]] == [a.id for a in live_workshop.activities]
    assert console_view["can_moderate"] is True
    [moderated] = console_view["view"]["cards"]
    assert moderated["status"] == "pending" and moderated["personal_data"] == ["name", "phone"]
    assert "original_text" in moderated and "client_id" not in moderated and "participant_id" not in moderated
    assert console(live_workshop, observer).snapshot()["view"]["cards"][0]["id"] == moderated["id"]


def test_snapshot_on_the_welcome_screen(phone, live_workshop):
    snapshot = phone(live_workshop).snapshot()
    assert snapshot["activity"] is None and snapshot["view"] == {}


def test_request_snapshot(phone, live_workshop, step):
    client = phone(live_workshop)
    client.command("submit_card", card_payload(step))
    ack = client.command("request_snapshot")
    assert ack["ok"] and [c["client_id"] for c in ack["snapshot"]["view"]["own_cards"]] == ["card-0001"]


def test_checkin_snapshot(phone, console, live_workshop, owner, checkin_step, open_step):
    open_step(checkin_step)
    client = phone(live_workshop)
    assert client.snapshot()["view"] == {"me": {"organisation": None, "role": None, "is_checked_in": False}}
    ack = client.command(
        "check_in", {"client_id": "checkin-01", "activity_id": checkin_step.id, "organisation": "Land", "role": None}
    )
    assert ack == {"ok": True, "me": {"organisation": "Land", "role": None, "is_checked_in": True}}
    assert console(live_workshop, owner).snapshot()["view"] == {"counts": {"joined": 1, "checked_in": 1}}


# -- phone commands ---------------------------------------------------------------------------------


def test_submit_card_ack_and_resend(phone, live_workshop, step):
    client = phone(live_workshop)
    ack = client.command("submit_card", card_payload(step))
    assert ack["ok"] is True
    assert ack["card"]["client_id"] == "card-0001" and ack["card"]["status"] == "pending"
    assert ack["left"] == {"total": 5, "columns": {"Erhalten": 2, "Zurücklassen": 3, "Neu gestalten": 3}}

    again = client.command("submit_card", card_payload(step))
    assert again["ok"] is True and again["card"]["id"] == ack["card"]["id"]
    assert again["left"] == ack["left"]

    # The same resend from a new connection of the same phone (after a reconnect).
    reconnected = phone(live_workshop, http=client.http)
    assert reconnected.command("submit_card", card_payload(step))["card"]["id"] == ack["card"]["id"]
    assert count_cards() == 1


def test_limits_reach_the_phone_as_error_acks(phone, live_workshop, step):
    client = phone(live_workshop)
    for number in range(3):
        assert client.command("submit_card", card_payload(step, client_id=f"card-000{number}"))["ok"]
    ack = client.command("submit_card", card_payload(step, client_id="card-0009"))
    assert is_error(ack, "limit")
    assert "Erhalten" in ack["message"]


def test_error_messages_follow_the_language(app, live_workshop, step, socket_client):
    http = app.test_client()
    http.get(f"/{live_workshop.join_code}?lang=en")
    client = socket_client(app, auth={"screen": "phone", "code": live_workshop.join_code}, flask_test_client=http)
    ack = client.command("submit_card", card_payload(step, text="   "))
    assert is_error(ack, "empty")
    assert ack["message"] != "Die Karte ist leer."


def test_edit_and_withdraw_own_card(phone, live_workshop, step):
    client = phone(live_workshop)
    card = client.command("submit_card", card_payload(step))["card"]

    edited = client.command("edit_card", {"client_id": "edit-0001", "card_id": card["id"], "text": "Neu formuliert"})
    assert edited["ok"] and edited["card"]["text"] == "Neu formuliert"

    withdrawn = client.command("withdraw_card", {"client_id": "withdraw-01", "card_id": card["id"]})
    assert withdrawn["ok"] and withdrawn["card"]["status"] == "withdrawn"
    assert withdrawn["left"]["columns"]["Erhalten"] == 3

    other = phone(live_workshop)
    assert is_error(other.command("withdraw_card", {"client_id": "withdraw-02", "card_id": card["id"]}), "not_found")
    assert is_error(
        other.command("edit_card", {"client_id": "edit-0002", "card_id": card["id"], "text": "Fremd"}), "not_found"
    )


def test_own_card_changed_reaches_every_tab_of_the_author_only(phone, console, live_workshop, owner, step):
    author = phone(live_workshop)
    second_tab = phone(live_workshop, http=author.http)
    bystander = phone(live_workshop)
    moderator = console(live_workshop, owner)
    card = author.command("submit_card", card_payload(step))["card"]
    for client in (author, second_tab, bystander, moderator):
        client.events()

    assert moderator.command("approve_card", {"card_id": card["id"]})["ok"]

    for tab in (author, second_tab):
        [(_event, payload)] = tab.events("own_card_changed")
        assert payload["card"]["id"] == card["id"] and payload["card"]["status"] == "visible"
    assert bystander.events() == []


# -- moderator commands: authorisation --------------------------------------------------------------


def moderator_commands(workshop, step, card_id) -> dict:
    checkin = workshop.activities[0]
    return {
        "change_workshop_state": {"state": "ended"},
        "show_activity": {"activity_id": checkin.id},
        "open_activity": {"activity_id": checkin.id},
        "close_activity": {"activity_id": step.id},
        "reveal_activity": {"activity_id": step.id},
        "set_timer": {"activity_id": step.id, "seconds": 60},
        "pause_timer": {"activity_id": step.id},
        "resume_timer": {"activity_id": step.id},
        "extend_timer": {"activity_id": step.id, "seconds": 30},
        "approve_card": {"card_id": card_id},
        "hide_card": {"card_id": card_id},
        "reject_card": {"card_id": card_id, "reason": "Unpassend"},
        "edit_card_text": {"card_id": card_id, "text": "Umgeschrieben"},
        "set_premoderation": {"activity_id": step.id, "is_premoderated": False},
    }


@pytest.fixture
def running(phone, live_workshop, owner, step):
    """A running card step with one pending card and a running timer; returns (author phone, card id)."""
    activity_services.set_timer(owner, step, 300)
    author = phone(live_workshop)
    card = author.command("submit_card", card_payload(step))["card"]
    return author, card["id"]


@pytest.mark.parametrize("sender", ["phone", "observer", "projector"])
def test_moderator_commands_from_others_are_forbidden_and_change_nothing(
    sender, running, phone, console, projector, live_workshop, step, observer
):
    author, card_id = running
    client = {"phone": lambda: author, "observer": lambda: console(live_workshop, observer)}.get(
        sender, lambda: projector(live_workshop)
    )()
    commands = moderator_commands(live_workshop, step, card_id)
    if sender != "observer":
        commands["load_activity"] = {"activity_id": step.id}
    before = state_of(live_workshop)

    for event, payload in commands.items():
        ack = client.command(event, payload)
        assert ack.get("error") == "forbidden", (event, ack)
        assert is_error(ack), (event, ack)

    assert state_of(live_workshop) == before
    assert client.is_connected()


def test_every_moderator_command_works_from_the_owner_console(running, console, live_workshop, owner, step):
    """The counterpart of the test above: the same payloads are valid for a moderator."""
    _author, card_id = running
    moderator = console(live_workshop, owner)
    commands = moderator_commands(live_workshop, step, card_id)
    del commands["change_workshop_state"], commands["open_activity"], commands["hide_card"]
    for event, payload in commands.items():
        ack = moderator.command(event, payload)
        assert ack.get("ok") is True, (event, ack)
    assert moderator.command("load_activity", {"activity_id": step.id})["view"]["cards"][0]["id"] == card_id
    assert moderator.command("change_workshop_state", {"state": "ended"})["ok"]
    db.session.expire_all()
    assert live_workshop.state is WorkshopState.ended


def test_observer_may_load_a_step(running, console, live_workshop, step, observer):
    _author, card_id = running
    ack = console(live_workshop, observer).command("load_activity", {"activity_id": step.id})
    assert ack["ok"] and [c["id"] for c in ack["view"]["cards"]] == [card_id]


def test_phone_commands_from_a_console_are_forbidden(console, projector, live_workshop, owner, step):
    for client in (console(live_workshop, owner), projector(live_workshop)):
        ack = client.command("submit_card", card_payload(step))
        assert is_error(ack, "forbidden")
    assert count_cards() == 0


def test_a_moderator_cannot_act_on_another_workshop(running, console, create_account, create_workshop, owner, step):
    _author, card_id = running
    other_owner = create_account(email="other@example.org")
    other = create_workshop(owner=other_owner, title="Nachbarforum")
    workshop_services.change_state(other_owner, other, WorkshopState.live)
    client = console(other, other_owner)
    before = state_of(step.workshop)

    assert is_error(client.command("approve_card", {"card_id": card_id}), "not_found")
    assert is_error(client.command("reject_card", {"card_id": card_id, "reason": "Fremd"}), "not_found")
    assert is_error(client.command("close_activity", {"activity_id": step.id}), "not_found")
    assert is_error(client.command("set_premoderation", {"activity_id": step.id, "is_premoderated": False}))
    assert is_error(client.command("load_activity", {"activity_id": step.id}), "not_found")
    assert state_of(step.workshop) == before


def test_a_revoked_role_ends_moderation_at_once(console, running, live_workshop, owner, create_account, step):
    _author, card_id = running
    moderator = create_account(email="moderator@example.org")
    workshop_services.grant_role(owner, live_workshop, moderator, Role.moderator)
    client = console(live_workshop, moderator)
    assert client.command("hide_card", {"card_id": card_id})["ok"]

    workshop_services.grant_role(owner, live_workshop, moderator, Role.observer)
    assert is_error(client.command("approve_card", {"card_id": card_id}), "forbidden")
    workshop_services.revoke_role(owner, live_workshop, moderator)
    assert is_error(client.command("approve_card", {"card_id": card_id}), "forbidden")
    db.session.expire_all()
    assert db.session.get(Card, card_id).status is CardStatus.hidden

    workshop_services.grant_role(owner, live_workshop, moderator, Role.moderator)
    assert client.command("approve_card", {"card_id": card_id})["ok"], "and back without reconnecting"


def test_a_console_whose_role_was_revoked_is_refused_on_reconnect(console, live_workshop, owner, create_account):
    moderator = create_account(email="moderator@example.org")
    workshop_services.grant_role(owner, live_workshop, moderator, Role.moderator)
    client = console(live_workshop, moderator)
    assert client.is_connected()
    workshop_services.revoke_role(owner, live_workshop, moderator)
    client.disconnect()
    client.connect(auth={"screen": "console", "code": live_workshop.join_code})
    assert not client.is_connected()


# -- malformed payloads -----------------------------------------------------------------------------


def malformed_card_payloads(step, foreign_step, checkin):
    valid = card_payload(step)
    return [
        (None, "invalid"),
        ([], "invalid"),
        ([valid], "invalid"),
        ("submit", "invalid"),
        (42, "invalid"),
        (True, "invalid"),
        ({}, "invalid"),
        ({k: v for k, v in valid.items() if k != "client_id"}, "invalid"),
        ({k: v for k, v in valid.items() if k != "activity_id"}, "invalid"),
        ({k: v for k, v in valid.items() if k != "text"}, "invalid"),
        ({**valid, "client_id": "short"}, "invalid"),
        ({**valid, "client_id": "../../etc/passwd"}, "invalid"),
        ({**valid, "client_id": "x" * 65}, "invalid"),
        ({**valid, "client_id": None}, "invalid"),
        ({**valid, "client_id": 12345678}, "invalid"),
        ({**valid, "activity_id": "abc"}, "invalid"),
        ({**valid, "activity_id": -1}, "invalid"),
        ({**valid, "activity_id": 0}, "invalid"),
        ({**valid, "activity_id": 1.5}, "invalid"),
        ({**valid, "activity_id": None}, "invalid"),
        ({**valid, "activity_id": [step.id]}, "invalid"),
        ({**valid, "activity_id": {"id": step.id}}, "invalid"),
        ({**valid, "activity_id": 10**30}, "invalid"),
        ({**valid, "activity_id": 2**63}, "invalid"),
        ({**valid, "activity_id": 999_999}, "not_found"),
        ({**valid, "activity_id": foreign_step.id}, "not_found"),
        ({**valid, "activity_id": checkin.id}, "wrong_step"),
        ({**valid, "text": 5}, "invalid"),
        ({**valid, "text": None}, "invalid"),
        ({**valid, "text": ["Karte"]}, "invalid"),
        ({**valid, "text": "x" * 100_000}, "invalid"),
        ({**valid, "text": "x" * 281}, "too_long"),
        ({**valid, "text": "\u200b\u200b"}, "empty"),
        ({**valid, "column": ["Erhalten"]}, "invalid"),
        ({**valid, "column": "Spalte 4"}, "column"),
        ({**valid, "participant_id": 1}, "invalid"),
        ({**valid, "status": "visible"}, "invalid"),
        ({"__proto__": {}, **valid}, "invalid"),
    ]


@pytest.fixture
def foreign_step(owner, create_workshop, open_step):
    other = create_workshop(owner=owner, title="Anderes Forum")
    foreign = activity_services.add_activity(owner, other, kind="cards", title="Fremd", config={})
    workshop_services.change_state(owner, other, WorkshopState.live)
    return open_step(foreign)


def test_malformed_submissions_get_error_acks(phone, live_workshop, step, foreign_step, checkin_step, caplog):
    client = phone(live_workshop)
    caplog.set_level(logging.ERROR)

    for payload, code in malformed_card_payloads(step, foreign_step, checkin_step):
        ack = client.command("submit_card", payload)
        assert is_error(ack, code), (str(payload)[:80], ack)

    assert count_cards() == 0
    assert not caplog.records, "no malformed payload is an internal error"
    assert client.command("submit_card", card_payload(step))["ok"], "the connection still works"


def test_invalid_acks_name_the_fields(phone, live_workshop, step):
    ack = phone(live_workshop).command("submit_card", {"client_id": "card-0001", "activity_id": -4, "extra": 1})
    assert is_error(ack, "invalid")
    assert set(ack["fields"]) == {"activity_id", "text", "extra"}


def test_unusual_calls_do_not_break_the_connection(phone, live_workshop, step):
    client = phone(live_workshop)
    client.emit("submit_card", card_payload(step, client_id="no-ack-wanted"))  # fire and forget
    client.emit("submit_card", card_payload(step, client_id="with-extra-arg"), "second argument", callback=True)
    client.emit("no_such_command", {"x": 1}, callback=True)
    client.emit("submit_card", callback=True)  # no payload at all
    assert client.emit("request_snapshot", {"since": 3}, "extra", callback=True)["ok"]
    assert client.is_connected()
    assert client.command("submit_card", card_payload(step, client_id="afterwards"))["ok"]
    assert count_cards() == 2  # the fire-and-forget one was stored too


def test_two_arguments_get_an_error_ack(phone, live_workshop, step):
    ack = phone(live_workshop).emit("submit_card", card_payload(step), "second argument", callback=True)
    assert is_error(ack, "invalid")
    assert count_cards() == 0


@pytest.mark.parametrize(
    ("event", "payload", "code"),
    [
        ("approve_card", None, "invalid"),
        ("approve_card", [], "invalid"),
        ("approve_card", {"card_id": -1}, "invalid"),
        ("approve_card", {"card_id": "eins"}, "invalid"),
        ("approve_card", {"card_id": 10**30}, "invalid"),
        ("approve_card", {"card_id": 999_999}, "not_found"),
        ("approve_card", {"card_id": "{card}", "extra": True}, "invalid"),
        ("reject_card", {"card_id": "{card}"}, "invalid"),
        ("reject_card", {"card_id": "{card}", "reason": ""}, "invalid"),
        ("reject_card", {"card_id": "{card}", "reason": "   "}, "invalid"),
        ("reject_card", {"card_id": "{card}", "reason": "x" * 100_000}, "invalid"),
        ("edit_card_text", {"card_id": "{card}", "text": ""}, "empty"),
        ("edit_card_text", {"card_id": "{card}", "text": 7}, "invalid"),
        ("set_timer", {"activity_id": "{step}", "seconds": 0}, "invalid"),
        ("set_timer", {"activity_id": "{step}", "seconds": -60}, "invalid"),
        ("set_timer", {"activity_id": "{step}", "seconds": 10**9}, "invalid"),
        ("set_timer", {"activity_id": "{step}", "seconds": "sechzig"}, "invalid"),
        ("extend_timer", {"activity_id": "{step}"}, "invalid"),
        ("resume_timer", {"activity_id": "{step}"}, "refused"),
        ("open_activity", {"activity_id": "{step}"}, "refused"),
        ("reveal_activity", {"activity_id": "{step}", "is_revealed": "vielleicht"}, "invalid"),
        ("show_activity", {"activity_id": 0}, "invalid"),
        ("show_activity", {"activity_id": 999_999}, "not_found"),
        ("change_workshop_state", {"state": "gelöscht"}, "invalid"),
        ("change_workshop_state", {"state": "draft"}, "refused"),
        ("change_workshop_state", {}, "invalid"),
        ("set_premoderation", {"activity_id": "{step}"}, "invalid"),
        ("load_activity", {"activity_id": None}, "invalid"),
    ],
)
def test_malformed_moderator_commands_get_error_acks(
    running, console, live_workshop, owner, step, caplog, event, payload, code
):
    _author, card_id = running
    client = console(live_workshop, owner)
    if isinstance(payload, dict):
        payload = {
            k: {"{card}": card_id, "{step}": step.id}.get(v, v) if isinstance(v, str) else v for k, v in payload.items()
        }
    caplog.set_level(logging.ERROR)
    before = state_of(live_workshop)

    ack = client.command(event, payload)

    assert is_error(ack, code), ack
    assert state_of(live_workshop) == before
    assert not caplog.records


# -- the whole flow ---------------------------------------------------------------------------------


def test_open_submit_approve_reveal(phone, console, projector, live_workshop, owner, cards_step):
    moderator = console(live_workshop, owner)
    wall = projector(live_workshop)
    author = phone(live_workshop)
    for client in (moderator, wall, author):
        client.events()

    assert moderator.command("open_activity", {"activity_id": cards_step.id}) == {"ok": True}
    opened = author.wait_for("activity_changed", lambda p: p["activity"]["state"] == "open")
    assert opened["activity"]["id"] == cards_step.id
    wall.wait_for("activity_changed")

    ack = author.command("submit_card", card_payload(cards_step, text="Netzwerke erhalten"))
    assert ack["ok"] and ack["card"]["status"] == "pending"
    card_id = ack["card"]["id"]
    changed = moderator.wait_for("card_changed")
    assert changed["card"]["id"] == card_id and changed["card"]["status"] == "pending"
    waiting = wall.wait_for("wall_changed", lambda p: p["counts"]["status"]["pending"] == 1)
    assert waiting["cards"] == [], "nothing on the wall before approval and reveal"

    assert moderator.command("approve_card", {"card_id": card_id})["ok"]
    own = author.wait_for("own_card_changed", lambda p: p["card"]["status"] == "visible")
    assert own["card"]["id"] == card_id
    approved = wall.wait_for("wall_changed", lambda p: p["counts"]["status"]["visible"] == 1)
    assert approved["cards"] == [], "approved but not yet revealed"

    assert moderator.command("reveal_activity", {"activity_id": cards_step.id})["ok"]
    revealed = wall.wait_for("activity_changed", lambda p: p["activity"]["is_revealed"])
    assert revealed["version"] > opened["version"]
    # On a reveal the projector reloads its view (projector.js), and now the card is on it.
    expected = {
        "id": card_id,
        "activity_id": cards_step.id,
        "column": "Erhalten",
        "text": "Netzwerke erhalten",
        "is_edited": False,
    }
    assert wall.command("request_snapshot")["snapshot"]["view"]["cards"] == [expected]

    # From now on every approval reaches the wall as a (coalesced) wall_changed.
    second = author.command("submit_card", card_payload(cards_step, text="Neue Wege", client_id="card-0002"))
    assert moderator.command("edit_card_text", {"card_id": second["card"]["id"], "text": "Neue Wege gehen"})["ok"]
    assert moderator.command("approve_card", {"card_id": second["card"]["id"]})["ok"]
    shown = wall.wait_for("wall_changed", lambda p: len(p["cards"]) == 2)
    assert shown["cards"] == [
        expected,
        {**expected, "id": second["card"]["id"], "text": "Neue Wege gehen", "is_edited": True},
    ]
    # The projector never got a per-card event; the phone none of the moderators' events.
    assert not [e for e, _ in wall.seen + wall.events() if e in ("card_changed", "own_card_changed")]
    assert not [e for e, _ in author.seen + author.events() if e in ("card_changed", "wall_changed")]


def test_presence_reaches_the_console(phone, console, live_workshop, owner):
    moderator = console(live_workshop, owner)
    moderator.events()
    first = phone(live_workshop)
    phone(live_workshop, http=first.http)  # a second tab of the same phone
    phone(live_workshop)
    presence = moderator.wait_for("presence_changed", lambda p: p["phones"] == 2)
    assert presence["joined"] == 2 and presence["consoles"] == 1


# -- the handlers reach every app (STYLE rule 7) ----------------------------------------------------


def test_phone_command_round_trips_on_a_second_app(app, make_app, socket_client):
    second = make_app(REALTIME_COALESCE_SECONDS=0.05)
    assert second is not app
    with second.app_context():
        workshop = workshop_services.create_workshop(None, title="Zweites Forum")
        step = activity_services.add_activity(None, workshop, kind="cards", title="Karten", config={})
        workshop_services.change_state(None, workshop, WorkshopState.live)
        activity_services.open_activity(None, step)
        http = second.test_client()
        assert http.get(f"/{workshop.join_code}").status_code == 200
        client = socket_client(second, auth={"screen": "phone", "code": workshop.join_code}, flask_test_client=http)
        assert client.is_connected()

        ack = client.command(
            "submit_card", {"client_id": "second-app-1", "activity_id": step.id, "text": "Auf der zweiten App"}
        )

        assert ack["ok"] is True, ack
        assert db.session.get(Card, ack["card"]["id"]).status is CardStatus.pending
        client.disconnect()
        deadline = time.monotonic() + 3
        while second.extensions.get(broadcast.PENDING) and time.monotonic() < deadline:
            time.sleep(0.01)  # the presence updates the connect and disconnect scheduled
        db.session.remove()


def test_coalesced_updates_of_two_apps_stay_apart(app, make_app, monkeypatch):
    """Both apps schedule ``wall:1``; each update must be built in its own app, against its own database."""
    second = make_app()
    sent = []
    monkeypatch.setattr(broadcast, "publish", lambda rooms, event, payload: sent.append((rooms, payload)))

    def schedule(on_app, room):
        with on_app.app_context():
            broadcast.publish_coalesced(
                "wall:1", room, "wall_changed", lambda: {"db": current_app.config["SQLALCHEMY_DATABASE_URI"]}
            )

    schedule(app, "first")
    schedule(second, "second")
    deadline = time.monotonic() + 2
    while len(sent) < 2:
        assert time.monotonic() < deadline, f"sent only {sent}"
        time.sleep(0.01)

    # Each also carries its ordering ``seq`` (realtime/broadcast.py), not the subject here.
    sent = [(room, {k: v for k, v in payload.items() if k != "seq"}) for room, payload in sent]
    assert sorted(sent) == [
        ("first", {"db": app.config["SQLALCHEMY_DATABASE_URI"]}),
        ("second", {"db": second.config["SQLALCHEMY_DATABASE_URI"]}),
    ]

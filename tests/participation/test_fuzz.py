"""Fuzzing: thousands of random and malformed socket commands and HTTP requests.

Every registered socket handler (``socketio.server.handlers``) and every route (``app.url_map``) gets
random payloads from every kind of screen. Nothing may end in an unhandled exception (an ``internal``
ack, a logged error, a 500), every refusal is an error ack with a message, and afterwards the
database holds nothing a rule forbids: no card over a limit, in a closed or foreign step, empty or too
long, no orphan.
"""

import logging
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from facilitation.extensions import db, socketio
from facilitation.participation import services
from facilitation.participation.models import Card, CardStatus
from facilitation.realtime import commands, connection, ratelimit
from facilitation.realtime.commands import COMMANDS
from facilitation.workshops import services as workshop_services
from facilitation.workshops.models import Role, Workshop

FUZZ = settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)

FIELDS = sorted({name for c in COMMANDS.values() for name in c.schema.model_fields})
KNOWN_ERRORS = {
    "unauthorised",
    "forbidden",
    "invalid",
    "not_found",
    "closed",
    "limit",
    "too_long",
    "empty",
    "column",
    "wrong_step",
    "refused",
    "unknown",
    "rate_limited",
    "ended",
}

nasty_text = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=50),
    st.sampled_from(
        [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "\u202eabc",
            "\u200b",
            "\x00\x01\x1b[2J",
            "' OR 1=1 --",
            "{{7*7}}",
            "A\u0301\u0302\u0303" * 50,
            "👩‍👧‍👦" * 30,
            "x" * 2001,
            "",
            " ",
        ]
    ),
)
json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    nasty_text,
)
json_value = st.recursive(
    json_leaf,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=8,
)


def payloads(ids: dict[str, list[int]]):
    """Mostly well-shaped objects with the commands' field names (real ids and nonsense), some junk."""
    value_for = {
        name: st.one_of(st.sampled_from(ids.get(name, [1])), json_leaf) if name.endswith("_id") else json_value
        for name in FIELDS
    }
    value_for["client_id"] = st.one_of(
        st.text(alphabet=string.ascii_letters + "-_", min_size=8, max_size=12), json_leaf
    )
    value_for["text"] = nasty_text
    value_for["state"] = st.sampled_from(["draft", "live", "ended", "archived", "LIVE", "", None])
    shaped = st.fixed_dictionaries({}, optional={name: value_for[name] for name in FIELDS})
    return st.one_of(shaped, shaped, shaped, json_value)


def assert_is_an_ack(event, payload, ack):
    assert isinstance(ack, dict), (event, payload, ack)
    assert isinstance(ack.get("ok"), bool), (event, payload, ack)
    if not ack["ok"]:
        assert ack.get("error") in KNOWN_ERRORS, (event, payload, ack)
        if ack["error"] != "unauthorised":
            assert isinstance(ack.get("message"), str) and ack["message"], (event, payload, ack)


def assert_database_is_consistent():
    db.session.expire_all()
    session = db.session
    assert session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    assert session.execute(text("PRAGMA foreign_key_check")).all() == [], "orphans"
    for card in session.scalars(select(Card)):
        step = card.activity
        config = step.config
        assert step.kind == "cards", card
        assert card.participant.workshop_id == step.workshop_id, card
        assert card.text and len(card.text) <= config.get("max_length", 280), card
        assert card.text == services.clean_text(card.text), card
        columns = config.get("columns") or []
        assert (card.column in columns) if columns else card.column == "", card
    active = (CardStatus.pending, CardStatus.visible, CardStatus.hidden)
    counts = session.execute(
        select(Card.participant_id, Card.activity_id, func.count(Card.id))
        .where(Card.status.in_(active))
        .group_by(Card.participant_id, Card.activity_id)
    ).all()
    for _participant, activity_id, count in counts:
        step = session.get(services.Activity, activity_id)
        assert count <= step.config["max_cards"], (activity_id, count)
    for workshop in session.scalars(select(Workshop)):
        current = workshop.current_activity
        assert current is None or current.workshop_id == workshop.id


@pytest.fixture
def no_budgets(monkeypatch):
    """Fuzz the handlers, not the budgets (they are tested on their own)."""
    monkeypatch.setattr(ratelimit, "refusal", lambda *args, **kwargs: None)


@pytest.fixture
def arena(
    live_workshop,
    cards_step,
    checkin_step,
    open_step,
    owner,
    observer,
    phone,
    console,
    projector,
    join,
    create_workshop,
    create_account,
):
    """Every kind of screen on one live workshop, plus a foreign workshop whose ids they may name."""
    open_step(cards_step)
    stranger = create_account(email="fremd@example.org")
    foreign = create_workshop(owner=stranger, title="Fremd")
    foreign_step = services.Activity(workshop=foreign, position=0, kind="cards", title="Fremd", config={"max_cards": 2})
    db.session.add(foreign_step)
    db.session.commit()
    author = join(live_workshop)
    card, _ = services.submit_card(author, cards_step, client_id="seed-card-1", text="Erste Karte", column="Erhalten")
    moderator = create_account(email="mod@example.org")
    workshop_services.grant_role(owner, live_workshop, moderator, Role.moderator)
    clients = {
        "phone": phone(live_workshop),
        "phone2": phone(live_workshop),
        "console": console(live_workshop, moderator),
        "observer": console(live_workshop, observer),
        "projector": projector(live_workshop),
    }
    ids = {
        "activity_id": [cards_step.id, checkin_step.id, foreign_step.id, 999_999],
        "card_id": [card.id, card.id + 1, card.id + 2, 999_999],
    }
    return clients, ids


def test_random_socket_commands_never_fail_unhandled(arena, no_budgets, caplog):
    caplog.set_level(logging.ERROR)
    clients, ids = arena
    events = sorted(set(socketio.server.handlers["/"]) - {"connect", "disconnect", "*"})
    sent = []

    @settings(FUZZ, max_examples=500)
    @given(
        st.lists(
            st.tuples(
                st.sampled_from(sorted(clients)),
                st.one_of(st.sampled_from(events), st.sampled_from(events), st.text(max_size=20)),
                payloads(ids),
                st.booleans(),
            ),
            min_size=2,
            max_size=8,
        )
    )
    def run(batch):
        for who, event, payload, extra_argument in batch:
            client = clients[who]
            if not client.is_connected():
                continue
            if extra_argument:
                ack = client.emit(event, payload, "second", callback=True)
            else:
                ack = client.emit(event, payload, callback=True)
            sent.append(event)
            if event in ("connect", "disconnect", "message") or not event:
                continue
            assert_is_an_ack(event, payload, ack)
            assert not (isinstance(ack, dict) and ack.get("error") == "internal"), (event, payload, ack)

    run()
    errors = [r for r in caplog.records if r.name in (commands.logger.name, connection.logger.name)]
    assert not errors, errors[0].getMessage()
    assert len(sent) >= 1000, f"only {len(sent)} commands sent"
    assert set(events) <= set(sent), set(events) - set(sent)
    assert_database_is_consistent()


# -- HTTP -------------------------------------------------------------------------------------------

segment = st.one_of(
    st.integers(min_value=-5, max_value=10),
    st.integers(min_value=2**31, max_value=2**70),
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="/?#%"), min_size=1, max_size=12),
    st.sampled_from(["cards", "vote", "info", "..", "%00", "K7P3QA", "k7p3-qa"]),
)
form = st.dictionaries(
    st.sampled_from(
        [
            "title",
            "email",
            "password",
            "position",
            "role",
            "kind",
            "prompt",
            "retention_days",
            "min_group_size",
            "starts_on",
            "columns",
            "max_cards",
            "code",
            "key",
            "next",
            "template",
            "description",
            "csrf_token",
        ]
    ),
    st.one_of(nasty_text, st.integers().map(str)),
    max_size=6,
)


def test_random_http_requests_never_fail_unhandled(app, live_workshop, owner, login, caplog):
    caplog.set_level(logging.ERROR)
    rules = [r for r in app.url_map.iter_rules() if not r.rule.startswith(("/static", "/bootstrap"))]
    anonymous = app.test_client()
    moderator = app.test_client()
    login(moderator, owner)
    statuses = []

    @FUZZ
    @given(
        st.sampled_from(rules),
        st.fixed_dictionaries({}, optional={"workshop_id": st.sampled_from([live_workshop.id, 999])}),
        st.lists(segment, min_size=4, max_size=4),
        st.sampled_from(["GET", "POST", "HEAD", "PUT", "DELETE"]),
        form,
        st.dictionaries(st.sampled_from(["code", "key", "lang", "next"]), nasty_text, max_size=3),
        st.booleans(),
    )
    def run(rule, known, values, method, data, query, as_moderator):
        arguments = dict(zip(sorted(rule.arguments), values, strict=False))
        arguments.update({k: v for k, v in known.items() if k in rule.arguments})
        path = rule.rule
        for name, value in arguments.items():
            path = path.replace(f"<int:{name}>", str(value)).replace(f"<{name}>", str(value))
        client = moderator if as_moderator else anonymous
        # Destructive owner actions would leave nothing to fuzz; they run as anonymous here.
        if as_moderator and method == "POST" and path.endswith(("/delete", "/remove")):
            client = anonymous
        response = client.open(path, method=method, data=data, query_string=query)
        response.close()
        statuses.append(response.status_code)
        assert response.status_code < 500, (method, path, data, query, response.status_code)

    run()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.records[0].getMessage()
    assert len(statuses) >= 250
    assert_database_is_consistent()

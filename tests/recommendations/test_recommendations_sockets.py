"""Handlungsempfehlungen over Socket.IO: the moderators' commands, the phones' consent, refusals."""

import pytest
from sqlalchemy import func, select

from facilitation.activities import services as activity_services
from facilitation.extensions import db
from facilitation.recommendations import services
from facilitation.recommendations.models import ConsentVote, Recommendation


@pytest.fixture
def screens(app, connect, login, workshop):
    class Screens:
        def console(self, account):
            http = app.test_client()
            login(http, account)
            return connect(app, {"screen": "console", "code": workshop.join_code}, http)

        def phone(self):
            http = app.test_client()
            assert http.get(f"/{workshop.join_code}").status_code == 200
            return connect(app, {"screen": "phone", "code": workshop.join_code}, http)

        def projector(self):
            return connect(app, {"screen": "projector", "code": workshop.join_code, "key": workshop.screen_key})

    return Screens()


@pytest.fixture
def opened(step, owner, workshop):
    activity_services.open_activity(owner, step)
    return step


def command(client, event, payload):
    return client.emit(event, payload, callback=True)


def received(client, name):
    return [e["args"][0] for e in client.get_received() if e["name"] == name]


def test_draft_edit_show_and_check_consent_end_to_end(screens, owner, clusters, voted, opened):
    console, phone, projector = screens.console(owner), screens.phone(), screens.projector()
    assert received(phone, "snapshot")[-1]["view"]["current"] is None

    ack = command(console, "create_recommendation", {"activity_id": opened.id, "cluster_ids": [clusters[0].id]})
    assert ack["ok"] is True, ack
    created = ack["view"]["recommendations"][0]
    assert (
        created["topic"] == "Personal" and "2 Nennungen" in created["rationale"] and "7 Punkte" in created["rationale"]
    )
    recommendation_id = ack["recommendation_id"]

    fields = {"text": "Zehn Stellen mehr im ASD", "responsible": "Leitungen", "priority": "hoch", "status": "agreed"}
    assert command(console, "update_recommendation", {"recommendation_id": recommendation_id, **fields})["ok"] is True
    assert command(console, "open_consent", {"recommendation_id": recommendation_id})["ok"] is True

    shown = received(phone, "current_recommendation_changed")[-1]
    assert shown["current"]["text"] == "Zehn Stellen mehr im ASD" and shown["current"]["is_consent_open"] is True
    assert shown["current"]["consent"] == {"count": 0}

    vote = {"client_id": "consent-0001", "recommendation_id": recommendation_id, "fingers": 1, "dissent": "Zu teuer"}
    ack = command(phone, "cast_consent", vote)
    assert ack == {"ok": True, "consent": {"recommendation_id": recommendation_id, "fingers": 1, "dissent": "Zu teuer"}}
    assert command(phone, "cast_consent", vote)["ok"] is True, "a resend is acked"
    assert db.session.scalar(select(func.count(ConsentVote.id))) == 1
    assert received(phone, "own_consent_changed")[-1]["fingers"] == 1

    ack = command(console, "close_consent", {"recommendation_id": recommendation_id})
    consent = ack["view"]["recommendations"][0]["consent"]
    assert consent["distribution"] == [0, 1, 0, 0, 0, 0] and consent["is_consensus"] is False
    assert consent["dissent"] == [{"fingers": 1, "text": "Zu teuer"}]
    assert command(phone, "cast_consent", {**vote, "client_id": "consent-0002", "fingers": 4})["error"] == "closed"
    assert projector.is_connected()


def test_reorder_delete_and_show_the_overview(screens, owner, step):
    console = screens.console(owner)
    ids = [
        command(console, "create_recommendation", {"activity_id": step.id, "topic": t})["recommendation_id"]
        for t in "AB"
    ]
    ack = command(console, "move_recommendation", {"recommendation_id": ids[1], "position": 0})
    assert [r["topic"] for r in ack["view"]["recommendations"]] == ["B", "A"]
    assert (
        command(console, "show_recommendation", {"activity_id": step.id, "recommendation_id": ids[0]})["view"][
            "current_id"
        ]
        == ids[0]
    )
    assert (
        command(console, "show_recommendation", {"activity_id": step.id, "recommendation_id": None})["view"][
            "current_id"
        ]
        is None
    )
    ack = command(console, "delete_recommendation", {"recommendation_id": ids[1]})
    assert [r["topic"] for r in ack["view"]["recommendations"]] == ["A"]


MODERATOR_EVENTS = [
    ("create_recommendation", {"topic": "X"}),
    ("update_recommendation", {"topic": "Y"}),
    ("delete_recommendation", {}),
    ("move_recommendation", {"position": 0}),
    ("show_recommendation", {}),
    ("open_consent", {}),
    ("close_consent", {}),
]


@pytest.mark.parametrize(("event", "extra"), MODERATOR_EVENTS)
def test_phones_projectors_and_observers_are_refused(screens, owner, observer, opened, event, extra):
    recommendation = services.create_recommendation(owner, opened, topic="Personal")
    payload = {"activity_id": opened.id, "recommendation_id": recommendation.id, **extra}
    payload = {
        k: v
        for k, v in payload.items()
        if not (event != "create_recommendation" and k == "activity_id" and event != "show_recommendation")
    }
    if event == "create_recommendation":
        payload.pop("recommendation_id")
    for client in (screens.phone(), screens.projector(), screens.console(observer)):
        ack = command(client, event, payload)
        assert ack["ok"] is False and ack["error"] == "forbidden", (event, ack)
    db.session.expire_all()
    assert [r.topic for r in services.recommendations_of(opened)] == ["Personal"]
    assert services.current_of(opened) is None


def test_consoles_cannot_cast_consent(screens, owner, opened):
    recommendation = services.create_recommendation(owner, opened, topic="Personal")
    services.open_consent(owner, recommendation)
    payload = {"client_id": "consent-0001", "recommendation_id": recommendation.id, "fingers": 3}
    for client in (screens.console(owner), screens.projector()):
        assert command(client, "cast_consent", payload)["error"] == "forbidden"


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"fingers": 6}, "invalid"),
        ({"fingers": -1}, "invalid"),
        ({"fingers": "drei"}, "invalid"),
        ({"fingers": 3, "client_id": "kurz"}, "invalid"),
        ({"fingers": 3, "dissent": "x" * 501}, "invalid"),
        ({"fingers": 3, "recommendation_id": 999999}, "not_found"),
        ({"fingers": 3, "extra": True}, "invalid"),
    ],
)
def test_malformed_consent_gets_error_acks(screens, owner, opened, payload, code):
    recommendation = services.create_recommendation(owner, opened, topic="Personal")
    services.open_consent(owner, recommendation)
    full = {"client_id": "consent-0001", "recommendation_id": recommendation.id, **payload}
    ack = command(screens.phone(), "cast_consent", full)
    assert ack["ok"] is False and ack["error"] == code and ack["message"], ack
    assert db.session.scalar(select(func.count(ConsentVote.id))) == 0


@pytest.mark.parametrize(
    ("event", "payload", "code"),
    [
        ("create_recommendation", {"activity_id": "{step}"}, "empty"),
        ("create_recommendation", {"activity_id": "{step}", "topic": "x" * 201}, "invalid"),
        ("create_recommendation", {"activity_id": "{step}", "topic": "X", "priority": "sofort"}, "invalid"),
        ("create_recommendation", {"activity_id": "{step}", "topic": "X", "cluster_ids": [999999]}, "not_found"),
        ("create_recommendation", {"activity_id": "{board}", "topic": "X"}, "wrong_step"),
        ("update_recommendation", {"recommendation_id": 999999, "topic": "X"}, "not_found"),
        ("open_consent", {"recommendation_id": "{recommendation}"}, "closed"),
        ("move_recommendation", {"recommendation_id": "{recommendation}", "position": -1}, "invalid"),
        ("show_recommendation", {"activity_id": "{step}", "recommendation_id": "x"}, "invalid"),
    ],
)
def test_malformed_console_payloads_get_error_acks(screens, owner, step, workshop, event, payload, code):
    recommendation = services.create_recommendation(owner, step, topic="Vorhanden")
    values = {"{step}": step.id, "{board}": workshop.activities[1].id, "{recommendation}": recommendation.id}
    payload = {k: values.get(v, v) if isinstance(v, str) else v for k, v in payload.items()}
    ack = command(screens.console(owner), event, payload)
    assert ack["ok"] is False and ack["error"] == code and ack["message"], ack
    assert db.session.scalar(select(func.count(Recommendation.id))) == 1

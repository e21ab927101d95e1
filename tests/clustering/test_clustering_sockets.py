"""The clustering board over Socket.IO: who may change it, what each screen receives, refusals."""

import pytest

from facilitation.activities import services as activity_services
from facilitation.clustering import services
from facilitation.extensions import db


@pytest.fixture
def screens(app, connect, login, workshop):
    """``screens.console(account)``, ``screens.phone()``, ``screens.projector()`` for the workshop."""

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


def command(client, event, payload):
    return client.emit(event, payload, callback=True)


def events(client, name):
    return [e["args"][0] for e in client.get_received() if e["name"] == name]


def show(owner, workshop, step):
    activity_services.show_activity(owner, workshop, step)


def test_snapshots_show_the_board(screens, owner, workshop, board_step, themed_cards):
    show(owner, workshop, board_step)
    services.create_cluster(owner, board_step, "Personal", card_ids=[themed_cards[0].id])

    console = events(screens.console(owner), "snapshot")[-1]["view"]
    projector = events(screens.projector(), "snapshot")[-1]["view"]
    phone = events(screens.phone(), "snapshot")[-1]["view"]

    assert console["clusters"][0]["label"] == "Personal" and "suggestions" in console and console["colours"]
    assert projector["clusters"][0]["count"] == 1 and "suggestions" not in projector
    assert len(projector["unassigned"]) == len(themed_cards) - 1
    assert phone == {}


def test_a_moderator_builds_the_board_and_the_ack_carries_it(screens, moderator, board_step, themed_cards):
    console = screens.console(moderator)
    ack = command(console, "create_cluster", {"activity_id": board_step.id, "label": "Personal"})
    assert ack["ok"] is True
    cluster_id = ack["cluster_id"]

    for event, payload in [
        ("move_card", {"activity_id": board_step.id, "card_id": themed_cards[0].id, "cluster_id": cluster_id}),
        (
            "move_card",
            {"activity_id": board_step.id, "card_id": themed_cards[1].id, "cluster_id": cluster_id, "position": 0},
        ),
        ("rename_cluster", {"cluster_id": cluster_id, "label": "Fachkräfte"}),
        ("recolour_cluster", {"cluster_id": cluster_id, "colour": "green"}),
    ]:
        ack = command(console, event, payload)
        assert ack["ok"] is True, (event, ack)

    cluster = ack["board"]["clusters"][0]
    assert (cluster["label"], cluster["colour"], cluster["card_ids"]) == (
        "Fachkräfte",
        "green",
        [themed_cards[1].id, themed_cards[0].id],
    )
    ack = command(
        console, "move_card", {"activity_id": board_step.id, "card_id": themed_cards[0].id, "cluster_id": None}
    )
    assert themed_cards[0].id in ack["board"]["unassigned"]


def test_suggest_and_accept_over_the_socket(screens, owner, board_step, themed_cards):
    console = screens.console(owner)
    ack = command(console, "suggest_clusters", {"activity_id": board_step.id, "granularity": 0})
    assert ack["ok"] is True and ack["count"] == len(ack["board"]["suggestions"]) >= 2
    suggestion = ack["board"]["suggestions"][0]

    ack = command(
        console, "reject_suggested_card", {"suggestion_id": suggestion["id"], "card_id": suggestion["card_ids"][0]}
    )
    assert ack["ok"] is True
    ack = command(console, "accept_suggestion", {"suggestion_id": suggestion["id"], "label": "Angenommen"})
    assert ack["ok"] is True
    assert ack["board"]["clusters"][0]["label"] == "Angenommen"
    assert ack["board"]["clusters"][0]["card_ids"] == suggestion["card_ids"][1:]
    second = ack["board"]["suggestions"][0]
    assert command(console, "reject_suggestion", {"suggestion_id": second["id"]})["ok"] is True
    assert command(console, "accept_suggestion", {"suggestion_id": second["id"]})["error"] == "refused"


def test_other_consoles_and_the_projector_get_the_board(screens, owner, moderator, board_step, themed_cards, published):
    first, second, projector = screens.console(owner), screens.console(moderator), screens.projector()

    command(first, "create_cluster", {"activity_id": board_step.id, "label": "Eins", "card_ids": [themed_cards[0].id]})
    command(second, "create_cluster", {"activity_id": board_step.id, "label": "Zwei", "card_ids": [themed_cards[1].id]})

    boards = [payload for event, payload, room in published if event == "board_changed"]
    final_console = [p for p in boards if "suggestions" in p][-1]
    final_projector = [p for p in boards if "suggestions" not in p][-1]
    assert [c["label"] for c in final_console["clusters"]] == ["Eins", "Zwei"]
    assert [c["label"] for c in final_projector["clusters"]] == ["Eins", "Zwei"]
    assert events(projector, "board_changed")


@pytest.mark.parametrize(
    ("event", "payload"),
    [
        ("create_cluster", {"activity_id": 1, "label": "X"}),
        ("move_card", {"activity_id": 1, "card_id": 1, "cluster_id": None}),
        ("suggest_clusters", {"activity_id": 1}),
    ],
)
def test_phones_projectors_and_observers_are_refused(screens, observer, board_step, themed_cards, event, payload):
    payload = {
        **payload,
        "activity_id": board_step.id,
        **({"card_id": themed_cards[0].id} if "card_id" in payload else {}),
    }
    for client in (screens.phone(), screens.projector(), screens.console(observer)):
        ack = command(client, event, payload)
        assert ack["ok"] is False and ack["error"] == "forbidden", ack
    db.session.expire_all()
    assert services.clusters_of(board_step) == []
    assert services.pending_suggestions(board_step) == []


@pytest.mark.parametrize(
    ("event", "payload", "code"),
    [
        ("create_cluster", {"label": "Ohne Schritt"}, "invalid"),
        ("create_cluster", {"activity_id": 0, "label": "X"}, "invalid"),
        ("create_cluster", {"activity_id": "{board}", "label": ""}, "invalid"),
        ("create_cluster", {"activity_id": "{board}", "label": "X", "colour": "pink"}, "invalid"),
        ("create_cluster", {"activity_id": "{board}", "label": "X", "extra": 1}, "invalid"),
        ("create_cluster", {"activity_id": "{cards}", "label": "X"}, "wrong_step"),
        ("create_cluster", {"activity_id": 999999, "label": "X"}, "not_found"),
        ("move_card", {"activity_id": "{board}", "card_id": 999999}, "not_found"),
        ("move_card", {"activity_id": "{board}", "card_id": "eins"}, "invalid"),
        ("rename_cluster", {"cluster_id": 999999, "label": "X"}, "not_found"),
        ("merge_clusters", {"cluster_ids": [1]}, "invalid"),
        ("split_cluster", {"cluster_id": 1, "card_ids": [], "label": "X"}, "invalid"),
        ("suggest_clusters", {"activity_id": "{board}", "granularity": 3}, "invalid"),
        ("accept_suggestion", {"suggestion_id": 999999}, "not_found"),
        ("accept_suggestion", None, "invalid"),
        ("reject_suggested_card", {"suggestion_id": 1}, "invalid"),
    ],
)
def test_malformed_payloads_get_error_acks(screens, owner, board_step, cards_step, event, payload, code):
    if isinstance(payload, dict):
        payload = {
            key: {"{board}": board_step.id, "{cards}": cards_step.id}.get(value, value)
            if isinstance(value, str)
            else value
            for key, value in payload.items()
        }
    ack = command(screens.console(owner), event, payload)
    assert ack["ok"] is False and ack["error"] == code and ack["message"], ack


def test_a_board_of_another_workshop_is_not_found(screens, owner, create_workshop, themed_cards, board_step):
    other = create_workshop(owner=owner, title="Anderer")
    activity_services.add_activity(owner, other, kind="cards", title="Karten", config={})
    foreign = activity_services.add_activity(owner, other, kind="clustering", title="Board", config={"sources": [0]})
    cluster = services.create_cluster(owner, foreign, "Fremd")
    console = screens.console(owner)

    assert command(console, "create_cluster", {"activity_id": foreign.id, "label": "X"})["error"] == "not_found"
    assert command(console, "rename_cluster", {"cluster_id": cluster.id, "label": "X"})["error"] == "not_found"
    ack = command(
        console, "move_card", {"activity_id": board_step.id, "card_id": themed_cards[0].id, "cluster_id": cluster.id}
    )
    assert ack["error"] == "not_found"

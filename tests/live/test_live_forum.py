"""A card step on the real server: many phones, flaky connections, resends, moderation, the projector.

The server runs in a subprocess (``tests/serverproc.py``) on a fresh SQLite file; the moderator and the
demo workshop come from the CLI, as at a venue. Phones do what ``static/js/phone.js`` does: open the
join page for their cookie, connect over WebSocket, send commands with client ids, and after a
reconnect resend every command whose ack they did not get.
"""

import asyncio
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field

import aiohttp
import pytest
import socketio
from liveforum import CARD_STEP, CONNECT_TIMEOUT, Forum, wait_until

pytestmark = pytest.mark.server

COLUMNS = ["Erhalten", "Zurücklassen", "Neu gestalten"]
SEED = 20250323
TEXTS = [
    "Kollegiale Fallberatung erhalten",
    "Doppelte Dokumentation zurücklassen",
    "Krisenmanagement neu gestalten",
    "Schutzkonzepte in allen Kitas",
    "Austausch zwischen den Jugendämtern",
    "Übergänge Schule – Jugendhilfe",
]


@dataclass
class Phone:
    """One participant's phone and what it saw."""

    number: int
    commands: list[dict]
    is_flaky: bool
    #: Every ack per client id, in arrival order (a resend adds one).
    acks: dict[str, list[dict]] = field(default_factory=lambda: defaultdict(list))
    connections: int = 0
    #: Client ids acked before the reconnect, and those in the own cards of the snapshot after it.
    acked_before_reconnect: set[str] = field(default_factory=set)
    resynced: set[str] = field(default_factory=set)


def plan_phones(count: int, activity_id: int) -> list[Phone]:
    """1–3 cards per phone in different columns; every third phone drops its connection mid-way."""
    rng = random.Random(SEED)
    phones = []
    for number in range(count):
        cards = 1 + (number // 3) % 3  # flaky phones (every third) get 1, 2 and 3 cards too
        commands = [
            {
                "client_id": f"phone{number:03d}-card{j}-{rng.randrange(16**6):06x}",
                "activity_id": activity_id,
                "text": f"{rng.choice(TEXTS)} ({number}.{j})",
                "column": COLUMNS[(number + j) % 3],
            }
            for j in range(cards)
        ]
        phones.append(Phone(number, commands, is_flaky=number % 3 == 0))
    return phones


async def connect_phone(forum: Forum, http: aiohttp.ClientSession, phone: Phone) -> tuple[socketio.AsyncClient, dict]:
    """Connect with the cookie in ``http``'s jar; return the client and its snapshot."""
    client = socketio.AsyncClient(reconnection=False, http_session=http)
    snapshot = asyncio.get_running_loop().create_future()
    client.on("snapshot", lambda data: snapshot.done() or snapshot.set_result(data))
    await asyncio.wait_for(
        client.connect(
            forum.server.url,
            auth={"screen": "phone", "code": forum.code},
            transports=["websocket"],
            wait_timeout=CONNECT_TIMEOUT,
        ),
        CONNECT_TIMEOUT + 5,
    )
    phone.connections += 1
    return client, await asyncio.wait_for(snapshot, CONNECT_TIMEOUT)


async def drop(client: socketio.AsyncClient) -> None:
    """Lose the connection as flaky Wi-Fi does: close the socket without saying goodbye."""
    await client.eio.ws.close()
    deadline = time.monotonic() + CONNECT_TIMEOUT
    while client.connected and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    await client.shutdown()


async def run_phone(forum: Forum, phone: Phone) -> None:
    rng = random.Random(SEED + phone.number)
    jar = aiohttp.CookieJar(unsafe=True)  # unsafe: keep cookies of a bare IP address such as 127.0.0.1
    async with aiohttp.ClientSession(cookie_jar=jar) as http:
        async with http.get(f"{forum.server.url}/{forum.code}") as response:
            assert response.status == 200
        assert any(cookie.key == f"fac_{forum.code}" for cookie in jar), "no participant cookie"

        client, _snapshot = await connect_phone(forum, http, phone)

        async def send(command):
            phone.acks[command["client_id"]].append(await client.call("submit_card", command, timeout=15))

        if not phone.is_flaky:
            for command in phone.commands:
                await send(command)
            await client.disconnect()
            return

        acked_before_drop = rng.randrange(len(phone.commands))
        for command in phone.commands[:acked_before_drop]:
            await send(command)
        for command in phone.commands[acked_before_drop:]:  # in flight when the connection drops
            await client.emit(
                "submit_card", command, callback=lambda ack, cid=command["client_id"]: phone.acks[cid].append(ack)
            )
        await asyncio.sleep(rng.choice([0, 0, 0.001, 0.005, 0.02]))
        await drop(client)

        phone.acked_before_reconnect = {cid for cid, acks in phone.acks.items() if acks}
        client, snapshot = await connect_phone(forum, http, phone)
        phone.resynced = {card["client_id"] for card in snapshot["view"].get("own_cards", [])}
        for command in phone.commands:
            # Resend what was not acked, and sometimes what was (the phone may have missed that it was).
            if not phone.acks[command["client_id"]] or rng.random() < 0.5:
                await send(command)
        await client.disconnect()


async def run_phones(forum: Forum, phones: list[Phone]) -> None:
    results = await asyncio.gather(*(run_phone(forum, phone) for phone in phones), return_exceptions=True)
    failures = [(phone.number, repr(result)) for phone, result in zip(phones, results, strict=True) if result]
    assert not failures, f"phones failed: {failures[:5]}\n{forum.server.output()[-3000:]}"


def cards_in_db(forum: Forum, activity_id: int) -> list[tuple]:
    return forum.query(
        'SELECT id, participant_id, client_id, text, "column", status FROM cards WHERE activity_id = ? ORDER BY id',
        activity_id,
    )


def wall_cards(wall: dict) -> list[tuple]:
    return sorted((card["id"], card["text"], card["column"]) for card in wall["cards"])


@pytest.mark.parametrize(
    ("async_mode", "phone_count"),
    [
        pytest.param("eventlet", 50, id="eventlet-50-phones"),
        pytest.param("gevent", 12, id="gevent-12-phones"),
        pytest.param("threading", 12, id="threading-12-phones"),
    ],
)
def test_card_step_with_flaky_phones(forum_factory, screens, async_mode, phone_count):
    forum = forum_factory(async_mode)

    # The moderator starts the workshop and opens the card step.
    console = screens.console(forum)
    assert console.snapshot["can_moderate"] is True
    [step] = [a for a in console.snapshot["activities"] if a["title"] == CARD_STEP]
    console.command("change_workshop_state", {"state": "live"})
    console.command("open_activity", {"activity_id": step["id"]})
    projector = screens.projector(forum)
    assert projector.snapshot["activity"]["id"] == step["id"]
    assert projector.snapshot["activity"]["state"] == "open"

    # The phones write, lose their connections, come back and resend.
    phones = plan_phones(phone_count, step["id"])
    started = time.monotonic()
    asyncio.run(run_phones(forum, phones))
    writing_seconds = time.monotonic() - started

    # Every command was acked in the end, each resend with the card of the first ack.
    card_of: dict[str, int] = {}
    for phone in phones:
        for command in phone.commands:
            acks = phone.acks[command["client_id"]]
            assert acks, f"phone {phone.number}: {command['client_id']} never acked"
            assert all(ack["ok"] is True for ack in acks), acks
            ids = {ack["card"]["id"] for ack in acks}
            assert len(ids) == 1, f"{command['client_id']} acked with different cards {ids}"
            assert all(ack["card"]["client_id"] == command["client_id"] for ack in acks)
            card_of[command["client_id"]] = ids.pop()
        if phone.is_flaky:
            assert phone.connections == 2
            assert phone.acked_before_reconnect <= phone.resynced, "the snapshot after a reconnect lists what was acked"
    resent = sum(len(acks) - 1 for phone in phones for acks in phone.acks.values())
    stored_unacked = sum(len(phone.resynced - phone.acked_before_reconnect) for phone in phones)
    assert resent > 0, "the test should have exercised resends of acked commands"
    print(
        f"{async_mode}: {writing_seconds:.1f} s writing, {resent} resends of acked commands,"
        f" {stored_unacked} cards stored but unacked at the drop"
    )

    # In the database: every acked card exactly once, nothing else, one participant per phone.
    rows = cards_in_db(forum, step["id"])
    assert len(rows) == len(card_of) == sum(len(phone.commands) for phone in phones)
    by_client_id = {client_id: (card_id, participant) for card_id, participant, client_id, *_ in rows}
    assert len(by_client_id) == len(rows), "a client id stored twice"
    assert len({(participant, client_id) for _, participant, client_id, *_ in rows}) == len(rows)
    assert {cid: card for cid, (card, _participant) in by_client_id.items()} == card_of
    participants = [{by_client_id[c["client_id"]][1] for c in phone.commands} for phone in phones]
    assert all(len(ids) == 1 for ids in participants), "a phone became someone else after reconnecting"
    assert len(set.union(*participants)) == phone_count
    assert {status for *_, status in rows} == {"pending"}

    # The moderator saw every card; the projector got coalesced walls, not one update per card.
    wait_until(
        lambda: {p["card"]["id"] for p in console.of("card_changed")} >= set(card_of.values()),
        10,
        "console missed card_changed events",
    )
    # The last coalesced wall may still be on its way (on a quiet machine the phones finish within one
    # coalescing window).
    wait_until(
        lambda: (projector.last("wall_changed") or {}).get("counts", {}).get("status", {}).get("pending") == len(rows),
        5,
        "the projector's counts did not catch up",
    )
    walls = projector.of("wall_changed")
    assert len(walls) <= writing_seconds / 0.3 + 3, f"{len(walls)} wall updates in {writing_seconds:.1f} s"
    assert projector.last("wall_changed")["cards"] == [], "nothing on the wall before approval and reveal"

    # The moderator approves half, reveals, approves the rest; the projector ends with every card.
    moderated = console.command("load_activity", {"activity_id": step["id"]})["view"]["cards"]
    assert sorted(card["id"] for card in moderated) == sorted(card_of.values())
    half = len(moderated) // 2
    for card in moderated[:half]:
        console.command("approve_card", {"card_id": card["id"]})
    console.command("reveal_activity", {"activity_id": step["id"]})
    for card in moderated[half:]:
        console.command("approve_card", {"card_id": card["id"]})

    visible = sorted(
        (card_id, text, column)
        for card_id, _p, _c, text, column, status in cards_in_db(forum, step["id"])
        if status == "visible"
    )
    assert len(visible) == len(rows)
    wait_until(
        lambda: len(projector.last("wall_changed")["cards"]) == len(visible),
        5,
        "the projector's last wall_changed does not show every card",
    )
    assert wall_cards(projector.last("wall_changed")) == visible
    assert wall_cards(projector.call("request_snapshot")["snapshot"]["view"]) == visible
    assert "Traceback" not in forum.server.output(), forum.server.output()[-5000:]
    print(f"{async_mode}: the console was rate-limited {console.rate_limited} times while approving")

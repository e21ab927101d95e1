"""The demo's dot vote ("Zukunftsthemen", 3 dots, at most 1 per topic) on the real server: 200 phones vote
at once over WebSocket, some change their ballot, some resend a command, some send broken ballots.

Every acked ballot counts exactly once (the database holds each phone's last acked ballot, the running
tallies equal a fresh count), the projector's and the console's last update equal the database, and
the projector got coalesced updates while the phones got nothing per vote of others.
"""

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field

import aiohttp
import pytest
import socketio
from liveforum import CONNECT_TIMEOUT, Forum, wait_until

pytestmark = pytest.mark.server

VOTE_STEP = "Zukunftsthemen"
PHONES = 200
SEED = 20250601


@dataclass
class Phone:
    number: int
    #: The ballots it sends, in order: lists of option indexes (0–7).
    ballots: list[list[int]]
    resend: bool
    broken: bool
    #: ``(client_id, entries, ack)`` for every command it sent.
    sent: list[tuple] = field(default_factory=list)
    #: Events it received other than its snapshot.
    events: list[tuple[str, dict]] = field(default_factory=list)


def plan(count: int) -> list[Phone]:
    rng = random.Random(SEED)
    phones = []
    for number in range(count):
        first = rng.sample(range(8), rng.randint(1, 3))
        ballots = [first]
        if number % 4 == 0:  # a change of mind while the step is open
            ballots.append(rng.sample(range(8), rng.randint(1, 3)))
        phones.append(Phone(number, ballots, resend=number % 5 == 0, broken=number % 7 == 0))
    return phones


async def connect(forum: Forum, phone: Phone, http: aiohttp.ClientSession, gate: asyncio.Semaphore):
    """Join and connect; return the client and its snapshot. Joining is not what this test is about:
    50 phones connect at a time (a busy 2-core machine can outlast the timeout with 200 handshakes at
    once) and a failed connect is tried again."""
    async with gate:
        for attempt in range(3):
            client = socketio.AsyncClient(reconnection=False, http_session=http)
            snapshot = asyncio.get_running_loop().create_future()

            def record(event, payload=None, snapshot=snapshot):
                if event == "snapshot":
                    if not snapshot.done():
                        snapshot.set_result(payload)
                else:
                    phone.events.append((event, payload))

            client.on("*", record)
            try:
                await asyncio.wait_for(
                    client.connect(
                        forum.server.url,
                        auth={"screen": "phone", "code": forum.code},
                        transports=["websocket"],
                        wait_timeout=CONNECT_TIMEOUT,
                    ),
                    CONNECT_TIMEOUT + 5,
                )
                return client, await asyncio.wait_for(snapshot, CONNECT_TIMEOUT)
            except (TimeoutError, socketio.exceptions.ConnectionError):
                await client.shutdown()
                if attempt == 2:
                    raise
                await asyncio.sleep(1)


async def run_phone(
    forum: Forum, phone: Phone, step_id: int, start: asyncio.Event, ready: list, gate: asyncio.Semaphore
) -> None:
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as http:
        async with gate, http.get(f"{forum.server.url}/{forum.code}") as response:
            assert response.status == 200
        client, snapshot = await connect(forum, phone, http, gate)
        view = snapshot["view"]
        option_ids = [option["id"] for option in view["options"]]
        assert len(option_ids) == 8
        ready.append(phone.number)
        await start.wait()

        async def cast(client_id, entries):
            payload = {"client_id": client_id, "activity_id": step_id, "entries": entries}
            ack = await client.call("cast_votes", payload, timeout=30)
            phone.sent.append((client_id, entries, ack))
            return ack

        if phone.broken:  # four dots, or two on one topic: refused whole
            await cast(f"phone{phone.number:03d}-broken", [{"option_id": i, "value": 1} for i in option_ids[:4]])
            await cast(f"phone{phone.number:03d}-stacked", [{"option_id": option_ids[0], "value": 2}])
        for index, ballot in enumerate(phone.ballots):
            entries = [{"option_id": option_ids[i], "value": 1} for i in ballot]
            client_id = f"phone{phone.number:03d}-ballot{index}"
            await cast(client_id, entries)
            if phone.resend:  # the phone missed the ack and sends the same command again
                await cast(client_id, entries)
        await asyncio.sleep(1.5)  # stay connected a moment: anything sent to phones would arrive now
        await client.disconnect()


async def run_phones(forum: Forum, phones: list[Phone], step_id: int) -> float:
    start = asyncio.Event()
    ready: list[int] = []
    gate = asyncio.Semaphore(50)
    tasks = [asyncio.create_task(run_phone(forum, phone, step_id, start, ready, gate)) for phone in phones]
    deadline = time.monotonic() + 120
    while len(ready) < len(phones) and time.monotonic() < deadline:
        failed = [task for task in tasks if task.done() and task.exception()]
        assert not failed, failed[0].exception()
        await asyncio.sleep(0.05)
    assert len(ready) == len(phones), f"only {len(ready)} phones connected"
    started = time.monotonic()
    start.set()  # everyone votes at once
    results = await asyncio.gather(*tasks, return_exceptions=True)
    failures = [(phone.number, repr(result)) for phone, result in zip(phones, results, strict=True) if result]
    assert not failures, f"phones failed: {failures[:5]}\n{forum.server.output()[-3000:]}"
    return time.monotonic() - started


def totals_in_db(forum: Forum, step_id: int) -> dict[int, int]:
    return dict(
        forum.query(
            "SELECT o.id, COALESCE(SUM(e.value), 0) FROM options o LEFT JOIN ballot_entries e ON e.option_id = o.id "
            "WHERE o.activity_id = ? GROUP BY o.id",
            step_id,
        )
    )


def totals_shown(results: dict) -> dict[int, int]:
    return {option["id"]: option["total"] for option in results["options"]}


def test_two_hundred_phones_vote_at_once(forum_factory, screens):
    forum = forum_factory("eventlet")
    console = screens.console(forum)
    [step] = [a for a in console.snapshot["activities"] if a["title"] == VOTE_STEP]
    console.command("change_workshop_state", {"state": "live"})
    console.command("open_activity", {"activity_id": step["id"]})
    # Revealed from the start, so that the projector shows (and this test can compare) every figure.
    console.command("reveal_activity", {"activity_id": step["id"]})
    projector = screens.projector(forum)
    assert projector.snapshot["activity"]["id"] == step["id"]

    phones = plan(PHONES)
    voting_seconds = asyncio.run(run_phones(forum, phones, step["id"]))

    # Every command was answered; broken ballots were refused with a message, the rest acked.
    last_acked: dict[int, list[int]] = {}
    for phone in phones:
        for client_id, entries, ack in phone.sent:
            if "broken" in client_id or "stacked" in client_id:
                assert ack["ok"] is False and ack["error"] in ("budget", "value") and ack["message"], ack
                continue
            assert ack["ok"] is True, ack
            assert ack["ballot"]["client_id"] == client_id
            assert sorted(e["option_id"] for e in ack["ballot"]["entries"]) == sorted(e["option_id"] for e in entries)
            last_acked[phone.number] = sorted(e["option_id"] for e in entries)
    assert len(last_acked) == PHONES

    # In the database: one ballot per phone, each its last acked one; no broken one left a trace.
    rows = forum.query(
        "SELECT b.client_id, e.option_id, e.value FROM ballots b JOIN ballot_entries e ON e.ballot_id = b.id "
        "WHERE b.activity_id = ?",
        step["id"],
    )
    stored: dict[str, list[int]] = {}
    for client_id, option_id, value in rows:
        assert value == 1
        stored.setdefault(client_id, []).append(option_id)
    assert len(stored) == PHONES
    expected = {f"phone{phone.number:03d}-ballot{len(phone.ballots) - 1}": last_acked[phone.number] for phone in phones}
    assert {cid: sorted(ids) for cid, ids in stored.items()} == expected
    [(ballot_count,)] = forum.query("SELECT COUNT(*) FROM ballots WHERE activity_id = ?", step["id"])
    assert ballot_count == PHONES

    # Counted exactly once: the running tallies equal a fresh count from the entries.
    db_totals = totals_in_db(forum, step["id"])
    tallies = dict(
        forum.query(
            "SELECT t.option_id, SUM(t.value * t.entries) FROM tallies t JOIN options o ON o.id = t.option_id "
            "WHERE o.activity_id = ? GROUP BY t.option_id",
            step["id"],
        )
    )
    assert {k: v for k, v in db_totals.items() if v} == {k: v for k, v in tallies.items() if v}
    assert sum(db_totals.values()) == sum(len(ids) for ids in last_acked.values())
    expected_totals = Counter(option_id for ids in last_acked.values() for option_id in ids)
    assert {k: v for k, v in db_totals.items() if v} == dict(expected_totals)

    # The projector's (and the console's) last update equals the database; updates were coalesced.
    wait_until(
        lambda: (
            (projector.last("results_changed") or {}).get("ballots") == PHONES
            and totals_shown(projector.last("results_changed")) == db_totals
        ),
        10,
        f"the projector's last results differ from the database: {projector.last('results_changed')}",
    )
    wait_until(
        lambda: totals_shown(console.last("results_changed") or {"options": []}) == db_totals,
        10,
        "the console's last results differ from the database",
    )
    updates = projector.of("results_changed")
    assert len(updates) <= (voting_seconds + 2) / 0.3 + 3, f"{len(updates)} updates in {voting_seconds:.1f} s"
    assert totals_shown(projector.call("request_snapshot")["snapshot"]["view"]["results"]) == db_totals

    # Phones heard nothing about other people's votes: only their own ballot, per accepted command.
    for phone in phones:
        names = Counter(name for name, _payload in phone.events)
        assert set(names) <= {"own_ballot_changed"}, names
        assert names["own_ballot_changed"] == len(phone.ballots)
    print(f"{PHONES} phones: {voting_seconds:.1f} s voting, {len(updates)} projector updates")
    assert "Traceback" not in forum.server.output(), forum.server.output()[-5000:]

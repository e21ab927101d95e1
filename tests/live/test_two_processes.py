"""A forum on two server processes (PostgreSQL, Redis as message queue): phones on both, the console on
one, the projector on the other.

Phones write cards (some send a command twice, as a phone does that missed its ack) while the moderator
approves cards written on the other process; then everyone casts a dot-vote ballot (some change their
mind). Afterwards every acknowledged command is in the database exactly once, and the projector's
last coalesced wall and results equal the database: coalescing and snapshots stay correct when a card
or a vote arrives at one process and the projector is connected to the other.
"""

import asyncio
import contextlib
import random
import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import aiohttp
import pytest
import socketio
from liveforum import (
    CARD_STEP,
    CONNECT_TIMEOUT,
    Forum,
    Screen,
    log_in,
    two_processes,
    wait_until,
)

pytestmark = [pytest.mark.server, pytest.mark.postgres, pytest.mark.redis]

VOTE_STEP = "Zukunftsthemen"
COLUMNS = ["Erhalten", "Zurücklassen", "Neu gestalten"]
PHONES = 30
CARDS_PER_PHONE = 3
KEEP = ("unauthorised", "rate_limited")
SEED = 20261122


@dataclass
class Phone:
    """A phone that sends its commands one at a time and sends a command again until it is answered."""

    number: int
    url: str
    code: str
    #: ``(event, payload, ack)`` of every answered command, resends included.
    answered: list[tuple[str, dict, dict]] = field(default_factory=list)
    client: socketio.AsyncClient | None = None

    async def open(self, http: aiohttp.ClientSession) -> None:
        async with http.get(f"{self.url}/{self.code}") as response:
            assert response.status == 200, response.status
        for attempt in range(3):
            self.client = socketio.AsyncClient(reconnection=False, http_session=http)
            try:
                await asyncio.wait_for(
                    self.client.connect(
                        self.url,
                        auth={"screen": "phone", "code": self.code},
                        transports=["websocket"],
                        wait_timeout=CONNECT_TIMEOUT,
                    ),
                    CONNECT_TIMEOUT + 5,
                )
                return
            except (TimeoutError, socketio.exceptions.ConnectionError):
                with contextlib.suppress(Exception):
                    await self.client.shutdown()
                if attempt == 2:
                    raise
                await asyncio.sleep(1)

    async def send(self, event: str, payload: dict) -> dict:
        """Send until answered (a timeout is a missed ack: the same command goes again)."""
        for _attempt in range(20):
            try:
                ack = await self.client.call(event, payload, timeout=10)
            except socketio.exceptions.TimeoutError:
                continue
            if isinstance(ack, dict) and ack.get("error") in KEEP:
                await asyncio.sleep(ack.get("retry_after", 1))
                continue
            self.answered.append((event, payload, ack))
            return ack
        raise AssertionError(f"phone {self.number}: {event} never answered")

    async def close(self) -> None:
        if self.client is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.client.disconnect(), 5)


def cards_of(number: int, step_id: int) -> list[dict]:
    return [
        {
            "client_id": f"p{number:02d}c{j}{secrets.token_hex(3)}",
            "activity_id": step_id,
            "text": f"Karte {j} von Telefon {number}",
            "column": COLUMNS[(number + j) % 3],
        }
        for j in range(CARDS_PER_PHONE)
    ]


async def write_cards(phone: Phone, step_id: int, rng: random.Random) -> None:
    for card in cards_of(phone.number, step_id):
        ack = await phone.send("submit_card", card)
        if phone.number % 5 == 0:  # missed the ack: the phone sends the same command again
            await phone.send("submit_card", card)
        assert ack.get("ok") is True, ack
        await asyncio.sleep(rng.uniform(0, 0.2))


async def vote(phone: Phone, step_id: int, option_ids: list[int], rng: random.Random) -> None:
    ballots = [rng.sample(option_ids, rng.randint(1, 3))]
    if phone.number % 4 == 0:  # a change of mind
        ballots.append(rng.sample(option_ids, rng.randint(1, 3)))
    for index, chosen in enumerate(ballots):
        payload = {
            "client_id": f"phone{phone.number:02d}-ballot{index}",
            "activity_id": step_id,
            "entries": [{"option_id": option_id, "value": 1} for option_id in chosen],
        }
        ack = await phone.send("cast_votes", payload)
        if phone.number % 3 == 0:
            await phone.send("cast_votes", payload)
        assert ack.get("ok") is True, ack


def approve_while(console: Screen, done: threading.Event, approved: list[int]) -> None:
    """The moderator approves every second card as it arrives (written on either process)."""
    seen = 0
    while True:
        pending = [c["card"]["id"] for c in console.of("card_changed") if c["card"]["status"] == "pending"]
        for card_id in pending[seen:]:
            if card_id % 2 == 0:
                console.command("approve_card", {"card_id": card_id})
                approved.append(card_id)
        seen = len(pending)
        if done.is_set() and seen == len([c for c in console.of("card_changed") if c["card"]["status"] == "pending"]):
            return
        time.sleep(0.05)


def shown_aggregate(payloads: list[dict]) -> dict | None:
    """The coalesced aggregate a screen shows: the one with the highest ``seq`` (``live.js``), since two
    processes' aggregates may arrive in either order; every one of them carries ``seq``."""
    assert all(isinstance(p.get("seq"), int) for p in payloads), [p.get("seq") for p in payloads]
    return max(payloads, key=lambda p: p["seq"], default=None)


def test_a_forum_on_two_processes_stores_each_command_once_and_the_projector_equals_the_database(
    tmp_path, postgres_url, redis_url, screens
):
    with two_processes(tmp_path, postgres_url, redis_url, "two") as forum:
        servers, code, key, query = forum.servers, forum.code, forum.key, forum.query
        first, second = servers
        console = Screen(Forum(second, code, key), {"screen": "console", "code": code}, http=log_in(second))
        screens.opened.append(console)
        activities = {a["title"]: a for a in console.snapshot["activities"]}
        card_step, vote_step = activities[CARD_STEP]["id"], activities[VOTE_STEP]["id"]
        console.command("change_workshop_state", {"state": "live"})
        console.command("open_activity", {"activity_id": card_step})
        console.command("reveal_activity", {"activity_id": card_step})
        projector = Screen(Forum(first, code, key), {"screen": "projector", "code": code, "key": key})
        screens.opened.append(projector)
        phones = [Phone(n, servers[n % 2].url, code) for n in range(PHONES)]
        approved: list[int] = []

        async def forum():
            rng = random.Random(SEED)
            http_sessions = [aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) for _ in phones]
            try:
                for start in range(0, PHONES, 10):
                    await asyncio.gather(
                        *(
                            p.open(h)
                            for p, h in zip(phones[start : start + 10], http_sessions[start : start + 10], strict=True)
                        )
                    )
                done = threading.Event()
                approving = asyncio.create_task(asyncio.to_thread(approve_while, console, done, approved))
                try:
                    await asyncio.gather(*(write_cards(p, card_step, random.Random(rng.random())) for p in phones))
                finally:
                    done.set()
                    await approving
                await asyncio.to_thread(console.command, "open_activity", {"activity_id": vote_step})
                await asyncio.to_thread(console.command, "reveal_activity", {"activity_id": vote_step})
                view = (await asyncio.to_thread(console.command, "load_activity", {"activity_id": vote_step}))["view"]
                option_ids = [option["id"] for option in view["options"]]
                assert len(option_ids) == 8
                await asyncio.gather(*(vote(p, vote_step, option_ids, random.Random(rng.random())) for p in phones))
            finally:
                await asyncio.gather(*(p.close() for p in phones))
                await asyncio.gather(*(h.close() for h in http_sessions))

        asyncio.run(forum())

        # Cards: every acked submit_card stored once, with the card id its acks named; nothing else.
        stored = dict(query("SELECT client_id, id FROM cards WHERE activity_id = %s", card_step))
        assert len(stored) == len(query("SELECT id FROM cards WHERE activity_id = %s", card_step)), "a client id twice"
        acked_cards: dict[str, set[int]] = {}
        for phone in phones:
            for event, payload, ack in phone.answered:
                if event == "submit_card":
                    assert ack["ok"] is True, ack
                    acked_cards.setdefault(payload["client_id"], set()).add(ack["card"]["id"])
        assert len(acked_cards) == PHONES * CARDS_PER_PHONE
        assert {cid: {stored.get(cid)} for cid in acked_cards} == acked_cards
        assert set(stored) == set(acked_cards)
        assert approved, "the moderator approved nothing"

        # Ballots: one per phone, its last acked one, entries as sent; resends changed nothing.
        last_ballot: dict[int, tuple[str, list[int]]] = {}
        for phone in phones:
            for event, payload, ack in phone.answered:
                if event == "cast_votes":
                    assert ack["ok"] is True and ack["ballot"]["client_id"] == payload["client_id"], ack
                    last_ballot[phone.number] = (
                        payload["client_id"],
                        sorted(e["option_id"] for e in payload["entries"]),
                    )
        rows = query(
            "SELECT b.client_id, e.option_id, e.value FROM ballots b JOIN ballot_entries e ON e.ballot_id = b.id "
            "WHERE b.activity_id = %s",
            vote_step,
        )
        ballots: dict[str, list[int]] = {}
        for client_id, option_id, value in rows:
            assert value == 1
            ballots.setdefault(client_id, []).append(option_id)
        assert {cid: sorted(ids) for cid, ids in ballots.items()} == dict(last_ballot.values())
        [(ballot_count,)] = query("SELECT COUNT(*) FROM ballots WHERE activity_id = %s", vote_step)
        assert ballot_count == PHONES

        # The projector (on the first process) shows what the database holds.
        visible = {
            (id_, text, column)
            for id_, text, column in query(
                "SELECT id, text, \"column\" FROM cards WHERE activity_id = %s AND status = 'visible'", card_step
            )
        }
        assert set(approved) == {id_ for id_, _t, _c in visible}
        statuses = dict(query("SELECT status, COUNT(*) FROM cards WHERE activity_id = %s GROUP BY status", card_step))

        def wall_matches():
            walls = [w for w in projector.of("wall_changed") if w["activity_id"] == card_step]
            if not walls:
                return False
            last = shown_aggregate(walls)
            shown = {(c["id"], c["text"], c["column"]) for c in last["cards"]}
            counts = {s: n for s, n in last["counts"]["status"].items() if n}
            return shown == visible and counts == statuses

        # The last approval was seconds ago (before the vote): its coalesced wall has long arrived.
        assert wall_matches(), (
            f"the projector's last wall differs from the database: {projector.of('wall_changed')[-1:]}, "
            f"database {len(visible)} visible, {statuses}"
        )

        totals = dict(
            query(
                "SELECT o.id, COALESCE(SUM(e.value), 0) FROM options o "
                "LEFT JOIN ballot_entries e ON e.option_id = o.id WHERE o.activity_id = %s GROUP BY o.id",
                vote_step,
            )
        )
        assert sum(totals.values()) == sum(len(ids) for _cid, ids in last_ballot.values())
        assert dict(+Counter(o for _cid, ids in last_ballot.values() for o in ids)) == {
            k: v for k, v in totals.items() if v
        }

        def shown(results: dict | None) -> dict | None:
            return results and {option["id"]: option["total"] for option in results["options"]}

        # Coalesced updates go out 0.3 s after the last change; wait that long for the last one.
        wait_until(
            lambda: (
                (shown_aggregate(projector.of("results_changed")) or {}).get("ballots") == PHONES
                and shown(shown_aggregate(projector.of("results_changed"))) == totals
            ),
            10,
            f"the projector's last results differ from the database: {projector.last('results_changed')}",
        )
        wait_until(
            lambda: shown(shown_aggregate(console.of("results_changed"))) == totals,
            10,
            "the console's last results (other process) differ from the database",
        )
        # A fresh snapshot on the projector's process says the same.
        assert shown(projector.call("request_snapshot")["snapshot"]["view"]["results"]) == totals
        for server in servers:
            assert "Traceback" not in server.output(), server.output()[-3000:]

"""Faults on the real server: a SIGKILL mid-forum, a Redis restart under two processes, a reconnect storm.

Phones behave like ``static/js/live.js``: python-socketio clients that reconnect by themselves, keep
each command in a queue until the server answered it (an ``unauthorised`` or ``rate_limited`` answer
keeps it too), and send the queue again after every reconnect. Afterwards every acknowledged command
is in the database exactly once, nothing is doubled, and each reconnect brought a snapshot.
"""

import asyncio
import contextlib
import random
import secrets
import subprocess
import time
from dataclasses import dataclass, field

import aiohttp
import pytest
import redis
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

pytestmark = pytest.mark.server

COLUMNS = ["Erhalten", "Zurücklassen", "Neu gestalten"]
KEEP = ("unauthorised", "rate_limited")
#: Only this test restarts the shared Redis, with the options CI starts it with.
REDIS_START = [
    "redis-server",
    "--daemonize",
    "yes",
    "--bind",
    "127.0.0.1",
    "-::1",
    "--port",
    "6379",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    "/var/lib/redis",
    "--logfile",
    "/var/log/redis/ci.log",
]


class BrowserLikeClient(socketio.AsyncClient):
    """Waits as long for each reconnect's handshake as for the first connect, as socket.io-client does
    (python-socketio's reconnects wait 1 s, which a busy server's 300 simultaneous handshakes outlast,
    and the retries then pile onto the server)."""

    async def connect(self, *args, wait_timeout=CONNECT_TIMEOUT, **kwargs):
        return await super().connect(*args, wait_timeout=wait_timeout, **kwargs)


@dataclass
class Phone:
    """A phone with a command queue, as ``live.js`` keeps it."""

    number: int
    url: str
    code: str
    queue: list[dict]
    acks: dict[str, list[dict]] = field(default_factory=dict)
    #: Client ids in the phone's own cards of each snapshot, in order.
    snapshots: list[set[str]] = field(default_factory=list)
    connects: int = 0
    #: Times the test reopened the connection because the client library had stopped trying.
    rescues: int = 0
    client: socketio.AsyncClient | None = None
    http: aiohttp.ClientSession | None = None

    @property
    def acked(self) -> set[str]:
        return {cid for cid, acks in self.acks.items() if acks}

    async def open(self, http: aiohttp.ClientSession) -> None:
        self.http = http
        async with http.get(f"{self.url}/{self.code}") as response:
            assert response.status == 200, response.status
        self.client = BrowserLikeClient(
            reconnection=True,
            reconnection_delay=0.5,
            reconnection_delay_max=5,
            randomization_factor=0.5,
            http_session=http,
        )
        self.client.on("connect", self._connected)
        self.client.on("snapshot", self._snapshot)
        await asyncio.wait_for(
            self.client.connect(
                self.url,
                auth={"screen": "phone", "code": self.code},
                transports=["websocket"],
                wait_timeout=CONNECT_TIMEOUT,
            ),
            CONNECT_TIMEOUT + 5,
        )

    async def _connected(self):
        self.connects += 1

    async def _snapshot(self, snapshot):
        self.snapshots.append({card["client_id"] for card in snapshot["view"].get("own_cards", [])})

    async def flush(self, deadline: float, pause: float = 0.0) -> None:
        """Send the queue in order until it is empty; wait out disconnects as the browser does."""
        rng = random.Random(self.number)
        offline_since = None
        unanswered = 0
        while self.queue and time.monotonic() < deadline:
            if not self.client.connected:
                offline_since = offline_since or time.monotonic()
                task = self.client._reconnect_task
                if time.monotonic() - offline_since > 20 and (task is None or task.done()):
                    await self._rescue()
                    offline_since = None
                await asyncio.sleep(0.1)
                continue
            offline_since = None
            command = self.queue[0]
            try:
                ack = await self.client.call("submit_card", command, timeout=5)
            except Exception:  # timeout, or the connection went away: keep it, try again
                unanswered += 1
                if unanswered >= 3 and self.client.connected:
                    # "Connected" but deaf (python-engineio's writer can die when a socket drops
                    # mid-send): start afresh, as a browser does once its pings go unanswered.
                    await self._rescue()
                    unanswered = 0
                await asyncio.sleep(0.2)
                continue
            unanswered = 0
            if isinstance(ack, dict) and ack.get("error") in KEEP:
                await asyncio.sleep(ack.get("retry_after", 1))
                continue
            self.acks.setdefault(command["client_id"], []).append(ack)
            self.queue.pop(0)
            if pause:
                await asyncio.sleep(rng.uniform(0, pause))

    async def _rescue(self) -> None:
        """The library gave up reconnecting (a browser would not): open the connection again."""
        self.rescues += 1
        with contextlib.suppress(Exception):
            await self.client.shutdown()
        with contextlib.suppress(Exception):
            await open_with_retries(self, self.http)

    async def close(self) -> None:
        if self.client is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.client.disconnect(), 5)


def plan(count: int, cards: int, activity_id: int, url_of, code: str) -> list[Phone]:
    return [
        Phone(
            number,
            url_of(number),
            code,
            [
                {
                    "client_id": f"p{number:03d}c{j}{secrets.token_hex(4)}",
                    "activity_id": activity_id,
                    "text": f"Karte {j} von Telefon {number}",
                    "column": COLUMNS[(number + j) % 3],
                }
                for j in range(cards)
            ],
        )
        for number in range(count)
    ]


def check_every_ack(phones: list[Phone], stored: list[tuple[str, int]]) -> None:
    """Every command acked ``ok`` (resends with the same card), stored once, nothing else stored."""
    by_client_id: dict[str, int] = {}
    for client_id, card_id in stored:
        assert client_id not in by_client_id, f"{client_id} stored twice"
        by_client_id[client_id] = card_id
    expected = set()
    for phone in phones:
        assert not phone.queue, f"phone {phone.number} still has {len(phone.queue)} unsent commands"
        for client_id, acks in phone.acks.items():
            expected.add(client_id)
            assert all(ack.get("ok") is True for ack in acks), acks
            assert {ack["card"]["id"] for ack in acks} == {by_client_id[client_id]}
    assert set(by_client_id) == expected, "the database holds exactly the acked commands"


async def open_phones(phones: list[Phone], http_sessions: list[aiohttp.ClientSession], batch: int = 50) -> None:
    """Join and connect every phone, 50 at a time (the first join is not what these tests are about;
    on a busy machine 300 simultaneous first connects can outlast the connect timeout)."""
    failures = []
    pairs = list(zip(phones, http_sessions, strict=True))
    for start in range(0, len(pairs), batch):
        chunk = pairs[start : start + batch]
        results = await asyncio.gather(
            *(open_with_retries(phone, http) for phone, http in chunk), return_exceptions=True
        )
        failures += [
            (phone.number, repr(result)) for (phone, _http), result in zip(chunk, results, strict=True) if result
        ]
    assert not failures, failures[:5]


async def open_with_retries(phone: Phone, http: aiohttp.ClientSession, attempts: int = 3) -> None:
    for attempt in range(attempts):
        try:
            return await phone.open(http)
        except (TimeoutError, socketio.exceptions.ConnectionError):
            if phone.client is not None:
                with contextlib.suppress(Exception):
                    await phone.client.shutdown()
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(1)


def sessions(count: int) -> list[aiohttp.ClientSession]:
    return [aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) for _ in range(count)]


async def close_all(phones, http_sessions) -> None:
    await asyncio.gather(*(phone.close() for phone in phones))
    await asyncio.gather(*(http.close() for http in http_sessions))


def open_card_step(console: Screen) -> dict:
    [step] = [a for a in console.snapshot["activities"] if a["title"] == CARD_STEP]
    console.command("change_workshop_state", {"state": "live"})
    console.command("open_activity", {"activity_id": step["id"]})
    return step


# -- SIGKILL ----------------------------------------------------------------------------------------


def test_sigkill_mid_forum_loses_and_doubles_nothing(forum_factory, screens):
    forum = forum_factory("eventlet")
    console = screens.console(forum)
    step = open_card_step(console)
    phones = plan(30, 5, step["id"], lambda _n: forum.server.url, forum.code)
    total = sum(len(p.queue) for p in phones)
    acked_at_kill: dict[int, set[str]] = {}

    async def scenario():
        http_sessions = sessions(len(phones))
        try:
            await open_phones(phones, http_sessions)
            deadline = time.monotonic() + 120
            flushing = [asyncio.create_task(phone.flush(deadline, pause=0.3)) for phone in phones]
            while sum(len(p.acked) for p in phones) < total // 3:
                await asyncio.sleep(0.02)
            forum.server.kill()  # mid-stream: some commands are in flight, most still queued
            acked_at_kill.update({p.number: set(p.acked) for p in phones})
            await asyncio.sleep(1)
            await asyncio.to_thread(forum.server.start)
            await asyncio.gather(*flushing)
            await asyncio.sleep(0.5)  # the last snapshots
        finally:
            await close_all(phones, http_sessions)

    asyncio.run(scenario())

    stored = forum.query("SELECT client_id, id FROM cards WHERE activity_id = ?", step["id"])
    check_every_ack(phones, stored)
    assert len(stored) == total
    for phone in phones:
        assert phone.connects >= 2, f"phone {phone.number} did not reconnect by itself"
        # The first snapshot after the restart lists everything acked before the kill.
        after_restart = phone.snapshots[-1]
        assert acked_at_kill[phone.number] <= after_restart, phone.number
    assert "Traceback" not in forum.server.output(), forum.server.output()[-3000:]


# -- reconnect storm --------------------------------------------------------------------------------


def test_reconnect_storm_of_hundreds_of_phones(forum_factory, screens):
    """300 phones lose the Wi-Fi at once, each with a card still queued, and all come back together."""
    forum = forum_factory("eventlet")
    console = screens.console(forum)
    step = open_card_step(console)
    phones = plan(300, 2, step["id"], lambda _n: forum.server.url, forum.code)
    started = {}

    async def drop(phone: Phone) -> None:
        """Close the WebSocket without a goodbye; the client notices and reconnects by itself."""
        with contextlib.suppress(Exception):
            await phone.client.eio.ws.close()

    async def scenario():
        http_sessions = sessions(len(phones))
        try:
            await open_phones(phones, http_sessions)
            deadline = time.monotonic() + 180
            # First card of every phone goes through, the second is queued when the Wi-Fi drops.
            seconds = [phone.queue.pop(1) for phone in phones]
            await asyncio.gather(*(phone.flush(deadline) for phone in phones))
            for phone, command in zip(phones, seconds, strict=True):
                phone.queue.append(command)
            started["storm"] = time.monotonic()
            await asyncio.gather(*(drop(phone) for phone in phones))
            await asyncio.sleep(0.05)
            await asyncio.gather(*(phone.flush(deadline) for phone in phones))
            started["done"] = time.monotonic()
            await asyncio.sleep(1)
        finally:
            await close_all(phones, http_sessions)

    asyncio.run(scenario())

    stored = forum.query("SELECT client_id, id FROM cards WHERE activity_id = ?", step["id"])
    check_every_ack(phones, stored)
    assert len(stored) == 600
    assert all(phone.connects >= 2 for phone in phones), "every phone reconnected"
    assert all(len(phone.snapshots) >= 2 for phone in phones), "every reconnect brought a snapshot"
    assert forum.server.is_running
    assert "Traceback" not in forum.server.output(), forum.server.output()[-3000:]
    rescues = sum(phone.rescues for phone in phones)
    print(f"storm absorbed in {started['done'] - started['storm']:.1f} s ({rescues} connections reopened by the test)")
    # A console (a fresh one: this run may have outlasted the first one's connection) sees the count.
    counts = screens.console(forum).command("load_activity", {"activity_id": step["id"]})["view"]["counts"]
    assert counts["status"]["pending"] == 600


# -- Redis restart with two processes ---------------------------------------------------------------


def _redis_restart() -> float:
    """Restart the shared Redis as CI starts it; return how long it was away."""
    started = time.monotonic()
    subprocess.run(["redis-cli", "-h", "127.0.0.1", "shutdown", "nosave"], capture_output=True, timeout=10)
    subprocess.run(REDIS_START, check=True, capture_output=True, timeout=10)
    connection = redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1)
    wait_until(lambda: _pings(connection), 10, "Redis did not come back")
    return time.monotonic() - started


def _pings(connection) -> bool:
    try:
        return connection.ping()
    except redis.exceptions.ConnectionError:
        return False


@pytest.mark.postgres
@pytest.mark.redis
def test_redis_restart_with_two_processes(tmp_path, postgres_url, redis_url, screens):
    with two_processes(tmp_path, postgres_url, redis_url, "faults") as forum:
        servers, code, key, query = forum.servers, forum.code, forum.key, forum.query
        first, second = servers
        # The console on the second process, the projector on the first; phones on both.
        console = Screen(Forum(second, code, key), {"screen": "console", "code": code}, http=log_in(second))
        screens.opened.append(console)
        projector = Screen(Forum(first, code, key), {"screen": "projector", "code": code, "key": key})
        screens.opened.append(projector)
        step = open_card_step(console)
        phones = plan(20, 4, step["id"], lambda n: servers[n % 2].url, code)
        total = sum(len(p.queue) for p in phones)
        outage = {}

        async def scenario():
            http_sessions = sessions(len(phones))
            try:
                await open_phones(phones, http_sessions)
                deadline = time.monotonic() + 120
                flushing = [asyncio.create_task(phone.flush(deadline, pause=0.4)) for phone in phones]
                while sum(len(p.acked) for p in phones) < total // 3:
                    await asyncio.sleep(0.02)
                outage["seconds"] = await asyncio.to_thread(_redis_restart)
                await asyncio.gather(*flushing)
            finally:
                await close_all(phones, http_sessions)

        asyncio.run(scenario())
        assert outage["seconds"] < 5, "keep the shared Redis's outage short"

        stored = query("SELECT client_id, id FROM cards WHERE activity_id = %s", step["id"])
        check_every_ack(phones, stored)
        assert len(stored) == total
        assert all(server.is_running for server in servers)

        # Events cross processes again: a card approved on the second process reaches the first's
        # projector, and a new card written on the first reaches the second's console.
        console.command("reveal_activity", {"activity_id": step["id"]})
        card_id = stored[0][1]
        console.command("approve_card", {"card_id": card_id})
        wait_until(
            lambda: any(card_id in {c["id"] for c in w["cards"]} for w in projector.of("wall_changed")),
            30,
            "the projector on the other process got no wall after the Redis restart",
        )
        late = plan(1, 1, step["id"], lambda _n: first.url, code)

        async def one_more():
            http_sessions = sessions(1)
            try:
                await open_phones(late, http_sessions)
                await late[0].flush(time.monotonic() + 30)
            finally:
                await close_all(late, http_sessions)

        asyncio.run(one_more())
        new_id = next(iter(late[0].acks.values()))[0]["card"]["id"]
        wait_until(
            lambda: new_id in {p["card"]["id"] for p in console.of("card_changed")},
            30,
            "the console on the other process missed a card after the Redis restart",
        )
        for server in servers:
            assert "Unhandled error" not in server.output(), server.output()[-3000:]

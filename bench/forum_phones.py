"""Simulated phones for ``bench.forum_load``: one asyncio process driving many python-socketio clients.

Started by ``forum_load`` as ``python -m bench.forum_phones``; it reads control messages as JSON lines on
stdin and answers with JSON lines on stdout (logs go to stderr). Each phone does what
``static/js/phone.js`` and ``live.js`` do: open ``/<code>`` for the participant cookie, connect over
WebSocket, keep commands in a queue sent one at a time (8 s ack timeout, kept on ``rate_limited``, ``busy`` or
``unauthorised`` and sent again later, resent after a reconnect), ask for a fresh snapshot when the
current step changes or a vote is revealed.

Times are ``time.monotonic()``, which is one clock for every process on Linux, so the coordinator can
compare its own send times with the phones' receive times.
"""

import asyncio
import contextlib
import itertools
import json
import logging
import random
import resource
import secrets
import sys
import time
from collections import Counter, deque

import aiohttp
import socketio

ACK_TIMEOUT = 8.0  # live.js
CONNECT_TIMEOUT = 10.0
RETRY_PAUSE = 2.0  # live.js flushes again after 2 s
KEEP = ("unauthorised", "rate_limited", "busy")
#: Events whose arrival is a state change the coordinator measures (``broadcast_p95_ms``).
MARKED = ("activity_changed", "current_activity_changed", "workshop_changed")
TEXTS = [
    "Kollegiale Fallberatung erhalten",
    "Doppelte Dokumentation zurücklassen",
    "Krisenmanagement neu gestalten",
    "Schutzkonzepte in allen Kitas",
    "Austausch zwischen den Jugendämtern",
    "Übergänge Schule – Jugendhilfe verbessern",
    "Mehr Zeit für die Arbeit mit Familien",
    "Digitale Akte für alle Dienste",
]

log = logging.getLogger("bench.phones")


class Command:
    """One queued command and what became of it."""

    __slots__ = ("answered", "attempts", "card_id", "enqueued", "error", "event", "ok", "payload", "phase")

    def __init__(self, event: str, payload: dict, phase: str):
        self.event, self.payload, self.phase = event, payload, phase
        self.enqueued = time.monotonic()
        self.answered: float | None = None
        self.ok = False
        self.error: str | None = None
        self.attempts = 0
        self.card_id: int | None = None

    def record(self) -> list:
        return [
            self.event,
            self.payload["client_id"],
            self.phase,
            self.enqueued,
            self.answered,
            self.ok,
            self.error,
            self.attempts,
            self.card_id,
            self.payload.get("text"),
        ]


class Phone:
    def __init__(self, worker: "Worker", number: int, url: str):
        self.worker, self.number, self.url = worker, number, url
        self.rng = random.Random(number)
        self.http: aiohttp.ClientSession | None = None
        self.client: socketio.AsyncClient | None = None
        self.queue: deque[Command] = deque()
        self.flushing = False
        self.retry: asyncio.TimerHandle | None = None
        self.activity: dict | None = None
        self.snapshots = 0
        self.connects = 0
        self.first_snapshot: asyncio.Future | None = None
        self.seen: set = set()
        #: Own cards: acked ids, cards per column (acked or queued).
        self.cards: list[int] = []
        self.columns: Counter = Counter()
        self.queued_cards = 0

    @property
    def connected(self) -> bool:
        return self.client is not None and self.client.connected

    # -- connecting ----------------------------------------------------------------------------------

    async def join(self) -> None:
        worker = self.worker
        if self.http is None:
            self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        if not any(cookie.key == f"fac_{worker.code}" for cookie in self.http.cookie_jar):
            async with self.http.get(f"{self.url}/{worker.code}", timeout=aiohttp.ClientTimeout(total=30)) as response:
                if response.status != 200:
                    raise RuntimeError(f"GET /{worker.code}: {response.status}")
                await response.read()
        if self.client is not None:  # a connect that failed before: start afresh, as a reload would
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.client.disconnect(), 5)
        self.client = client = socketio.AsyncClient(
            reconnection=True,
            reconnection_delay=0.5,
            reconnection_delay_max=5,
            randomization_factor=0.5,
            http_session=self.http,
        )
        client.on("connect", self.on_connect)
        client.on("snapshot", self.on_snapshot)
        for event in MARKED:
            client.on(event, lambda payload, event=event: self.on_marked(event, payload))
        self.first_snapshot = asyncio.get_running_loop().create_future()
        await asyncio.wait_for(
            client.connect(
                self.url,
                auth={"screen": "phone", "code": worker.code},
                transports=["websocket"],
                wait_timeout=CONNECT_TIMEOUT,
            ),
            CONNECT_TIMEOUT + 5,
        )
        await asyncio.wait_for(self.first_snapshot, CONNECT_TIMEOUT)

    def on_connect(self) -> None:
        self.connects += 1

    def on_snapshot(self, snapshot: dict) -> None:
        self.snapshots += 1
        self.activity = snapshot.get("activity")
        if self.first_snapshot is not None and not self.first_snapshot.done():
            self.first_snapshot.set_result(snapshot)
        self.kick()  # live.js flushes its queue after every snapshot

    def on_marked(self, event: str, payload: dict) -> None:
        now = time.monotonic()
        version = payload.get("version") if isinstance(payload, dict) else None
        key = f"{event}:{version}"
        if key not in self.seen:
            self.seen.add(key)
            self.worker.marks.setdefault(key, []).append(now)
        if event == "current_activity_changed":
            self.refresh()
        elif event == "activity_changed":
            activity = payload.get("activity") or {}
            current = self.activity or {}
            if activity.get("id") == current.get("id"):
                if activity.get("kind") == "vote" and activity.get("is_revealed") != current.get("is_revealed"):
                    self.refresh()  # vote.js: a reveal changes what the phone may see
                self.activity = activity

    def refresh(self) -> None:
        self.worker.spawn(self._refresh())

    async def _refresh(self) -> None:
        started = time.monotonic()
        try:
            ack = await self.client.call("request_snapshot", {}, timeout=ACK_TIMEOUT)
        except Exception:
            self.worker.counts["snapshot_timeouts"] += 1
            return
        if isinstance(ack, dict) and ack.get("ok"):
            self.worker.snapshot_latencies.append(time.monotonic() - started)
            self.activity = ack["snapshot"].get("activity")
        else:
            self.worker.counts[f"snapshot_{(ack or {}).get('error')}"] += 1

    # -- commands ------------------------------------------------------------------------------------

    def enqueue(self, event: str, payload: dict, phase: str) -> Command:
        command = Command(event, {"client_id": secrets.token_hex(12), **payload}, phase)
        self.queue.append(command)
        self.worker.commands.append(command)
        self.kick()
        return command

    def kick(self) -> None:
        if not self.flushing and self.queue and self.connected:
            self.worker.spawn(self.flush())

    async def flush(self) -> None:
        if self.flushing:
            return
        self.flushing = True
        pause = None
        try:
            while self.queue and self.connected:
                command = self.queue[0]
                command.attempts += 1
                try:
                    ack = await self.client.call(command.event, command.payload, timeout=ACK_TIMEOUT)
                except Exception:  # no answer in time, or the connection went: keep it, try again later
                    self.worker.counts["ack_timeouts"] += 1
                    pause = RETRY_PAUSE
                    break
                if isinstance(ack, dict) and ack.get("error") in KEEP:
                    self.worker.counts[ack["error"]] += 1
                    pause = float(ack.get("retry_after") or RETRY_PAUSE)
                    break
                self.queue.popleft()
                self.answered(command, ack)
        finally:
            self.flushing = False
        if self.queue and pause is not None:
            asyncio.get_running_loop().call_later(pause, self.kick)

    def answered(self, command: Command, ack) -> None:
        command.answered = time.monotonic()
        command.ok = isinstance(ack, dict) and ack.get("ok") is True
        if not command.ok:
            command.error = ack.get("error") if isinstance(ack, dict) else repr(ack)[:40]
        if command.event == "submit_card":
            self.queued_cards -= 1
            if command.ok:
                command.card_id = ack["card"]["id"]
                self.cards.append(command.card_id)
            else:
                self.columns[command.payload["column"]] -= 1
        elif command.event == "edit_card" and command.ok:
            command.card_id = command.payload["card_id"]

    # -- what a person does --------------------------------------------------------------------------

    def check_in(self, activity_id: int, organisations: list[str], roles: list[str]) -> None:
        self.enqueue(
            "check_in",
            {
                "activity_id": activity_id,
                "organisation": self.rng.choice(organisations),
                "role": self.rng.choice(roles),
            },
            "checkin",
        )

    def write_card(self, activity_id: int, phase: str) -> bool:
        """Submit a card, or edit one of the own cards once the step's limit is reached."""
        setup = self.worker.setup
        text = f"{self.rng.choice(TEXTS)} ({self.number}.{len(self.cards) + self.queued_cards})"
        if len(self.cards) + self.queued_cards < setup["max_cards"]:
            free = [c for c in setup["columns"] if self.columns[c] < setup["max_per_column"]]
            if free:
                column = self.rng.choice(free)
                self.columns[column] += 1
                self.queued_cards += 1
                self.enqueue("submit_card", {"activity_id": activity_id, "text": text, "column": column}, phase)
                return True
        if not self.cards:
            return False
        self.enqueue("edit_card", {"card_id": self.rng.choice(self.cards), "text": text + " (überarbeitet)"}, phase)
        return True

    def vote(self, activity_id: int, options: list[int], dots: int) -> None:
        chosen = self.rng.sample(options, min(len(options), 3))
        values = [2, 2, 1][: len(chosen)] if dots >= 5 else [1] * min(len(chosen), dots)
        entries = [{"option_id": o, "value": v} for o, v in zip(chosen, values, strict=False)]
        self.enqueue("cast_votes", {"activity_id": activity_id, "entries": entries}, "vote")

    async def close(self) -> None:
        if self.client is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.client.disconnect(), 5)
        if self.http is not None:
            with contextlib.suppress(Exception):
                await self.http.close()


class Worker:
    def __init__(self, setup: dict):
        self.setup = setup
        self.code = setup["code"]
        self.phones = [Phone(self, number, url) for number, url in setup["phones"]]
        self.commands: list[Command] = []
        self.marks: dict[str, list[float]] = {}
        self.snapshot_latencies: list[float] = []
        self.join_latencies: list[float] = []
        self.counts: Counter = Counter()
        self.tasks: set[asyncio.Task] = set()
        self.lags: list[float] = []

    def spawn(self, coroutine) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def send(self, message: dict) -> None:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()

    async def watch_lag(self) -> None:
        """How late the event loop wakes up: the generator's own saturation."""
        while True:
            started = time.monotonic()
            await asyncio.sleep(0.05)
            self.lags.append(time.monotonic() - started - 0.05)

    def connected(self) -> list[Phone]:
        return [phone for phone in self.phones if phone.connected]

    # -- phases -----------------------------------------------------------------------------------------

    async def join(self, message: dict) -> dict:
        """Join every phone at its slot of the ramp (``start`` + ``offset``), then check in."""
        start = message["start"]

        async def one(phone: Phone, at: float) -> None:
            await asyncio.sleep(max(0.0, at - time.monotonic()))
            began = time.monotonic()
            # Like a person whose phone does not get through: try again (a reload) until the
            # coordinator's deadline.
            while True:
                try:
                    await phone.join()
                    break
                except Exception as error:
                    self.counts[f"join_failed:{type(error).__name__}"] += 1
                    log.debug("phone %d failed to join: %r", phone.number, error)
                    if time.monotonic() > message["deadline"]:
                        return
                    await asyncio.sleep(phone.rng.uniform(1, 3))
            self.join_latencies.append(time.monotonic() - began)
            if message.get("checkin"):
                phone.check_in(message["checkin"], self.setup["organisations"], self.setup["roles"])

        offsets = dict(self.setup["offsets"])
        await asyncio.gather(*(one(p, start + offsets[p.number]) for p in self.phones))
        return {"connected": len(self.connected()), "failed": len(self.phones) - len(self.connected())}

    async def write(self, message: dict) -> dict:
        """Send cards at ``rate`` per second (this worker's share) for ``seconds``, from ``start`` on."""
        rate, seconds, start = message["rate"], message["seconds"], message["start"]
        activity_id, phase = message["activity_id"], message.get("phase", "cards")
        await asyncio.sleep(max(0.0, start - time.monotonic()))
        rng = random.Random(message.get("seed", 1))
        sent = skipped = 0
        phones = self.connected()
        while phones:
            elapsed = time.monotonic() - start
            if elapsed >= seconds:
                break
            due = int(elapsed * rate) + 1 - sent - skipped
            for _ in range(max(0, due)):
                phone = rng.choice(phones)
                if phone.connected and phone.write_card(activity_id, phase):
                    sent += 1
                else:
                    skipped += 1
            await asyncio.sleep(max(0.0, min(0.01, (sent + skipped) / rate - (time.monotonic() - start))))
        return {"sent": sent, "skipped": skipped}

    async def vote(self, message: dict) -> dict:
        """Every connected phone casts a ballot at a random moment of the voting window."""
        window, start = message["window"], message["start"]
        rng = random.Random(message.get("seed", 2))

        async def one(phone: Phone, at: float) -> None:
            await asyncio.sleep(max(0.0, at - time.monotonic()))
            phone.vote(message["activity_id"], message["options"], self.setup["dots"])

        phones = self.connected()
        await asyncio.gather(*(one(p, start + rng.uniform(0, window)) for p in phones))
        return {"voters": len(phones)}

    async def drain(self, message: dict) -> dict:
        """Wait until every queue is empty (or ``timeout``)."""
        deadline = time.monotonic() + message.get("timeout", 30)
        while time.monotonic() < deadline and any(phone.queue for phone in self.phones):
            await asyncio.sleep(0.05)
        return {"queued": sum(len(phone.queue) for phone in self.phones)}

    def stats(self, message: dict) -> dict:
        """Latencies of the acked commands of one phase (``--max`` decides on them)."""
        mine = [c for c in self.commands if c.phase == message["phase"]]
        return {
            "latencies": [c.answered - c.enqueued for c in mine if c.ok],
            "ok": sum(1 for c in mine if c.ok),
            "sent": len(mine),
        }

    def report(self, _message: dict) -> dict:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return {
            "commands": [command.record() for command in self.commands],
            "marks": self.marks,
            "snapshot_latencies": self.snapshot_latencies,
            "join_latencies": self.join_latencies,
            "counts": dict(self.counts),
            "connected": len(self.connected()),
            "reconnects": sum(max(0, phone.connects - 1) for phone in self.phones),
            "cpu_s": usage.ru_utime + usage.ru_stime,
            "rss_mb": usage.ru_maxrss / 1024,
            "lags": self.lags,
        }

    async def close(self, _message: dict) -> dict:
        await asyncio.gather(*(phone.close() for phone in self.phones))
        return {}


async def serve() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=2**26)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    worker: Worker | None = None
    lag_watch = None
    for sequence in itertools.count():
        line = await reader.readline()
        if not line:
            break
        message = json.loads(line)
        op = message["op"]
        if op == "setup":
            worker = Worker(message)
            lag_watch = loop.create_task(worker.watch_lag())
            worker.send({"op": op, "seq": sequence, "phones": len(worker.phones)})
            continue
        handler = getattr(worker, op)
        result = handler(message)
        if asyncio.iscoroutine(result):
            result = await result
        worker.send({"op": op, "seq": sequence, **result})
        if op == "close":
            break
    if lag_watch is not None:
        lag_watch.cancel()


def main() -> None:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="phones: %(message)s")
    asyncio.run(serve())


if __name__ == "__main__":
    main()

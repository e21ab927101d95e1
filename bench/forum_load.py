"""Forum load: many simulated phones, a moderator and a projector against the real server.

    .venv/bin/python -m bench.forum_load --phones 2000 --rate 100 --seconds 60
    .venv/bin/python -m bench.forum_load --phones 1000 --async-mode gevent
    .venv/bin/python -m bench.forum_load --phones 2000 --processes 2          # PostgreSQL + Redis
    .venv/bin/python -m bench.forum_load --phones 1000 --baseline             # and the minimal server
    .venv/bin/python -m bench.forum_load --phones 2000 --max --baseline       # highest sustained rates

It starts the server itself (``python wsgi.py`` on a free port, a fresh SQLite file; with
``--processes P`` > 1, P processes on a fresh PostgreSQL database with Redis as message queue) or
targets ``--url`` (with ``--database-url`` of that server's database), sets up a workshop through the
services (``bench/forum_setup.py``), and runs a forum:

1. the moderator (a logged-in console) starts the workshop and opens the check-in;
2. ``--phones`` phones join over ``--ramp`` seconds (``GET /<code>``, WebSocket connect, snapshot,
   ``check_in``); then ``--idle`` quiet seconds measure what connected phones cost;
3. the moderator opens the card step; phones send ``--rate`` commands per second for ``--seconds``
   (``submit_card``; ``edit_card`` once a phone has written the step's maximum); the moderator approves
   ``--approve-rate`` cards per second and reveals the wall after a third of the time;
4. the moderator opens the vote: every phone casts a dot-vote ballot within ``--vote-window`` seconds
   (the burst), then the moderator reveals the results (every phone asks for a snapshot, as
   ``vote.js`` does).

Phones run in ``--generators`` separate asyncio processes (``bench/forum_phones.py``); console and
projector run in this process. The last line on stdout is one JSON object (see docs/performance.md).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import socketio

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from serverproc import ServerProcess, free_port  # noqa: E402

ASYNC_MODES = ("eventlet", "gevent", "threading")
POSTGRES_URL = os.environ.get("FACILITATION_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("FACILITATION_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
CONNECT_TIMEOUT = 10
ACK_TIMEOUT = 15
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
#: ``--max``: a rate is sustained while the 95th percentile of its acks stays under this.
MAX_P95_MS = 500


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- numbers -------------------------------------------------------------------------------------------


def percentile(values, share: float) -> float | None:
    """The nearest-rank percentile of ``values`` (``None`` when empty)."""
    values = sorted(values)
    if not values:
        return None
    return values[max(0, math.ceil(share * len(values)) - 1)]


def ms(seconds: float | None) -> float | None:
    if seconds is None:
        return None
    return None if math.isinf(seconds) else round(seconds * 1000, 1)


def latency_summary(seconds: list[float]) -> dict:
    return {
        "n": len(seconds),
        "p50_ms": ms(percentile(seconds, 0.50)),
        "p95_ms": ms(percentile(seconds, 0.95)),
        "p99_ms": ms(percentile(seconds, 0.99)),
        "max_ms": ms(max(seconds)) if seconds else None,
    }


# -- processes: CPU and memory from /proc ----------------------------------------------------------------


def proc_cpu(pid: int) -> float:
    """User + system CPU seconds of a process (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def proc_memory(pid: int) -> tuple[float, float]:
    """Current and peak resident memory in MB."""
    values = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, amount, _unit = line.split()
                values[key] = int(amount) / 1024
    except FileNotFoundError:
        return 0.0, 0.0
    return values.get("VmRSS:", 0.0), values.get("VmHWM:", 0.0)


def proc_waiting(pid: int) -> float:
    """Seconds a process was ready to run but waited for a CPU (``/proc/<pid>/schedstat``): how much
    other processes on the machine held it back."""
    total = 0.0
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except FileNotFoundError:
        return 0.0
    for task in tasks:
        try:
            total += int((task / "schedstat").read_text().split()[1]) / 1e9
        except (FileNotFoundError, IndexError, ValueError):
            continue
    return total


class CpuClock:
    """CPU seconds (and seconds waiting for a CPU) of a group of processes, read at named moments."""

    def __init__(self, pids_of):
        self.pids_of = pids_of
        self.marks: dict[str, tuple[float, float]] = {}
        self.waits: dict[str, float] = {}

    def now(self) -> float:
        return sum(proc_cpu(pid) for pid in self.pids_of())

    def mark(self, name: str) -> None:
        pids = self.pids_of()
        self.marks[name] = (time.monotonic(), sum(proc_cpu(pid) for pid in pids))
        self.waits[name] = sum(proc_waiting(pid) for pid in pids)

    def between(self, first: str, last: str) -> tuple[float, float]:
        """(wall seconds, CPU seconds) between two marks."""
        (t0, c0), (t1, c1) = self.marks[first], self.marks[last]
        return t1 - t0, c1 - c0

    def waited(self, first: str, last: str) -> float:
        return self.waits[last] - self.waits[first]


# -- the servers -------------------------------------------------------------------------------------------


class AppServers:
    """``P`` processes of the app on one database (SQLite for one process unless ``--postgres``)."""

    kind = "app"

    def __init__(self, args, workdir: Path):
        self.args = args
        self.workdir = workdir
        self.servers: list[ServerProcess] = []
        self.database_url: str | None = None
        self.pg_admin: str | None = None
        self.pg_name: str | None = None
        self.setup: dict = {}
        self.urls: list[str] = []

    def start(self) -> None:
        args = self.args
        env = {"FACILITATION_MAX_CONNECTIONS": str(max(5000, args.phones + 100))}
        if args.url:
            self.urls = [u.rstrip("/") for u in args.url]
            self.database_url = args.database_url
            self.setup = self._run_setup({**os.environ, "DATABASE_URL": args.database_url})
            return
        if args.processes > 1 or args.postgres:
            self.database_url = self._create_postgres()
        if args.processes > 1:
            channel = f"facilitation-bench-{secrets.token_hex(4)}"
            env.update(FACILITATION_MESSAGE_QUEUE=args.redis_url, FACILITATION_MESSAGE_QUEUE_CHANNEL=channel)
        for number in range(args.processes):
            server = ServerProcess(
                self.workdir / f"server{number}",
                async_mode=args.async_mode,
                database_url=self.database_url,
                env=env,
            )
            self.servers.append(server)
        first = self.servers[0]
        if self.database_url is None:
            # One SQLite file for the (single) process.
            self.database_url = first.database_url
        self.setup = self._run_setup(first.env, migrate=True)
        for server in self.servers:
            server.start(timeout=60)
            log(f"server pid {server.process.pid} on {server.url} ({args.async_mode})")
        self.urls = [server.url for server in self.servers]

    def _create_postgres(self) -> str:
        import psycopg
        from sqlalchemy.engine import make_url

        self.pg_name = f"facilitation_bench_{secrets.token_hex(4)}"
        admin = make_url(POSTGRES_URL)
        self.pg_admin = admin.set(drivername="postgresql").render_as_string(False)
        with psycopg.connect(self.pg_admin, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{self.pg_name}"')
        return admin.set(drivername="postgresql+psycopg", database=self.pg_name).render_as_string(False)

    def _run_setup(self, env: dict, migrate: bool = False) -> dict:
        result = subprocess.run(
            [sys.executable, "-m", "bench.forum_setup", *(["--migrate"] if migrate else [])],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if result.returncode != 0:
            raise RuntimeError(f"bench.forum_setup failed:\n{result.stdout}\n{result.stderr}")
        return json.loads(result.stdout.strip().splitlines()[-1])

    def pids(self) -> list[int]:
        return [s.process.pid for s in self.servers if s.process is not None and s.process.poll() is None]

    def db_pids(self) -> list[int]:
        """PostgreSQL backends serving this run's database (their CPU is part of the server's cost)."""
        if not self.pg_name:
            return []
        import psycopg

        with psycopg.connect(self.pg_admin, autocommit=True) as connection:
            rows = connection.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (self.pg_name,)).fetchall()
        return [pid for (pid,) in rows]

    def query(self, sql: str, *params) -> list[tuple]:
        """Read the database (``?`` placeholders)."""
        if self.database_url.startswith("sqlite"):
            import sqlite3

            path = self.database_url.removeprefix("sqlite:///")
            connection = sqlite3.connect(path, timeout=30)
            try:
                return connection.execute(sql, params).fetchall()
            finally:
                connection.close()
        import psycopg
        from sqlalchemy.engine import make_url

        dsn = make_url(self.database_url).set(drivername="postgresql").render_as_string(False)
        with psycopg.connect(dsn) as connection:
            return connection.execute(sql.replace("?", "%s"), params).fetchall()

    def tracebacks(self) -> int:
        return sum(server.output().count("Traceback") for server in self.servers)

    def traceback_sample(self) -> str | None:
        """The end of the first traceback a server printed, for the report."""
        for server in self.servers:
            output = server.output()
            if "Traceback" in output:
                return "\n".join(output[output.index("Traceback") :].splitlines()[:40])[-2000:]
        return None

    def stop(self) -> None:
        for server in self.servers:
            with contextlib.suppress(Exception):
                server.stop()
        if self.pg_name:
            import psycopg

            with contextlib.suppress(Exception), psycopg.connect(self.pg_admin, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')


class BaselineServer:
    """``bench/baseline_server.py`` on a fresh SQLite file."""

    kind = "baseline"

    def __init__(self, args, workdir: Path):
        self.args = args
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.database = workdir / "baseline.sqlite3"
        self.process: subprocess.Popen | None = None
        self.setup = {
            "code": "BASE42",
            "key": "",
            "steps": {"checkin": 1, "cards": 2, "vote": 3},
            "columns": ["Erhalten", "Zurücklassen", "Neu gestalten"],
            "organisations": ["Jugendamt"],
            "roles": ["Leitung"],
            "max_cards": 50,
            "max_per_column": 20,
            "dots": 5,
        }
        self.urls: list[str] = []

    def start(self) -> None:
        port = free_port()
        env = {
            k: v for k, v in os.environ.items() if not k.startswith("FACILITATION_") and k != "DATABASE_URL"
        } | {"FACILITATION_ASYNC_MODE": self.args.async_mode, "PYTHONUNBUFFERED": "1"}
        self.log_file = open(self.workdir / "baseline.log", "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "bench" / "baseline_server.py"),
                "--port",
                str(port),
                "--database",
                str(self.database),
                "--max-connections",
                str(max(5000, self.args.phones + 100)),
            ],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url + "/", timeout=2):
                    break
            except (urllib.error.URLError, ConnectionError, OSError):
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the baseline server did not start") from None
                time.sleep(0.1)
        self.urls = [url]
        log(f"baseline pid {self.process.pid} on {url} ({self.args.async_mode})")

    def pids(self) -> list[int]:
        return [self.process.pid] if self.process and self.process.poll() is None else []

    def db_pids(self) -> list[int]:
        return []

    def query(self, sql: str, *params) -> list[tuple]:
        import sqlite3

        connection = sqlite3.connect(self.database, timeout=30)
        try:
            return connection.execute(sql, params).fetchall()
        finally:
            connection.close()

    def tracebacks(self) -> int:
        return (self.workdir / "baseline.log").read_text(errors="replace").count("Traceback")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, 15)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait(10)
        if getattr(self, "log_file", None):
            self.log_file.close()


# -- the phones' processes ---------------------------------------------------------------------------------


class Generators:
    """``bench.forum_phones`` subprocesses, each with a share of the phones."""

    def __init__(self, count: int):
        self.count = count
        self.processes: list[asyncio.subprocess.Process] = []

    async def start(self, setup: dict, urls: list[str], phones: int, ramp: float, projector_process: int) -> None:
        # Phones spread round-robin over the server processes, beginning after the projector's
        # process, so that with two processes the projector sits with the smaller half.
        order = [(number, urls[(number + projector_process + 1) % len(urls)]) for number in range(phones)]
        offsets = [(number, ramp * number / max(1, phones)) for number in range(phones)]
        for index in range(self.count):
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bench.forum_phones",
                cwd=ROOT,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                limit=2**28,
            )
            self.processes.append(process)
            mine = order[index :: self.count]
            await self._send(process, {"op": "setup", **setup, "phones": mine, "offsets": offsets[index :: self.count]})
        await asyncio.gather(*(self._receive(p) for p in self.processes))

    async def _send(self, process, message: dict) -> None:
        process.stdin.write((json.dumps(message) + "\n").encode())
        await process.stdin.drain()

    async def _receive(self, process) -> dict:
        line = await process.stdout.readline()
        if not line:
            raise RuntimeError(f"a phone generator (pid {process.pid}) exited with {await process.wait()}")
        return json.loads(line)

    async def call(self, message: dict, share: bool = False) -> list[dict]:
        """Send ``message`` to every generator (``rate`` split by share) and wait for all answers."""
        for process in self.processes:
            body = dict(message)
            if share and "rate" in body:
                body["rate"] = body["rate"] / self.count
            await self._send(process, body)
        return list(await asyncio.gather(*(self._receive(p) for p in self.processes)))

    def pids(self) -> list[int]:
        return [p.pid for p in self.processes if p.returncode is None]

    async def stop(self) -> None:
        for process in self.processes:
            if process.returncode is None:
                with contextlib.suppress(Exception):
                    await self._send(process, {"op": "close"})
        for process in self.processes:
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()


# -- moderator console and projector ---------------------------------------------------------------------------


@dataclass
class Screen:
    """A console or projector connection that keeps what it needs for the measurements."""

    name: str
    client: socketio.AsyncClient
    http: aiohttp.ClientSession
    events: list[tuple[float, str, dict]] = field(default_factory=list)
    pending_cards: deque = field(default_factory=deque)
    rate_limited: int = 0
    disconnected: int = 0
    resent: int = 0

    @classmethod
    async def open(cls, name: str, url: str, auth: dict, http: aiohttp.ClientSession | None = None) -> Screen:
        http = http or aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        client = socketio.AsyncClient(reconnection=True, reconnection_delay=0.5, http_session=http)
        screen = cls(name, client, http)
        snapshot = asyncio.get_running_loop().create_future()

        def record(event, payload=None):
            screen.events.append((time.monotonic(), event, payload))
            if event == "snapshot" and not snapshot.done():
                snapshot.set_result(payload)
            elif event == "card_changed" and payload["card"]["status"] == "pending":
                screen.pending_cards.append(payload["card"]["id"])

        client.on("*", record)
        client.on("snapshot", lambda payload: record("snapshot", payload))
        await asyncio.wait_for(
            client.connect(url, auth=auth, transports=["websocket"], wait_timeout=CONNECT_TIMEOUT),
            CONNECT_TIMEOUT + 5,
        )
        screen.snapshot = await asyncio.wait_for(snapshot, CONNECT_TIMEOUT)
        return screen

    async def command(self, event: str, payload: dict | None = None, patience: float = 180) -> tuple[float, dict]:
        """Send a command that must succeed (waiting out ``rate_limited`` as live.js does); (sent, ack).

        An overloaded server answers late, not never: wait for the ack rather than send again (most
        moderator commands are not idempotent as a pair: opening an open step is refused).
        """
        deadline = time.monotonic() + patience
        sent = time.monotonic()
        resent = False
        while True:
            try:
                ack = await self.client.call(event, payload or {}, timeout=60)
            except socketio.exceptions.BadNamespaceError:  # disconnected: not sent, reconnecting
                if time.monotonic() > deadline:
                    raise
                self.disconnected += 1
                await asyncio.sleep(0.5)
                continue
            except socketio.exceptions.TimeoutError:
                # The connection dropped and came back meanwhile (the ack went to the old one), or the
                # server is far behind: send again, and take a refusal of the repeat as done.
                if time.monotonic() > deadline:
                    raise
                self.resent += 1
                resent = True
                continue
            # Over budget, or no database connection free on the server: wait and send again.
            if isinstance(ack, dict) and ack.get("error") in ("rate_limited", "busy") and time.monotonic() < deadline:
                self.rate_limited += 1
                await asyncio.sleep(ack.get("retry_after", 1))
                continue
            if not (isinstance(ack, dict) and (ack.get("ok") or resent)):
                raise RuntimeError(f"{self.name}: {event} {payload} answered {ack}")
            return sent, ack

    def of(self, event: str) -> list[tuple[float, dict]]:
        return [(t, payload) for t, name, payload in self.events if name == event]

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.client.disconnect(), 5)
        with contextlib.suppress(Exception):
            await self.http.close()


async def log_in(url: str, email: str, password: str) -> aiohttp.ClientSession:
    http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    async with http.get(f"{url}/login") as response:
        page = await response.text()
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page
    )
    if not match:
        raise RuntimeError("no CSRF token on the login page")
    async with http.post(
        f"{url}/login",
        data={"email": email, "password": password, "csrf_token": match.group(1)},
        allow_redirects=False,
    ) as response:
        if response.status != 302:
            raise RuntimeError(f"login failed ({response.status})")
    return http


class Moderator:
    """The console: runs the agenda and approves cards at a steady pace."""

    def __init__(self, console: Screen):
        self.console = console
        #: Broadcast marks: "event:version" -> when the command that caused it was sent.
        self.marks: dict[str, dict] = {}
        self.approvals: list[tuple[float, int]] = []
        self.approving: asyncio.Task | None = None

    async def act(self, label: str, event: str, payload: dict) -> dict:
        seen = len(self.console.events)
        sent, ack = await self.console.command(event, payload)
        await asyncio.sleep(0.2)  # the events the command caused (they arrive before the ack)
        for _t, name, body in self.console.events[seen:]:
            if name in ("activity_changed", "current_activity_changed", "workshop_changed") and isinstance(body, dict):
                self.marks[f"{name}:{body.get('version')}"] = {"label": label, "sent": sent}
        return ack

    def approve(self, rate: float) -> None:
        async def run():
            interval = 1 / rate
            while True:
                if not self.console.pending_cards:
                    await asyncio.sleep(0.05)
                    continue
                card_id = self.console.pending_cards.popleft()
                started = time.monotonic()
                try:
                    await self.console.command("approve_card", {"card_id": card_id}, patience=30)
                except Exception as error:  # keep going: the report counts what was approved
                    log(f"approve_card {card_id}: {error}")
                else:
                    self.approvals.append((time.monotonic(), card_id))
                await asyncio.sleep(max(0, interval - (time.monotonic() - started)))

        self.approving = asyncio.get_running_loop().create_task(run())

    async def stop_approving(self) -> None:
        if self.approving:
            self.approving.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.approving
            self.approving = None


# -- the run -------------------------------------------------------------------------------------------------


def merge_reports(reports: list[dict]) -> dict:
    merged = {"commands": [], "marks": {}, "snapshot_latencies": [], "join_latencies": [], "lags": []}
    counts: Counter = Counter()
    for report in reports:
        merged["commands"] += report["commands"]
        merged["snapshot_latencies"] += report["snapshot_latencies"]
        merged["join_latencies"] += report["join_latencies"]
        merged["lags"] += report["lags"]
        counts.update(report["counts"])
        for key, times in report["marks"].items():
            merged["marks"].setdefault(key, []).extend(times)
    merged["counts"] = dict(counts)
    merged["connected"] = sum(r["connected"] for r in reports)
    merged["reconnects"] = sum(r["reconnects"] for r in reports)
    merged["generator_cpu_s"] = sum(r["cpu_s"] for r in reports)
    return merged


def projector_latencies(acks: list[float], updates: list[tuple[float, int]]) -> tuple[list[float], int]:
    """For the k-th ack (by time), how long until the projector showed at least k.

    ``updates`` are (arrival, count) of the projector's coalesced updates. Returns the latencies (0 for
    an update that overtook the ack) and how many acks the projector never caught up with.
    """
    acks = sorted(acks)
    updates = sorted(updates)
    latencies, missing = [], 0
    first_at_least: list[tuple[int, float]] = []  # running maximum of counts, in arrival order
    best = -1
    for arrival, count in updates:
        if count > best:
            best = count
            first_at_least.append((count, arrival))
    index = 0
    for k, acked in enumerate(acks, start=1):
        while index < len(first_at_least) and first_at_least[index][0] < k:
            index += 1
        if index == len(first_at_least):
            missing += len(acks) - k + 1
            break
        latencies.append(max(0.0, first_at_least[index][1] - acked))
    return latencies, missing


def broadcast_times(marks: dict[str, dict], received: dict[str, list[float]], phones: int) -> dict:
    """Per state change: how long until 95 % of the connected phones had it."""
    results = {}
    needed = max(1, math.ceil(0.95 * phones))
    for key, mark in marks.items():
        if key.startswith("workshop_changed") or (key not in received and phones == 0):
            continue
        times = sorted(t - mark["sent"] for t in received.get(key, []))
        results[key] = {
            "label": mark["label"],
            "phones": len(times),
            "p95_ms": ms(times[needed - 1]) if len(times) >= needed else None,
            "p50_ms": ms(percentile(times, 0.5)),
        }
    return results


class Run:
    """One forum (or ``--max`` staircase) against one set of servers."""

    def __init__(self, args, servers, generators: int):
        self.args = args
        self.servers = servers
        self.generators = Generators(generators)
        self.server_cpu = CpuClock(lambda: servers.pids() + servers.db_pids_cached)
        self.generator_cpu = CpuClock(lambda: [*self.generators.pids(), os.getpid()])
        self.phases: dict[str, dict] = {}
        servers.db_pids_cached = []

    def mark(self, name: str) -> None:
        if getattr(self.servers, "pg_name", None):
            with contextlib.suppress(Exception):
                self.servers.db_pids_cached = self.servers.db_pids()
        self.server_cpu.mark(name)
        self.generator_cpu.mark(name)

    def phase(self, name: str, first: str, last: str, commands: int | None = None) -> None:
        wall, cpu = self.server_cpu.between(first, last)
        _wall, generator = self.generator_cpu.between(first, last)
        entry = {"seconds": round(wall, 2), "server_cpu_s": round(cpu, 2), "generator_cpu_s": round(generator, 2)}
        entry["server_cpu_share"] = round(cpu / wall, 3) if wall else None
        # Runnable but not running: the share of the phase the server waited for a CPU that other
        # processes (the phones, other users of the machine) held.
        entry["server_cpu_wait_share"] = round(self.server_cpu.waited(first, last) / wall, 3) if wall else None
        if commands is not None:
            entry["commands"] = commands
            entry["server_cpu_ms_per_command"] = round(1000 * cpu / commands, 3) if commands else None
        self.phases[name] = entry

    async def connect_screens(self) -> None:
        setup, urls = self.servers.setup, self.servers.urls
        self.console = self.projector = None
        if self.servers.kind != "app":
            return
        # Console on the first process, projector on the last: with two processes, approvals made on
        # one reach the projector through Redis.
        http = await log_in(urls[0], setup["email"], setup["password"])
        self.console = await Screen.open("console", urls[0], {"screen": "console", "code": setup["code"]}, http)
        self.projector = await Screen.open(
            "projector", urls[-1], {"screen": "projector", "code": setup["code"], "key": setup["key"]}
        )
        self.moderator = Moderator(self.console)

    async def forum(self) -> dict:
        args, setup = self.args, self.servers.setup
        steps = setup["steps"]
        is_app = self.servers.kind == "app"
        await self.connect_screens()
        if is_app:
            await self.moderator.act("start", "change_workshop_state", {"state": "live"})
            await self.moderator.act("open check-in", "open_activity", {"activity_id": steps["checkin"]})
        await self.generators.start(setup, self.servers.urls, args.phones, args.ramp, len(self.servers.urls) - 1)

        log(f"{args.phones} phones join over {args.ramp:.0f} s")
        self.mark("join")
        start = time.monotonic() + 0.5
        joined = await self.generators.call(
            {
                "op": "join",
                "start": start,
                "deadline": start + args.ramp + args.join_patience,
                "checkin": steps["checkin"],
            }
        )
        await self.generators.call({"op": "drain", "timeout": 30})
        self.mark("joined")
        connected = sum(j["connected"] for j in joined)
        log(f"{connected} phones connected; {args.idle:.0f} s idle")
        await asyncio.sleep(args.idle)
        self.mark("idle")

        if is_app:
            await self.moderator.act("open cards", "open_activity", {"activity_id": steps["cards"]})
            await asyncio.sleep(2)  # every phone asks for a snapshot of the new step
        self.mark("cards")
        log(f"cards: {args.rate}/s for {args.seconds:.0f} s")
        writing = asyncio.get_running_loop().create_task(
            self.generators.call(
                {
                    "op": "write",
                    "rate": args.rate,
                    "seconds": args.seconds,
                    "start": time.monotonic() + 0.2,
                    "activity_id": steps["cards"],
                },
                share=True,
            )
        )
        if is_app:
            self.moderator.approve(args.approve_rate)
            await asyncio.sleep(args.seconds / 3)
            await self.moderator.act("reveal cards", "reveal_activity", {"activity_id": steps["cards"]})
        await writing
        await self.generators.call({"op": "drain", "timeout": 30})
        if is_app:
            await self.moderator.stop_approving()
        self.mark("cards_done")

        if is_app:
            ack = await self.moderator.act("open vote", "open_activity", {"activity_id": steps["vote"]})
            del ack
            view = (await self.console.command("load_activity", {"activity_id": steps["vote"]}))[1]["view"]
            options = [option["id"] for option in view["options"]]
            self.mark("vote")
            log(f"vote: {connected} ballots within {args.vote_window:.0f} s")
            await self.generators.call(
                {
                    "op": "vote",
                    "activity_id": steps["vote"],
                    "options": options,
                    "window": args.vote_window,
                    "start": time.monotonic() + 0.1,
                }
            )
            await self.generators.call({"op": "drain", "timeout": 60})
            self.mark("voted")
            await self.moderator.act("reveal vote", "reveal_activity", {"activity_id": steps["vote"]})
            await asyncio.sleep(3)  # every phone asks for a snapshot with the results
            self.mark("revealed")
        return await self.finish(joined)

    async def staircase(self) -> dict:
        """``--max``: raise the rate step by step until the acks' p95 passes 500 ms."""
        args, setup = self.args, self.servers.setup
        steps = setup["steps"]
        is_app = self.servers.kind == "app"
        await self.connect_screens()
        if is_app:
            await self.moderator.act("start", "change_workshop_state", {"state": "live"})
            await self.moderator.act("open check-in", "open_activity", {"activity_id": steps["checkin"]})
        await self.generators.start(setup, self.servers.urls, args.phones, args.ramp, len(self.servers.urls) - 1)
        log(f"{args.phones} phones join over {args.ramp:.0f} s")
        self.mark("join")
        start = time.monotonic() + 0.5
        joined = await self.generators.call(
            {"op": "join", "start": start, "deadline": start + args.ramp + args.join_patience, "checkin": None}
        )
        self.mark("joined")
        if is_app:
            await self.moderator.act("open cards", "open_activity", {"activity_id": steps["cards"]})
            await asyncio.sleep(2)
        rate, best, staircase = float(args.rate), None, []
        while rate <= args.max_rate:
            phase = f"max:{rate:g}"
            self.mark(phase)
            sent = await self.generators.call(
                {
                    "op": "write",
                    "rate": rate,
                    "seconds": args.step_seconds,
                    "start": time.monotonic() + 0.2,
                    "activity_id": steps["cards"],
                    "phase": phase,
                    "seed": int(rate),
                },
                share=True,
            )
            self.mark(phase + ":sent")
            await self.generators.call({"op": "drain", "timeout": 10})
            self.mark(phase + ":done")
            stats = await self.generators.call({"op": "stats", "phase": phase})
            latencies = [x for s in stats for x in s["latencies"]]
            answered_ok = sum(s["ok"] for s in stats)
            count = sum(s["sent"] for s in sent)
            wall, cpu = self.server_cpu.between(phase, phase + ":sent")
            waited = self.server_cpu.waited(phase, phase + ":sent")
            p95 = percentile(latencies, 0.95)
            sustained = (
                p95 is not None
                and p95 * 1000 <= MAX_P95_MS
                and answered_ok >= 0.99 * count
                and count >= 0.9 * rate * args.step_seconds
            )
            staircase.append(
                {
                    "rate": rate,
                    "sent": count,
                    "acked": answered_ok,
                    "ack_p95_ms": ms(p95),
                    "server_cpu_share": round(cpu / wall, 3) if wall else None,
                    "server_cpu_wait_share": round(waited / wall, 3) if wall else None,
                    "server_cpu_ms_per_command": round(1000 * cpu / count, 3) if count else None,
                    "sustained": sustained,
                }
            )
            log(f"  {rate:g}/s: p95 {ms(p95)} ms, {answered_ok}/{count} acked, cpu {cpu / wall:.0%}")
            if not sustained:
                break
            best = rate
            rate = round(rate * args.max_factor)
        result = await self.finish(joined)
        result["max_rate"] = best
        result["staircase"] = staircase
        return result

    async def finish(self, joined: list[dict]) -> dict:
        reports = await self.generators.call({"op": "report"})
        merged = merge_reports(reports)
        self.mark("end")
        rss = [proc_memory(pid) for pid in self.servers.pids()]
        await self.generators.stop()
        if self.console:
            await self.console.close()
        if self.projector:
            await self.projector.close()
        return self.summarise(merged, joined, rss)

    def summarise(self, merged: dict, joined: list[dict], rss: list[tuple[float, float]]) -> dict:
        args = self.args
        commands = merged["commands"]
        # [event, client_id, phase, enqueued, answered, ok, error, attempts, card_id, text]
        sent = [c for c in commands if c[7] > 0]
        acked = [c for c in commands if c[5]]
        refused = Counter(c[6] for c in commands if c[4] is not None and not c[5])
        latencies = [c[4] - c[3] for c in acked]
        by_event = {}
        for event in sorted({c[0] for c in commands}):
            by_event[event] = latency_summary([c[4] - c[3] for c in acked if c[0] == event])
        connected = sum(j["connected"] for j in joined)
        result = {
            "phones": args.phones,
            "connected": connected,
            "connected_at_end": merged["connected"],
            "reconnects": merged["reconnects"],
            "commands_sent": len(sent),
            "commands_acked": len(acked),
            "commands_refused": dict(refused),
            "commands_unanswered": len(sent) - len(acked) - sum(refused.values()),
            "ack_p50_ms": ms(percentile(latencies, 0.5)),
            "ack_p95_ms": ms(percentile(latencies, 0.95)),
            "ack_p99_ms": ms(percentile(latencies, 0.99)),
            "ack_by_command": by_event,
            "snapshot_refresh": latency_summary(merged["snapshot_latencies"]),
            "join": latency_summary(merged["join_latencies"]),
            "counts": merged["counts"],
        }
        result.update(self.check_database(acked, sent))
        if self.projector is not None:
            result.update(self.projector_freshness(acked))
            marks = broadcast_times(self.moderator.marks, merged["marks"], connected)
            worst = [m["p95_ms"] for m in marks.values() if m["phones"]]
            result["broadcast_p95_ms"] = None if not worst or None in worst else max(worst)
            result["broadcasts"] = marks
            presence = [p for _t, p in self.projector.of("presence_changed")]
            result["presence_phones_max"] = max((p.get("phones", 0) for p in presence), default=None)
            result["console_rate_limited"] = self.console.rate_limited
            result["console_disconnected"] = self.console.disconnected
            result["console_resent"] = self.console.resent
            result["approved"] = len(self.moderator.approvals)
        else:
            result.update(projector_p95_ms=None, broadcast_p95_ms=None)
        cpu_total = self.server_cpu.marks["end"][1] - self.server_cpu.marks["join"][1]
        result.update(
            server_rss_mb=round(max((peak for _now, peak in rss), default=0), 1),
            server_rss_mb_total=round(sum(peak for _now, peak in rss), 1),
            server_cpu_s=round(cpu_total, 2),
            server_cpu_wait_s=round(self.server_cpu.waited("join", "end"), 2),
            load_average=os.getloadavg()[0],
            async_mode=args.async_mode,
            processes=len(self.servers.urls),
            database="postgresql" if getattr(self.servers, "pg_name", None) else "sqlite",
            generators=self.generators.count,
            generator_cpu_s=round(merged["generator_cpu_s"], 2),
            generator_lag_p99_ms=ms(percentile(merged["lags"], 0.99)),
            server_tracebacks=self.servers.tracebacks(),
        )
        if result["server_tracebacks"] and hasattr(self.servers, "traceback_sample"):
            result["server_traceback_sample"] = self.servers.traceback_sample()
        marks = self.server_cpu.marks
        self.phase("join", "join", "joined", sum(1 for c in acked if c[2] == "checkin") or None)
        if "idle" in marks:
            self.phase("idle", "joined", "idle")
        if "cards_done" in marks:
            card_commands = sum(1 for c in acked if c[2] == "cards")
            moderator = len(self.moderator.approvals) if self.projector is not None else 0
            self.phase("cards", "cards", "cards_done", card_commands + moderator)
            idle = self.phases.get("idle")
            cards = self.phases["cards"]
            if idle and cards.get("commands"):
                idle_rate = idle["server_cpu_s"] / idle["seconds"]
                net = cards["server_cpu_s"] - idle_rate * cards["seconds"]
                cards["server_cpu_ms_per_command_net_of_idle"] = round(1000 * net / cards["commands"], 3)
        if "voted" in marks:
            self.phase("vote", "vote", "voted", sum(1 for c in acked if c[2] == "vote"))
        result["phases"] = self.phases
        if "cards" in self.phases:
            result["server_cpu_ms_per_command"] = self.phases["cards"].get("server_cpu_ms_per_command")
        return result

    def check_database(self, acked: list, sent: list) -> dict:
        """Every acked command in the database once: stored, lost (acked, not there), duplicated."""
        servers = self.servers
        submitted = {c[1] for c in acked if c[0] == "submit_card"}
        ballots = {c[1] for c in acked if c[0] == "cast_votes"}
        if servers.kind == "baseline":
            rows = servers.query("SELECT client_id, COUNT(*) FROM commands GROUP BY client_id")
            counts = dict(rows)
            ids = {c[1] for c in acked}
            stored = sum(1 for cid in ids if cid in counts)
            return {
                "stored": stored,
                "lost": len(ids) - stored,
                "duplicated": sum(n - 1 for n in counts.values() if n > 1),
            }
        steps = servers.setup["steps"]
        cards = servers.query(
            'SELECT client_id, COUNT(*), MIN(id), MIN(text) FROM cards WHERE activity_id = ? GROUP BY client_id',
            steps["cards"],
        )
        card_rows = {cid: (n, card_id, text) for cid, n, card_id, text in cards}
        ballot_rows = dict(
            servers.query(
                "SELECT client_id, COUNT(*) FROM ballots WHERE activity_id = ? GROUP BY client_id", steps["vote"]
            )
        )
        checked_in = servers.query(
            "SELECT COUNT(*) FROM participants p JOIN workshops w ON w.id = p.workshop_id "
            "WHERE w.join_code = ? AND p.checked_in_at IS NOT NULL",
            servers.setup["code"],
        )[0][0]
        acked_checkins = sum(1 for c in acked if c[0] == "check_in")
        # An edit's effect: the card holds the text of its last acked edit.
        last_edit: dict[int, tuple[float, str]] = {}
        for c in acked:
            if c[0] == "edit_card" and (c[8] not in last_edit or c[4] > last_edit[c[8]][0]):
                last_edit[c[8]] = (c[4], c[9])
        texts = {card_id: text for _cid, (_n, card_id, text) in card_rows.items()}
        edits_lost = sum(1 for card_id, (_t, text) in last_edit.items() if texts.get(card_id) != text)
        stored_cards = sum(1 for cid in submitted if cid in card_rows)
        stored_ballots = sum(1 for cid in ballots if cid in ballot_rows)
        # A resend stored twice would show as two rows with one client id, or as rows nobody sent.
        sent_ids = {c[1] for c in sent}
        duplicated = sum(n - 1 for n, _id, _text in card_rows.values() if n > 1)
        duplicated += sum(n - 1 for n in ballot_rows.values() if n > 1)
        duplicated += sum(1 for cid in card_rows if cid not in sent_ids)
        return {
            "stored": stored_cards + stored_ballots + min(checked_in, acked_checkins),
            "lost": (len(submitted) - stored_cards)
            + (len(ballots) - stored_ballots)
            + max(0, acked_checkins - checked_in)
            + edits_lost,
            "duplicated": duplicated,
            "cards_in_db": len(card_rows),
            "ballots_in_db": len(ballot_rows),
        }

    def projector_freshness(self, acked: list) -> dict:
        steps = self.servers.setup["steps"]
        walls = [(t, p) for t, p in self.projector.of("wall_changed") if p.get("activity_id") == steps["cards"]]
        totals = [(t, sum(p["counts"]["status"].values())) for t, p in walls]
        visible = [(t, p["counts"]["status"]["visible"]) for t, p in walls]
        results = [
            (t, p["ballots"]) for t, p in self.projector.of("results_changed") if p.get("activity_id") == steps["vote"]
        ]
        cards, cards_missing = projector_latencies([c[4] for c in acked if c[0] == "submit_card"], totals)
        approvals, approvals_missing = projector_latencies([t for t, _id in self.moderator.approvals], visible)
        votes, votes_missing = projector_latencies([c[4] for c in acked if c[0] == "cast_votes"], results)
        every = cards + approvals + votes
        missing = cards_missing + approvals_missing + votes_missing
        return {
            "projector_p50_ms": ms(percentile(every, 0.5)),
            "projector_p95_ms": None if missing else ms(percentile(every, 0.95)),
            "projector_missing": missing,
            "projector": {
                "cards": latency_summary(cards),
                "approvals": latency_summary(approvals),
                "ballots": latency_summary(votes),
                "updates": len(walls) + len(results),
            },
        }


# -- main -----------------------------------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m bench.forum_load",
        description="Drive a forum with simulated phones; the last stdout line is a JSON object.",
    )
    parser.add_argument("--phones", type=int, default=200)
    parser.add_argument("--rate", type=float, default=100, help="phone commands per second (cards phase)")
    parser.add_argument("--seconds", type=float, default=60, help="length of the cards phase")
    parser.add_argument("--async-mode", choices=ASYNC_MODES, default="eventlet")
    parser.add_argument("--processes", type=int, default=1, help=">1: PostgreSQL + Redis")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL also for one process")
    parser.add_argument("--redis-url", default=REDIS_URL)
    parser.add_argument("--url", action="append", help="target running server(s) instead (repeat per process)")
    parser.add_argument("--database-url", help="with --url: that server's DATABASE_URL (setup and checks)")
    parser.add_argument("--ramp", type=float, help="seconds over which phones join (default phones/25)")
    parser.add_argument("--join-patience", type=float, default=60, help="seconds a phone keeps trying after the ramp")
    parser.add_argument("--idle", type=float, default=5, help="quiet seconds after the join")
    parser.add_argument("--approve-rate", type=float, default=5, help="cards the moderator approves per second")
    parser.add_argument("--vote-window", type=float, default=10, help="seconds over which every phone votes")
    parser.add_argument("--generators", type=int, help="phone processes (default: 1, 2 from 1,000 phones)")
    parser.add_argument("--baseline", action="store_true", help="also run the phones against the minimal server")
    parser.add_argument("--max", action="store_true", help="raise the rate until ack p95 passes 500 ms")
    parser.add_argument("--step-seconds", type=float, default=10, help="--max: seconds per rate")
    parser.add_argument("--max-factor", type=float, default=1.25, help="--max: rate factor per step")
    parser.add_argument("--max-rate", type=float, default=5000, help="--max: stop here")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (server logs)")
    parser.add_argument("--profile", metavar="DIR", help="record each server process with py-spy into DIR")
    args = parser.parse_args(argv)
    if args.ramp is None:
        args.ramp = max(2.0, args.phones / 25)
    if args.generators is None:
        args.generators = 2 if args.phones >= 1000 else 1
    if args.url and not args.database_url:
        parser.error("--url needs --database-url (the workshop is set up through the services)")
    if args.url:
        args.processes = len(args.url)
    return args


async def run_against(servers, args) -> dict:
    run = Run(args, servers, args.generators)
    profilers = start_profilers(servers, args.profile) if args.profile else []
    try:
        return await (run.staircase() if args.max else run.forum())
    finally:
        await run.generators.stop()
        for profiler in profilers:
            profiler.send_signal(2)
            with contextlib.suppress(subprocess.TimeoutExpired):
                profiler.wait(60)


def start_profilers(servers, directory: str) -> list[subprocess.Popen]:
    """py-spy (``pip install py-spy``) sampling each server process: where the server's CPU goes."""
    Path(directory).mkdir(parents=True, exist_ok=True)
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    return [
        subprocess.Popen(
            [py_spy, "record", "--pid", str(pid), "--rate", "200", "--format", "raw", "--nonblocking",
             "-o", str(Path(directory) / f"{servers.kind}-{pid}.txt")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for pid in servers.pids()
    ]


def run_servers(make, args) -> dict:
    servers = make()
    try:
        servers.start()
        return asyncio.run(run_against(servers, args))
    finally:
        servers.stop()


def main(argv=None) -> int:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="forum-load-"))
    try:
        log(f"work directory {workdir}")
        result = run_servers(lambda: AppServers(args, workdir / "app"), args)
        if args.baseline:
            baseline_args = argparse.Namespace(**{**vars(args), "processes": 1})
            baseline = run_servers(lambda: BaselineServer(baseline_args, workdir / "baseline"), baseline_args)
            result["baseline"] = {
                key: baseline.get(key)
                for key in (
                    "connected",
                    "commands_acked",
                    "lost",
                    "duplicated",
                    "ack_p50_ms",
                    "ack_p95_ms",
                    "ack_p99_ms",
                    "server_cpu_s",
                    "server_cpu_ms_per_command",
                    "server_rss_mb",
                    "max_rate",
                    "staircase",
                    "phases",
                )
                if key in baseline
            }
            ours, theirs = result.get("server_cpu_ms_per_command"), baseline.get("server_cpu_ms_per_command")
            if ours and theirs:
                result["throughput_ratio_by_cpu"] = round(theirs / ours, 3)
            if args.max and result.get("max_rate") and baseline.get("max_rate"):
                result["baseline_max_rate"] = baseline["max_rate"]
                result["throughput_ratio"] = round(result["max_rate"] / baseline["max_rate"], 3)
    finally:
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    summary = {k: result.get(k) for k in ("connected", "ack_p95_ms", "projector_p95_ms", "broadcast_p95_ms", "lost")}
    processes = len(args.url or []) or args.processes
    print(f"forum_load: {args.phones} phones, {args.async_mode}, {processes} process(es): {summary}")
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())

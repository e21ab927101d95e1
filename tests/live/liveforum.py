"""Helpers for the live tests: a forum set up through the server's CLI, screens that talk like browsers.

Moderator and projector are python-socketio's threaded ``Client``; phones (many at once) are
``AsyncClient`` on asyncio (see ``test_live_forum.py``). Every connect has a timeout: a client
connecting to a server that does not answer would otherwise hang.
"""

import contextlib
import re
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass

import psycopg
import requests
import socketio
from serverproc import ServerProcess, start_server
from sqlalchemy.engine import make_url

MODERATOR_EMAIL = "moderation@example.org"
MODERATOR_PASSWORD = "pass-word-123"
CARD_STEP = "Erhalten – Zurücklassen – Neu gestalten"
CONNECT_TIMEOUT = 10
ACK_TIMEOUT = 15


@dataclass
class Forum:
    """The demo workshop on a running server."""

    server: ServerProcess
    code: str
    key: str

    def query(self, sql: str, *params) -> list[tuple]:
        """Read the server's SQLite file directly."""
        connection = sqlite3.connect(self.server.sqlite_path, timeout=10)
        try:
            return connection.execute(sql, params).fetchall()
        finally:
            connection.close()


def wait_until(condition, timeout: float, message: str, interval: float = 0.02):
    """Poll ``condition()`` until it returns something true; return that, or fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{message} (after {timeout} s)")
        time.sleep(interval)


class Screen:
    """A console or projector connection that keeps every event it receives."""

    def __init__(self, forum: Forum, auth: dict, http: requests.Session | None = None):
        self.events: list[tuple[str, dict]] = []
        #: How often a command was refused as over budget (and sent again).
        self.rate_limited = 0
        self._lock = threading.Lock()
        self.client = socketio.Client(reconnection=False, http_session=http)
        self.client.on("*", self._record)
        self.client.connect(forum.server.url, auth=auth, transports=["websocket"], wait_timeout=CONNECT_TIMEOUT)
        self.snapshot = wait_until(lambda: self.last("snapshot"), CONNECT_TIMEOUT, "no snapshot")

    def _record(self, event, payload=None):
        with self._lock:
            self.events.append((event, payload))

    def of(self, event: str) -> list[dict]:
        with self._lock:
            return [payload for name, payload in self.events if name == event]

    def last(self, event: str) -> dict | None:
        found = self.of(event)
        return found[-1] if found else None

    def call(self, event: str, payload: dict | None = None) -> dict:
        return self.client.call(event, payload, timeout=ACK_TIMEOUT)

    def command(self, event: str, payload: dict | None = None, *, patience: float = 30) -> dict:
        """Send a command that must succeed; return its ack.

        Over the sender's budget the server answers ``rate_limited`` with ``retry_after``: like the
        browser's client, wait that long and send again.
        """
        deadline = time.monotonic() + patience
        while True:
            ack = self.call(event, payload)
            if not (isinstance(ack, dict) and ack.get("error") == "rate_limited" and time.monotonic() < deadline):
                break
            self.rate_limited += 1
            time.sleep(ack["retry_after"])
        assert isinstance(ack, dict) and ack.get("ok") is True, (event, payload, ack)
        return ack

    def close(self):
        self.client.disconnect()


def log_in(server: ServerProcess, email: str = MODERATOR_EMAIL, password: str = MODERATOR_PASSWORD):
    """Log in through the login form (with its CSRF token); return the session with the cookie."""
    http = requests.Session()
    page = http.get(f"{server.url}/login", timeout=10)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page.text
    )
    assert match, "no CSRF token on the login page"
    response = http.post(
        f"{server.url}/login",
        data={"email": email, "password": password, "csrf_token": match.group(1)},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, f"login failed ({response.status_code})"
    return http


def start_forum(tmp_path, async_mode: str) -> Forum:
    """Start a server on a fresh SQLite file, create the moderator and the demo workshop via the CLI."""
    server = start_server(tmp_path, async_mode=async_mode)
    try:
        server.cli("create-moderator", MODERATOR_EMAIL, "--password", MODERATOR_PASSWORD, "--name", "Mona")
        output = server.cli("load-demo", "--owner", MODERATOR_EMAIL)
        code = re.search(r"join code ([A-Z0-9]{6})", output).group(1)
        forum = Forum(server, code, "")
        [(forum.key,)] = forum.query("SELECT screen_key FROM workshops WHERE join_code = ?", code)
    except BaseException:
        server.stop()
        raise
    return forum


@dataclass
class TwoProcesses:
    """Two server processes on one PostgreSQL database and one Redis, with the demo workshop."""

    servers: tuple[ServerProcess, ServerProcess]
    code: str
    key: str
    dsn: str
    #: The Redis URL the processes share as message queue (a database of its own).
    queue: str

    def query(self, sql: str, *params) -> list[tuple]:
        """Read the shared PostgreSQL database directly."""
        with psycopg.connect(self.dsn) as connection:
            return connection.execute(sql, params).fetchall()


@contextlib.contextmanager
def two_processes(tmp_path, postgres_url: str, redis_url: str, name: str, env: dict | None = None, before_start=None):
    """Start two processes behind one message queue (our own Redis database and channel: pub/sub
    channels are shared across database numbers); stop them when done. ``before_start(queue)`` runs
    before the processes start."""
    queue = str(make_url(redis_url).set(database="13"))
    env = {
        "FACILITATION_MESSAGE_QUEUE": queue,
        "FACILITATION_MESSAGE_QUEUE_CHANNEL": f"facilitation-{name}-{secrets.token_hex(4)}",
        **(env or {}),
    }
    first = ServerProcess(tmp_path / "a", database_url=postgres_url, env=env)
    second = ServerProcess(tmp_path / "b", database_url=postgres_url, env=env)
    first.upgrade_database()
    first.cli("create-moderator", MODERATOR_EMAIL, "--password", MODERATOR_PASSWORD, "--name", "Mona")
    code = re.search(r"join code ([A-Z0-9]{6})", first.cli("load-demo", "--owner", MODERATOR_EMAIL)).group(1)
    dsn = make_url(postgres_url).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(dsn) as connection:
        [(key,)] = connection.execute("SELECT screen_key FROM workshops WHERE join_code = %s", (code,)).fetchall()
    if before_start:
        before_start(queue)
    try:
        for server in (first, second):
            server.start()
        yield TwoProcesses((first, second), code, key, dsn, queue)
    finally:
        for server in (first, second):
            server.stop()

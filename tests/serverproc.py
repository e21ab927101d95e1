"""Start the real server (``python wsgi.py``) as a subprocess, for browser and end-to-end tests.

The test process never imports eventlet or gevent: Playwright's sync API runs on greenlet, and the
monkey-patching must happen in a fresh interpreter anyway. So each server runs in its own process,
with its own database (a fresh SQLite file under ``tmp_path`` unless a ``database_url`` is given)::

    server = start_server(tmp_path, async_mode="gevent")
    server.cli("create-moderator", "m@example.org", "--password", "pass-word-123")
    requests.get(server.url + "/login")
    server.stop()
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT = 20.0
CLI_TIMEOUT = 120.0

#: Variables of the caller's environment that must not leak into a test server.
#: ``FLASK_RUN_FROM_CLI`` is left behind by any test that ran a command through ``FlaskGroup``; with it
#: the threading server's ``app.run()`` returns at once.
_SCRUBBED = ("DATABASE_URL", "SECRET_KEY", "FLASK_APP", "FLASK_DEBUG", "FLASK_RUN_FROM_CLI")


class ServerError(RuntimeError):
    """The server did not start, or a CLI command failed; the message holds its output."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerProcess:
    """One server subprocess; ``url`` stays the same across :meth:`restart`."""

    def __init__(
        self,
        tmp_path: Path,
        *,
        async_mode: str = "eventlet",
        database_url: str | None = None,
        env: dict[str, str] | None = None,
        port: int | None = None,
    ) -> None:
        self.tmp_path = Path(tmp_path)
        self.tmp_path.mkdir(parents=True, exist_ok=True)
        self.async_mode = async_mode
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        #: The SQLite file, or ``None`` when the server uses ``database_url``.
        self.sqlite_path: Path | None = None if database_url else self.tmp_path / "facilitation.sqlite3"
        self.database_url = database_url or f"sqlite:///{self.sqlite_path}"
        self.log_path = self.tmp_path / f"server-{async_mode}-{self.port}.log"
        self.env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED and not k.startswith("FACILITATION_")}
        self.env.update(
            DATABASE_URL=self.database_url,
            SECRET_KEY="test-secret-key-" + str(self.port),
            FACILITATION_ASYNC_MODE=async_mode,
            FACILITATION_HOST="127.0.0.1",
            FACILITATION_PORT=str(self.port),
            PYTHONUNBUFFERED="1",
            PYTHONDONTWRITEBYTECODE="1",
        )
        self.env.update(env or {})
        self.process: subprocess.Popen | None = None
        self._log = None

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self, *, timeout: float = STARTUP_TIMEOUT) -> ServerProcess:
        """Launch ``python wsgi.py`` and wait until ``GET /`` answers."""
        if self.process and self.process.poll() is None:
            raise ServerError("The server is already running")
        self._log = open(self.log_path, "ab")  # noqa: SIM115 (kept open for the process' lifetime)
        self.process = subprocess.Popen(
            [sys.executable, "wsgi.py"],
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # signals reach only this server, never the test run
        )
        self._wait_until_ready(timeout)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Terminate the server (SIGTERM, then SIGKILL if it lingers)."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self._signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                self.process.wait(timeout)
        self._close_log()

    def kill(self) -> None:
        """End the server abruptly (SIGKILL), as a crash or a pulled plug would."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self._signal(signal.SIGKILL)
            self.process.wait(10)
        self._close_log()

    def restart(self, *, timeout: float = STARTUP_TIMEOUT) -> ServerProcess:
        """Stop and start again on the same port and database."""
        self.stop()
        return self.start(timeout=timeout)

    @property
    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def output(self) -> str:
        """Everything the server printed so far (stdout and stderr)."""
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    # -- commands against the same database ---------------------------------------------------------

    def cli(self, *args: str, input: str | None = None, timeout: float = CLI_TIMEOUT) -> str:
        """Run ``flask --app wsgi <args>`` with this server's settings; return its stdout."""
        result = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", *args],
            cwd=ROOT,
            env=self.env,
            input=input,
            stdin=None if input is not None else subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise ServerError(
                f"`flask {' '.join(args)}` exited with {result.returncode}\n"
                f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}"
            )
        return result.stdout

    def upgrade_database(self) -> None:
        """Create or migrate the schema (``flask db upgrade``)."""
        self.cli("db", "upgrade")

    # -- helpers -------------------------------------------------------------------------------------

    def _wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self._close_log()
                raise ServerError(
                    f"The {self.async_mode} server exited with {self.process.returncode} before answering:\n"
                    + self.output()
                )
            try:
                with urllib.request.urlopen(self.url + "/", timeout=2):
                    return
            except urllib.error.HTTPError:
                return  # it answered, if not with 200: the tests will tell
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                time.sleep(0.1)
        output = self.output()
        self.kill()
        raise ServerError(f"The {self.async_mode} server did not answer {self.url}/ within {timeout:.0f} s:\n{output}")

    def _signal(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signum)

    def _close_log(self) -> None:
        if self._log:
            self._log.close()
            self._log = None

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<ServerProcess {self.async_mode} {self.url} {'running' if self.is_running else 'stopped'}>"


def start_server(
    tmp_path: Path,
    *,
    async_mode: str = "eventlet",
    database_url: str | None = None,
    env: dict[str, str] | None = None,
    timeout: float = STARTUP_TIMEOUT,
) -> ServerProcess:
    """Migrate a fresh database, start the server in ``async_mode`` and wait until it answers.

    Stop it with ``.stop()`` (or use it as a context manager). ``env`` adds or overrides variables,
    e.g. ``{"FACILITATION_MESSAGE_QUEUE": "redis://127.0.0.1:6379/0"}``.
    """
    server = ServerProcess(tmp_path, async_mode=async_mode, database_url=database_url, env=env)
    server.upgrade_database()
    return server.start(timeout=timeout)

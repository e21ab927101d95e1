"""Two server processes with one Redis share the failed-connect budget of a client address: failures on
one process refuse cookieless connects on the other, before they are authenticated."""

import re
import secrets

import psycopg
import pytest
import redis
import requests
import socketio
from liveforum import MODERATOR_EMAIL, MODERATOR_PASSWORD, Forum, Screen
from serverproc import ServerProcess
from sqlalchemy.engine import make_url

pytestmark = [pytest.mark.server, pytest.mark.postgres, pytest.mark.redis]


def refused(url: str, auth: dict) -> bool:
    """Whether the server refused a connect with ``auth``."""
    client = socketio.Client(reconnection=False)
    try:
        client.connect(url, auth=auth, transports=["websocket"], wait_timeout=10)
    except socketio.exceptions.ConnectionError:
        return True
    client.disconnect()
    return False


def test_failed_connects_on_one_process_count_on_the_other(tmp_path, postgres_url, redis_url, screens):
    queue = str(make_url(redis_url).set(database="13"))
    env = {
        "FACILITATION_MESSAGE_QUEUE": queue,
        "FACILITATION_MESSAGE_QUEUE_CHANNEL": f"facilitation-guard-{secrets.token_hex(4)}",
        # The limiter's keys must not meet another run's: a database of its own would do too.
        "FACILITATION_SOCKET_CONNECT_FAILURE_LIMIT": "3 per hour",
    }
    first = ServerProcess(tmp_path / "a", database_url=postgres_url, env=env)
    second = ServerProcess(tmp_path / "b", database_url=postgres_url, env=env)
    first.upgrade_database()
    first.cli("create-moderator", MODERATOR_EMAIL, "--password", MODERATOR_PASSWORD, "--name", "Mona")
    code = re.search(r"join code ([A-Z0-9]{6})", first.cli("load-demo", "--owner", MODERATOR_EMAIL)).group(1)
    dsn = make_url(postgres_url).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(dsn) as connection:
        [(key,)] = connection.execute("SELECT screen_key FROM workshops WHERE join_code = %s", (code,)).fetchall()
    redis_client = redis.Redis.from_url(queue)
    stale = list(redis_client.scan_iter(match="*LIMITER/facilitation/connect-failures/*"))
    if stale:  # an earlier run from this address
        redis_client.delete(*stale)
    servers = (first, second)
    try:
        for server in servers:
            server.start()
        projector = {"screen": "projector", "code": code, "key": key}
        assert not refused(second.url, projector), "the right key connects while the budget lasts"
        for guess in range(3):
            assert refused(first.url, {**projector, "key": f"guess-{guess}"})

        assert refused(second.url, projector), "the other process refuses it now, right key or not"
        # A phone with its cookie is authenticated as usual, on either process.
        http = requests.Session()
        assert http.get(f"{second.url}/{code}", timeout=10).status_code == 200
        phone = Screen(Forum(second, code, ""), {"screen": "phone", "code": code}, http=http)
        screens.opened.append(phone)
        assert phone.snapshot["screen"] == "phone"
        for server in servers:
            assert "Traceback" not in server.output(), server.output()[-3000:]
    finally:
        for server in servers:
            server.stop()
        stale = list(redis_client.scan_iter(match="*LIMITER/facilitation/connect-failures/*"))
        if stale:
            redis_client.delete(*stale)

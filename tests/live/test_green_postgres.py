"""PostgreSQL under eventlet and gevent: a request waiting for the database does not stop the process.

psycopg waits for PostgreSQL in C (``poll``) unless told otherwise, which would freeze every greenlet of
the server for as long as one query waits. ``wsgi.py`` makes it wait through eventlet's hub
(``PSYCOPG_WAIT_FUNC=wait_select``); under gevent psycopg notices the patched ``select`` itself. Here
a request waits on a table lock this test holds, and another request must be answered meanwhile.
"""

import re
import threading

import psycopg
import pytest
import requests
from liveforum import MODERATOR_EMAIL, MODERATOR_PASSWORD, wait_until
from serverproc import ServerProcess
from sqlalchemy.engine import make_url

pytestmark = [pytest.mark.server, pytest.mark.postgres]


@pytest.mark.parametrize("async_mode", ["eventlet", "gevent"])
def test_a_query_waiting_for_postgresql_does_not_block_other_requests(tmp_path, postgres_url, async_mode):
    server = ServerProcess(tmp_path, async_mode=async_mode, database_url=postgres_url)
    server.upgrade_database()
    server.cli("create-moderator", MODERATOR_EMAIL, "--password", MODERATOR_PASSWORD, "--name", "Mona")
    code = re.search(r"join code ([A-Z0-9]{6})", server.cli("load-demo", "--owner", MODERATOR_EMAIL)).group(1)
    dsn = make_url(postgres_url).set(drivername="postgresql").render_as_string(False)
    name = make_url(postgres_url).database
    static = "/static/css/phone.css"
    try:
        server.start()
        # Warm: the pool holds a connection, the phone page and the static file were served once.
        assert requests.get(f"{server.url}/{code}", timeout=10).status_code == 200
        assert requests.get(server.url + static, timeout=10).status_code == 200

        blocked: dict[str, int] = {}
        with psycopg.connect(dsn) as locker, psycopg.connect(dsn, autocommit=True) as watcher:
            locker.execute("LOCK TABLE workshops IN ACCESS EXCLUSIVE MODE")

            def join():
                blocked["status"] = requests.get(f"{server.url}/{code}", timeout=60).status_code

            waiting = threading.Thread(target=join)
            waiting.start()
            wait_until(
                lambda: watcher.execute(
                    "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'", (name,)
                ).fetchone()[0],
                30,
                "the phone page never waited for the lock",
                interval=0.05,
            )
            # The server is waiting for PostgreSQL; a request that needs no database is still answered.
            response = requests.get(server.url + static, timeout=10)
            assert response.status_code == 200
            assert waiting.is_alive() and not blocked, "the locked request should still be waiting"
            locker.rollback()
        waiting.join(30)
        assert blocked == {"status": 200}
        assert "Traceback" not in server.output(), server.output()[-3000:]
    finally:
        server.stop()

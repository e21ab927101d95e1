"""A real server whose database pool is held busy answers a phone's command ``busy``, not a traceback.

eventlet server on PostgreSQL with a pool of one connection and a 1 s wait. A phone page waits on a
table lock this test holds, keeping the only connection; a phone's ``submit_card`` meanwhile gets the
error ack ``busy`` with its translated message, nothing is stored, and the same command sent again
once the lock is gone is stored once.
"""

import re
import threading

import psycopg
import pytest
import requests
from liveforum import MODERATOR_EMAIL, MODERATOR_PASSWORD, Screen, log_in, wait_until
from serverproc import ServerProcess
from sqlalchemy.engine import make_url

pytestmark = [pytest.mark.server, pytest.mark.postgres]

TINY_POOL = {"FACILITATION_DB_POOL_SIZE": "1", "FACILITATION_DB_MAX_OVERFLOW": "0", "FACILITATION_DB_POOL_TIMEOUT": "1"}


def test_a_command_while_the_pool_is_busy_is_answered_busy_and_stored_once_when_sent_again(tmp_path, postgres_url):
    server = ServerProcess(tmp_path, async_mode="eventlet", database_url=postgres_url, env=TINY_POOL)
    server.upgrade_database()
    server.cli("create-moderator", MODERATOR_EMAIL, "--password", MODERATOR_PASSWORD, "--name", "Mona")
    code = re.search(r"join code ([A-Z0-9]{6})", server.cli("load-demo", "--owner", MODERATOR_EMAIL)).group(1)
    dsn = make_url(postgres_url).set(drivername="postgresql").render_as_string(False)
    name = make_url(postgres_url).database
    forum = type("Forum", (), {"server": server})()
    screens = []
    try:
        server.start()
        console = Screen(forum, {"screen": "console", "code": code}, http=log_in(server))
        screens.append(console)
        step = next(a for a in console.snapshot["activities"] if a["kind"] == "cards")
        console.command("change_workshop_state", {"state": "live"})
        console.command("open_activity", {"activity_id": step["id"]})
        http = requests.Session()
        assert http.get(f"{server.url}/{code}", timeout=10).status_code == 200
        phone = Screen(forum, {"screen": "phone", "code": code}, http=http)
        screens.append(phone)
        columns = (step.get("config") or {}).get("columns") or []
        card = {"client_id": "busy-card-0001", "activity_id": step["id"], "text": "Fallberatung erhalten"}
        if columns:
            card["column"] = columns[0]

        waited: dict[str, int] = {}
        with psycopg.connect(dsn) as locker, psycopg.connect(dsn, autocommit=True) as watcher:
            locker.execute("LOCK TABLE workshops IN ACCESS EXCLUSIVE MODE")

            def join():
                waited["status"] = requests.get(f"{server.url}/{code}", timeout=60).status_code

            holder = threading.Thread(target=join)
            holder.start()
            wait_until(
                lambda: watcher.execute(
                    "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'", (name,)
                ).fetchone()[0],
                30,
                "the phone page never waited for the lock",
                interval=0.05,
            )
            # The pool's only connection waits for the lock: the command finds none free.
            ack = phone.call("submit_card", card)
            assert ack == {
                "ok": False,
                "error": "busy",
                "message": "Der Server ist gerade ausgelastet. Bitte gleich noch einmal versuchen.",
            }
            assert watcher.execute("SELECT COUNT(*) FROM cards").fetchone()[0] == 0
            locker.rollback()
        holder.join(30)
        assert waited == {"status": 200}

        again = phone.command("submit_card", card)  # what live.js does with a busy ack
        assert again["card"]["client_id"] == card["client_id"]
        with psycopg.connect(dsn) as check:
            assert (
                check.execute("SELECT COUNT(*) FROM cards WHERE client_id = %s", (card["client_id"],)).fetchone()[0]
                == 1
            )
        output = server.output()
        assert "Traceback" not in output, output[-3000:]
        assert "no database connection free, answered busy" in output
    finally:
        for screen in screens:
            screen.close()
        server.stop()

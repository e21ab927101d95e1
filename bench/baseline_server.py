"""The smallest Flask-SocketIO server that does what a phone command needs: insert it into SQLite, ack.

    python bench/baseline_server.py --port 5099 --database /tmp/baseline.sqlite3 --async-mode eventlet

What this stack (Flask-SocketIO, the async server, SQLite with WAL) can do on this machine, to compare
the app with (``python -m bench.forum_load --baseline``). It speaks just enough of the app's protocol
for the benchmark's phones: ``GET /<code>`` sets a participant cookie, a connect is answered with an
empty ``snapshot``, and every command (any event) is stored once per ``client_id`` and acked with
``{"ok": true, "card": {"id": <row>, "client_id": …}}``. No validation, no rooms, no broadcasts.
"""

import argparse
import json
import os
import sqlite3
import sys
import threading

ASYNC_MODE = os.environ.get("FACILITATION_ASYNC_MODE", "eventlet")
if __name__ == "__main__" and ASYNC_MODE == "eventlet":
    import eventlet

    eventlet.monkey_patch()
elif __name__ == "__main__" and ASYNC_MODE == "gevent":
    from gevent import monkey

    monkey.patch_all()

import secrets  # noqa: E402

from flask import Flask, make_response, request  # noqa: E402
from flask_socketio import SocketIO  # noqa: E402

SCHEMA = """
CREATE TABLE IF NOT EXISTS commands (
    id INTEGER PRIMARY KEY,
    sid TEXT NOT NULL,
    event TEXT NOT NULL,
    client_id TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL
)
"""


def create(database: str, async_mode: str) -> tuple[Flask, SocketIO]:
    app = Flask(__name__)
    socketio = SocketIO(app, async_mode=async_mode, cors_allowed_origins="*", ping_interval=20, ping_timeout=30)
    local = threading.local()

    def connection() -> sqlite3.Connection:
        if getattr(local, "db", None) is None:
            local.db = sqlite3.connect(database, timeout=5, isolation_level=None, check_same_thread=False)
            local.db.execute("PRAGMA journal_mode = WAL")
            local.db.execute("PRAGMA synchronous = NORMAL")
        return local.db

    connection().execute(SCHEMA)

    @app.get("/")
    def index():
        return "baseline"

    @app.get("/<code>")
    def join(code):
        response = make_response("<!doctype html><title>baseline</title>")
        if f"fac_{code}" not in request.cookies:
            response.set_cookie(f"fac_{code}", secrets.token_urlsafe(24), httponly=True, samesite="Lax")
        return response

    @socketio.on("connect")
    def on_connect(auth=None):
        socketio.emit("snapshot", {"version": 0, "view": {}}, to=request.sid)

    @socketio.on("*")
    def on_command(event, data=None):
        if not isinstance(data, dict) or "client_id" not in data:
            return {"ok": True, "snapshot": {"version": 0, "view": {}}}
        db = connection()
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute(
                "INSERT OR IGNORE INTO commands (sid, event, client_id, payload) VALUES (?, ?, ?, ?)",
                (request.sid, event, str(data["client_id"]), json.dumps(data)),
            )
            row = db.execute("SELECT id FROM commands WHERE client_id = ?", (str(data["client_id"]),)).fetchone()
            db.execute("COMMIT")
        except Exception:
            db.execute("ROLLBACK")
            raise
        return {"ok": True, "card": {"id": row[0], "client_id": data["client_id"]}}

    return app, socketio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5099)
    parser.add_argument("--database", required=True)
    parser.add_argument("--max-connections", type=int, default=5000)
    args = parser.parse_args()
    app, socketio = create(args.database, ASYNC_MODE)
    options = {}
    if ASYNC_MODE == "eventlet":
        options["max_size"] = args.max_connections
    if ASYNC_MODE == "threading":
        options["allow_unsafe_werkzeug"] = True
    print(f"baseline ({ASYNC_MODE}) on http://{args.host}:{args.port}", file=sys.stderr, flush=True)
    socketio.run(app, host=args.host, port=args.port, log_output=False, **options)


if __name__ == "__main__":
    main()

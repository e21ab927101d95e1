"""Server CPU per command, in one process without network or load generator.

    .venv/bin/python -m bench.command_cost                 # 200 phones, 300 of each command
    .venv/bin/python -m bench.command_cost --phones 2000

Runs the app's socket handlers through Flask-SocketIO's test client (threading mode, a fresh SQLite
file): connects ``--phones`` phones, then times ``submit_card``, ``approve_card``, ``request_snapshot``
(card step and revealed vote) and ``cast_votes`` with ``time.process_time()``. What the handlers cost,
with nothing of the WebSocket transport or the phones' own work in it — the other half of separating
server cost from generator cost (see docs/performance.md). ``--profile FILE`` writes cProfile stats.
"""

import argparse
import cProfile
import json
import random
import tempfile
import time
from pathlib import Path

from bench import forum_setup
from facilitation import create_app
from facilitation.accounts import services as account_services
from facilitation.activities import services as activity_services
from facilitation.extensions import db, socketio
from facilitation.workshops.models import Workshop, WorkshopState


def build(tmp: Path, phones: int):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'cost.sqlite3'}",
            "SOCKETIO_ASYNC_MODE": "threading",
            "SOCKETIO_MESSAGE_QUEUE": None,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        db.create_all()
        account = account_services.create_account("cost@example.org", "pass-word-1234")
        workshop = activity_services.import_definition(account, forum_setup.definition())
        activity_services.change_workshop_state(account, workshop, WorkshopState.live)
        steps = {a.kind: a.id for a in workshop.activities}
        code, account_id = workshop.join_code, account.id
    http = app.test_client()
    with http.session_transaction() as session:
        session["_user_id"] = str(account_id)
        session["_fresh"] = True
    console = socketio.test_client(app, auth={"screen": "console", "code": code}, flask_test_client=http)
    clients = []
    started = time.process_time()
    for _ in range(phones):
        browser = app.test_client()
        assert browser.get(f"/{code}").status_code == 200
        clients.append(socketio.test_client(app, auth={"screen": "phone", "code": code}, flask_test_client=browser))
    joined = time.process_time() - started
    return app, console, clients, steps, joined


def timed(label: str, calls, results: dict, profiler=None) -> None:
    if profiler:
        profiler.enable()
    started = time.process_time()
    count = 0
    for call in calls:
        ack = call()
        assert isinstance(ack, dict) and ack.get("ok"), (label, ack)
        count += 1
    elapsed = time.process_time() - started
    if profiler:
        profiler.disable()
    results[label] = round(1000 * elapsed / max(1, count), 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=200)
    parser.add_argument("--commands", type=int, default=300)
    parser.add_argument("--profile", help="write cProfile stats of the timed commands here")
    args = parser.parse_args()
    rng = random.Random(1)
    profiler = cProfile.Profile() if args.profile else None
    with tempfile.TemporaryDirectory() as tmp:
        app, console, phones, steps, joined = build(Path(tmp), args.phones)
        results = {"phones": args.phones, "join_ms_per_phone": round(1000 * joined / args.phones, 3)}

        def emit(client, event, payload):
            ack = client.emit(event, payload, callback=True)
            for client_ in phones[:1]:
                client_.get_received()  # keep the test clients' queues short
            return ack

        assert emit(console, "open_activity", {"activity_id": steps["cards"]})["ok"]
        for client in phones:
            client.get_received()
        columns = forum_setup.COLUMNS
        card_ids = []

        def submit(client, number):
            ack = emit(
                client,
                "submit_card",
                {
                    "client_id": f"cost-card-{number:06d}",
                    "activity_id": steps["cards"],
                    "text": f"Kollegiale Fallberatung erhalten ({number})",
                    "column": columns[number % 3],
                },
            )
            card_ids.append(ack["card"]["id"])
            return ack

        timed(
            "submit_card",
            (lambda n=n: submit(rng.choice(phones), n) for n in range(args.commands)),
            results,
            profiler,
        )
        timed(
            "approve_card",
            (lambda c=c: emit(console, "approve_card", {"card_id": c}) for c in card_ids[: args.commands // 2]),
            results,
            profiler,
        )
        emit(console, "reveal_activity", {"activity_id": steps["cards"]})
        timed(
            "request_snapshot (cards)",
            (lambda: emit(rng.choice(phones), "request_snapshot", {}) for _ in range(args.commands)),
            results,
            profiler,
        )
        emit(console, "open_activity", {"activity_id": steps["vote"]})
        options = emit(console, "load_activity", {"activity_id": steps["vote"]})["view"]["options"]
        option_ids = [o["id"] for o in options]

        def vote(client, number):
            chosen = rng.sample(option_ids, 3)
            entries = [{"option_id": o, "value": v} for o, v in zip(chosen, (2, 2, 1), strict=True)]
            payload = {"client_id": f"cost-vote-{number:06d}", "activity_id": steps["vote"], "entries": entries}
            return emit(client, "cast_votes", payload)

        voters = rng.sample(phones, min(len(phones), args.commands))
        timed("cast_votes", (lambda c=c, n=n: vote(c, n) for n, c in enumerate(voters)), results, profiler)
        emit(console, "reveal_activity", {"activity_id": steps["vote"]})
        timed(
            "request_snapshot (vote revealed)",
            (lambda: emit(rng.choice(phones), "request_snapshot", {}) for _ in range(args.commands)),
            results,
            profiler,
        )
        time.sleep(0.5)  # the last coalesced updates
        with app.app_context():
            db.session.get(Workshop, 1)
        for client in [console, *phones]:
            client.disconnect()
    if profiler:
        profiler.dump_stats(args.profile)
    print(json.dumps(results))


if __name__ == "__main__":
    main()

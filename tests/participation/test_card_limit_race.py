"""Two cards sent at once by one participant cannot both take the last free place of a limit.

Each submission runs in a thread of its own, with its own session and database connection, as two
server threads or processes would. A hook on the engine makes the first submission wait right before
its ``INSERT`` until the second one reaches its own: without the participant lock both have counted
by then and both insert (one card over the limit); with it the second waits for the first one's
commit, the hook gives up waiting, and the second is refused.
"""

import contextlib
import threading

import pytest
from sqlalchemy import event, func, select

from facilitation.activities.models import Activity
from facilitation.extensions import db
from facilitation.participation import services
from facilitation.participation.models import Card, Participant

#: How long the first submission waits for the second at its INSERT. Less than SQLite's busy timeout
#: (5 s), so the second one's wait for the lock never ends in "database is locked".
MEET_TIMEOUT = 2.0


@pytest.fixture(params=["sqlite", "postgresql"])
def app(request, make_app):
    """The app on SQLite (WAL, one file) and on PostgreSQL."""
    if request.param == "postgresql":
        app = make_app(SQLALCHEMY_DATABASE_URI=request.getfixturevalue("postgres_url"))
    else:
        app = make_app()
    with app.app_context():
        yield app
        db.session.remove()


def submit_at_once(app, participant_id: int, activity_id: int, columns: tuple[str, str]) -> list:
    """Submit two cards of one participant in two threads; return what each got (card or error code)."""
    meet = threading.Barrier(2, timeout=MEET_TIMEOUT)

    def before_insert(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("INSERT INTO CARDS"):
            with contextlib.suppress(threading.BrokenBarrierError):  # the other one waits for our lock
                meet.wait()

    results: list = [None, None]

    def submit(number: int) -> None:
        with app.app_context():
            participant = db.session.get(Participant, participant_id)
            activity = db.session.get(Activity, activity_id)
            try:
                card, _new = services.submit_card(
                    participant,
                    activity,
                    client_id=f"race-{number:04d}",
                    text=f"Karte {number}",
                    column=columns[number],
                )
                results[number] = card.id
            except services.ParticipationError as error:
                results[number] = error.code
            finally:
                db.session.remove()

    engine = db.engine
    event.listen(engine, "before_cursor_execute", before_insert)
    try:
        threads = [threading.Thread(target=submit, args=(number,)) for number in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        event.remove(engine, "before_cursor_execute", before_insert)
    return results


def active_cards(participant_id: int) -> int:
    db.session.expire_all()
    return db.session.scalar(
        select(func.count(Card.id)).where(
            Card.participant_id == participant_id, Card.status.in_(services.ACTIVE_STATUSES)
        )
    )


def test_the_last_place_of_a_limit_goes_to_one_card(app, live_workshop, cards_step, open_step, join, published):
    step = open_step(cards_step)
    participant = join(live_workshop)
    limit = step.config["max_cards"]
    for number in range(limit - 1):  # spread over the columns, which allow 3 each
        column = step.config["columns"][number % len(step.config["columns"])]
        services.submit_card(
            participant, step, client_id=f"before-{number:04d}", text=f"Vorher {number}", column=column
        )
    free = step.config["columns"][-2:]  # each has room for one more card; the step for one

    results = submit_at_once(app, participant.id, step.id, (free[0], free[1]))

    assert [r for r in results if not isinstance(r, int)] == ["limit"], results
    assert active_cards(participant.id) == limit


def test_the_last_place_of_a_column_goes_to_one_card(app, live_workshop, cards_step, open_step, join, published):
    step = open_step(cards_step)
    participant = join(live_workshop)
    column = step.config["columns"][0]
    for number in range(step.config["max_per_column"] - 1):
        services.submit_card(
            participant, step, client_id=f"before-{number:04d}", text=f"Vorher {number}", column=column
        )

    results = submit_at_once(app, participant.id, step.id, (column, column))

    assert [r for r in results if not isinstance(r, int)] == ["limit"], results
    assert active_cards(participant.id) == step.config["max_per_column"]

"""Fixtures for the live forum: a running workshop, phones, projectors and consoles.

Socket test clients here run every connect and event in a fresh app context (a fresh ``g`` and db
session), as the real server does; without that, every handler would share the test's app context,
its db session and Flask-Login's cached user.
"""

import itertools
import time

import pytest
from flask_socketio import SocketIOTestClient

from facilitation.activities import services as activity_services
from facilitation.extensions import db, socketio
from facilitation.participation import services
from facilitation.realtime import broadcast
from facilitation.workshops import services as workshop_services
from facilitation.workshops.models import Role, WorkshopState

COLUMNS = ["Erhalten", "Zurücklassen", "Neu gestalten"]
#: The shape of the demo's "Erhalten – Zurücklassen – Neu gestalten" step.
ERHALTEN_CONFIG = {"columns": COLUMNS, "max_cards": 6, "max_per_column": 3, "max_length": 280}
CHECKIN_CONFIG = {"organisations": ["Jugendamt Rostock", "Freier Träger", "Land"], "roles": ["Leitung", "Fachkraft"]}


@pytest.fixture
def live_workshop(owner, create_workshop):
    """A live workshop owned by ``owner``, with a check-in step (0) and a card step with columns (1)."""
    workshop = create_workshop(owner=owner)
    activity_services.add_activity(owner, workshop, kind="checkin", title="Check-in", config=CHECKIN_CONFIG)
    activity_services.add_activity(
        owner, workshop, kind="cards", title="Erhalten – Zurücklassen – Neu gestalten", config=ERHALTEN_CONFIG
    )
    workshop_services.change_state(owner, workshop, WorkshopState.live)
    return workshop


@pytest.fixture
def checkin_step(live_workshop):
    return live_workshop.activities[0]


@pytest.fixture
def cards_step(live_workshop):
    return live_workshop.activities[1]


@pytest.fixture
def open_step(owner):
    """Open a step as the workshop's owner."""

    def open_(activity):
        return activity_services.open_activity(owner, activity)

    return open_


@pytest.fixture
def join(app):
    """Join a workshop as a new phone; returns the participant (its token as ``participant.token``)."""
    numbers = itertools.count(1)

    def join_(workshop):
        token = f"token-{next(numbers)}-{services.new_token()}"
        participant = services.join_workshop(workshop, token)
        participant.token = token
        return participant

    return join_


@pytest.fixture
def client_ids():
    """Fresh, valid client ids (8–64 of ``[A-Za-z0-9_-]``)."""
    numbers = itertools.count(1)
    return lambda: f"cid-{next(numbers):06d}"


# -- socket clients ---------------------------------------------------------------------------------


class IsolatedSocketClient(SocketIOTestClient):
    """A Socket.IO test client whose connect and events each run in an app context of their own."""

    #: Every client of the running test, disconnected when it ends (the server keeps a registry of
    #: connections per process, which must not carry over into the next test).
    opened: list["IsolatedSocketClient"] = []

    def __init__(self, app, **kwargs):
        self.server = socketio.server
        self.opened.append(self)
        with app.app_context():
            super().__init__(app, socketio, **kwargs)
        db.session.expire_all()

    def connect(self, *args, **kwargs):
        with self.app.app_context():
            super().connect(*args, **kwargs)
        db.session.expire_all()

    def disconnect(self, *args, **kwargs):
        with self.app.app_context():
            super().disconnect(*args, **kwargs)
        db.session.expire_all()

    def emit(self, event, *args, **kwargs):
        with self.app.app_context():
            ack = super().emit(event, *args, **kwargs)
        db.session.expire_all()
        return ack

    def command(self, event, payload=None):
        """Send a command and return its ack."""
        return self.emit(event, payload, callback=True)

    def events(self, name=None):
        """Take what arrived so far; only events called ``name`` if given (the others are dropped)."""
        received = self.get_received() if self.is_connected() else []
        return [(e["name"], e["args"][0] if e["args"] else None) for e in received if name in (None, e["name"])]

    def wait_for(self, name, predicate=lambda payload: True, timeout=2.0):
        """Poll until an event ``name`` whose payload satisfies ``predicate`` has arrived; return its payload.

        Everything received is kept in ``self.seen``; each event satisfies one ``wait_for`` at most.
        """
        deadline = time.monotonic() + timeout
        while True:
            self.seen.extend(self.events())
            for index, (event, payload) in enumerate(self.seen):
                if index not in self._used and event == name and predicate(payload):
                    self._used.add(index)
                    return payload
            if time.monotonic() > deadline:
                raise AssertionError(f"no matching {name} within {timeout} s; got {self.seen}")
            time.sleep(0.01)

    @property
    def seen(self):
        if not hasattr(self, "_seen"):
            self._seen, self._used = [], set()
        return self._seen

    def snapshot(self):
        """The ``snapshot`` the connection received (taken from the queue)."""
        snapshots = [payload for event, payload in self.events() if event == "snapshot"]
        assert snapshots, "no snapshot received"
        return snapshots[-1]


@pytest.fixture
def phone(app):
    """Connect a phone to a workshop as a browser would: ``GET /<code>`` for the cookie, then Socket.IO.

    ``phone(workshop)`` returns the socket client; its Flask client is ``.http``.
    """

    def connect(workshop, *, http=None, code=None):
        http = http or app.test_client()
        if http.get_cookie(f"fac_{workshop.join_code}") is None:
            response = http.get(f"/{workshop.join_code}")
            assert response.status_code == 200, response.status_code
        client = IsolatedSocketClient(
            app, auth={"screen": "phone", "code": code or workshop.join_code}, flask_test_client=http
        )
        client.http = http
        return client

    return connect


@pytest.fixture
def console(app, login):
    """Connect a console of ``account`` (logged in over HTTP) to a workshop."""

    def connect(workshop, account):
        http = app.test_client()
        login(http, account)
        client = IsolatedSocketClient(
            app, auth={"screen": "console", "code": workshop.join_code}, flask_test_client=http
        )
        client.http = http
        return client

    return connect


@pytest.fixture
def projector(app):
    def connect(workshop, key=None):
        return IsolatedSocketClient(
            app, auth={"screen": "projector", "code": workshop.join_code, "key": key or workshop.screen_key}
        )

    return connect


@pytest.fixture
def observer(create_account, live_workshop, owner):
    """An account that may watch ``live_workshop`` but not moderate it."""
    account = create_account(email="observer@example.org")
    workshop_services.grant_role(owner, live_workshop, account, Role.observer)
    return account


@pytest.fixture
def fast_coalescing(app):
    """Coalesced updates (wall, presence) go out after 50 ms instead of the default 0.3 s."""
    app.config["REALTIME_COALESCE_SECONDS"] = 0.05


@pytest.fixture(autouse=True)
def _connections_closed(request):
    """Disconnect the test's socket clients and let the coalesced updates go out before the app is torn down."""
    app = request.getfixturevalue("app") if "app" in request.fixturenames else None
    yield
    opened, IsolatedSocketClient.opened[:] = list(IsolatedSocketClient.opened), []
    for client in opened:
        if client.is_connected() and client.server is socketio.server:
            client.disconnect()
    if app is None:
        return
    pending = app.extensions.get(broadcast.PENDING, {})
    deadline = time.monotonic() + 3
    while pending and time.monotonic() < deadline:
        time.sleep(0.01)


@pytest.fixture
def socket_client():
    """The class of the isolated Socket.IO test client, for apps other than ``app``."""
    return IsolatedSocketClient

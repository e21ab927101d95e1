"""Shared fixtures: an app per test, clients, factories that build data through the services.

Every test gets its own app on its own SQLite file, with the schema from ``db.create_all()`` (the
migrations are checked against the models in ``test_migrations.py``). The app context stays pushed
for the whole test, so tests call services and hold model objects directly; each HTTP request runs
in a fresh app context of its own, as on a real server.
"""

import contextvars
import functools
import itertools
import os
import secrets
import shutil
from urllib.parse import urlsplit

import psycopg
import pytest
import redis
from flask import has_app_context
from flask.cli import FlaskGroup
from flask.testing import FlaskClient, FlaskCliRunner
from jinja2 import BytecodeCache
from sqlalchemy import create_engine, event
from sqlalchemy.engine import make_url
from werkzeug.routing import Rule
from werkzeug.security import generate_password_hash

from facilitation import create_app
from facilitation.accounts import models as account_models
from facilitation.accounts import services as account_services
from facilitation.activities import services as activity_services
from facilitation.extensions import db, socketio
from facilitation.realtime import broadcast
from facilitation.workshops import services as workshop_services

DEFAULT_PASSWORD = "korrekt-pferd-batterie"

#: A valid config for each activity kind, used when a test does not care about the details.
SAMPLE_CONFIGS = {
    "info": {"body": "Willkommen", "figures": [{"value": "44", "label": "Beratungstage"}]},
    "checkin": {"organisations": ["Jugendamt", "Freier Träger"], "roles": ["Leitung", "Fachkraft"]},
    "cards": {"columns": ["Erhalten", "Zurücklassen", "Neu gestalten"], "max_cards": 6, "max_per_column": 3},
    "clustering": {"sources": [0]},
    "vote": {"method": "dots", "items_from": "fixed", "options": ["Krisenmanagement", "Personal", "Inklusion"]},
    "recommendations": {"sources": [0], "has_consent_check": True},
}

#: Where the services for the ``postgres`` and ``redis`` tests run; CI may point elsewhere.
POSTGRES_URL = os.environ.get("FACILITATION_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("FACILITATION_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def app_config(tmp_path, **overrides) -> dict:
    """The configuration of a test app on its own SQLite file in ``tmp_path``."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'test.sqlite3'}",
        "SOCKETIO_ASYNC_MODE": "threading",
        "SOCKETIO_MESSAGE_QUEUE": None,
        "WTF_CSRF_ENABLED": False,
        **overrides,
    }


def _expire_test_session() -> None:
    """Make the test's session reload what a request or command changed."""
    if has_app_context():
        db.session.expire_all()


class MemoryBytecodeCache(BytecodeCache):
    """Compiled templates shared by every test app: each app would otherwise compile them anew."""

    def __init__(self):
        self.compiled = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket):
        self.compiled[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CACHE = MemoryBytecodeCache()


class CommandLineRunner(FlaskCliRunner):
    """Runs commands as the ``flask`` command does: through ``FlaskGroup``, which pushes an app
    context of its own, outside the test's app context."""

    def invoke(self, cli=None, args=None, **kwargs):
        if cli is None:
            cli = FlaskGroup(create_app=lambda: self.app, load_dotenv=False)
        result = contextvars.Context().run(super().invoke, cli, args, **kwargs)
        _expire_test_session()
        return result


class IsolatedClient(FlaskClient):
    """A test client whose every request gets its own app context (fresh ``g`` and db session).

    Without this a request would reuse the app context the test pushed and share its session and
    ``g`` (where Flask-Login caches the user) with the test and every other request. Afterwards the
    test's session forgets what it loaded, so the test sees what the request wrote.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        _expire_test_session()
        return response


def _services_required() -> bool:
    return os.environ.get("FACILITATION_REQUIRE_SERVICES") == "1"


def missing_service(message: str):
    """Skip a test whose server is not running, or fail it where the services must be there (CI)."""
    if _services_required():
        pytest.fail(f"{message} (FACILITATION_REQUIRE_SERVICES=1)")
    pytest.skip(message)


@pytest.fixture(autouse=True)
def _environment(monkeypatch):
    """Keep the developer's environment out of the tests.

    ``load_config`` runs before the overrides; without a ``SECRET_KEY`` it would write one into the
    checkout's ``instance/`` folder.
    """
    for name in ("DATABASE_URL", "FACILITATION_ASYNC_MODE", "FACILITATION_MESSAGE_QUEUE", "FACILITATION_PUBLIC_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SECRET_KEY", "test-environment")


@pytest.fixture(autouse=True, scope="session")
def _shared_url_builders():
    """Reuse werkzeug's URL builders across test apps: compiling them again for every app took
    two fifths of the suite's CPU time. A builder depends only on the rule's parts (rules with
    defaults are left alone)."""
    original = Rule._compile_builder
    builders = {}

    def compile_builder(rule, append_unknown=True):
        if rule.defaults:
            return original(rule, append_unknown)
        key = (tuple(rule._trace), append_unknown)
        if key not in builders:
            builders[key] = original(rule, append_unknown)
        return builders[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Rule, "_compile_builder", compile_builder)
        yield


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch):
    """Hash with a cheap method: the default scrypt costs ~0.1 s per account and login."""
    monkeypatch.setattr(
        account_models, "generate_password_hash", functools.partial(generate_password_hash, method="pbkdf2:sha256:1000")
    )


def _without_fsync(dbapi_connection, _record) -> None:
    """Test databases need no durability; waiting for the disk on every commit and close slowed the
    suite down noticeably."""
    dbapi_connection.execute("PRAGMA synchronous = OFF")


@pytest.fixture(scope="session")
def _empty_database(tmp_path_factory):
    """A SQLite file with the schema of the models, copied for each test (faster than create_all)."""
    path = tmp_path_factory.mktemp("schema") / "empty.sqlite3"
    engine = create_engine(f"sqlite:///{path}")
    db.metadata.create_all(engine)
    engine.dispose()
    return path


@pytest.fixture
def make_app(tmp_path, _empty_database, monkeypatch):
    """Build a test app with config ``overrides``, on its own SQLite file, its schema created unless
    ``schema=False``.

    For tests that need more than the one ``app`` (two apps, CSRF switched on); nothing is pushed.
    Background tasks the test started (coalesced updates) finish before its apps are torn down, so
    none of them publishes into a later test.
    """
    apps = []
    tasks = []
    start_background_task = socketio.start_background_task

    def start_and_remember(target, *args, **kwargs):
        task = start_background_task(target, *args, **kwargs)
        tasks.append(task)
        return task

    monkeypatch.setattr(socketio, "start_background_task", start_and_remember)

    def make(schema=True, **overrides):
        folder = tmp_path / f"app-{len(apps)}"
        folder.mkdir()
        config = app_config(folder, **overrides)
        if schema and "SQLALCHEMY_DATABASE_URI" not in overrides:
            shutil.copyfile(_empty_database, folder / "test.sqlite3")
        app = create_app(config)
        app.instance_path = str(folder / "instance")  # not the checkout's; created by whoever needs it
        app.test_client_class = IsolatedClient
        app.test_cli_runner_class = CommandLineRunner
        app.jinja_env.bytecode_cache = TEMPLATE_CACHE
        if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
            with app.app_context():
                event.listen(db.engine, "connect", _without_fsync)
        apps.append(app)
        if schema and "SQLALCHEMY_DATABASE_URI" in overrides:
            with app.app_context():
                db.create_all()
        return app

    yield make
    for task in tasks:
        task.join(timeout=5)
    for app in apps:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# -- factories ----------------------------------------------------------------------------------


@pytest.fixture
def create_account(app):
    """Create an account through the service; e-mails are unique unless given."""
    numbers = itertools.count(1)

    def create(email=None, password=DEFAULT_PASSWORD, is_admin=False, name=""):
        email = email or f"moderation{next(numbers)}@example.org"
        return account_services.create_account(email, password, name=name, is_admin=is_admin)

    return create


@pytest.fixture
def owner(create_account):
    return create_account(email="owner@example.org", name="Olga Owner")


_NEW_OWNER = object()


@pytest.fixture
def create_workshop(create_account):
    """Create a draft workshop; its owner is a new account unless ``owner`` is given (or ``None``)."""

    def create(owner=_NEW_OWNER, title="Zukunftsforum", **fields):
        if owner is _NEW_OWNER:
            owner = create_account()
        return workshop_services.create_workshop(owner, title=title, **fields)

    return create


@pytest.fixture
def create_activity(app):
    """Append a step of ``kind`` with a valid sample config (or ``config``) to a workshop's agenda."""

    def create(workshop, kind="cards", title=None, prompt="", config=None, actor=None):
        return activity_services.add_activity(
            actor,
            workshop,
            kind=kind,
            title=title or f"Schritt {kind}",
            prompt=prompt,
            config=SAMPLE_CONFIGS[kind] if config is None else config,
        )

    return create


@pytest.fixture
def demo_workshop(owner):
    """The shipped "Strategie 2025–2030" template, imported with ``owner`` as its owner."""
    return activity_services.import_definition(owner, activity_services.load_preset("strategie-2025-2030"))


@pytest.fixture
def login(app):
    """Log ``account`` in through the login form (accounts from ``create_account`` know their password)."""

    def log_in(client, account, password=DEFAULT_PASSWORD):
        response = client.post("/login", data={"email": account.email, "password": password})
        assert response.status_code == 302, "login failed"
        return response

    return log_in


@pytest.fixture
def published(monkeypatch):
    """Every realtime publish of the test, as ``(event, payload, room)``, one entry per room.

    Wraps ``realtime.broadcast.publish`` (the one seam for emits) and still sends, so socket test
    clients receive what the services publish. Coalesced updates are sent at once instead of from a
    background task a moment later, so tests see them without waiting.
    """
    records = []
    original = broadcast.publish

    def record(rooms, event, payload):
        for room in [rooms] if isinstance(rooms, str) else list(rooms):
            records.append((event, payload, room))
        original(rooms, event, payload)

    def publish_now(key, rooms, event, build):
        record(rooms, event, build())

    monkeypatch.setattr(broadcast, "publish", record)
    monkeypatch.setattr(broadcast, "publish_coalesced", publish_now)
    return records


class IsolatedSocketClient:
    """A Socket.IO test client whose every call runs in a fresh app context (like ``IsolatedClient``:
    handlers would otherwise share the test's session and ``g``, where Flask-Login caches the user)."""

    CALLS = ("connect", "disconnect", "emit", "send")

    def __init__(self, app, **options):
        self._app = app
        with app.app_context():
            self._client = socketio.test_client(app, **options)
        _expire_test_session()

    def __getattr__(self, name):
        attribute = getattr(self._client, name)
        if name not in self.CALLS:
            return attribute

        def call(*args, **kwargs):
            with self._app.app_context():
                result = attribute(*args, **kwargs)
            _expire_test_session()
            return result

        return call


@pytest.fixture
def connect():
    """Open a Socket.IO test client on ``app`` with ``auth`` (and the login cookies of ``http_client``).

    The client talks to ``socketio.server``, the server of the app created last. Every client is
    disconnected after the test, so no connection outlives it in the presence counts.
    """
    clients = []

    def open_connection(app, auth=None, http_client=None):
        client = IsolatedSocketClient(app, auth=auth, flask_test_client=http_client)
        clients.append(client)
        return client

    yield open_connection
    for client in clients:
        if client.is_connected():
            client.disconnect()


# -- external services ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _postgres_server():
    url = make_url(POSTGRES_URL)
    try:
        psycopg.connect(url.set(drivername="postgresql").render_as_string(False), connect_timeout=3).close()
    except psycopg.OperationalError as error:
        return error
    return None


@pytest.fixture
def postgres_url(_postgres_server):
    """The URL of a fresh, empty PostgreSQL database, dropped after the test."""
    if _postgres_server is not None:
        missing_service(f"PostgreSQL is not reachable at {POSTGRES_URL}: {_postgres_server}")
    server = make_url(POSTGRES_URL)
    name = f"facilitation_test_{secrets.token_hex(6)}"
    admin_dsn = server.set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(admin_dsn, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(False)
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def redis_url():
    """The URL of a reachable Redis database."""
    parts = urlsplit(REDIS_URL)
    connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        connection.ping()
    except redis.exceptions.RedisError as error:
        missing_service(f"Redis is not reachable at {parts.hostname}:{parts.port}: {error}")
    finally:
        connection.close()
    return REDIS_URL

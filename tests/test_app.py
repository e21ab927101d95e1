"""The application factory, configuration, error pages and language choice."""

import re
import stat

import pytest
from flask_babel import lazy_gettext
from sqlalchemy import func, select, text

import facilitation
from facilitation import create_app
from facilitation.accounts import services as account_services
from facilitation.accounts.models import Account
from facilitation.config import load_config
from facilitation.extensions import db


@pytest.fixture
def instance_root(tmp_path, monkeypatch):
    """Point the factory's ``instance/`` (and only that matters here) into ``tmp_path``."""
    monkeypatch.setattr(facilitation, "ROOT", tmp_path)
    monkeypatch.delenv("SECRET_KEY")
    monkeypatch.setenv("FACILITATION_ASYNC_MODE", "threading")  # eventlet must not load in-process
    return tmp_path / "instance"


def test_create_app_makes_and_keeps_a_secret_key_in_the_instance_folder(instance_root):
    first = create_app()
    key_file = instance_root / "secret_key"

    assert first.instance_path == str(instance_root)
    assert first.config["SECRET_KEY"] == key_file.read_text()
    assert len(first.config["SECRET_KEY"]) >= 48
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert create_app().config["SECRET_KEY"] == first.config["SECRET_KEY"]


def test_create_app_defaults(instance_root):
    app = create_app()

    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance_root / 'facilitation.sqlite3'}"
    assert app.config["SOCKETIO_MESSAGE_QUEUE"] is None
    assert app.config["BABEL_DEFAULT_LOCALE"] == "de"
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert app.config["WTF_CSRF_ENABLED"] is not False
    assert not app.testing


def test_overrides_win_over_the_environment(instance_root, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("DATABASE_URL", "sqlite:///from-the-environment.sqlite3")

    app = create_app({"SECRET_KEY": "override", "SQLALCHEMY_DATABASE_URI": "sqlite://"})

    assert (app.config["SECRET_KEY"], app.config["SQLALCHEMY_DATABASE_URI"]) == ("override", "sqlite://")
    assert not (instance_root / "secret_key").exists()


def test_load_config_reads_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://forum@db/forum")
    monkeypatch.setenv("FACILITATION_ASYNC_MODE", "gevent")
    monkeypatch.setenv("FACILITATION_MESSAGE_QUEUE", "redis://queue:6379/0")
    monkeypatch.setenv("FACILITATION_SECURE_COOKIES", "yes")
    monkeypatch.setenv("FACILITATION_PUBLIC_URL", "https://forum.example.org/")

    config = load_config(tmp_path)

    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://forum@db/forum"
    assert config["SOCKETIO_ASYNC_MODE"] == "gevent"
    assert config["SOCKETIO_MESSAGE_QUEUE"] == "redis://queue:6379/0"
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["PUBLIC_URL"] == "https://forum.example.org"


def test_the_async_mode_defaults_to_eventlet(tmp_path):
    assert load_config(tmp_path)["SOCKETIO_ASYNC_MODE"] == "eventlet"


@pytest.mark.parametrize("mode", ["asyncio", "Threading", ""])
def test_an_unknown_async_mode_is_refused(monkeypatch, mode):
    monkeypatch.setenv("FACILITATION_ASYNC_MODE", mode)

    with pytest.raises(ValueError, match="FACILITATION_ASYNC_MODE"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_sqlite_enforces_foreign_keys_and_uses_wal(app):
    assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
    assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"


# -- error pages ----------------------------------------------------------------------------------


def test_an_unknown_url_shows_the_german_404_page(client):
    response = client.get("/gibt/es/nicht")

    assert response.status_code == 404
    assert '<html lang="de">' in response.text
    assert "Diese Seite gibt es nicht (mehr)." in response.text


def test_an_unknown_url_answers_json_to_json_clients(client):
    response = client.get("/gibt/es/nicht", headers={"Accept": "application/json"})

    assert response.status_code == 404
    assert response.json == {"ok": False, "error": "Diese Seite gibt es nicht (mehr)."}


def test_a_wrong_method_shows_the_405_page(client):
    response = client.get("/workshops/import")

    assert response.status_code == 405
    assert "Diese Aktion ist hier nicht möglich." in response.text


@pytest.fixture
def failing_app(app):
    """The test app with a route that writes, fails half-way, and leaves the session broken."""

    @app.route("/_fail")
    def fail():
        db.session.add(Account(email="new@example.org", password_hash="x"))
        db.session.add(Account(email="owner@example.org", password_hash="x"))  # taken: the flush fails
        db.session.flush()
        return "unreachable"

    return app


def test_an_exception_shows_the_500_page_and_rolls_back(failing_app, owner, login, caplog):
    client = failing_app.test_client()
    login(client, owner)

    response = client.get("/_fail")

    assert response.status_code == 500
    assert "Ein unerwarteter Fehler ist aufgetreten. Es wurde nichts halb gespeichert." in response.text
    assert "Abmelden" in response.text  # the page could still load the user: the session was rolled back
    assert not re.search(r"Traceback|IntegrityError|UNIQUE|INSERT", response.text)
    assert db.session.scalar(select(func.count(Account.id))) == 1
    assert "Unhandled error on /_fail" in caplog.text


def test_csrf_is_enforced_when_enabled(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        account_services.create_account("anna@example.org", "lang-genug-1234")
    client = app.test_client()
    credentials = {"email": "anna@example.org", "password": "lang-genug-1234"}

    refused = client.post("/login", data=credentials)

    assert refused.status_code == 400
    assert "Das Formular ist abgelaufen." in refused.text

    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").text).group(1)
    accepted = client.post("/login", data={**credentials, "csrf_token": token})

    assert accepted.status_code == 302


# -- language -------------------------------------------------------------------------------------


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)">', response.text).group(1)


def test_german_is_the_default(client):
    assert html_lang(client.get("/login")) == "de"


def test_lang_parameter_switches_and_is_remembered(client):
    assert html_lang(client.get("/login?lang=en")) == "en"
    assert html_lang(client.get("/login")) == "en"
    with client.session_transaction() as session:
        assert session["lang"] == "en"

    assert html_lang(client.get("/login?lang=de")) == "de"
    assert html_lang(client.get("/login")) == "de"


def test_an_unsupported_language_is_ignored(client):
    assert html_lang(client.get("/login?lang=fr")) == "de"


def test_the_browser_language_is_used_until_one_is_chosen(client):
    headers = {"Accept-Language": "en-GB,en;q=0.9"}

    assert html_lang(client.get("/login", headers=headers)) == "en"
    assert html_lang(client.get("/login?lang=de", headers=headers)) == "de"
    assert html_lang(client.get("/login", headers=headers)) == "de"


def test_the_language_switch_links_to_the_other_language(client):
    page = client.get("/login").text

    assert 'href="?lang=en"' in page


def test_messages_can_be_read_outside_a_request(make_app):
    with make_app().app_context():
        assert str(lazy_gettext("Gespeichert.")) == "Gespeichert."

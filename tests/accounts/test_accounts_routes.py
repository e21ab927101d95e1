"""Login and logout pages."""

import re

import pytest
from flask_login import current_user

from facilitation.extensions import db


def test_login_page_renders_the_form(client):
    response = client.get("/login")

    assert response.status_code == 200
    assert 'name="password"' in response.text


def test_login_with_valid_credentials_goes_to_the_workshops(client, create_account):
    create_account(email="anna@example.org", password="lang-genug-1234")

    response = client.post("/login", data={"email": "ANNA@example.org", "password": "lang-genug-1234"})

    assert response.status_code == 302
    assert response.headers["Location"] == "/workshops"
    assert client.get("/workshops").status_code == 200


def test_login_with_wrong_password_shows_a_message(client, create_account):
    create_account(email="anna@example.org", password="lang-genug-1234")

    response = client.post("/login", data={"email": "anna@example.org", "password": "falsch-falsch"})

    assert response.status_code == 200
    assert "E-Mail-Adresse oder Passwort stimmen nicht." in response.text
    assert client.get("/workshops").status_code == 302


def test_inactive_account_cannot_log_in(client, create_account):
    account = create_account(email="anna@example.org", password="lang-genug-1234")
    account.is_active_account = False
    db.session.commit()

    response = client.post("/login", data={"email": "anna@example.org", "password": "lang-genug-1234"})

    assert "E-Mail-Adresse oder Passwort stimmen nicht." in response.text
    assert client.get("/workshops").status_code == 302


def stays_on_site(location: str) -> bool:
    """Whether a browser resolves ``location`` to this site (it reads ``\\`` as ``/`` and drops tabs)."""
    return location.startswith("/") and not location.startswith("//") and not re.search(r"[\\\s]", location)


def test_next_leads_to_the_page_asked_for(client, create_account):
    create_account(email="anna@example.org", password="lang-genug-1234")

    response = client.post(
        "/login",
        query_string={"next": "/workshops/new"},
        data={"email": "anna@example.org", "password": "lang-genug-1234"},
    )

    assert response.headers["Location"] == "/workshops/new"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/phish",
        "//evil.example/phish",
        "///evil.example",
        "/\\evil.example",
        "/\t/evil.example",
        "\\\\evil.example",
        "http:/evil.example",
        "javascript:alert(1)",
        " //evil.example",
    ],
)
def test_next_cannot_lead_off_site(client, create_account, target):
    create_account(email="anna@example.org", password="lang-genug-1234")

    response = client.post(
        "/login", query_string={"next": target}, data={"email": "anna@example.org", "password": "lang-genug-1234"}
    )

    assert response.status_code == 302
    assert stays_on_site(response.headers["Location"])


def test_logout_is_post_only(client, owner, login):
    login(client, owner)

    client.get("/logout")  # a link or an <img src> must not log anyone out

    assert client.get("/workshops").status_code == 200

    response = client.post("/logout")

    assert response.headers["Location"] == "/login"
    assert client.get("/workshops").status_code == 302


def test_logout_forgets_the_user(app, owner, login):
    client = app.test_client()
    login(client, owner)
    client.post("/logout")

    with client:
        client.get("/login")
        assert not current_user.is_authenticated

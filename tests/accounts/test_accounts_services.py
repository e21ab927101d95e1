"""Accounts: creating them and checking credentials."""

import pytest

from facilitation.accounts import services
from facilitation.extensions import db


def test_create_account_stores_email_lower_case(app):
    account = services.create_account("  Anna.Mueller@Example.ORG ", "lang-genug-1234", name=" Anna ")

    assert account.email == "anna.mueller@example.org"
    assert account.name == "Anna"
    assert services.find_account("ANNA.MUELLER@example.org ") == account


@pytest.mark.parametrize("email", ["anna@example.org", "ANNA@EXAMPLE.ORG", " Anna@Example.org"])
def test_duplicate_email_is_refused_whatever_its_case(app, email):
    services.create_account("anna@example.org", "lang-genug-1234")

    with pytest.raises(services.AccountError) as error:
        services.create_account(email, "noch-ein-passwort")

    assert "schon ein Konto" in str(error.value.message)
    assert services.count_accounts() == 1


def test_short_password_is_refused(app):
    with pytest.raises(services.AccountError) as error:
        services.create_account("anna@example.org", "x" * (services.MIN_PASSWORD_LENGTH - 1))

    assert "mindestens 10 Zeichen" in str(error.value.message)
    assert services.count_accounts() == 0


def test_password_of_minimum_length_is_accepted(app):
    services.create_account("anna@example.org", "x" * services.MIN_PASSWORD_LENGTH)

    assert services.count_accounts() == 1


@pytest.mark.parametrize("email", ["", "anna", "a" * 250 + "@b.de"])
def test_invalid_email_is_refused(app, email):
    with pytest.raises(services.AccountError):
        services.create_account(email, "lang-genug-1234")


def test_authenticate_returns_the_account_and_records_the_login(create_account):
    account = create_account(email="anna@example.org", password="lang-genug-1234")

    assert services.authenticate("Anna@Example.org", "lang-genug-1234") == account
    assert account.last_login_at is not None


@pytest.mark.parametrize(("email", "password"), [("anna@example.org", "falsch-falsch"), ("bob@example.org", "x")])
def test_authenticate_refuses_wrong_credentials(create_account, email, password):
    create_account(email="anna@example.org", password="lang-genug-1234")

    assert services.authenticate(email, password) is None


def test_authenticate_refuses_an_inactive_account(create_account):
    account = create_account(email="anna@example.org", password="lang-genug-1234")
    account.is_active_account = False
    db.session.commit()

    assert services.authenticate("anna@example.org", "lang-genug-1234") is None

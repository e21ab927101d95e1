"""Command-line tools, run as ``flask --app wsgi <command>`` runs them."""

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from facilitation import cli
from facilitation.accounts import services as account_services
from facilitation.extensions import db
from facilitation.workshops import services as workshop_services
from facilitation.workshops.models import JOIN_CODE_ALPHABET, Role, Workshop

CODE = re.compile(rf"\b[{JOIN_CODE_ALPHABET}]{{6}}\b")


def workshop_count():
    return db.session.scalar(select(func.count(Workshop.id)))


def test_create_moderator_with_a_password_option(runner):
    result = runner.invoke(
        args=["create-moderator", "Anna@Example.org", "--password", "lang-genug-1234", "--name", "Anna"]
    )

    assert result.exit_code == 0, result.output
    assert result.output == "Created anna@example.org\n"
    account = account_services.authenticate("anna@example.org", "lang-genug-1234")
    assert (account.name, account.is_admin) == ("Anna", False)


def test_create_moderator_asks_for_the_password_twice(runner):
    result = runner.invoke(
        args=["create-moderator", "anna@example.org", "--admin"], input="lang-genug-1234\nlang-genug-1234\n"
    )

    assert result.exit_code == 0, result.output
    assert "lang-genug-1234" not in result.output  # hidden input
    assert account_services.authenticate("anna@example.org", "lang-genug-1234").is_admin


def test_create_moderator_asks_again_when_the_passwords_differ(runner):
    result = runner.invoke(
        args=["create-moderator", "anna@example.org"],
        input="lang-genug-1234\nanders-1234\nlang-genug-1234\nlang-genug-1234\n",
    )

    assert result.exit_code == 0, result.output
    assert "do not match" in result.output
    assert account_services.authenticate("anna@example.org", "lang-genug-1234")


def test_create_moderator_refuses_a_taken_email_clearly(runner, create_account):
    create_account(email="anna@example.org")

    result = runner.invoke(args=["create-moderator", "ANNA@example.org", "--password", "lang-genug-1234"])

    assert result.exit_code == 1
    assert "Error: Für diese E-Mail-Adresse gibt es schon ein Konto." in result.output
    assert account_services.count_accounts() == 1


def test_create_moderator_refuses_a_short_password(runner):
    result = runner.invoke(args=["create-moderator", "anna@example.org", "--password", "kurz"])

    assert result.exit_code == 1
    assert "Error: Das Passwort muss mindestens 10 Zeichen lang sein." in result.output
    assert account_services.count_accounts() == 0


def test_load_demo_prints_the_join_code(runner):
    result = runner.invoke(args=["load-demo"])

    assert result.exit_code == 0, result.output
    (workshop,) = db.session.scalars(select(Workshop)).all()
    assert CODE.findall(result.output) == [workshop.join_code]
    assert len(workshop.activities) == 7


def test_load_demo_with_an_owner(runner, owner):
    result = runner.invoke(args=["load-demo", "--owner", owner.email])

    assert result.exit_code == 0, result.output
    (workshop,) = db.session.scalars(select(Workshop)).all()
    assert workshop_services.role_of(owner, workshop) is Role.owner


def test_load_demo_refuses_an_unknown_owner(runner):
    result = runner.invoke(args=["load-demo", "--owner", "wer@example.org"])

    assert result.exit_code == 1
    assert "No account wer@example.org" in result.output
    assert workshop_count() == 0


def test_quickstart_is_idempotent(app, runner):
    first = runner.invoke(args=["quickstart", "--url", "http://forum.local:5000"])
    second = runner.invoke(args=["quickstart", "--url", "http://forum.local:5000"])

    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    assert first.output == second.output
    (workshop,) = db.session.scalars(select(Workshop)).all()
    assert f"http://forum.local:5000/{workshop.join_code}" in first.output
    assert account_services.count_accounts() == 1
    account = account_services.find_account(cli.DEMO_EMAIL)
    assert workshop_services.role_of(account, workshop) is Role.owner
    password = (Path(app.instance_path) / "demo-moderator.txt").read_text().strip()
    assert f"{cli.DEMO_EMAIL} / {password}" in first.output
    assert account_services.authenticate(cli.DEMO_EMAIL, password) == account


@pytest.mark.parametrize("command", ["create-moderator", "load-demo", "quickstart"])
def test_every_command_has_help(runner, command):
    result = runner.invoke(args=[command, "--help"])

    assert result.exit_code == 0
    assert "Usage:" in result.output

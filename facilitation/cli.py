"""Command-line tools: ``flask --app wsgi <command>``."""

import secrets
from pathlib import Path

import click
from flask import Flask, current_app
from sqlalchemy import select

from facilitation.accounts import services as account_services
from facilitation.activities import services as activity_services
from facilitation.exports.commands import COMMANDS as EXPORT_COMMANDS
from facilitation.extensions import db
from facilitation.workshops import services as workshop_services
from facilitation.workshops.models import Role, Workshop

DEMO_PRESET = "strategie-2025-2030"
DEMO_EMAIL = "moderation@example.org"


@click.command("create-moderator")
@click.argument("email")
@click.option(
    "--password", prompt=True, hide_input=True, confirmation_prompt=True, help="Password (asked for when not given)."
)
@click.option("--name", default="", help="Display name.")
@click.option("--admin", is_flag=True, help="May see and manage every workshop.")
def create_moderator(email: str, password: str, name: str, admin: bool) -> None:
    """Create a moderator account."""
    try:
        account = account_services.create_account(email, password, name=name, is_admin=admin)
    except account_services.AccountError as error:
        raise click.ClickException(str(error.message)) from error
    click.echo(f"Created {account.email}")


def _load_demo(owner_email: str | None) -> Workshop:
    owner = account_services.find_account(owner_email) if owner_email else None
    if owner_email and owner is None:
        raise click.ClickException(f"No account {owner_email}")
    workshop = activity_services.import_definition(owner, activity_services.load_preset(DEMO_PRESET))
    return workshop


@click.command("load-demo")
@click.option("--owner", "owner_email", help="E-mail of the account that becomes the owner.")
def load_demo(owner_email: str | None) -> None:
    """Create the demo workshop "Strategie 2025–2030" and print its join code."""
    workshop = _load_demo(owner_email)
    click.echo(f"Demo workshop {workshop.title!r}: join code {workshop.join_code}")


@click.command("quickstart")
@click.option("--url", default="http://127.0.0.1:5000", help="Where the server will listen.")
def quickstart(url: str) -> None:
    """Make sure a demo moderator and the demo workshop exist; print how to join and log in."""
    credentials = Path(current_app.instance_path) / "demo-moderator.txt"
    account = account_services.find_account(DEMO_EMAIL)
    if account is None:
        password = secrets.token_urlsafe(9)
        account = account_services.create_account(DEMO_EMAIL, password, name="Demo-Moderation", is_admin=True)
        credentials.parent.mkdir(parents=True, exist_ok=True)  # absent when SECRET_KEY comes from the environment
        credentials.write_text(password)
        credentials.chmod(0o600)
    password = credentials.read_text().strip() if credentials.exists() else "(wie beim ersten Start ausgegeben)"
    workshop = db.session.scalar(select(Workshop).order_by(Workshop.id))
    if workshop is None:
        workshop = _load_demo(DEMO_EMAIL)
        workshop_services.grant_role(None, workshop, account, Role.owner)
    click.echo("")
    click.echo(f"  facilitation läuft gleich auf {url}")
    click.echo(f"  Teilnehmen:  {url}/{workshop.join_code}   (Code {workshop.join_code})")
    click.echo(f"  Moderation:  {url}/login   {DEMO_EMAIL} / {password}")
    click.echo("")


def init_app(app: Flask) -> None:
    for command in (create_moderator, load_demo, quickstart, *EXPORT_COMMANDS):
        app.cli.add_command(command)

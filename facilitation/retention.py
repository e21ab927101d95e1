"""Retention: ``flask --app wsgi purge-expired`` deletes what is kept no longer than allowed.

Run it daily (cron or a systemd timer, see ``docs/security.md``); it is safe to run at any time and
as often as wanted.
"""

import click
from flask import Flask

from facilitation.participation import services as participation_services


@click.command("purge-expired")
def purge_expired() -> None:
    """Delete the cards of ended workshops whose retention period is over."""
    purged = participation_services.purge_expired_cards()
    for workshop, count in purged:
        click.echo(f"{workshop.join_code}: {count} cards deleted (ended {workshop.ended_at:%Y-%m-%d})")
    click.echo(f"{len(purged)} workshop(s) purged")


def init_app(app: Flask) -> None:
    app.cli.add_command(purge_expired)

"""Command-line tools of the exports: ``flask --app wsgi export-workshop`` and ``import-workshop``."""

from pathlib import Path

import click

from facilitation.accounts import services as account_services
from facilitation.exports import services
from facilitation.exports.archive import ArchiveError
from facilitation.exports.pdf import FontMissing
from facilitation.extensions import db
from facilitation.workshops import services as workshop_services
from facilitation.workshops.models import Workshop


@click.command("export-workshop")
@click.argument("code", required=False)
@click.option("--id", "workshop_id", type=int, help="The workshop's number instead of its join code.")
@click.option("--format", "fmt", type=click.Choice(list(services.FORMATS)), default="pdf", show_default=True)
@click.option(
    "--output",
    type=click.Path(dir_okay=True, writable=True, path_type=Path),
    help="File or folder to write to (default: the file's own name in the current folder).",
)
@click.option("--no-audit", is_flag=True, hidden=True, help="The caller logs the download (the download route).")
def export_workshop(code: str | None, workshop_id: int | None, fmt: str, output: Path | None, no_audit: bool) -> None:
    """Write the workshop with join code CODE as PDF, DOCX, XLSX, CSV (zip) or JSON archive.

    The download buttons run this command in a child process (``services.export_in_child``).
    """
    if (code is None) == (workshop_id is None):
        raise click.UsageError("Give either the join code CODE or --id")
    if workshop_id is not None:
        workshop = db.session.get(Workshop, workshop_id)
    else:
        workshop = workshop_services.find_by_join_code(code)
    if workshop is None:
        raise click.ClickException(f"No workshop {code or workshop_id!r}")
    try:
        export = services.build_export(workshop, fmt)
    except FontMissing as error:
        click.echo(f"Error: {error}", err=True)
        raise click.exceptions.Exit(services.FONT_MISSING_STATUS) from error
    path = output or Path(export.filename)
    if path.is_dir():
        path = path / export.filename
    path.write_bytes(export.data)
    if not no_audit:
        services.record_export(workshop, fmt, None, len(export.data))
    click.echo(f"{path} ({len(export.data):,} bytes)")


@click.command("import-workshop")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--owner", "owner_email", help="E-mail of the account that becomes the owner.")
def import_workshop(path: Path, owner_email: str | None) -> None:
    """Restore a workshop from a JSON archive as a new workshop and print its new join code."""
    owner = account_services.find_account(owner_email) if owner_email else None
    if owner_email and owner is None:
        raise click.ClickException(f"No account {owner_email}")
    try:
        workshop = services.import_workshop(owner, path.read_bytes())
    except ArchiveError as error:
        raise click.ClickException(str(error.message)) from error
    click.echo(f"Workshop {workshop.title!r} restored: join code {workshop.join_code}")


COMMANDS = (export_workshop, import_workshop)

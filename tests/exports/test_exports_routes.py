"""The results page, the download routes, the archive upload and the command-line tools."""

import io
import json
import re
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from facilitation.exports import archive, pdf, services
from facilitation.extensions import db
from facilitation.workshops import services as workshop_services
from facilitation.workshops.models import AuditEntry, Membership, Role, Workshop
from tests.exports.readers import csv_files

MIMETYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "application/zip",
    "json": "application/json",
}


@pytest.fixture
def team(create_workshop, create_activity, create_account, owner):
    """A small workshop (an info step), its owner, a moderator, an observer and a stranger."""
    workshop = create_workshop(owner=owner, title="Kleines Forum")
    create_activity(workshop, kind="info")
    accounts = {"owner": owner}
    for name, role in (("moderator", Role.moderator), ("observer", Role.observer)):
        accounts[name] = create_account(email=f"{name}@example.org")
        workshop_services.grant_role(owner, workshop, accounts[name], role)
    accounts["stranger"] = create_account(email="stranger@example.org")
    return SimpleNamespace(workshop=workshop, accounts=accounts)


@pytest.fixture
def as_(app, login):
    def client_of(account):
        client = app.test_client()
        login(client, account)
        return client

    return client_of


def test_results_page_shows_every_outcome_and_the_downloads(forum, as_, create_account):
    observer = create_account(email="observer@example.org")
    workshop_services.grant_role(forum.owner, forum.workshop, observer, Role.observer)
    page = as_(observer).get(f"/workshops/{forum.workshop.id}/results")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for expected in (
        "Personal gewinnen und halten",
        "3 Nennungen",
        "Krisenmanagement üben",
        "Zukunftsthemen",
        "Handlungsempfehlungen",
        "Erst die Finanzierung klären",
        "data:image/svg+xml;base64,",
        f"/workshops/{forum.workshop.id}/export.pdf",
        f"/workshops/{forum.workshop.id}/export.xlsx",
    ):
        assert expected in html
    assert "export.json" not in html  # the archive is the owners'
    assert "&lt; 5" in html  # the small group, suppressed
    assert "Abgelehnte Karte XYZ" not in html
    assert 'style="' not in html and "<script>" not in html  # the CSP allows neither
    owner_page = as_(forum.owner).get(f"/workshops/{forum.workshop.id}/results").get_data(as_text=True)
    assert "export.json" in owner_page


@pytest.mark.parametrize("fmt", list(services.FORMATS))
def test_the_owner_downloads_every_format(team, as_, fmt):
    response = as_(team.accounts["owner"]).get(f"/workshops/{team.workshop.id}/export.{fmt}")
    assert response.status_code == 200
    assert response.mimetype == MIMETYPES[fmt]
    extension = "zip" if fmt == "csv" else fmt
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="{services.filename(team.workshop, services.FORMATS[fmt])}"'
    )
    assert response.headers["Content-Disposition"].endswith(f'.{extension}"')
    assert response.headers["Cache-Control"] == "no-store"
    assert response.data.startswith({"pdf": b"%PDF-", "json": b"{"}.get(fmt, b"PK"))
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "workshop.exported"))
    assert entry.details == {"format": fmt} and entry.account_id == team.accounts["owner"].id


@pytest.mark.parametrize(
    ("who", "fmt", "status"),
    [
        ("observer", "xlsx", 200),
        ("observer", "json", 403),
        ("moderator", "json", 403),
        ("stranger", "csv", 404),
        ("owner", "exe", 404),
    ],
)
def test_downloads_need_their_role(team, as_, who, fmt, status):
    response = as_(team.accounts[who]).get(f"/workshops/{team.workshop.id}/export.{fmt}")
    assert response.status_code == status


@pytest.mark.parametrize("path", ["/workshops/{id}/results", "/workshops/{id}/export.pdf", "/workshops/import-archive"])
def test_anonymous_visitors_are_sent_to_the_login(team, client, path):
    response = client.get(path.format(id=team.workshop.id))
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_strangers_do_not_find_the_results(team, as_):
    assert as_(team.accounts["stranger"]).get(f"/workshops/{team.workshop.id}/results").status_code == 404


def test_a_pdf_without_its_font_says_so(team, as_, app, tmp_path):
    app.config["EXPORT_FONT_DIR"] = str(tmp_path)
    client = as_(team.accounts["owner"])
    response = client.get(f"/workshops/{team.workshop.id}/export.pdf")
    assert response.status_code == 302
    assert "Schriftart fehlt" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_an_export_that_fails_in_its_child_process_says_so_and_logs_nothing(team, as_, app):
    app.config["EXPORT_TIMEOUT"] = 0.01  # the child is stopped long before it could finish
    client = as_(team.accounts["owner"])
    response = client.get(f"/workshops/{team.workshop.id}/export.pdf")
    assert response.status_code == 302
    assert "konnte nicht erstellt werden" in client.get(response.headers["Location"]).get_data(as_text=True)
    exported = select(func.count(AuditEntry.id)).where(AuditEntry.action == "workshop.exported")
    assert db.session.scalar(exported) == 0


def test_an_uploaded_archive_becomes_a_new_workshop(forum, as_, create_account):
    data = archive.dumps(archive.export_archive(forum.workshop))
    someone = create_account(email="elsewhere@example.org")
    client = as_(someone)
    assert client.get("/workshops/import-archive").status_code == 200
    response = client.post(
        "/workshops/import-archive",
        data={"file": (io.BytesIO(data), "archiv.json")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    copy = db.session.scalar(select(Workshop).where(Workshop.id != forum.workshop.id).order_by(Workshop.id.desc()))
    assert response.headers["Location"] == f"/workshops/{copy.id}/results"
    assert copy.title == forum.workshop.title and copy.join_code != forum.workshop.join_code
    membership = db.session.scalar(select(Membership).where(Membership.workshop_id == copy.id))
    assert (membership.account_id, membership.role) == (someone.id, Role.owner)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert copy.join_code in page and "Personal gewinnen und halten" in page


def test_a_broken_upload_is_refused_with_a_message(team, as_):
    client = as_(team.accounts["observer"])
    count = db.session.scalar(select(func.count(Workshop.id)))
    response = client.post(
        "/workshops/import-archive",
        data={"file": (io.BytesIO(b'{"format": "facilitation.workshop"}'), "x.json")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert "kein Workshop-Archiv" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Workshop.id))) == count


def test_the_workshop_list_and_tabs_lead_to_import_and_results(team, as_):
    client = as_(team.accounts["observer"])
    assert "/workshops/import-archive" in client.get("/workshops").get_data(as_text=True)
    agenda = client.get(f"/workshops/{team.workshop.id}").get_data(as_text=True)
    assert f"/workshops/{team.workshop.id}/results" in agenda


# -- command line -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_command_writes_the_same_file_as_the_download(team, runner, tmp_path, fmt):
    result = runner.invoke(
        args=["export-workshop", team.workshop.join_code, "--format", fmt, "--output", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    written = tmp_path / services.filename(team.workshop, services.FORMATS[fmt])
    assert written.is_file() and str(written) in result.output
    if fmt == "json":
        assert json.loads(written.read_bytes())["format"] == "facilitation.archive"


def test_the_download_is_the_commands_file_built_in_a_child_process(team, as_, runner, tmp_path):
    """The route runs ``export-workshop --id`` in a child process: the same tables, one audit entry."""
    response = as_(team.accounts["owner"]).get(f"/workshops/{team.workshop.id}/export.csv")
    assert response.status_code == 200
    assert response.headers["Content-Length"] == str(len(response.data))
    result = runner.invoke(
        args=["export-workshop", "--id", str(team.workshop.id), "--format", "csv", "--output", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    written = tmp_path / services.filename(team.workshop, services.FORMATS["csv"])
    assert csv_files(written.read_bytes()) == csv_files(response.data)
    exported = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "workshop.exported").order_by(AuditEntry.id)
    ).all()
    assert [entry.account_id for entry in exported] == [team.accounts["owner"].id, None]  # the route's, the CLI's


def test_export_command_without_audit_and_its_refusals(team, app, runner, tmp_path):
    workshop = team.workshop
    result = runner.invoke(
        args=["export-workshop", "--id", str(workshop.id), "--format", "json", "--output", str(tmp_path), "--no-audit"]
    )
    assert result.exit_code == 0, result.output
    assert not db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "workshop.exported"))
    result = runner.invoke(args=["export-workshop", workshop.join_code, "--id", str(workshop.id)])
    assert result.exit_code == 2 and "either" in result.output
    result = runner.invoke(args=["export-workshop", "--id", "999999", "--output", str(tmp_path)])
    assert result.exit_code == 1 and "No workshop" in result.output
    app.config["EXPORT_FONT_DIR"] = str(tmp_path)  # no fonts there
    result = runner.invoke(args=["export-workshop", "--id", str(workshop.id), "--output", str(tmp_path)])
    assert result.exit_code == services.FONT_MISSING_STATUS and "fonts-dejavu-core" in result.output


def test_result_templates_link_only_to_routes_that_exist(app):
    """Every ``url_for`` target in templates/results names a registered endpoint."""
    targets = set()
    for template in (pdf.ROOT / "templates" / "results").glob("*.html"):
        targets |= set(re.findall(r"url_for\(\s*['\"]([\w.]+)['\"]", template.read_text("utf-8")))
    assert targets and targets <= set(app.view_functions), targets - set(app.view_functions)


def test_export_command_refuses_an_unknown_code(app, runner, tmp_path):
    result = runner.invoke(args=["export-workshop", "ZZZZZZ", "--output", str(tmp_path / "x.pdf")])
    assert result.exit_code != 0
    assert "No workshop" in result.output


def test_import_command_restores_with_a_new_code(forum, runner, tmp_path):
    path = tmp_path / "archiv.json"
    path.write_bytes(archive.dumps(archive.export_archive(forum.workshop)))
    result = runner.invoke(args=["import-workshop", str(path), "--owner", forum.owner.email])
    assert result.exit_code == 0, result.output
    copy = db.session.scalar(select(Workshop).order_by(Workshop.id.desc()))
    assert copy.id != forum.workshop.id and copy.join_code in result.output
    broken = tmp_path / "broken.json"
    broken.write_text("{}")
    result = runner.invoke(args=["import-workshop", str(broken)])
    assert result.exit_code != 0 and "kein Workshop-Archiv" in result.output

"""The workshop list, settings, team and audit pages."""

import pytest
from sqlalchemy import select

from facilitation.extensions import db
from facilitation.workshops import services
from facilitation.workshops.models import AuditEntry, Role, Workshop


@pytest.fixture
def workshop(create_workshop, owner):
    return create_workshop(owner=owner, title="Zukunftsforum")


@pytest.fixture
def as_owner(client, login, owner):
    login(client, owner)
    return client


def settings(**changes):
    return {"title": "Zukunftsforum", "min_group_size": "5", "retention_days": "90", **changes}


def test_home_sends_moderators_to_their_workshops(as_owner, workshop):
    assert as_owner.get("/").headers["Location"] == "/workshops"

    page = as_owner.get("/workshops")

    assert workshop.join_code in page.text
    assert "Zukunftsforum" in page.text


def test_home_shows_the_join_form_to_everyone_else(client):
    page = client.get("/")

    assert page.status_code == 200
    assert "Zugangscode" in page.text


def test_edit_settings_saves_and_returns_to_the_agenda(as_owner, workshop):
    response = as_owner.post(
        f"/workshops/{workshop.id}/settings",
        data=settings(title="Forum 2030", venue="Güstrow", starts_on="2025-03-23", min_group_size="3"),
    )

    assert response.headers["Location"] == f"/workshops/{workshop.id}"
    assert (workshop.title, workshop.venue, workshop.min_group_size) == ("Forum 2030", "Güstrow", 3)
    assert workshop.starts_on.isoformat() == "2025-03-23"
    assert "23.03.2025" in as_owner.get("/workshops").text  # the list shows the date


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": ""}, "Dieses Feld wird benötigt."),
        ({"min_group_size": "0"}, "Zahl muss zwischen 1 und 50 liegen."),
        ({"starts_on": "morgen"}, "Kein gültiges Datum."),
    ],
)
def test_edit_settings_shows_form_errors_in_german(as_owner, workshop, changes, message):
    response = as_owner.post(f"/workshops/{workshop.id}/settings", data=settings(**changes))

    assert response.status_code == 200
    assert message in response.text
    assert 'class="form-control is-invalid"' in response.text
    assert workshop.title == "Zukunftsforum"


def test_members_page_adds_an_account_with_a_role(as_owner, workshop, create_account):
    colleague = create_account(email="kollegin@example.org")

    response = as_owner.post(
        f"/workshops/{workshop.id}/members", data={"email": "Kollegin@Example.org", "role": "observer"}
    )

    assert response.status_code == 302
    assert services.role_of(colleague, workshop) is Role.observer
    assert "kollegin@example.org ist jetzt dabei." in as_owner.get(response.headers["Location"]).text


def test_members_page_explains_an_unknown_account(as_owner, workshop):
    response = as_owner.post(f"/workshops/{workshop.id}/members", data={"email": "wer@example.org", "role": "owner"})

    assert response.status_code == 200
    assert "Es gibt kein Konto mit dieser E-Mail-Adresse." in response.text


def test_members_page_refuses_to_demote_the_last_owner(as_owner, workshop, owner):
    response = as_owner.post(f"/workshops/{workshop.id}/members", data={"email": owner.email, "role": "observer"})

    assert response.status_code == 200
    assert "mindestens eine verantwortliche Person" in response.text
    assert services.role_of(owner, workshop) is Role.owner


def test_remove_member(as_owner, workshop, owner, create_account):
    colleague = create_account()
    services.grant_role(owner, workshop, colleague, Role.moderator)

    response = as_owner.post(f"/workshops/{workshop.id}/members/{colleague.id}/remove")

    assert response.headers["Location"] == f"/workshops/{workshop.id}/members"
    assert services.role_of(colleague, workshop) is None


def test_removing_the_last_owner_is_refused_with_a_message(as_owner, workshop, owner):
    response = as_owner.post(f"/workshops/{workshop.id}/members/{owner.id}/remove", follow_redirects=True)

    assert "mindestens eine verantwortliche Person" in response.text
    assert services.role_of(owner, workshop) is Role.owner


def test_removing_someone_who_is_not_a_member_is_not_found(as_owner, workshop, create_account):
    stranger = create_account()

    assert as_owner.post(f"/workshops/{workshop.id}/members/{stranger.id}/remove").status_code == 404


def test_audit_page_lists_the_actions(as_owner, workshop, owner):
    services.update_workshop(owner, workshop, venue="Schwerin")

    page = as_owner.get(f"/workshops/{workshop.id}/audit")

    assert page.status_code == 200
    assert page.text.index("workshop.updated") < page.text.index("workshop.created")
    assert "owner@example.org" in page.text


def test_delete_erases_the_workshop_and_says_so(as_owner, workshop):
    workshop_id = workshop.id

    response = as_owner.post(f"/workshops/{workshop_id}/delete", follow_redirects=True)

    assert "Der Workshop „Zukunftsforum“ und alle seine Daten wurden gelöscht." in response.text
    assert db.session.get(Workshop, workshop_id) is None
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "workshop.deleted")) is not None


def test_a_deactivated_account_is_shut_out_of_its_open_session(as_owner, workshop, owner):
    assert as_owner.get(f"/workshops/{workshop.id}").status_code == 200
    owner.is_active_account = False
    db.session.commit()

    response = as_owner.get(f"/workshops/{workshop.id}")

    assert response.headers["Location"].startswith("/login")  # UserMixin: inactive is unauthenticated

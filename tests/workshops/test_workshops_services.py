"""Creating and running workshops, roles, and the audit log."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from facilitation.activities import services as activity_services
from facilitation.activities.models import Activity
from facilitation.extensions import db
from facilitation.participation import services as participation_services
from facilitation.participation.models import Card, Participant
from facilitation.realtime import rooms
from facilitation.workshops import services
from facilitation.workshops.models import (
    JOIN_CODE_ALPHABET,
    JOIN_CODE_LENGTH,
    AuditEntry,
    Membership,
    Role,
    Workshop,
    WorkshopState,
)


def actions(workshop):
    return [entry.action for entry in reversed(services.audit_log(workshop))]


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


# -- creating and editing -------------------------------------------------------------------------


def test_create_workshop_makes_the_actor_owner_of_a_draft(owner):
    workshop = services.create_workshop(owner, title="Zukunftsforum", venue="Rostock", starts_on="2025-03-23")

    assert workshop.state is WorkshopState.draft
    assert workshop.starts_on == date(2025, 3, 23)
    assert services.role_of(owner, workshop) is Role.owner
    assert len(workshop.screen_key) >= 24
    assert actions(workshop) == ["workshop.created"]


def test_join_codes_use_only_the_unambiguous_alphabet(create_workshop):
    codes = {create_workshop().join_code for _ in range(5)} | {services.new_join_code() for _ in range(500)}

    assert all(len(code) == JOIN_CODE_LENGTH and set(code) <= set(JOIN_CODE_ALPHABET) for code in codes)
    assert not set(JOIN_CODE_ALPHABET) & set("01OIL")


def test_a_taken_join_code_is_drawn_again(create_workshop, owner, monkeypatch):
    taken = create_workshop().join_code
    codes = iter([taken, "QRSTUV"])
    monkeypatch.setattr(services, "new_join_code", lambda: next(codes))

    workshop = services.create_workshop(owner, title="Zweiter")

    assert workshop.join_code == "QRSTUV"
    assert services.role_of(owner, workshop) is Role.owner
    assert count(Workshop) == 2


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": "  "}, "Titel"),
        ({"title": "X", "colour": "red"}, "Unbekannte Felder: colour"),
        ({"title": "X", "min_group_size": 0}, "Gruppe"),
        ({"title": "X", "retention_days": 0}, "Aufbewahrung"),
        ({"title": "X", "min_group_size": "fünf"}, "Gruppe"),
        ({"title": "X", "starts_on": "23.03.2025"}, "Datum"),
        ({"title": ["X"]}, "Titel"),
    ],
)
def test_create_workshop_refuses_invalid_fields(owner, fields, message):
    with pytest.raises(services.WorkshopError) as error:
        services.create_workshop(owner, **fields)

    assert message in str(error.value.message)
    assert count(Workshop) == 0


def test_update_workshop_changes_fields_and_records_them(create_workshop, owner):
    workshop = create_workshop(owner=owner)

    services.update_workshop(owner, workshop, title="Neu", starts_on="", min_group_size=3)

    assert (workshop.title, workshop.starts_on, workshop.min_group_size) == ("Neu", None, 3)
    assert services.audit_log(workshop)[0].details == {"fields": ["min_group_size", "starts_on", "title"]}


# -- finding by join code -------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["{code}", "{lower}", " {code} ", "{a}-{b}", "{a} {b}", "{lower_a} - {b}"])
def test_find_by_join_code_tolerates_how_people_type(create_workshop, typed):
    workshop = create_workshop()
    code = workshop.join_code
    typed = typed.format(code=code, lower=code.lower(), a=code[:3], b=code[3:], lower_a=code[:3].lower())

    assert services.find_by_join_code(typed) == workshop


@pytest.mark.parametrize("code", ["", "ABCDE", "ABCDEFG", "ABCDE0", "ABCDEO", "ABCDE1", "ABCDEI", "ABCDE%", "ÄBCDEF"])
def test_find_by_join_code_rejects_malformed_codes(app, code):
    db.session.add(Workshop(title="T", join_code=code[:12] or "-", screen_key="k"))
    db.session.commit()

    assert services.find_by_join_code(code) is None


def test_find_by_join_code_returns_none_for_an_unknown_code(app):
    assert services.find_by_join_code("ABCDEF") is None


@given(st.text(max_size=20))
def test_find_by_join_code_never_crashes(typed):
    cleaned = typed.strip().upper().replace(" ", "").replace("-", "")
    if len(cleaned) != JOIN_CODE_LENGTH or set(cleaned) - set(JOIN_CODE_ALPHABET):
        assert services.find_by_join_code(typed) is None  # refused before any query: no app needed


# -- roles ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "needed", "expected"),
    [
        (Role.observer, Role.observer, True),
        (Role.observer, Role.moderator, False),
        (Role.moderator, Role.moderator, True),
        (Role.moderator, Role.owner, False),
        (Role.owner, Role.observer, True),
        (Role.owner, Role.owner, True),
        (None, Role.observer, False),
    ],
)
def test_has_role_compares_ranks(create_workshop, create_account, owner, role, needed, expected):
    workshop = create_workshop(owner=owner)
    account = create_account()
    if role:
        services.grant_role(owner, workshop, account, role)

    assert services.has_role(account, workshop, needed) is expected


def test_administrators_count_as_owners_everywhere(create_workshop, create_account):
    admin = create_account(is_admin=True)

    assert services.role_of(admin, create_workshop()) is Role.owner


def test_anonymous_has_no_role(create_workshop):
    assert services.role_of(None, create_workshop()) is None


def test_grant_role_replaces_an_earlier_role(create_workshop, create_account, owner):
    workshop = create_workshop(owner=owner)
    account = create_account()
    services.grant_role(owner, workshop, account, Role.observer)
    services.grant_role(owner, workshop, account, Role.moderator)

    assert services.role_of(account, workshop) is Role.moderator
    assert count(Membership, Membership.workshop_id == workshop.id) == 2
    assert actions(workshop)[-2:] == ["role.granted", "role.granted"]


def test_revoking_the_last_owner_is_refused(create_workshop, owner):
    workshop = create_workshop(owner=owner)

    with pytest.raises(services.WorkshopError) as error:
        services.revoke_role(owner, workshop, owner)

    assert "mindestens eine verantwortliche Person" in str(error.value.message)
    assert services.role_of(owner, workshop) is Role.owner


def test_demoting_the_last_owner_is_refused(create_workshop, owner):
    workshop = create_workshop(owner=owner)

    with pytest.raises(services.WorkshopError):
        services.grant_role(owner, workshop, owner, Role.moderator)

    assert services.role_of(owner, workshop) is Role.owner


def test_one_of_two_owners_may_leave(create_workshop, create_account, owner):
    workshop = create_workshop(owner=owner)
    other = create_account()
    services.grant_role(owner, workshop, other, Role.owner)

    services.revoke_role(owner, workshop, owner)

    assert services.role_of(owner, workshop) is None
    assert actions(workshop)[-1] == "role.revoked"


def test_workshops_for_lists_own_workshops_and_all_for_administrators(create_workshop, create_account, owner):
    mine = create_workshop(owner=owner, title="Meiner")
    create_workshop(title="Fremder")

    assert services.workshops_for(owner) == [mine]
    assert len(services.workshops_for(create_account(is_admin=True))) == 2


# -- lifecycle ------------------------------------------------------------------------------------


def test_bump_version_increments_in_sql_not_from_the_loaded_value(create_workshop):
    workshop = create_workshop()
    db.session.execute(text("UPDATE workshops SET version = 41 WHERE id = :id"), {"id": workshop.id})
    assert workshop.version == 0  # the loaded object does not know

    assert services.bump_version(workshop) == 42
    assert services.bump_version(workshop) == 43


def test_change_state_publishes_to_every_room_and_audits(create_workshop, owner, published):
    workshop = create_workshop(owner=owner)

    services.change_state(owner, workshop, WorkshopState.live)

    payload = {"state": "live", "version": 1}
    assert published == [("workshop_changed", payload, room) for room in rooms.everyone(workshop.id)]
    assert workshop.started_at is not None
    assert actions(workshop)[-1] == "workshop.live"


def test_change_state_refuses_a_wrong_move_and_publishes_nothing(create_workshop, owner, published):
    workshop = create_workshop(owner=owner)

    with pytest.raises(services.WorkshopError) as error:
        services.change_state(owner, workshop, WorkshopState.archived)

    assert "nicht möglich" in str(error.value.message)
    assert workshop.state is WorkshopState.draft
    assert workshop.version == 0
    assert published == []
    assert actions(workshop) == ["workshop.created"]


def test_delete_workshop_erases_everything_but_the_audit_entry(create_workshop, create_activity, owner, published):
    workshop = create_workshop(owner=owner, title="Weg damit")
    other = create_workshop(owner=owner, title="Bleibt")
    create_activity(other)
    activity = create_activity(workshop, kind="cards")
    services.change_state(owner, workshop, WorkshopState.live)
    activity_services.open_activity(owner, activity)
    participant = participation_services.join_workshop(workshop, "token-1")
    participation_services.submit_card(participant, activity, client_id="c1", text="Mehr Austausch", column="Erhalten")
    workshop_id, join_code = workshop.id, workshop.join_code

    services.delete_workshop(owner, workshop)

    assert db.session.get(Workshop, workshop_id) is None
    assert count(Activity, Activity.workshop_id == workshop_id) == 0
    assert count(Participant, Participant.workshop_id == workshop_id) == 0
    assert count(Card) == 0
    assert count(Membership, Membership.workshop_id == workshop_id) == 0
    assert count(Activity) == 1  # the other workshop's
    deleted = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "workshop.deleted"))
    assert deleted.details == {"title": "Weg damit", "join_code": join_code}
    assert deleted.account_id == owner.id
    assert deleted.target == f"workshop:{workshop_id}"
    assert count(AuditEntry, AuditEntry.target == f"workshop:{workshop_id}") >= 2  # created, live, deleted


def test_audit_entries_keep_actor_and_system(create_workshop, owner):
    workshop = create_workshop(owner=None)
    services.grant_role(None, workshop, owner, Role.owner)
    services.update_workshop(owner, workshop, venue="Schwerin")

    log = services.audit_log(workshop)

    assert [(e.actor, e.action) for e in log] == [
        ("owner@example.org", "workshop.updated"),
        ("system", "role.granted"),
        ("system", "workshop.created"),
    ]
    assert log[1].details == {"role": "owner"}
    assert log[1].target == f"account:{owner.id}"


def test_missing_texts_count_as_empty(owner):
    workshop = services.create_workshop(owner, title=" Forum ", venue=None, organiser=None, starts_on=None)

    assert (workshop.title, workshop.venue, workshop.organiser, workshop.starts_on) == ("Forum", "", "", None)


@pytest.mark.parametrize("is_admin", [False, True])
def test_a_deactivated_account_loses_its_roles(create_workshop, create_account, is_admin):
    account = create_account(is_admin=is_admin)
    workshop = create_workshop(owner=account)
    account.is_active_account = False
    db.session.commit()

    assert services.role_of(account, workshop) is None

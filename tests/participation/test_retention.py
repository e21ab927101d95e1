"""Retention: the cards of ended workshops are deleted after their period; deleting a workshop erases it."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from facilitation.activities import services as activity_services
from facilitation.extensions import db
from facilitation.modeling import utcnow
from facilitation.participation import services
from facilitation.participation.models import Card, Participant
from facilitation.workshops import services as workshop_services
from facilitation.workshops.models import AuditEntry, Workshop, WorkshopState


@pytest.fixture
def forum(owner, create_workshop, create_activity, join):
    """A live workshop with two cards, one of them corrected and one rejected by the moderator."""

    def make(title="Forum", retention_days=90):
        workshop = create_workshop(owner=owner, title=title, retention_days=retention_days)
        step = create_activity(workshop, "cards", config={"max_cards": 5})
        workshop_services.change_state(owner, workshop, WorkshopState.live)
        activity_services.open_activity(owner, step)
        participant = join(workshop)
        first, _ = services.submit_card(participant, step, client_id="keep-0001", text="Frau Müller anrufen")
        second, _ = services.submit_card(participant, step, client_id="keep-0002", text="Schutzkonzept")
        services.edit_card_as_moderator(owner, first, "Ansprechperson anrufen")
        services.reject_card(owner, second, "Bitte ohne Namen von Frau Müller")
        return workshop

    return make


def end(owner, workshop, days_ago: int):
    workshop_services.change_state(owner, workshop, WorkshopState.ended)
    workshop.ended_at = utcnow() - timedelta(days=days_ago)
    db.session.commit()


def cards_of(workshop) -> int:
    db.session.expire_all()
    return len([c for c in db.session.scalars(select(Card)) if c.activity.workshop_id == workshop.id])


def audit_texts(workshop_id) -> str:
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.workshop_id == workshop_id))
    return " ".join(str(e.details) for e in entries)


def test_cards_of_ended_workshops_are_deleted_after_their_period(forum, owner):
    expired = forum("Abgelaufen", retention_days=30)
    recent = forum("Noch frisch", retention_days=30)
    running = forum("Läuft noch", retention_days=1)
    end(owner, expired, days_ago=31)
    end(owner, recent, days_ago=29)
    assert "Frau Müller" in audit_texts(expired.id)

    purged = services.purge_expired_cards()

    assert [(w.id, n) for w, n in purged] == [(expired.id, 2)]
    assert cards_of(expired) == 0
    assert cards_of(recent) == 2 and cards_of(running) == 2
    assert expired.purged_at is not None
    assert "Frau Müller" not in audit_texts(expired.id), "the audit log no longer quotes the cards"
    assert "Ansprechperson" not in audit_texts(expired.id)
    [entry] = db.session.scalars(
        select(AuditEntry).where(AuditEntry.workshop_id == expired.id, AuditEntry.action == "workshop.purged")
    )
    assert entry.actor == "system" and entry.details == {"cards": 2, "retention_days": 30}
    # Who did what stays: the moderation entries are still there, without the words.
    actions = {e.action for e in db.session.scalars(select(AuditEntry).where(AuditEntry.workshop_id == expired.id))}
    assert {"card.edited", "card.rejected"} <= actions
    # Participants (tokens, coarse profiles for k-anonymous results) and the agenda stay.
    assert db.session.scalar(select(func.count(Participant.id)).where(Participant.workshop_id == expired.id)) == 1


def test_purging_again_does_nothing(forum, owner):
    workshop = forum(retention_days=1)
    end(owner, workshop, days_ago=2)
    assert len(services.purge_expired_cards()) == 1
    assert services.purge_expired_cards() == []
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "workshop.purged")) == 1


def test_the_period_counts_from_the_end_and_the_workshops_own_setting(forum, owner):
    workshop = forum(retention_days=10)
    end(owner, workshop, days_ago=9)
    assert services.purge_expired_cards() == []
    assert len(services.purge_expired_cards(now=utcnow() + timedelta(days=1, minutes=1))) == 1


def test_archived_workshops_are_purged_too(forum, owner):
    workshop = forum(retention_days=1)
    end(owner, workshop, days_ago=5)
    workshop_services.change_state(owner, workshop, WorkshopState.archived)
    assert [w.id for w, _ in services.purge_expired_cards()] == [workshop.id]


def test_the_cli_command(forum, owner, runner):
    workshop = forum(retention_days=1)
    end(owner, workshop, days_ago=3)
    result = runner.invoke(args=["purge-expired"])
    assert result.exit_code == 0, result.output
    assert f"{workshop.join_code}: 2 cards deleted" in result.output
    assert "1 workshop(s) purged" in result.output
    assert cards_of(db.session.get(Workshop, workshop.id)) == 0


def test_deleting_a_workshop_erases_everything_and_logs_it(forum, owner):
    workshop = forum()
    workshop_id, code = workshop.id, workshop.join_code
    workshop_services.delete_workshop(owner, workshop)
    db.session.expire_all()
    assert db.session.get(Workshop, workshop_id) is None
    assert db.session.scalar(select(func.count(Card.id))) == 0
    assert db.session.scalar(select(func.count(Participant.id))) == 0
    entries = list(db.session.scalars(select(AuditEntry)))
    assert all(e.workshop_id is None for e in entries)
    assert "Frau Müller" not in " ".join(str(e.details) for e in entries), "kept entries quote no card"
    assert any(e.action == "workshop.deleted" and e.details["join_code"] == code for e in entries)

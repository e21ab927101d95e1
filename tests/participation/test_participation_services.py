"""Participation services: joining, checking in, writing cards, moderating them, and what is published."""

import time
from contextlib import contextmanager

import pytest
from sqlalchemy import func, select

from facilitation.activities import services as activity_services
from facilitation.extensions import db
from facilitation.participation import services
from facilitation.participation.models import Card, CardStatus, Participant
from facilitation.participation.services import ParticipationError
from facilitation.realtime import broadcast, rooms
from facilitation.workshops import services as workshop_services
from facilitation.workshops.models import AuditEntry, WorkshopState

COLUMNS = ["Erhalten", "Zurücklassen", "Neu gestalten"]

pytestmark = pytest.mark.usefixtures("fast_coalescing")


@pytest.fixture
def step(cards_step, open_step):
    """The open "Erhalten – Zurücklassen – Neu gestalten" step (max 6 cards, 3 per column)."""
    return open_step(cards_step)


@pytest.fixture
def author(join, live_workshop):
    return join(live_workshop)


@pytest.fixture
def submit(author, step, client_ids):
    """Submit a card as ``author`` (or ``participant``) to the open step; returns the card."""

    def submit_(text="Mehr Zeit für Fallberatung", column="Erhalten", participant=None, activity=None, client_id=None):
        card, _is_new = services.submit_card(
            participant or author, activity or step, client_id=client_id or client_ids(), text=text, column=column
        )
        return card

    return submit_


def cards_in_db(**where) -> int:
    query = select(func.count(Card.id))
    for name, value in where.items():
        query = query.where(getattr(Card, name) == value)
    return db.session.scalar(query)


def audit_actions(workshop) -> list[tuple[str, str, str]]:
    return [(e.action, e.actor, e.target) for e in reversed(workshop_services.audit_log(workshop))]


@contextmanager
def refused(code=None):
    """Expect a ParticipationError (with ``code``, if given)."""
    with pytest.raises(ParticipationError) as error:
        yield error
    if code is not None:
        assert error.value.code == code


# -- joining ----------------------------------------------------------------------------------------


def test_join_creates_one_participant_per_token_and_rejoin_keeps_identity(live_workshop):
    first = services.join_workshop(live_workshop, "token-of-phone-one")
    again = services.join_workshop(live_workshop, "token-of-phone-one")
    other = services.join_workshop(live_workshop, "token-of-phone-two")

    assert again.id == first.id
    assert other.id != first.id
    assert db.session.scalar(select(func.count(Participant.id))) == 2
    assert first.token_hash == services.hash_token("token-of-phone-one")
    assert "token-of-phone-one" not in first.token_hash, "the token itself is never stored"
    assert services.find_participant(live_workshop, "token-of-phone-one").id == first.id
    assert services.participation_counts(live_workshop.id) == {"joined": 2, "checked_in": 0}


def test_a_token_belongs_to_one_workshop(live_workshop, create_workshop):
    services.join_workshop(live_workshop, "token-of-phone-one")
    other_workshop = create_workshop()

    assert services.find_participant(other_workshop, "token-of-phone-one") is None
    assert services.find_participant(live_workshop, None) is None
    assert services.find_participant(live_workshop, "x" * 101) is None


@pytest.mark.parametrize("state", [WorkshopState.ended, WorkshopState.archived])
def test_ended_workshop_refuses_join(live_workshop, owner, state):
    services.join_workshop(live_workshop, "token-before-the-end")
    workshop_services.change_state(owner, live_workshop, WorkshopState.ended)
    if state is WorkshopState.archived:
        workshop_services.change_state(owner, live_workshop, WorkshopState.archived)

    with refused("ended"):
        services.join_workshop(live_workshop, "token-after-the-end")
    with refused("ended"):
        services.join_workshop(live_workshop, "token-before-the-end")
    assert db.session.scalar(select(func.count(Participant.id))) == 1


# -- check-in ---------------------------------------------------------------------------------------


def test_check_in_records_organisation_and_role(author, checkin_step, open_step):
    open_step(checkin_step)

    services.check_in(author, checkin_step, "Freier Träger", "Leitung")

    db.session.expire_all()
    assert (author.organisation, author.role) == ("Freier Träger", "Leitung")
    assert author.checked_in_at is not None
    assert services.participation_counts(author.workshop_id) == {"joined": 1, "checked_in": 1}


def test_check_in_is_optional_unless_required(author, checkin_step, open_step):
    open_step(checkin_step)
    services.check_in(author, checkin_step, None, None)
    assert author.organisation is None and author.checked_in_at is not None


@pytest.mark.parametrize(
    ("organisation", "role"),
    [("Jugendamt Atlantis", None), ("jugendamt rostock", None), ("Land", "Bürgermeisterin"), (None, "Chef")],
)
def test_check_in_refuses_what_is_not_in_the_lists(author, checkin_step, open_step, organisation, role):
    open_step(checkin_step)
    with refused():
        services.check_in(author, checkin_step, organisation, role)
    db.session.rollback()
    assert author.checked_in_at is None and author.organisation is None


def test_required_check_in_needs_an_organisation(author, live_workshop, owner, open_step):
    required = activity_services.add_activity(
        owner,
        live_workshop,
        kind="checkin",
        title="Pflicht",
        config={"organisations": ["Land"], "roles": [], "is_required": True},
    )
    open_step(required)
    with refused():
        services.check_in(author, required, None, None)
    services.check_in(author, required, "Land", None)
    assert author.organisation == "Land"


def test_check_in_needs_an_open_check_in_step(author, checkin_step, step):
    with refused("closed"):
        services.check_in(author, checkin_step, "Land", None)
    with refused("wrong_step"):
        services.check_in(author, step, "Land", None)


# -- writing cards ----------------------------------------------------------------------------------


def test_submit_card_stores_a_pending_card(author, step):
    card, is_new = services.submit_card(
        author, step, client_id="card-0001", text="Fallberatung erhalten", column="Erhalten"
    )

    assert is_new
    assert (card.text, card.column, card.status, card.client_id) == (
        "Fallberatung erhalten",
        "Erhalten",
        CardStatus.pending,
        "card-0001",
    )
    assert card.participant_id == author.id and card.activity_id == step.id
    assert card.personal_data == []


def test_resend_with_the_same_client_id_returns_the_same_card(author, step, join, live_workshop):
    card, is_new = services.submit_card(author, step, client_id="card-0001", text="Erste Fassung", column="Erhalten")
    again, is_new_again = services.submit_card(
        author, step, client_id="card-0001", text="Erste Fassung", column="Erhalten"
    )
    # A resend is recognised by its id alone, even if the phone's copy differs.
    third, _ = services.submit_card(author, step, client_id="card-0001", text="Anders", column="Neu gestalten")

    assert is_new and not is_new_again
    assert again.id == card.id == third.id
    assert third.text == "Erste Fassung"
    assert cards_in_db() == 1
    # Client ids are unique per participant, not across phones.
    someone_else, is_new_other = services.submit_card(
        join(live_workshop), step, client_id="card-0001", text="Erste Fassung", column="Erhalten"
    )
    assert is_new_other and someone_else.id != card.id
    assert cards_in_db() == 2


def test_resend_of_a_stored_card_is_answered_after_the_step_closed(author, step, owner):
    card, _ = services.submit_card(author, step, client_id="card-0001", text="Noch rechtzeitig", column="Erhalten")
    activity_services.close_activity(owner, step)

    again, is_new = services.submit_card(
        author, step, client_id="card-0001", text="Noch rechtzeitig", column="Erhalten"
    )

    assert again.id == card.id and not is_new
    with refused("closed"):
        services.submit_card(author, step, client_id="card-0002", text="Zu spät", column="Erhalten")


def test_limit_per_column(author, submit, step):
    for number in range(3):
        submit(f"Erhalten {number}", "Erhalten")
    assert services.cards_left(author, step) == {
        "total": 3,
        "columns": {"Erhalten": 0, "Zurücklassen": 3, "Neu gestalten": 3},
    }

    with refused("limit") as error:
        submit("Eine zu viel", "Erhalten")
    assert "Erhalten" in str(error.value.message)
    submit("Andere Spalte geht", "Zurücklassen")
    assert cards_in_db(column="Erhalten") == 3


def test_limit_per_person(author, submit, step):
    for column in COLUMNS:
        submit(f"{column} eins", column)
        submit(f"{column} zwei", column)
    assert services.cards_left(author, step)["total"] == 0

    with refused("limit"):
        submit("Die siebte Karte", "Erhalten")
    assert cards_in_db(participant_id=author.id) == 6


def test_limit_without_columns(author, live_workshop, owner, open_step, client_ids):
    plain = open_step(
        activity_services.add_activity(owner, live_workshop, kind="cards", title="Ziele", config={"max_cards": 2})
    )
    for text in ("Ziel eins", "Ziel zwei"):
        card, _ = services.submit_card(author, plain, client_id=client_ids(), text=text, column="Erhalten")
        assert card.column == "", "a step without columns ignores the column"
    assert services.cards_left(author, plain) == {"total": 0}
    with refused("limit"):
        services.submit_card(author, plain, client_id=client_ids(), text="Ziel drei")


def test_limits_count_per_person(author, submit, join, live_workshop):
    for number in range(3):
        submit(f"Meine Karte {number}", "Erhalten")
    submit("Deine Karte", "Erhalten", participant=join(live_workshop))
    assert cards_in_db(column="Erhalten") == 4


@pytest.mark.parametrize("column", ["", "erhalten", "Behalten", "Erhalten "])
def test_a_step_with_columns_needs_one_of_them(submit, column):
    with refused("column"):
        submit("Karte ohne Spalte", column)
    assert cards_in_db() == 0


def test_max_length(submit, step):
    limit = step.config["max_length"]
    assert submit("x" * limit).text == "x" * limit
    with refused("too_long"):
        submit("x" * (limit + 1))
    # What counts is the cleaned text: padding and invisible characters don't use up the limit.
    assert len(submit("  " + "y" * limit + "\u200b\u200b  ", "Zurücklassen").text) == limit


@pytest.mark.parametrize("text", ["", " ", "   \n\t  ", "\u200b\u200c\u200d\ufeff", "\x00\x07", "\u00a0\u2003"])
def test_empty_cards_are_refused(submit, text):
    with refused("empty"):
        submit(text)
    assert cards_in_db() == 0


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Mehr\u200b Personal\x07 im ASD", "Mehr Personal im ASD"),
        ("Zu\u00adsam\u00admen\u00adarbeit", "Zusammenarbeit"),  # soft hyphens
        ("\ufeffKinder\u202eschutz", "Kinderschutz"),  # byte-order mark, right-to-left override
        ("Netz\x00werk  \t stärken", "Netzwerk stärken"),
        ("Zeile eins\r\n\n\n  Zeile zwei  ", "Zeile eins\nZeile zwei"),
        ("Fo\u0308rderung fu\u0308r Familien", "Förderung für Familien"),  # NFC
    ],
)
def test_text_is_cleaned_and_normalised(submit, typed, stored):
    card = submit(typed)
    assert card.text == stored
    db.session.expire_all()
    assert db.session.get(Card, card.id).text == stored


def test_nfc_normalisation_makes_equal_texts_equal(submit):
    composed = submit("Übergänge gestalten", "Erhalten")
    decomposed = submit("U\u0308berga\u0308nge gestalten", "Zurücklassen")
    assert composed.text == decomposed.text
    assert len(decomposed.text) == len("Übergänge gestalten")


def test_pending_step_refuses_cards(author, cards_step, client_ids):
    with refused("closed"):
        services.submit_card(author, cards_step, client_id=client_ids(), text="Zu früh", column="Erhalten")


def test_closed_step_refuses_cards(submit, step, owner):
    submit("Rechtzeitig")
    activity_services.close_activity(owner, step)
    with refused("closed"):
        submit("Zu spät")
    assert cards_in_db() == 1


def test_step_of_another_workshop_is_refused(author, owner, create_workshop, open_step, client_ids):
    elsewhere = create_workshop(owner=owner, title="Anderes Forum")
    foreign = activity_services.add_activity(owner, elsewhere, kind="cards", title="Fremd", config={})
    workshop_services.change_state(owner, elsewhere, WorkshopState.live)
    open_step(foreign)

    with refused("wrong_step"):
        services.submit_card(author, foreign, client_id=client_ids(), text="Falscher Ort")
    assert cards_in_db() == 0


def test_step_of_another_kind_is_refused(author, checkin_step, open_step, client_ids):
    open_step(checkin_step)
    with refused("wrong_step"):
        services.submit_card(author, checkin_step, client_id=client_ids(), text="Karte im Check-in")


def test_personal_data_is_flagged(submit):
    card = submit("Frau Müller anrufen: 0171 1234567")
    assert card.personal_data == ["name", "phone"]
    assert card.is_flagged
    assert submit("Mehr Personal im ASD", "Zurücklassen").personal_data == []


# -- changing and withdrawing one's own cards -------------------------------------------------------


def test_withdraw_frees_a_slot(author, submit, step):
    cards = [submit(f"Erhalten {n}") for n in range(3)]
    with refused("limit"):
        submit("Vierte")

    withdrawn = services.withdraw_card(author, cards[0])
    assert withdrawn.status is CardStatus.withdrawn
    assert services.cards_left(author, step)["columns"]["Erhalten"] == 1
    assert services.withdraw_card(author, cards[0]).status is CardStatus.withdrawn, "a repeat is harmless"

    submit("Vierte, jetzt mit Platz")
    assert [c.text for c in services.own_cards(author, step)] == ["Erhalten 1", "Erhalten 2", "Vierte, jetzt mit Platz"]


def test_only_the_author_may_withdraw_or_edit(submit, join, live_workshop):
    card = submit("Meine Karte")
    stranger = join(live_workshop)
    with refused("not_found"):
        services.withdraw_card(stranger, card)
    with refused("not_found"):
        services.edit_own_card(stranger, card, "Übernommen")
    with refused("not_found"):
        services.withdraw_card(stranger, None)
    assert card.status is CardStatus.pending and card.text == "Meine Karte"


def test_withdraw_and_edit_need_the_open_step(author, submit, step, owner):
    card = submit("Meine Karte")
    activity_services.close_activity(owner, step)
    with refused("closed"):
        services.withdraw_card(author, card)
    with refused("closed"):
        services.edit_own_card(author, card, "Geändert")
    db.session.expire_all()
    assert card.status is CardStatus.pending and card.text == "Meine Karte"


def test_a_rejected_card_cannot_be_withdrawn_but_the_refusal_is_clean(author, submit, owner):
    card = submit("Unsachlich")
    services.reject_card(owner, card, "Bitte sachlich bleiben")

    with refused():
        services.withdraw_card(author, card)
    db.session.rollback()
    assert card.status is CardStatus.rejected


def test_editing_an_approved_card_requeues_it_when_premoderated(author, submit, owner):
    card = submit("Fallberatung erhalten")
    services.approve_card(owner, card)

    edited = services.edit_own_card(author, card, "Kollegiale Fallberatung erhalten: Frau Müller fragen")

    assert edited.status is CardStatus.pending
    assert edited.text == "Kollegiale Fallberatung erhalten: Frau Müller fragen"
    assert edited.personal_data == ["name"]
    assert not edited.is_edited, "the author's own change is no moderator edit"


def test_editing_without_premoderation_keeps_a_card_visible(author, submit, owner, step):
    services.set_premoderation(owner, step, False)
    card = submit("Sofort sichtbar")
    assert card.status is CardStatus.visible
    assert services.edit_own_card(author, card, "Sofort sichtbar, geändert").status is CardStatus.visible


def test_editing_to_the_same_text_changes_nothing(author, submit, owner, published):
    card = submit("Gleich bleibend")
    services.approve_card(owner, card)
    published.clear()
    assert services.edit_own_card(author, card, "  Gleich   bleibend ").status is CardStatus.visible
    assert not [event for event, _payload, _room in published if event in ("own_card_changed", "card_changed")]


@pytest.mark.parametrize("status", ["withdrawn", "rejected"])
def test_withdrawn_and_rejected_cards_cannot_be_edited(author, submit, owner, status):
    card = submit("Alte Karte")
    if status == "withdrawn":
        services.withdraw_card(author, card)
    else:
        services.reject_card(owner, card, "Doppelt")
    with refused():
        services.edit_own_card(author, card, "Neue Fassung")
    db.session.expire_all()
    assert card.text == "Alte Karte"


def test_own_edit_is_validated_like_a_new_card(author, submit):
    card = submit("Kurz")
    with refused("empty"):
        services.edit_own_card(author, card, "\u200b ")
    with refused("too_long"):
        services.edit_own_card(author, card, "z" * 281)


# -- moderation -------------------------------------------------------------------------------------


def test_approve_makes_a_card_visible_and_is_audited(submit, owner, live_workshop):
    card = submit()
    services.approve_card(owner, card)

    db.session.expire_all()
    assert card.status is CardStatus.visible
    assert card.moderated_by_id == owner.id and card.moderated_at is not None
    assert ("card.approved", owner.email, f"card:{card.id}") in audit_actions(live_workshop)


def test_hide_and_show_again(submit, owner, live_workshop):
    card = submit()
    services.approve_card(owner, card)
    services.hide_card(owner, card)
    assert card.status is CardStatus.hidden
    services.approve_card(owner, card)
    assert card.status is CardStatus.visible
    actions = [action for action, _actor, target in audit_actions(live_workshop) if target == f"card:{card.id}"]
    assert actions == ["card.approved", "card.hidden", "card.approved"]


def test_reject_needs_a_reason_and_tells_it(submit, owner, live_workshop, create_account):
    moderator = create_account(email="mod@example.org")
    card = submit()
    for reason in ("", "   ", "\u200b"):
        with refused():
            services.reject_card(moderator, card, reason)
    assert card.status is CardStatus.pending

    services.reject_card(moderator, card, "  Bitte  ohne Namen ")

    db.session.expire_all()
    assert card.status is CardStatus.rejected
    assert card.reject_reason == "Bitte ohne Namen"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "card.rejected"))
    assert (entry.actor, entry.account_id, entry.target) == ("mod@example.org", moderator.id, f"card:{card.id}")
    assert entry.details == {"reason": "Bitte ohne Namen"}


def test_approving_a_rejected_card_clears_the_reason(submit, owner):
    card = submit()
    services.reject_card(owner, card, "Versehentlich abgelehnt")
    services.approve_card(owner, card)
    db.session.expire_all()
    assert card.status is CardStatus.visible
    assert card.reject_reason == ""


def test_moderator_edit_keeps_the_original(submit, owner, live_workshop):
    card = submit("Frau Müller anrufen: 0171 1234567")
    services.edit_card_as_moderator(owner, card, "Fachberatung anrufen")
    services.edit_card_as_moderator(owner, card, "Fachberatung früh anrufen")

    db.session.expire_all()
    assert card.text == "Fachberatung früh anrufen"
    assert card.original_text == "Frau Müller anrufen: 0171 1234567", "the author's words, not the first edit"
    assert card.is_edited
    assert card.personal_data == []
    assert card.status is CardStatus.pending, "an edit is no approval"
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "card.edited")).all()
    assert [(e.actor, e.details["after"]) for e in entries] == [
        (owner.email, "Fachberatung anrufen"),
        (owner.email, "Fachberatung früh anrufen"),
    ]


def test_moderator_edit_to_the_same_text_is_no_edit(submit, owner, live_workshop):
    card = submit("Unverändert")
    services.edit_card_as_moderator(owner, card, " Unverändert ")
    assert not card.is_edited and card.original_text is None
    assert not [a for a in audit_actions(live_workshop) if a[0] == "card.edited"]


@pytest.mark.parametrize(
    ("before", "action"),
    [
        ("withdrawn", "approve"),
        ("withdrawn", "hide"),
        ("withdrawn", "reject"),
        ("withdrawn", "edit"),
        ("visible", "approve"),
        ("hidden", "hide"),
        ("rejected", "reject"),
    ],
)
def test_invalid_moderation_is_refused_and_not_audited(author, submit, owner, live_workshop, before, action):
    card = submit("Eine Karte")
    if before == "withdrawn":
        services.withdraw_card(author, card)
    elif before == "visible":
        services.approve_card(owner, card)
    elif before == "hidden":
        services.hide_card(owner, card)
    elif before == "rejected":
        services.reject_card(owner, card, "Erster Grund")
    audit_before = audit_actions(live_workshop)
    moderate = {
        "approve": lambda: services.approve_card(owner, card),
        "hide": lambda: services.hide_card(owner, card),
        "reject": lambda: services.reject_card(owner, card, "Zweiter Grund"),
        "edit": lambda: services.edit_card_as_moderator(owner, card, "Neuer Text"),
    }[action]

    with refused():
        moderate()
    # A refused command leaves nothing behind that a later commit could write.
    db.session.commit()
    db.session.expire_all()
    assert card.status is CardStatus(before)
    assert card.text == "Eine Karte"
    assert card.reject_reason == ("Erster Grund" if before == "rejected" else "")
    assert audit_actions(live_workshop) == audit_before


def test_premoderation_off_makes_new_cards_visible_at_once(submit, owner, step, live_workshop, published):
    pending = submit("Vorher eingereicht")
    published.clear()
    services.set_premoderation(owner, step, False)
    visible = submit("Nachher eingereicht")

    assert visible.status is CardStatus.visible
    assert pending.status is CardStatus.pending, "switching does not approve what waits"
    assert ("activity.premoderation", owner.email, f"activity:{step.id}") in audit_actions(live_workshop)
    changed = [(room, payload) for event, payload, room in published if event == "activity_changed"]
    assert sorted(room for room, _ in changed) == sorted(rooms.everyone(live_workshop.id))
    assert all(payload["activity"]["config"]["is_premoderated"] is False for _, payload in changed)
    assert changed[0][1]["version"] == live_workshop.version


def test_premoderation_is_only_for_card_steps(owner, checkin_step):
    with refused():
        services.set_premoderation(owner, checkin_step, False)


# -- what the projector sees ------------------------------------------------------------------------


def test_wall_shows_visible_cards_only_after_reveal(author, submit, owner, step):
    shown, hidden, rejected, _pending, withdrawn = (submit(f"Karte {n}", COLUMNS[n % 3]) for n in range(5))
    for card in (shown, hidden, rejected):
        services.approve_card(owner, card)
    services.hide_card(owner, hidden)
    services.reject_card(owner, rejected, "Doppelt")
    services.withdraw_card(author, withdrawn)

    before = services.wall(step)
    assert before["cards"] == [], "blind until revealed"
    assert before["counts"]["status"]["visible"] == 1

    activity_services.reveal_activity(owner, step)
    after = services.wall(step)
    assert [c["text"] for c in after["cards"]] == ["Karte 0"]
    assert after["cards"][0] == {
        "id": shown.id,
        "activity_id": step.id,
        "column": "Erhalten",
        "text": "Karte 0",
        "is_edited": False,
    }, "the wall carries no author, status or moderation fields"

    services.edit_card_as_moderator(owner, shown, "Karte 0, bearbeitet")
    assert services.wall(step)["cards"][0]["is_edited"] is True


def test_card_counts(author, submit, owner, step, join, live_workshop):
    other = join(live_workshop)
    cards = [submit("E1", "Erhalten"), submit("E2", "Erhalten"), submit("Z1", "Zurücklassen")]
    cards += [submit("N1", "Neu gestalten", participant=other), submit("N2", "Neu gestalten", participant=other)]
    for card in cards[:4]:
        services.approve_card(owner, card)
    services.hide_card(owner, cards[2])
    services.withdraw_card(other, cards[4])

    assert services.card_counts(step) == {
        "status": {"pending": 0, "visible": 3, "hidden": 1, "rejected": 0, "withdrawn": 1},
        "columns": {"Erhalten": 2, "Neu gestalten": 1},
    }


# -- where the events go ----------------------------------------------------------------------------


def wait_for_publish(published, event, timeout=2.0):
    deadline = time.monotonic() + timeout
    while not any(e == event for e, _payload, _room in published):
        assert time.monotonic() < deadline, f"{event} was not published within {timeout} s"
        time.sleep(0.01)
    return [(payload, room) for e, payload, room in published if e == event]


def test_submit_tells_the_author_and_the_moderators_and_the_projector_later(
    author, submit, step, live_workshop, published
):
    card = submit("Fallberatung erhalten")

    own = [(payload, room) for event, payload, room in published if event == "own_card_changed"]
    assert own == [
        (
            {
                "card": {
                    "id": card.id,
                    "activity_id": step.id,
                    "column": "Erhalten",
                    "text": "Fallberatung erhalten",
                    "is_edited": False,
                    "status": "pending",
                    "personal_data": [],
                    "reject_reason": "",
                    "client_id": card.client_id,
                }
            },
            rooms.participant(author.id),
        )
    ]
    moderated = [(payload, room) for event, payload, room in published if event == "card_changed"]
    assert [room for _, room in moderated] == [rooms.moderators(live_workshop.id)]
    assert moderated[0][0]["card"]["original_text"] is None
    assert "client_id" not in moderated[0][0]["card"]

    walls = wait_for_publish(published, "wall_changed")
    assert [room for _, room in walls] == [rooms.projector(live_workshop.id)]
    assert walls[0][0]["cards"] == [] and walls[0][0]["counts"]["status"]["pending"] == 1


def test_no_event_carries_the_author(author, submit, owner, published):
    card = submit("Anonym")
    services.approve_card(owner, card)
    services.edit_card_as_moderator(owner, card, "Anonym bleibt anonym")
    wait_for_publish(published, "wall_changed")
    for _event, payload, _room in published:
        assert "participant_id" not in str(payload) and "token" not in str(payload)


def test_moderation_events_go_to_the_author_and_the_moderators(author, submit, owner, live_workshop, published):
    card = submit()
    published.clear()

    services.reject_card(owner, card, "Bitte konkreter")

    assert {(event, room) for event, _payload, room in published if event != "wall_changed"} == {
        ("own_card_changed", rooms.participant(author.id)),
        ("card_changed", rooms.moderators(live_workshop.id)),
    }
    own = next(payload for event, payload, _room in published if event == "own_card_changed")
    assert own["card"]["status"] == "rejected" and own["card"]["reject_reason"] == "Bitte konkreter"


def test_phones_never_get_a_per_card_event(author, submit, owner, step, live_workshop, published, join):
    cards = [submit(f"Karte {n}") for n in range(3)]
    services.approve_card(owner, cards[0])
    services.hide_card(owner, cards[1])
    services.reject_card(owner, cards[2], "Doppelt")
    services.edit_own_card(author, cards[0], "Karte null")
    services.withdraw_card(author, cards[0])
    services.edit_card_as_moderator(owner, cards[1], "Karte eins")
    activity_services.reveal_activity(owner, step)
    join(live_workshop)
    wait_for_publish(published, "wall_changed")
    wait_for_publish(published, "presence_changed")

    phones = rooms.phones(live_workshop.id)
    to_phones = [event for event, _payload, room in published if room == phones]
    assert to_phones, "phones do hear of step changes"
    assert set(to_phones) <= {"activity_changed", "current_activity_changed", "workshop_changed"}
    per_card = {"own_card_changed", "card_changed", "wall_changed", "presence_changed"}
    assert not [room for event, _payload, room in published if event in per_card and room == phones]


def test_wall_updates_are_coalesced(app, author, step, client_ids, monkeypatch):
    """Without the ``published`` fixture (which sends coalesced updates at once) to see the real timing."""
    app.config["REALTIME_COALESCE_SECONDS"] = 0.3
    sent = []
    original = broadcast.publish
    monkeypatch.setattr(broadcast, "publish", lambda *args: (sent.append(args), original(*args)))
    for number in range(5):
        services.submit_card(author, step, client_id=client_ids(), text=f"Karte {number}", column=COLUMNS[number % 3])
    assert not [args for args in sent if args[1] == "wall_changed"], "not at once"

    deadline = time.monotonic() + 2
    while not [args for args in sent if args[1] == "wall_changed"]:
        assert time.monotonic() < deadline, "no wall_changed within 2 s"
        time.sleep(0.01)
    time.sleep(0.35)  # a second update would come one interval later
    walls = [(rooms_, payload) for rooms_, event, payload in sent if event == "wall_changed"]
    assert len(walls) == 1, "five cards, one wall update"
    assert walls[0][0] == rooms.projector(author.workshop_id)
    assert walls[0][1]["counts"]["status"]["pending"] == 5, "the update is built when sent and sees every card"
    assert len([args for args in sent if args[1] == "card_changed"]) == 5

"""Joining a workshop, checking in, writing cards, and moderating them."""

import hashlib
import logging
import secrets
import unicodedata
from collections import Counter
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.exc import IntegrityError

from facilitation.accounts.models import Account
from facilitation.activities.models import Activity, ActivityState
from facilitation.extensions import db
from facilitation.modeling import DomainError, InvalidTransition, commit_keeping_state, utcnow
from facilitation.participation.models import Card, CardStatus, Participant
from facilitation.participation.pii import find_personal_data
from facilitation.realtime import broadcast, connection, payloads, rooms
from facilitation.workshops import services as workshop_services
from facilitation.workshops.models import Workshop, WorkshopState

logger = logging.getLogger(__name__)

#: Cards that count against a participant's limit.
ACTIVE_STATUSES = (CardStatus.pending, CardStatus.visible, CardStatus.hidden)
REJECT_REASON_MAX = 280


class ParticipationError(DomainError):
    """A participant's or moderator's request the rules refuse."""


# -- participants -------------------------------------------------------------------------------


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(24)


def find_participant(workshop: Workshop, token: str | None) -> Participant | None:
    if not token or len(token) > 100:
        return None
    return db.session.scalar(
        select(Participant).where(Participant.workshop_id == workshop.id, Participant.token_hash == hash_token(token))
    )


_PARTICIPANTS_OF = select(func.count(Participant.id)).where(Participant.workshop_id == bindparam("workshop_id"))


def join_workshop(workshop: Workshop, token: str) -> Participant:
    """Return the participant behind ``token``, creating them on the first visit.

    A workshop takes at most ``MAX_PARTICIPANTS`` (counted before the insert: phones joining in the
    same instant may pass it by a few; it is a bound on storage, not an exact quota).
    """
    if workshop.state in (WorkshopState.ended, WorkshopState.archived):
        raise ParticipationError(_l("Dieser Workshop ist beendet."), code="ended")
    participant = find_participant(workshop, token)
    if participant:
        return participant
    ceiling = current_app.config.get("MAX_PARTICIPANTS")
    if ceiling and db.session.scalar(_PARTICIPANTS_OF, {"workshop_id": workshop.id}) >= ceiling:
        raise ParticipationError(
            _l(
                "Dieser Workshop hat die Höchstzahl von %(n)d Teilnehmenden erreicht. "
                "Bitte wenden Sie sich an die Moderation.",
                n=ceiling,
            ),
            code="full",
        )
    participant = Participant(workshop=workshop, token_hash=hash_token(token))
    db.session.add(participant)
    try:
        db.session.flush()
    except IntegrityError:  # the same phone joined twice at once
        db.session.rollback()
        return find_participant(workshop, token)
    commit_keeping_state()  # a forum's phones join within minutes: nothing is read again
    _publish_presence(workshop.id)
    return participant


def check_in(participant: Participant, activity: Activity, organisation: str | None, role: str | None) -> Participant:
    """Record the participant's organisation and role from the check-in step's lists."""
    _require_kind(activity, participant, "checkin")
    config = activity.config
    if organisation and organisation not in config["organisations"]:
        raise ParticipationError(_l("Bitte eine Organisation aus der Liste wählen."))
    if role and role not in config.get("roles", []):
        raise ParticipationError(_l("Bitte eine Rolle aus der Liste wählen."))
    if config.get("is_required") and not organisation:
        raise ParticipationError(_l("Bitte wählen Sie Ihre Organisation."))
    participant.organisation = organisation or None
    participant.role = role or None
    participant.checked_in_at = utcnow()
    commit_keeping_state()
    _publish_presence(participant.workshop_id)
    return participant


def participation_counts(workshop_id: int) -> dict[str, int]:
    joined, checked_in = db.session.execute(
        select(func.count(Participant.id), func.count(Participant.checked_in_at)).where(
            Participant.workshop_id == workshop_id
        )
    ).one()
    return {"joined": joined, "checked_in": checked_in}


def _publish_presence(workshop_id: int) -> None:
    broadcast.publish_coalesced(
        f"presence:{workshop_id}",
        rooms.screens(workshop_id),
        "presence_changed",
        lambda: {**participation_counts(workshop_id), **connection.presence(workshop_id)},
    )


# -- cards ----------------------------------------------------------------------------------------


def _is_emoji_joiner(text: str, index: int) -> bool:
    """A zero-width joiner inside an emoji sequence (👩‍💻, 👨‍👩‍👧): it belongs to the picture."""
    return (
        text[index] == "\u200d"
        and 0 < index < len(text) - 1
        and unicodedata.category(text[index - 1]) in ("So", "Sk", "Mn")
        and unicodedata.category(text[index + 1]) == "So"
    )


def clean_text(text: str) -> str:
    """Normalise what people type: NFC, no control characters, no invisible padding (RTL overrides,
    zero-width spaces), except the joiners of emoji sequences."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(
        c
        for i, c in enumerate(text)
        if c in "\n" or unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co", "Cn") or _is_emoji_joiner(text, i)
    )
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line).strip()


def _require_kind(activity: Activity, participant: Participant, kind: str) -> None:
    if activity.workshop_id != participant.workshop_id or activity.kind != kind:
        raise ParticipationError(_l("Dieser Schritt passt nicht zu dieser Eingabe."), code="wrong_step")
    if activity.state is not ActivityState.open:
        raise ParticipationError(_l("Dieser Schritt ist gerade nicht geöffnet."), code="closed")


def _validated_text(activity: Activity, text: str) -> str:
    text = clean_text(text)
    if not text:
        raise ParticipationError(_l("Die Karte ist leer."), code="empty")
    limit = activity.config.get("max_length", 280)
    if len(text) > limit:
        raise ParticipationError(_l("Höchstens %(n)d Zeichen pro Karte.", n=limit), code="too_long")
    return text


#: The participant's cards of a step that count against its limits, per column: one statement, built
#: once (a card command is the most frequent thing a forum does).
_ACTIVE_CARDS_PER_COLUMN = (
    select(Card.column, func.count(Card.id))
    .where(
        Card.participant_id == bindparam("participant_id"),
        Card.activity_id == bindparam("activity_id"),
        Card.status.in_(ACTIVE_STATUSES),
    )
    .group_by(Card.column)
)
_CARD_BY_CLIENT_ID = select(Card).where(
    Card.participant_id == bindparam("participant_id"), Card.client_id == bindparam("client_id")
)


def _active_cards(participant: Participant, activity: Activity) -> Counter:
    """How many cards that count against the limits the participant has in the step, per column."""
    rows = db.session.execute(_ACTIVE_CARDS_PER_COLUMN, {"participant_id": participant.id, "activity_id": activity.id})
    return Counter(dict(rows.all()))


def cards_left(participant: Participant, activity: Activity) -> dict:
    """How many cards the participant may still write, in total and per column."""
    config = activity.config
    written = _active_cards(participant, activity)
    left = {"total": max(0, config["max_cards"] - written.total())}
    if config.get("max_per_column") and config.get("columns"):
        left["columns"] = {column: max(0, config["max_per_column"] - written[column]) for column in config["columns"]}
    return left


def _find_card(participant: Participant, client_id: str) -> Card | None:
    return db.session.scalar(_CARD_BY_CLIENT_ID, {"participant_id": participant.id, "client_id": client_id})


def submit_card(
    participant: Participant, activity: Activity, *, client_id: str, text: str, column: str = ""
) -> tuple[Card, bool]:
    """Store a card once per ``client_id``; return it and whether it is new (a resend is not).

    The participant's cards are counted and the new one inserted in one transaction that holds the
    participant (:func:`_hold`): two cards sent at once (two tabs, two server processes) are stored
    one after the other, so they cannot both pass the last free place of a limit.
    """
    _hold(participant)
    try:
        card = _new_card(participant, activity, client_id, text, column)
    except ParticipationError:
        # A resend of a stored card is answered with it, even if the step closed or the limit is
        # reached meanwhile (checked only now: a new card is far more frequent than a resend).
        existing = _find_card(participant, client_id)
        db.session.rollback()  # lets the participant's next command go
        if existing:
            return existing, False
        raise
    db.session.add(card)
    try:
        db.session.flush()
    except IntegrityError:  # a resend, or the same command twice at once: the card is stored already
        db.session.rollback()
        return _find_card(participant, client_id), False
    commit_keeping_state()
    _publish_card(card)
    return card, True


def _hold(participant: Participant) -> None:
    """Lock the participant's row until the transaction ends, so their limits are counted by one
    command at a time.

    PostgreSQL: ``SELECT … FOR NO KEY UPDATE`` (a ballot's foreign key check, ``KEY SHARE``, does not
    wait for it). SQLite has no row locks: an update that changes nothing takes the database's write
    lock, which a card's insert would take a moment later anyway; the next writer waits for the commit
    (``busy_timeout``).
    """
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(
            update(Participant.__table__)
            .where(Participant.id == participant.id)
            .values(joined_at=Participant.joined_at)
        )
    else:
        db.session.execute(
            select(Participant.id).where(Participant.id == participant.id).with_for_update(key_share=True)
        )


def _new_card(participant: Participant, activity: Activity, client_id: str, text: str, column: str) -> Card:
    """The card a ``submit_card`` asks for, if the step's rules allow it (not yet in the session)."""
    _require_kind(activity, participant, "cards")
    text = _validated_text(activity, text)
    config = activity.config
    columns = config.get("columns") or []
    if columns and column not in columns:
        raise ParticipationError(_l("Bitte eine Spalte wählen."), code="column")
    if not columns:
        column = ""
    written = _active_cards(participant, activity)
    if written.total() >= config["max_cards"]:
        raise ParticipationError(_l("Sie haben alle %(n)d Karten geschrieben.", n=config["max_cards"]), code="limit")
    per_column = config.get("max_per_column")
    if columns and per_column and written[column] >= per_column:
        raise ParticipationError(
            _l("In „%(column)s“ sind schon %(n)d Karten von Ihnen.", column=column, n=per_column), code="limit"
        )
    return Card(
        activity=activity,
        participant=participant,
        client_id=client_id,
        column=column,
        text=text,
        status=CardStatus.pending if config.get("is_premoderated", True) else CardStatus.visible,
        personal_data=sorted({hint.kind for hint in find_personal_data(text)}),
    )


def _own_card(participant: Participant, card: Card | None) -> Card:
    if card is None or card.participant_id != participant.id:
        raise ParticipationError(_l("Diese Karte gibt es nicht."), code="not_found")
    if card.activity.state is not ActivityState.open:
        raise ParticipationError(
            _l("Dieser Schritt ist geschlossen; Karten können nicht mehr geändert werden."), code="closed"
        )
    return card


def edit_own_card(participant: Participant, card: Card | None, text: str) -> Card:
    """Let the author change a card while the step is open; it goes back to the moderation queue."""
    card = _own_card(participant, card)
    if card.status in (CardStatus.withdrawn, CardStatus.rejected):
        raise ParticipationError(_l("Diese Karte kann nicht mehr geändert werden."))
    text = _validated_text(card.activity, text)
    if text != card.text:
        card.text = text
        card.original_text = None
        card.is_edited = False
        card.personal_data = sorted({hint.kind for hint in find_personal_data(text)})
        if card.activity.config.get("is_premoderated", True):
            card.status = CardStatus.pending
        db.session.commit()
        _publish_card(card)
    return card


def withdraw_card(participant: Participant, card: Card | None) -> Card:
    """The author takes a card back; a repeated withdrawal is harmless."""
    card = _own_card(participant, card)
    if card.status is not CardStatus.withdrawn:
        try:
            card.change_status(CardStatus.withdrawn)
        except InvalidTransition as error:  # a rejected card stays with the moderators
            raise ParticipationError(error.message) from error
        db.session.commit()
        _publish_card(card)
    return card


def own_cards(participant: Participant, activity: Activity) -> list[Card]:
    return list(
        db.session.scalars(
            select(Card)
            .where(
                Card.participant_id == participant.id,
                Card.activity_id == activity.id,
                Card.status != CardStatus.withdrawn,
            )
            .order_by(Card.id)
        )
    )


def cards_of(activity: Activity, statuses: tuple[CardStatus, ...] | None = None) -> list[Card]:
    query = select(Card).where(Card.activity_id == activity.id).order_by(Card.id)
    if statuses:
        query = query.where(Card.status.in_(statuses))
    return list(db.session.scalars(query))


def card_counts(activity: Activity) -> dict:
    """Cards per status and, for visible cards, per column."""
    by_status = dict(
        db.session.execute(
            select(Card.status, func.count(Card.id)).where(Card.activity_id == activity.id).group_by(Card.status)
        ).all()
    )
    by_column = dict(
        db.session.execute(
            select(Card.column, func.count(Card.id))
            .where(Card.activity_id == activity.id, Card.status == CardStatus.visible)
            .group_by(Card.column)
        ).all()
    )
    return {"status": {s.value: by_status.get(s, 0) for s in CardStatus}, "columns": by_column}


# -- moderation -----------------------------------------------------------------------------------


def _moderate(actor: Account, card: Card, wanted: CardStatus, action: str, *, reason: str = "", **details) -> Card:
    try:
        card.change_status(wanted)
    except InvalidTransition as error:
        raise ParticipationError(error.message) from error
    # Changed only after the transition is allowed, so a refusal leaves nothing in the session.
    card.reject_reason = reason if wanted is CardStatus.rejected else ""
    if reason:
        details["reason"] = reason
    card.moderated_at = utcnow()
    card.moderated_by = actor
    workshop_services.record_audit(actor, action, workshop=card.activity.workshop, target=f"card:{card.id}", **details)
    commit_keeping_state()
    logger.info("Card %r %s by %r", card, action, actor)
    _publish_card(card)
    return card


def approve_card(actor: Account, card: Card) -> Card:
    return _moderate(actor, card, CardStatus.visible, "card.approved")


def hide_card(actor: Account, card: Card) -> Card:
    return _moderate(actor, card, CardStatus.hidden, "card.hidden")


def reject_card(actor: Account, card: Card, reason: str) -> Card:
    """Refuse a card; the author sees the reason on their phone."""
    reason = clean_text(reason)[:REJECT_REASON_MAX]
    if not reason:
        raise ParticipationError(_l("Bitte einen Grund angeben – die Person sieht ihn auf ihrem Gerät."))
    return _moderate(actor, card, CardStatus.rejected, "card.rejected", reason=reason)


def edit_card_as_moderator(actor: Account, card: Card, text: str) -> Card:
    """Correct a card's text; it shows a "bearbeitet" marker and keeps the author's words for the log."""
    text = _validated_text(card.activity, text)
    if card.status is CardStatus.withdrawn:
        raise ParticipationError(_l("Diese Karte wurde zurückgezogen."))
    if text == card.text:
        return card
    if card.original_text is None:
        card.original_text = card.text
    card.text = text
    card.is_edited = True
    card.personal_data = sorted({hint.kind for hint in find_personal_data(text)})
    card.moderated_at = utcnow()
    card.moderated_by = actor
    workshop_services.record_audit(
        actor,
        "card.edited",
        workshop=card.activity.workshop,
        target=f"card:{card.id}",
        before=card.original_text,
        after=text,
    )
    db.session.commit()
    _publish_card(card)
    return card


def set_premoderation(actor: Account, activity: Activity, is_premoderated: bool) -> Activity:
    """Switch pre-moderation of a card step, also while it runs."""
    if activity.kind != "cards":
        raise ParticipationError(_l("Nur Kartenabfragen haben eine Vorab-Moderation."))
    activity.config = {**activity.config, "is_premoderated": bool(is_premoderated)}
    version = workshop_services.bump_version(activity.workshop)
    workshop_services.record_audit(
        actor,
        "activity.premoderation",
        workshop=activity.workshop,
        target=f"activity:{activity.id}",
        is_premoderated=bool(is_premoderated),
    )
    db.session.commit()
    broadcast.publish(
        rooms.everyone(activity.workshop_id),
        "activity_changed",
        {"activity": payloads.activity(activity), "version": version},
    )
    return activity


# -- publishing -----------------------------------------------------------------------------------


def wall(activity: Activity) -> dict:
    """What the projector shows of a card step: visible cards once revealed, counts always."""
    cards = cards_of(activity, (CardStatus.visible,)) if activity.is_revealed else []
    return {"activity_id": activity.id, "cards": [payloads.card(c) for c in cards], "counts": card_counts(activity)}


def _publish_card(card: Card) -> None:
    """Tell the author's phones and the moderators; the projector gets a coalesced wall."""
    activity = card.activity
    broadcast.publish(
        rooms.participant(card.participant_id), "own_card_changed", {"card": payloads.card(card, own=True)}
    )
    broadcast.publish(
        rooms.moderators(activity.workshop_id), "card_changed", {"card": payloads.card(card, for_moderator=True)}
    )
    activity_id = activity.id
    broadcast.publish_coalesced(
        f"wall:{activity_id}",
        rooms.projector(activity.workshop_id),
        "wall_changed",
        lambda: wall(db.session.get(Activity, activity_id)),
    )


# -- retention ------------------------------------------------------------------------------------


def purge_expired_cards(now: datetime | None = None) -> list[tuple[Workshop, int]]:
    """Delete the cards of every ended workshop whose retention period is over.

    A workshop's period (``retention_days``) runs from its end. What was derived from the cards and is
    no raw text stays (cluster labels, vote results); the audit log records each purge and loses the
    card texts it quoted. Returns the purged workshops with the number of cards deleted.
    """
    now = now or utcnow()
    ended = db.session.scalars(
        select(Workshop)
        .where(Workshop.state.in_((WorkshopState.ended, WorkshopState.archived)), Workshop.ended_at.is_not(None))
        .order_by(Workshop.id)
    ).all()
    purged = []
    for workshop in ended:
        if workshop.ended_at + timedelta(days=workshop.retention_days) > now:
            continue
        steps = select(Activity.id).where(Activity.workshop_id == workshop.id)
        count = db.session.execute(delete(Card).where(Card.activity_id.in_(steps))).rowcount
        scrubbed = workshop_services.forget_participant_texts(workshop)
        if not count and not scrubbed and workshop.purged_at is not None:
            db.session.rollback()
            continue
        workshop.purged_at = now
        workshop_services.record_audit(
            None,
            "workshop.purged",
            workshop=workshop,
            target=f"workshop:{workshop.id}",
            cards=count,
            retention_days=workshop.retention_days,
        )
        db.session.commit()
        logger.info("Purged %d cards of %r (retention %d days)", count, workshop, workshop.retention_days)
        purged.append((workshop, count))
    return purged

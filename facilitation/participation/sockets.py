"""Phones: how they connect, what they see of a step, and the commands they send.

Also the moderators' card commands (approve, hide, reject, edit, pre-moderation).
"""

from flask import request
from flask_babel import lazy_gettext as _l
from pydantic import Field

from facilitation.accounts.models import Account
from facilitation.activities.models import Activity
from facilitation.extensions import db
from facilitation.participation import services
from facilitation.participation.models import Card, CardStatus, Participant
from facilitation.realtime import payloads
from facilitation.realtime.commands import ANSWER_RATE, MAX_ID, ClientId, Command, command
from facilitation.realtime.connection import (
    Viewer,
    activity_view,
    authenticator,
    on_presence_change,
    phone_rooms,
)
from facilitation.workshops import services as workshop_services

#: Name of the cookie that holds a phone's participant token for one workshop.
TOKEN_COOKIE = "fac_{code}"

MAX_TEXT = 2000  # generous outer bound; each step's own limit is checked by the service


@authenticator("phone")
def authenticate_phone(auth: dict) -> Viewer | None:
    """A phone connects with the join code; its participant token comes from the cookie."""
    workshop = workshop_services.find_by_join_code(str(auth.get("code", "")))
    if workshop is None:
        return None
    participant = services.find_participant(workshop, request.cookies.get(TOKEN_COOKIE.format(code=workshop.join_code)))
    if participant is None:
        return None
    return Viewer("phone", workshop.id, participant_id=participant.id, rooms=phone_rooms(workshop.id, participant.id))


@on_presence_change
def publish_presence(workshop_id: int) -> None:
    services._publish_presence(workshop_id)


@activity_view("checkin")
def checkin_view(activity: Activity, viewer: Viewer) -> dict:
    if viewer.screen == "phone":
        return {"me": payloads.participant(db.session.get(Participant, viewer.participant_id))}
    return {"counts": services.participation_counts(viewer.workshop_id)}


@activity_view("cards")
def cards_view(activity: Activity, viewer: Viewer) -> dict:
    if viewer.screen == "phone":
        participant = db.session.get(Participant, viewer.participant_id)
        return {
            "own_cards": [payloads.card(c, own=True) for c in services.own_cards(participant, activity)],
            "left": services.cards_left(participant, activity),
        }
    if viewer.screen == "projector":
        return services.wall(activity)
    return {
        "cards": [
            payloads.card(c, for_moderator=True)
            for c in services.cards_of(activity)
            if c.status is not CardStatus.withdrawn
        ],
        "counts": services.card_counts(activity),
    }


# -- phone commands ---------------------------------------------------------------------------------


def _participant(viewer: Viewer) -> Participant:
    return db.session.get(Participant, viewer.participant_id)


def _activity(viewer: Viewer, activity_id: int) -> Activity:
    activity = db.session.get(Activity, activity_id)
    if activity is None or activity.workshop_id != viewer.workshop_id:
        raise services.ParticipationError(_l("Diesen Schritt gibt es in diesem Workshop nicht."), code="not_found")
    return activity


def _card(viewer: Viewer, card_id: int) -> Card | None:
    card = db.session.get(Card, card_id)
    if card is None or card.activity.workshop_id != viewer.workshop_id:
        return None
    return card


class CheckIn(Command):
    client_id: str = ClientId
    activity_id: int = Field(ge=1, le=MAX_ID)
    organisation: str | None = Field(default=None, max_length=120)
    role: str | None = Field(default=None, max_length=120)


class SubmitCard(Command):
    client_id: str = ClientId
    activity_id: int = Field(ge=1, le=MAX_ID)
    text: str = Field(max_length=MAX_TEXT)
    column: str = Field(default="", max_length=80)


class EditOwnCard(Command):
    client_id: str = ClientId
    card_id: int = Field(ge=1, le=MAX_ID)
    text: str = Field(max_length=MAX_TEXT)


class WithdrawCard(Command):
    client_id: str = ClientId
    card_id: int = Field(ge=1, le=MAX_ID)


@command("check_in", CheckIn, screens=("phone",), rate=ANSWER_RATE)
def on_check_in(viewer: Viewer, payload: CheckIn):
    """Phone records organisation and role; the screens get a coalesced ``presence_changed``."""
    participant = services.check_in(
        _participant(viewer), _activity(viewer, payload.activity_id), payload.organisation, payload.role
    )
    return {"me": payloads.participant(participant)}


@command("submit_card", SubmitCard, screens=("phone",), rate=ANSWER_RATE)
def on_submit_card(viewer: Viewer, payload: SubmitCard):
    """Phone sends a card; acked with the stored card (the same one for a resend).

    Broadcast: ``own_card_changed`` to the author, ``card_changed`` to moderators, a coalesced
    ``wall_changed`` to the projector.
    """
    participant = _participant(viewer)
    activity = _activity(viewer, payload.activity_id)
    card, _is_new = services.submit_card(
        participant, activity, client_id=payload.client_id, text=payload.text, column=payload.column
    )
    return {"card": payloads.card(card, own=True), "left": services.cards_left(participant, card.activity)}


@command("edit_card", EditOwnCard, screens=("phone",), rate=ANSWER_RATE)
def on_edit_card(viewer: Viewer, payload: EditOwnCard):
    """Phone changes its own card while the step is open."""
    card = services.edit_own_card(_participant(viewer), _card(viewer, payload.card_id), payload.text)
    return {"card": payloads.card(card, own=True)}


@command("withdraw_card", WithdrawCard, screens=("phone",), rate=ANSWER_RATE)
def on_withdraw_card(viewer: Viewer, payload: WithdrawCard):
    """Phone takes its own card back while the step is open."""
    participant = _participant(viewer)
    card = services.withdraw_card(participant, _card(viewer, payload.card_id))
    return {"card": payloads.card(card, own=True), "left": services.cards_left(participant, card.activity)}


# -- moderator commands -----------------------------------------------------------------------------


class CardRef(Command):
    card_id: int = Field(ge=1, le=MAX_ID)


class RejectCard(CardRef):
    reason: str = Field(min_length=1, max_length=services.REJECT_REASON_MAX)


class ModeratorEdit(CardRef):
    text: str = Field(max_length=MAX_TEXT)


class Premoderation(Command):
    activity_id: int = Field(ge=1, le=MAX_ID)
    is_premoderated: bool


def _moderated_card(viewer: Viewer, card_id: int) -> Card:
    card = _card(viewer, card_id)
    if card is None:
        raise services.ParticipationError(_l("Diese Karte gibt es nicht."), code="not_found")
    return card


def _actor(viewer: Viewer) -> Account:
    return db.session.get(Account, viewer.account_id)


@command("approve_card", CardRef, screens=("console",), moderator=True)
def on_approve_card(viewer: Viewer, payload: CardRef):
    """Moderator shows a card: ``card_changed`` to moderators, ``own_card_changed`` to its author."""
    card = services.approve_card(_actor(viewer), _moderated_card(viewer, payload.card_id))
    return {"card": payloads.card(card, for_moderator=True)}


@command("hide_card", CardRef, screens=("console",), moderator=True)
def on_hide_card(viewer: Viewer, payload: CardRef):
    card = services.hide_card(_actor(viewer), _moderated_card(viewer, payload.card_id))
    return {"card": payloads.card(card, for_moderator=True)}


@command("reject_card", RejectCard, screens=("console",), moderator=True)
def on_reject_card(viewer: Viewer, payload: RejectCard):
    card = services.reject_card(_actor(viewer), _moderated_card(viewer, payload.card_id), payload.reason)
    return {"card": payloads.card(card, for_moderator=True)}


@command("edit_card_text", ModeratorEdit, screens=("console",), moderator=True)
def on_edit_card_text(viewer: Viewer, payload: ModeratorEdit):
    card = services.edit_card_as_moderator(_actor(viewer), _moderated_card(viewer, payload.card_id), payload.text)
    return {"card": payloads.card(card, for_moderator=True)}


@command("set_premoderation", Premoderation, screens=("console",), moderator=True)
def on_set_premoderation(viewer: Viewer, payload: Premoderation):
    services.set_premoderation(_actor(viewer), _activity(viewer, payload.activity_id), payload.is_premoderated)

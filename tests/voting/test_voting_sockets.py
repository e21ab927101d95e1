"""Voting over Socket.IO: what each screen sees, ballots and proposals from phones, moderator commands,
and who may send what."""

import pytest
from sqlalchemy import func, select
from votingfixtures import TOPICS, option_ids, received, snapshot_of

from facilitation.activities import services as activity_services
from facilitation.extensions import db
from facilitation.voting import services
from facilitation.voting.models import Ballot, BallotEntry, Option, OptionStatus, Tally
from facilitation.workshops import services as workshop_services
from facilitation.workshops.models import Role, WorkshopState

pytestmark = pytest.mark.usefixtures("published")  # coalesced updates go out at once


def ballot_payload(vote, by_label: dict, client_id="ballot-0001", **extra) -> dict:
    ids = option_ids(vote)
    return {
        "client_id": client_id,
        "activity_id": vote.id,
        "entries": [{"option_id": ids[label], "value": value} for label, value in by_label.items()],
        **extra,
    }


def everything(vote) -> tuple:
    """What a refused command must leave alone."""
    db.session.expire_all()
    return (
        db.session.scalars(select(Ballot.client_id).order_by(Ballot.id)).all(),
        db.session.execute(select(BallotEntry.option_id, BallotEntry.value).order_by(BallotEntry.id)).all(),
        db.session.execute(select(Tally.option_id, Tally.value, Tally.entries).order_by(Tally.id)).all(),
        db.session.execute(select(Option.id, Option.status, Option.label).order_by(Option.id)).all(),
    )


def is_error(ack, code) -> bool:
    return isinstance(ack, dict) and ack.get("ok") is False and ack.get("error") == code and bool(ack.get("message"))


# -- snapshots ---------------------------------------------------------------------------------------------


def test_each_screen_sees_its_part_of_a_vote(owner, vote_step, phone, projector, console):
    vote = vote_step()

    mine, wall, desk = phone(vote.workshop), projector(vote.workshop), console(vote.workshop, owner)

    view = snapshot_of(mine)["view"]
    assert [o["label"] for o in view["options"]] == TOPICS
    assert set(view["options"][0]) == {"id", "activity_id", "position", "label", "description", "source"}
    assert view["ballot"] is None and view["results"] is None
    assert view["own_proposals"] == [] and view["proposals_left"] == 0
    projected = snapshot_of(wall)["view"]
    assert projected["results"] == {
        "activity_id": vote.id,
        "method": "dots",
        "ballots": 0,
        "options": [],
        "is_visible": False,
    }
    moderated = snapshot_of(desk)["view"]
    assert [o["status"] for o in moderated["options"]] == ["visible"] * len(TOPICS)
    assert [o["label"] for o in moderated["results"]["options"]] == TOPICS
    assert moderated["results"]["is_visible"] is False


def test_the_demo_vote_shows_its_eight_topics_on_a_phone(owner, demo_workshop, phone):
    [vote] = [a for a in demo_workshop.activities if a.kind == "vote"]
    workshop_services.change_state(owner, demo_workshop, WorkshopState.live)
    activity_services.open_activity(owner, vote)

    view = snapshot_of(phone(demo_workshop))["view"]

    assert len(view["options"]) == 8
    assert view["options"][0]["label"] == "Krisenmanagement – präventiv & reaktiv"


# -- cast_votes ------------------------------------------------------------------------------------------------


def test_a_ballot_is_acked_and_counted_and_only_the_screens_hear_of_it(vote_step, phone, projector, owner, console):
    vote = vote_step()
    voter, bystander, wall = phone(vote.workshop), phone(vote.workshop), projector(vote.workshop)
    desk = console(vote.workshop, owner)
    for client in (voter, bystander, wall, desk):
        received(client)

    ack = voter.emit("cast_votes", ballot_payload(vote, {"Personal": 1, "Inklusion": 1}), callback=True)

    assert ack["ok"] is True
    assert ack["ballot"]["client_id"] == "ballot-0001"
    assert sorted(e["option_id"] for e in ack["ballot"]["entries"]) == sorted(
        option_ids(vote)[t] for t in ("Personal", "Inklusion")
    )
    assert received(bystander) == []  # no message per vote to other phones
    [mine] = received(voter, "own_ballot_changed")
    assert mine["ballot"] == ack["ballot"]
    [projected] = received(wall, "results_changed")
    assert (projected["ballots"], projected["options"], projected["is_visible"]) == (1, [], False)
    [moderated] = received(desk, "results_changed")
    assert next(o for o in moderated["options"] if o["label"] == "Personal")["total"] == 1


def test_the_voters_other_tab_gets_the_ballot(vote_step, phone):
    vote = vote_step()
    first = phone(vote.workshop)
    second = phone(vote.workshop, http=first.http)
    received(second)

    first.emit("cast_votes", ballot_payload(vote, {"Personal": 1}), callback=True)

    [update] = received(second, "own_ballot_changed")
    assert update["activity_id"] == vote.id
    assert [e["value"] for e in update["ballot"]["entries"]] == [1]
    third = phone(vote.workshop, http=first.http)
    assert snapshot_of(third)["view"]["ballot"]["client_id"] == "ballot-0001"


def test_a_resent_ballot_is_acked_with_the_same_ballot(vote_step, phone):
    vote = vote_step()
    client = phone(vote.workshop)
    payload = ballot_payload(vote, {"Personal": 1})

    first = client.emit("cast_votes", payload, callback=True)
    again = client.emit("cast_votes", payload, callback=True)

    assert first == again
    assert db.session.scalar(select(func.count(Ballot.id))) == 1
    assert services.tallies(vote) == services.count_tallies(vote)


@pytest.mark.parametrize(
    "change",
    [
        lambda p: {**p, "entries": "Personal"},
        lambda p: {**p, "entries": [{"option_id": "Personal", "value": 1}]},
        lambda p: {**p, "entries": [{**p["entries"][0], "value": -1}]},
        lambda p: {**p, "entries": [{**p["entries"][0], "value": 1001}]},
        lambda p: {**p, "entries": [{**p["entries"][0], "x": 1.5, "y": 0.5}]},
        lambda p: {**p, "entries": [{**p["entries"][0], "x": float("nan"), "y": 0.5}]},
        lambda p: {**p, "entries": [{**p["entries"][0], "weight": 3}]},
        lambda p: {**p, "entries": p["entries"] * 201},
        lambda p: {**p, "entries": [{"option_id": 2**31, "value": 1}]},
        lambda p: {k: v for k, v in p.items() if k != "client_id"},
        lambda p: {**p, "client_id": "kurz"},
        lambda p: {**p, "activity_id": None},
        lambda p: {**p, "extra": True},
        lambda p: [p],
    ],
)
def test_malformed_ballots_are_refused_whole(vote_step, phone, change):
    vote = vote_step()
    client = phone(vote.workshop)
    client.emit("cast_votes", ballot_payload(vote, {"Führung": 1}, client_id="ballot-first"), callback=True)
    before = everything(vote)

    ack = client.emit("cast_votes", change(ballot_payload(vote, {"Personal": 1, "Inklusion": 1})), callback=True)

    assert is_error(ack, "invalid"), ack
    assert everything(vote) == before


@pytest.mark.parametrize(
    ("ballot", "code"),
    [
        ({"Personal": 1, "Inklusion": 1, "Führung": 1, "Krisenmanagement": 1}, "budget"),
        ({"Personal": 2}, "value"),
    ],
)
def test_ballots_that_break_a_rule_are_refused_whole_with_a_message(vote_step, phone, ballot, code):
    vote = vote_step()
    client = phone(vote.workshop)
    client.emit("cast_votes", ballot_payload(vote, {"Führung": 1}, client_id="ballot-first"), callback=True)
    before = everything(vote)

    ack = client.emit("cast_votes", ballot_payload(vote, ballot), callback=True)

    assert is_error(ack, code), ack
    assert everything(vote) == before


def test_a_topic_of_another_workshop_or_a_closed_step_is_refused(owner, vote_step, phone):
    vote, other = vote_step(), vote_step()
    client = phone(vote.workshop)
    payload = ballot_payload(vote, {"Personal": 1})

    foreign = {**payload, "entries": [{"option_id": option_ids(other)["Personal"], "value": 1}]}
    assert is_error(client.emit("cast_votes", foreign, callback=True), "option")
    assert is_error(client.emit("cast_votes", {**payload, "activity_id": other.id}, callback=True), "not_found")
    activity_services.close_activity(owner, vote)
    assert is_error(client.emit("cast_votes", payload, callback=True), "closed")
    assert db.session.scalar(select(func.count(Ballot.id))) == 0


def test_the_ballot_message_speaks_english_to_an_english_phone(vote_step, app, phone):
    vote = vote_step()
    http = app.test_client()
    http.get(f"/{vote.workshop.join_code}?lang=en")
    client = phone(vote.workshop, http=http)

    ack = client.emit("cast_votes", ballot_payload(vote, {"Personal": 2}), callback=True)

    assert is_error(ack, "value")
    assert "per topic" in ack["message"], ack["message"]


# -- proposals --------------------------------------------------------------------------------------------------


def test_a_proposal_goes_through_the_moderation_queue_to_every_ballot(owner, vote_step, phone, console, projector):
    vote = vote_step(items_from="proposed", options=["Personal"], max_proposals=1)
    author, other = phone(vote.workshop), phone(vote.workshop)
    desk, wall = console(vote.workshop, owner), projector(vote.workshop)
    assert snapshot_of(author)["view"]["proposals_left"] == 1
    for client in (author, other, desk, wall):
        received(client)

    ack = author.emit(
        "propose_option", {"client_id": "idea-0001", "activity_id": vote.id, "label": "Digitale Akten"}, callback=True
    )

    assert ack["ok"] is True
    assert (ack["option"]["status"], ack["proposals_left"]) == ("pending", 0)
    assert received(other) == [] and received(wall) == []
    [queued] = received(desk, "option_changed")
    assert (queued["option"]["label"], queued["option"]["status"]) == ("Digitale Akten", "pending")
    again = author.emit(
        "propose_option", {"client_id": "idea-0002", "activity_id": vote.id, "label": "Noch eins"}, callback=True
    )
    assert is_error(again, "limit")

    approved = desk.emit("approve_option", {"option_id": ack["option"]["id"]}, callback=True)

    assert approved["ok"] is True and approved["option"]["status"] == "visible"
    [listed] = received(other, "options_changed")
    assert [o["label"] for o in listed["options"]] == ["Personal", "Digitale Akten"]
    assert received(author, "own_option_changed")[-1]["option"]["status"] == "visible"
    assert db.session.get(Option, ack["option"]["id"]).status is OptionStatus.visible


# -- who may send what -------------------------------------------------------------------------------------------


def test_phones_and_observers_may_not_moderate_topics(owner, vote_step, phone, console, projector, create_account):
    vote = vote_step(items_from="proposed", options=["Personal"])
    author = phone(vote.workshop)
    proposed = author.emit(
        "propose_option", {"client_id": "idea-0001", "activity_id": vote.id, "label": "Idee"}, callback=True
    )["option"]
    observer = create_account()
    workshop_services.grant_role(owner, vote.workshop, observer, Role.observer)
    before = everything(vote)

    for client in (author, projector(vote.workshop), console(vote.workshop, observer)):
        for event in ("approve_option", "hide_option"):
            assert is_error(client.emit(event, {"option_id": proposed["id"]}, callback=True), "forbidden")

    assert everything(vote) == before


def test_only_phones_cast_votes_or_propose(owner, vote_step, console, projector):
    vote = vote_step(items_from="proposed", options=["Personal"])
    payload = ballot_payload(vote, {"Personal": 1})
    for client in (console(vote.workshop, owner), projector(vote.workshop)):
        assert is_error(client.emit("cast_votes", payload, callback=True), "forbidden")
        proposal = {"client_id": "idea-0001", "activity_id": vote.id, "label": "Idee"}
        assert is_error(client.emit("propose_option", proposal, callback=True), "forbidden")
    assert db.session.scalar(select(func.count(Ballot.id))) == 0


def test_a_moderator_may_not_moderate_topics_of_another_workshop(owner, vote_step, console, voter, client_id):
    vote, other = vote_step(items_from="proposed", options=["Personal"]), vote_step(items_from="proposed")
    option, _ = services.propose_option(voter(other.workshop), other, client_id=client_id(), label="Fremd")

    ack = console(vote.workshop, owner).emit("approve_option", {"option_id": option.id}, callback=True)

    assert is_error(ack, "not_found")
    db.session.expire_all()
    assert option.status is OptionStatus.pending

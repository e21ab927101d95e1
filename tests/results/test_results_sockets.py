"""Breakdowns over Socket.IO: consoles (observers too) load them, nobody else."""

from votingfixtures import ORGANISATIONS, entries

from facilitation.voting import services as voting
from facilitation.workshops import services as workshop_services
from facilitation.workshops.models import Role


def test_consoles_load_breakdowns_observers_too(owner, vote_step, voter, client_id, console, create_account):
    vote = vote_step()
    for _ in range(5):
        participant = voter(vote.workshop, ORGANISATIONS[0], "Leitung")
        voting.cast_votes(participant, vote, client_id=client_id(), entries=entries(vote, {"Personal": 1}))
    observer = create_account()
    workshop_services.grant_role(owner, vote.workshop, observer, Role.observer)

    for account in (owner, observer):
        ack = console(vote.workshop, account).emit(
            "load_breakdown", {"activity_id": vote.id, "by": "organisation"}, callback=True
        )
        assert ack["ok"] is True
        assert ack["breakdown"]["rows"][0]["label"] == ORGANISATIONS[0]
        assert ack["breakdown"]["rows"][0]["size"] == 5

    by_role = console(vote.workshop, owner).emit(
        "load_breakdown", {"activity_id": vote.id, "by": "role"}, callback=True
    )
    assert by_role["breakdown"]["by"] == "role"


def test_phones_and_projectors_get_no_breakdown(vote_step, phone, projector):
    vote = vote_step()
    for client in (phone(vote.workshop), projector(vote.workshop)):
        ack = client.emit("load_breakdown", {"activity_id": vote.id}, callback=True)
        assert ack["ok"] is False and ack["error"] == "forbidden"


def test_breakdowns_of_other_workshops_or_unknown_groupings_are_refused(owner, vote_step, console):
    vote, other = vote_step(), vote_step()
    desk = console(vote.workshop, owner)

    assert desk.emit("load_breakdown", {"activity_id": other.id}, callback=True)["error"] == "not_found"
    assert desk.emit("load_breakdown", {"activity_id": vote.id, "by": "postcode"}, callback=True)["error"] == "invalid"

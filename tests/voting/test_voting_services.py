"""Voting services: topics, ballots for every method and rule, proposals, tallies, results, publishing."""

import pytest
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy import func, select
from votingfixtures import TOPICS, entries, option_ids

from facilitation.activities import services as activity_services
from facilitation.clustering.models import Cluster
from facilitation.extensions import db
from facilitation.realtime import rooms
from facilitation.voting import services
from facilitation.voting.methods import Entry
from facilitation.voting.models import Ballot, BallotEntry, Option, OptionSource, OptionStatus, Tally
from facilitation.workshops.models import AuditEntry, WorkshopState

DEMO_TOPICS = [
    "Krisenmanagement – präventiv & reaktiv",
    "Personalsituation – Mangel, Gewinnung & Bindung",
    "Führung im Jugendamt – Auftrag & Verantwortung",
    "Kinderschutzkoordination",
    "Mitgestaltung des Bündnisses durch die Arbeitsebene",
    "Schutzkonzepte in weiteren Einrichtungen",
    "Inklusion – Hilfen aus einer Hand & spezifische Schutzbedürfnisse",
    "Beteiligung von Kindern und Jugendlichen",
]


def stored(activity) -> dict:
    """Every ballot of the step: ``{participant_id: {option_id: (value, x, y)}}``."""
    db.session.expire_all()
    rows = db.session.execute(
        select(Ballot.participant_id, BallotEntry.option_id, BallotEntry.value, BallotEntry.x, BallotEntry.y)
        .join(BallotEntry, BallotEntry.ballot_id == Ballot.id, isouter=True)
        .where(Ballot.activity_id == activity.id)
    )
    ballots: dict = {}
    for participant_id, option_id, value, x, y in rows:
        ballots.setdefault(participant_id, {})
        if option_id is not None:
            ballots[participant_id][option_id] = (value, x, y)
    return ballots


def assert_tallies_match(activity):
    db.session.expire_all()
    assert services.tallies(activity) == services.count_tallies(activity)


def result_of(activity, label) -> dict:
    return next(o for o in services.results(activity)["options"] if o["label"] == label)


def refused(code, call, *args, **kwargs):
    with pytest.raises(services.DomainError) as caught:
        call(*args, **kwargs)
    assert caught.value.code == code, caught.value.message
    assert str(caught.value.message)
    db.session.rollback()
    return caught.value


# -- topics -------------------------------------------------------------------------------------------


def test_the_demo_vote_offers_the_eight_zukunftsthemen(demo_workshop):
    [vote] = [a for a in demo_workshop.activities if a.kind == "vote"]

    options = services.ensure_options(vote)

    assert [o.label for o in options] == DEMO_TOPICS
    assert [o.position for o in options] == list(range(8))
    assert {o.source for o in options} == {OptionSource.fixed}
    assert all(o.is_visible for o in options)
    assert services.ensure_options(vote) == options  # a second look changes nothing


def test_topics_of_a_pending_step_follow_its_config(owner, vote_workshop):
    workshop = vote_workshop(state=None)
    vote = workshop.activities[1]
    first = option_ids(vote)

    activity_services.update_activity(
        owner, vote, title=vote.title, config={**vote.config, "options": ["Inklusion", "Neu", "Personal"]}
    )

    options = services.ensure_options(vote)
    assert [o.label for o in options] == ["Inklusion", "Neu", "Personal"]
    assert [o.position for o in options] == [0, 1, 2]
    assert first["Inklusion"] not in {o.id for o in options}  # rebuilt: nobody could vote yet


def test_topics_of_an_opened_step_are_never_taken_away(vote_step, voter, client_id):
    vote = vote_step()
    ids = option_ids(vote)
    participant = voter(vote.workshop)
    services.cast_votes(participant, vote, client_id=client_id(), entries=entries(vote, {"Personal": 1}))
    # The config cannot change once the step ran; if it did (an import, a bug), ballots keep their topics.
    vote.config = {**vote.config, "options": ["Personal", "Ganz neu"]}
    db.session.commit()

    options = services.ensure_options(vote)

    assert [o.label for o in options] == [*TOPICS, "Ganz neu"]
    assert option_ids(vote)["Personal"] == ids["Personal"]


def test_topics_from_the_clusters_of_a_clustering_step(owner, create_workshop, voter, client_id):
    workshop = create_workshop(owner=owner)
    clustering = activity_services.add_activity(owner, workshop, kind="clustering", title="Themen", config={})
    vote = activity_services.add_activity(
        owner, workshop, kind="vote", title="Punkten", config={"items_from": "clusters", "source": 0}
    )
    db.session.add_all(
        [
            Cluster(activity_id=clustering.id, label="Fachkräfte gewinnen", position=1),
            Cluster(activity_id=clustering.id, label="Krisen", position=0),
        ]
    )
    db.session.commit()

    options = services.ensure_options(vote)

    assert [(o.label, o.source) for o in options] == [
        ("Krisen", OptionSource.cluster),
        ("Fachkräfte gewinnen", OptionSource.cluster),
    ]
    krisen = db.session.scalar(select(Cluster).where(Cluster.label == "Krisen"))
    assert options[0].cluster_id == krisen.id

    # Once open, a renamed cluster renames its topic, a new one is added, the ids stay.
    activity_services.change_workshop_state(owner, workshop, WorkshopState.live)
    activity_services.open_activity(owner, vote)
    krisen.label = "Krisenmanagement"
    db.session.add(Cluster(activity_id=clustering.id, label="Beteiligung", position=2))
    db.session.commit()
    again = services.ensure_options(vote)
    assert [o.label for o in again] == ["Krisenmanagement", "Fachkräfte gewinnen", "Beteiligung"]
    assert again[0].id == options[0].id
    participant = voter(workshop)
    ballot, _ = services.cast_votes(
        participant, vote, client_id=client_id(), entries=[Entry(again[2].id, 1), Entry(again[0].id, 1)]
    )
    assert len(ballot.entries) == 2


def test_clusters_without_their_step_give_no_topics(owner, create_workshop):
    workshop = create_workshop(owner=owner)
    vote = activity_services.add_activity(
        owner, workshop, kind="vote", title="Punkten", config={"items_from": "clusters", "source": 5}
    )
    assert services.ensure_options(vote) == []


# -- dots -------------------------------------------------------------------------------------------------


def test_dots_are_stored_and_tallied(vote_step, voter, client_id):
    vote = vote_step()
    first, second = voter(vote.workshop), voter(vote.workshop)

    ballot, changed = services.cast_votes(
        first, vote, client_id=client_id(), entries=entries(vote, {"Personal": 1, "Inklusion": 1, "Führung": 1})
    )
    services.cast_votes(second, vote, client_id=client_id(), entries=entries(vote, {"Personal": 1}))

    assert changed is True
    assert sorted(e.option_id for e in ballot.entries) == sorted(
        option_ids(vote)[t] for t in ("Personal", "Inklusion", "Führung")
    )
    assert result_of(vote, "Personal") | {"total": 2, "voters": 2, "rank": 1} == result_of(vote, "Personal")
    assert result_of(vote, "Inklusion")["total"] == 1
    assert result_of(vote, "Krisenmanagement")["total"] == 0
    assert services.results(vote)["ballots"] == 2
    assert_tallies_match(vote)


@pytest.mark.parametrize(
    ("config", "ballot", "code"),
    [
        ({}, {"Personal": 1, "Inklusion": 1, "Führung": 1, "Krisenmanagement": 1}, "budget"),
        ({}, {"Personal": 2}, "value"),
        ({"max_per_option": 2, "dots": 5}, {"Personal": 3}, "value"),
        ({"max_per_option": 3, "dots": 4}, {"Personal": 3, "Inklusion": 2}, "budget"),
        ({}, {"Personal": 0}, "value"),
    ],
)
def test_a_ballot_that_breaks_a_dots_rule_is_refused_whole(vote_step, voter, client_id, config, ballot, code):
    vote = vote_step(**config)
    participant = voter(vote.workshop)
    services.cast_votes(participant, vote, client_id=client_id(), entries=entries(vote, {"Führung": 1}))

    refused(code, services.cast_votes, participant, vote, client_id=client_id(), entries=entries(vote, ballot))

    assert stored(vote) == {participant.id: {option_ids(vote)["Führung"]: (1, None, None)}}
    assert_tallies_match(vote)


def test_stacking_dots_up_to_the_maximum_per_topic(vote_step, voter, client_id):
    vote = vote_step(dots=5, max_per_option=3)
    participant = voter(vote.workshop)

    services.cast_votes(
        participant, vote, client_id=client_id(), entries=entries(vote, {"Personal": 3, "Inklusion": 2})
    )

    assert result_of(vote, "Personal")["total"] == 3
    assert result_of(vote, "Personal")["voters"] == 1
    assert_tallies_match(vote)


def test_a_topic_of_another_step_or_twice_on_the_ballot_is_refused(vote_step, voter, client_id):
    vote, other = vote_step(), vote_step()
    participant = voter(vote.workshop)
    foreign = option_ids(other)["Personal"]

    refused("option", services.cast_votes, participant, vote, client_id=client_id(), entries=[Entry(foreign, 1)])
    refused("option", services.cast_votes, participant, vote, client_id=client_id(), entries=[Entry(2**31 - 1, 1)])
    personal = option_ids(vote)["Personal"]
    refused(
        "duplicate",
        services.cast_votes,
        participant,
        vote,
        client_id=client_id(),
        entries=[Entry(personal, 1), Entry(personal, 1)],
    )
    assert stored(vote) == {}
    assert db.session.scalar(select(func.count(Tally.id))) == 0


def test_votes_only_while_the_step_is_open(owner, vote_workshop, voter, client_id):
    workshop = vote_workshop()
    vote = workshop.activities[1]
    participant = voter(workshop)
    ballot = entries(vote, {"Personal": 1})

    refused("closed", services.cast_votes, participant, vote, client_id=client_id(), entries=ballot)
    activity_services.open_activity(owner, vote)
    services.cast_votes(participant, vote, client_id=client_id(), entries=ballot)
    activity_services.close_activity(owner, vote)
    refused("closed", services.cast_votes, participant, vote, client_id=client_id(), entries=entries(vote, {}))

    assert stored(vote) == {participant.id: {option_ids(vote)["Personal"]: (1, None, None)}}


def test_a_vote_for_another_kind_of_step_or_workshop_is_refused(owner, vote_step, voter, client_id, create_activity):
    vote = vote_step()
    stranger = voter(vote_step().workshop)
    cards = create_activity(vote.workshop, kind="cards")
    activity_services.open_activity(owner, cards)

    refused("wrong_step", services.cast_votes, stranger, vote, client_id=client_id(), entries=[])
    refused("wrong_step", services.cast_votes, voter(vote.workshop), cards, client_id=client_id(), entries=[])


def test_changing_the_ballot_replaces_it_and_its_tallies(vote_step, voter, client_id):
    vote = vote_step()
    participant = voter(vote.workshop)
    services.cast_votes(participant, vote, client_id=client_id(), entries=entries(vote, {"Personal": 1, "Führung": 1}))

    _ballot, changed = services.cast_votes(
        participant, vote, client_id=client_id(), entries=entries(vote, {"Inklusion": 1, "Führung": 1})
    )

    assert changed
    ids = option_ids(vote)
    assert stored(vote) == {participant.id: {ids["Inklusion"]: (1, None, None), ids["Führung"]: (1, None, None)}}
    assert result_of(vote, "Personal")["total"] == 0
    assert result_of(vote, "Führung")["total"] == 1
    assert services.results(vote)["ballots"] == 1
    assert_tallies_match(vote)


def test_a_changed_ballot_touches_its_tally_rows_in_one_order(vote_step, voter, client_id):
    """Rows added to and taken from go in one sorted pass: two ballots moving dots in opposite
    directions at once lock the same rows in the same order (adding first deadlocked on PostgreSQL)."""
    vote = vote_step()
    ids = option_ids(vote)
    lower, higher = sorted([ids["Personal"], ids["Inklusion"]])
    label = {ids["Personal"]: "Personal", ids["Inklusion"]: "Inklusion"}
    participant = voter(vote.workshop)
    services.cast_votes(participant, vote, client_id=client_id(), entries=entries(vote, {label[lower]: 1}))
    touched: list[int] = []

    def record(state):
        table = getattr(state.statement, "table", None)
        if table is not None and table.name == "tallies":
            rows = state.parameters if isinstance(state.parameters, list) else [state.parameters]
            touched.extend(row.get("option_id", row.get("b_option")) for row in rows)

    session = db.session()
    sqlalchemy_event.listen(session, "do_orm_execute", record)
    try:  # the dot moves from the lower id to the higher one: taken from the first row, added to the second
        services.cast_votes(participant, vote, client_id=client_id(), entries=entries(vote, {label[higher]: 1}))
    finally:
        sqlalchemy_event.remove(session, "do_orm_execute", record)

    assert touched == [lower, higher]
    assert_tallies_match(vote)


def test_a_resent_command_changes_nothing(vote_step, voter, client_id, published):
    vote = vote_step()
    participant = voter(vote.workshop)
    command = client_id()
    first, _ = services.cast_votes(participant, vote, client_id=command, entries=entries(vote, {"Personal": 1}))
    published.clear()

    again, changed = services.cast_votes(participant, vote, client_id=command, entries=entries(vote, {"Personal": 1}))

    assert changed is False
    assert again.id == first.id
    assert published == []
    assert result_of(vote, "Personal")["total"] == 1


def test_a_resend_after_the_step_closed_is_still_answered(owner, vote_step, voter, client_id):
    vote = vote_step()
    participant = voter(vote.workshop)
    command = client_id()
    services.cast_votes(participant, vote, client_id=command, entries=entries(vote, {"Personal": 1}))
    activity_services.close_activity(owner, vote)

    ballot, changed = services.cast_votes(participant, vote, client_id=command, entries=entries(vote, {"Personal": 1}))

    assert not changed and ballot is not None


def test_an_empty_ballot_takes_the_vote_back(vote_step, voter, client_id):
    vote = vote_step()
    participant = voter(vote.workshop)
    services.cast_votes(participant, vote, client_id=client_id(), entries=entries(vote, {"Personal": 1}))

    ballot, changed = services.cast_votes(participant, vote, client_id=client_id(), entries=[])

    assert (ballot, changed) == (None, True)
    assert stored(vote) == {}
    assert services.results(vote)["ballots"] == 0
    assert result_of(vote, "Personal")["total"] == 0
    assert_tallies_match(vote)
    # Taking back what is not there changes nothing.
    assert services.cast_votes(participant, vote, client_id=client_id(), entries=[]) == (None, False)


# -- the other methods --------------------------------------------------------------------------------------


def test_points_spread_a_budget(vote_step, voter, client_id):
    vote = vote_step(method="points", budget=100)
    first, second = voter(vote.workshop), voter(vote.workshop)

    services.cast_votes(first, vote, client_id=client_id(), entries=entries(vote, {"Personal": 60, "Inklusion": 40}))
    services.cast_votes(second, vote, client_id=client_id(), entries=entries(vote, {"Inklusion": 30}))
    refused(
        "budget",
        services.cast_votes,
        second,
        vote,
        client_id=client_id(),
        entries=entries(vote, {"Personal": 70, "Führung": 31}),
    )
    refused("value", services.cast_votes, second, vote, client_id=client_id(), entries=entries(vote, {"Personal": 101}))

    assert [(o["label"], o["total"], o["rank"]) for o in services.results(vote)["options"][:2]] == [
        ("Inklusion", 70, 1),
        ("Personal", 60, 2),
    ]
    assert_tallies_match(vote)


def test_ranking_top_k_with_borda_points(vote_step, voter, client_id):
    vote = vote_step(method="ranking", top_k=3)
    first, second = voter(vote.workshop), voter(vote.workshop)

    services.cast_votes(
        first, vote, client_id=client_id(), entries=entries(vote, {"Personal": 1, "Inklusion": 2, "Führung": 3})
    )
    services.cast_votes(second, vote, client_id=client_id(), entries=entries(vote, {"Inklusion": 1, "Personal": 2}))

    personal, inklusion = result_of(vote, "Personal"), result_of(vote, "Inklusion")
    assert (personal["score"], personal["firsts"], personal["mean_rank"]) == (5, 1, 1.5)
    assert (inklusion["score"], inklusion["firsts"]) == (5, 1)
    assert personal["rank"] == inklusion["rank"] == 1  # a tie
    assert result_of(vote, "Führung") | {"score": 1, "rank": 3} == result_of(vote, "Führung")


@pytest.mark.parametrize(
    "ballot",
    [
        {"Personal": 1, "Inklusion": 1},  # one place twice
        {"Personal": 2},  # no first place
        {"Personal": 1, "Inklusion": 3},  # a gap
        {"Personal": 1, "Inklusion": 2, "Führung": 3, "Krisenmanagement": 4},  # more places than top_k
    ],
)
def test_a_broken_ranking_is_refused(vote_step, voter, client_id, ballot):
    vote = vote_step(method="ranking", top_k=3)
    with pytest.raises(services.DomainError):
        services.cast_votes(voter(vote.workshop), vote, client_id=client_id(), entries=entries(vote, ballot))
    db.session.rollback()
    assert stored(vote) == {}


def test_single_choice_takes_exactly_one(vote_step, voter, client_id):
    vote = vote_step(method="single")
    voters = [voter(vote.workshop) for _ in range(4)]
    for participant, topic in zip(voters, ["Personal", "Personal", "Personal", "Inklusion"], strict=True):
        services.cast_votes(participant, vote, client_id=client_id(), entries=entries(vote, {topic: 1}))

    refused(
        "budget",
        services.cast_votes,
        voters[0],
        vote,
        client_id=client_id(),
        entries=entries(vote, {"Personal": 1, "Führung": 1}),
    )

    assert (result_of(vote, "Personal")["voters"], result_of(vote, "Personal")["share"]) == (3, 0.75)
    assert result_of(vote, "Inklusion")["share"] == 0.25


def test_multiple_choice(vote_step, voter, client_id):
    vote = vote_step(method="multiple")
    participant = voter(vote.workshop)

    ballot, _ = services.cast_votes(
        participant, vote, client_id=client_id(), entries=entries(vote, {t: 1 for t in TOPICS})
    )

    assert {e.value for e in ballot.entries} == {1}
    assert all(result_of(vote, topic)["share"] == 1.0 for topic in TOPICS)


def test_agreement_scale_one_to_five(vote_step, voter, client_id):
    vote = vote_step(method="scale")
    for values in ({"Personal": 5, "Inklusion": 1}, {"Personal": 4}, {"Personal": 2, "Inklusion": 3}):
        services.cast_votes(voter(vote.workshop), vote, client_id=client_id(), entries=entries(vote, values))
    refused(
        "value",
        services.cast_votes,
        voter(vote.workshop),
        vote,
        client_id=client_id(),
        entries=entries(vote, {"Personal": 0}),
    )
    refused(
        "value",
        services.cast_votes,
        voter(vote.workshop),
        vote,
        client_id=client_id(),
        entries=entries(vote, {"Personal": 6}),
    )

    personal = result_of(vote, "Personal")
    assert personal["distribution"] == {"1": 0, "2": 1, "3": 0, "4": 1, "5": 1}
    assert (personal["mean"], personal["voters"]) == (3.67, 3)
    assert [o["label"] for o in services.results(vote)["options"]] == TOPICS  # statements keep their order
    assert_tallies_match(vote)


def test_fist_of_five_passes_only_if_everyone_shows_three_or_more(vote_step, voter, client_id):
    vote = vote_step(method="fist")
    for values in ({"Personal": 5, "Inklusion": 3}, {"Personal": 3, "Inklusion": 2}, {"Personal": 4, "Inklusion": 0}):
        services.cast_votes(voter(vote.workshop), vote, client_id=client_id(), entries=entries(vote, values))

    personal, inklusion = result_of(vote, "Personal"), result_of(vote, "Inklusion")
    assert (personal["passes"], personal["min"], personal["objections"]) == (True, 3, 0)
    assert (inklusion["passes"], inklusion["min"], inklusion["objections"]) == (False, 0, 2)
    assert inklusion["distribution"] == {"0": 1, "1": 0, "2": 1, "3": 1, "4": 0, "5": 0}
    assert result_of(vote, "Führung")["passes"] is False  # nobody answered: no consent either


def test_matrix_mean_positions_and_quadrants(vote_step, voter, client_id):
    vote = vote_step(method="matrix")
    services.cast_votes(
        voter(vote.workshop),
        vote,
        client_id=client_id(),
        entries=entries(vote, {"Personal": (0.9, 0.8), "Inklusion": (0.2, 0.1)}),
    )
    services.cast_votes(
        voter(vote.workshop),
        vote,
        client_id=client_id(),
        entries=entries(vote, {"Personal": (0.7, 0.6), "Inklusion": (0.2, 0.9)}),
    )
    # Positions are kept in hundredths.
    services.cast_votes(
        voter(vote.workshop), vote, client_id=client_id(), entries=entries(vote, {"Führung": (0.123456, 1.0)})
    )

    personal, inklusion, fuehrung = (result_of(vote, t) for t in ("Personal", "Inklusion", "Führung"))
    assert (personal["x"], personal["y"], personal["quadrant"]) == (0.8, 0.7, "both")
    assert (inklusion["x"], inklusion["y"], inklusion["quadrant"]) == (0.2, 0.5, "urgent")
    assert (fuehrung["x"], fuehrung["quadrant"]) == (0.12, "urgent")
    assert result_of(vote, "Kinderschutzkoordination")["x"] is None
    assert_tallies_match(vote)


@pytest.mark.parametrize("position", [(None, 0.5), (0.5, None), (1.2, 0.5), (0.5, -0.1)])
def test_matrix_needs_both_axes_within_range(vote_step, voter, client_id, position):
    vote = vote_step(method="matrix")
    personal = option_ids(vote)["Personal"]
    refused(
        "value",
        services.cast_votes,
        voter(vote.workshop),
        vote,
        client_id=client_id(),
        entries=[Entry(personal, 1, *position)],
    )


def test_positions_belong_to_the_matrix_only(vote_step, voter, client_id):
    vote = vote_step()
    personal = option_ids(vote)["Personal"]
    refused(
        "ballot",
        services.cast_votes,
        voter(vote.workshop),
        vote,
        client_id=client_id(),
        entries=[Entry(personal, 1, 0.5, 0.5)],
    )


# -- proposals ("Reservethemen") ------------------------------------------------------------------------------


@pytest.fixture
def proposals(vote_step):
    """An open dots step on two fixed topics plus participants' proposals."""
    return vote_step(items_from="proposed", options=["Personal", "Inklusion"], max_proposals=2, not_own=True)


def test_a_proposal_waits_for_the_moderator(proposals, voter, client_id, published):
    participant = voter(proposals.workshop)
    published.clear()

    option, is_new = services.propose_option(participant, proposals, client_id=client_id(), label="  Digitale   Akten ")

    assert is_new
    assert (option.label, option.source, option.status) == (
        "Digitale Akten",
        OptionSource.proposed,
        OptionStatus.pending,
    )
    assert option.proposed_by_id == participant.id
    assert [o.label for o in services.options_of(proposals)] == ["Personal", "Inklusion"]
    assert services.proposals_left(participant, proposals) == 1
    events = {(event, room) for event, _payload, room in published}
    assert events == {
        ("option_changed", rooms.moderators(proposals.workshop_id)),
        ("own_option_changed", rooms.participant(participant.id)),
    }
    moderator_payload = next(p for e, p, _r in published if e == "option_changed")
    assert "proposed_by_id" not in moderator_payload["option"]
    refused("option", services.cast_votes, participant, proposals, client_id=client_id(), entries=[Entry(option.id, 1)])


def test_proposals_are_stored_once_per_command_and_limited(proposals, voter, client_id):
    participant = voter(proposals.workshop)
    command = client_id()
    first, _ = services.propose_option(participant, proposals, client_id=command, label="Digitale Akten")

    again, is_new = services.propose_option(participant, proposals, client_id=command, label="Digitale Akten")

    assert (again.id, is_new) == (first.id, False)
    services.propose_option(participant, proposals, client_id=client_id(), label="Fachberatung")
    refused("limit", services.propose_option, participant, proposals, client_id=client_id(), label="Noch eins")
    refused(
        "duplicate",
        services.propose_option,
        voter(proposals.workshop),
        proposals,
        client_id=client_id(),
        label="digitale akten",
    )
    refused(
        "duplicate",
        services.propose_option,
        voter(proposals.workshop),
        proposals,
        client_id=client_id(),
        label="PERSONAL",
    )
    refused(
        "empty", services.propose_option, voter(proposals.workshop), proposals, client_id=client_id(), label=" \u200b "
    )
    refused(
        "too_long",
        services.propose_option,
        voter(proposals.workshop),
        proposals,
        client_id=client_id(),
        label="x" * 121,
    )


def test_proposals_only_where_the_step_takes_them(vote_step, voter, client_id):
    vote = vote_step()
    refused("wrong_step", services.propose_option, voter(vote.workshop), vote, client_id=client_id(), label="Neu")


def test_an_approved_proposal_is_on_every_ballot(owner, proposals, voter, client_id, published):
    author, other = voter(proposals.workshop), voter(proposals.workshop)
    option, _ = services.propose_option(author, proposals, client_id=client_id(), label="Digitale Akten")
    version = proposals.workshop.version
    published.clear()

    services.approve_option(owner, option)

    assert option.status is OptionStatus.visible
    assert [o.label for o in services.options_of(proposals)] == ["Personal", "Inklusion", "Digitale Akten"]
    [(payload, _room)] = [
        (p, r) for e, p, r in published if e == "options_changed" and r == rooms.phones(proposals.workshop_id)
    ]
    assert [o["label"] for o in payload["options"]] == ["Personal", "Inklusion", "Digitale Akten"]
    assert payload["version"] == version + 1
    assert db.session.scalar(select(AuditEntry.action).order_by(AuditEntry.id.desc()).limit(1)) == "option.approved"
    services.cast_votes(other, proposals, client_id=client_id(), entries=[Entry(option.id, 1)])
    # Not on your own proposal:
    refused("own", services.cast_votes, author, proposals, client_id=client_id(), entries=[Entry(option.id, 1)])


def test_hiding_a_proposal(owner, proposals, voter, client_id):
    option, _ = services.propose_option(voter(proposals.workshop), proposals, client_id=client_id(), label="Off topic")

    services.hide_option(owner, option)

    assert option.status is OptionStatus.hidden
    assert option not in services.options_of(proposals)
    services.approve_option(owner, option)  # a hidden proposal can come back
    services.cast_votes(voter(proposals.workshop), proposals, client_id=client_id(), entries=[Entry(option.id, 1)])
    refused("has_votes", services.hide_option, owner, option)
    fixed = db.session.scalar(select(Option).where(Option.label == "Personal"))
    refused("refused", services.hide_option, owner, fixed)


# -- results and publishing ------------------------------------------------------------------------------------


def test_a_vote_publishes_to_the_voter_and_coalesced_results_to_the_screens(vote_step, voter, client_id, published):
    vote = vote_step()
    participant = voter(vote.workshop)
    published.clear()

    services.cast_votes(participant, vote, client_id=client_id(), entries=entries(vote, {"Personal": 1}))

    assert {(event, room) for event, _p, room in published} == {
        ("own_ballot_changed", rooms.participant(participant.id)),
        ("results_changed", rooms.projector(vote.workshop_id)),
        ("results_changed", rooms.moderators(vote.workshop_id)),
    }
    assert not any(room == rooms.phones(vote.workshop_id) for _e, _p, room in published)
    projector = next(p for e, p, r in published if r == rooms.projector(vote.workshop_id))
    moderators = next(p for e, p, r in published if r == rooms.moderators(vote.workshop_id))
    # Hidden until revealed: the projector learns how many voted, not what.
    assert projector == {"activity_id": vote.id, "method": "dots", "ballots": 1, "options": [], "is_visible": False}
    assert moderators["is_visible"] is False
    assert next(o for o in moderators["options"] if o["label"] == "Personal")["total"] == 1


def test_results_are_visible_once_revealed_or_when_live(owner, vote_step, voter, client_id):
    hidden, live = vote_step(), vote_step(is_live=True)
    assert not services.results_visible(hidden)
    assert services.results_visible(live)
    assert services.screen_results(live)["is_visible"] is True

    activity_services.reveal_activity(owner, hidden)

    screen = services.screen_results(hidden)
    assert screen["is_visible"] is True
    assert [o["label"] for o in screen["options"]] == TOPICS  # nobody voted: in the order of the list

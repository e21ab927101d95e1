"""Property-based tests: no sequence of ballots can exceed a budget or a per-topic maximum, or be counted
twice, and the running tallies always equal a fresh count from the database."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from facilitation.activities import services as activity_services
from facilitation.extensions import db
from facilitation.modeling import DomainError
from facilitation.participation import services as participation_services
from facilitation.voting import methods, services
from facilitation.voting.methods import METHODS, BallotError, Entry, buckets_of
from facilitation.voting.models import Ballot, BallotEntry
from facilitation.workshops.models import WorkshopState

OPTION_IDS = [11, 12, 13, 14, 15]

configs = st.one_of(
    st.fixed_dictionaries(
        {
            "method": st.just("dots"),
            "dots": st.integers(1, 6),
            "max_per_option": st.integers(1, 3),
            "not_own": st.booleans(),
        }
    ),
    st.fixed_dictionaries({"method": st.just("points"), "budget": st.integers(1, 30)}),
    st.fixed_dictionaries({"method": st.just("ranking"), "top_k": st.integers(1, 4)}),
    st.fixed_dictionaries({"method": st.sampled_from(["single", "multiple", "scale", "fist"])}),
    st.just({"method": "matrix"}),
)
lines = st.lists(
    st.builds(
        Entry,
        option_id=st.sampled_from([*OPTION_IDS, 99]),
        value=st.integers(0, 8),
        x=st.one_of(st.none(), st.floats(-0.5, 1.5)),
        y=st.one_of(st.none(), st.floats(-0.5, 1.5)),
    ),
    max_size=7,
)


def check_rules(config: dict, ballot: list[Entry], own: set[int], options=OPTION_IDS) -> None:
    """What every accepted ballot must satisfy, written out independently of ``voting.methods``."""
    method = config["method"]
    ids = [e.option_id for e in ballot]
    assert len(ids) == len(set(ids)), "a topic twice"
    assert set(ids) <= set(options), "a topic of another step"
    values = [e.value for e in ballot]
    if method == "dots":
        assert sum(values) <= config["dots"]
        assert all(1 <= v <= config["max_per_option"] for v in values)
        assert not (config["not_own"] and set(ids) & own)
    elif method == "points":
        assert sum(values) <= config["budget"]
        assert all(v >= 1 for v in values)
    elif method == "ranking":
        assert sorted(values) == list(range(1, len(values) + 1))
        assert len(values) <= config["top_k"]
    elif method == "single":
        assert len(ballot) in (0, 1)
    elif method == "scale":
        assert all(1 <= v <= 5 for v in values)
    elif method == "fist":
        assert all(0 <= v <= 5 for v in values)
    if method == "matrix":
        assert all(e.x is not None and e.y is not None and 0 <= e.x <= 1 and 0 <= e.y <= 1 for e in ballot)
    else:
        assert all(e.x is None and e.y is None for e in ballot)


@given(config=configs, ballot=lines, own=st.sets(st.sampled_from(OPTION_IDS), max_size=2))
@settings(max_examples=400, deadline=None)
def test_every_ballot_a_method_accepts_keeps_its_rules(config, ballot, own):
    method = METHODS[config["method"]]
    try:
        accepted = method.check(ballot, config, options=set(OPTION_IDS), own=own)
    except BallotError:
        return
    check_rules(config, accepted, own)
    assert [e.option_id for e in accepted] == [e.option_id for e in ballot]  # nothing dropped or added


# -- against the database -----------------------------------------------------------------------------------

TOPICS = ["Krisen", "Personal", "Führung", "Inklusion", "Beteiligung"]

#: A phone's command: who sends it, the ballot (topic index, value, x, y), and whether it resends an
#: earlier command's client id instead of a new one.
commands = st.lists(
    st.tuples(
        st.integers(0, 3),
        st.lists(
            st.tuples(st.integers(0, len(TOPICS)), st.integers(0, 6), st.sampled_from([None, 0.0, 0.25, 0.5, 1.0])),
            max_size=6,
        ),
        st.booleans(),
    ),
    min_size=1,
    max_size=14,
)


@pytest.fixture
def fresh_step(owner, create_workshop):
    """``fresh_step(config)``: an open vote on ``TOPICS`` in a new live workshop, with four voters."""

    def create(config):
        workshop = create_workshop(owner=owner)
        vote = activity_services.add_activity(
            owner, workshop, kind="vote", title="Abstimmung", config={"options": TOPICS, **config}
        )
        activity_services.change_workshop_state(owner, workshop, WorkshopState.live)
        activity_services.open_activity(owner, vote)
        voters = [participation_services.join_workshop(workshop, participation_services.new_token()) for _ in range(4)]
        return vote, voters

    return create


def stored_ballots(vote) -> dict[int, list[Entry]]:
    db.session.expire_all()
    ballots: dict[int, list[Entry]] = {}
    for participant_id, option_id, value, x, y in db.session.execute(
        select(Ballot.participant_id, BallotEntry.option_id, BallotEntry.value, BallotEntry.x, BallotEntry.y)
        .join(BallotEntry, BallotEntry.ballot_id == Ballot.id)
        .where(Ballot.activity_id == vote.id)
        .order_by(BallotEntry.option_id)
    ):
        ballots.setdefault(participant_id, []).append(Entry(option_id, value, x, y))
    return ballots


@given(config=configs, sequence=commands)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_no_sequence_of_ballots_breaks_a_rule_or_counts_twice(fresh_step, config, sequence):
    vote, voters = fresh_step(config)
    ids = [o.id for o in services.ensure_options(vote)]
    foreign = max(ids) + 1000  # no topic of this step
    expected: dict[int, list[Entry]] = {}  # the last accepted ballot of each voter
    sent: dict[int, list[tuple[str, list[Entry]]]] = {}
    for number, (who, picks, resend) in enumerate(sequence):
        participant = voters[who]
        earlier = sent.get(participant.id, [])
        if resend and earlier:
            client_id, ballot = earlier[-1]
        else:
            client_id = f"cmd-{number:04d}-{who}"
            ballot = [
                Entry(ids[i] if i < len(ids) else foreign, value, x, x if x is None else 1 - x) for i, value, x in picks
            ]
        try:
            stored, changed = services.cast_votes(participant, vote, client_id=client_id, entries=ballot)
        except DomainError:
            db.session.rollback()
            continue
        sent.setdefault(participant.id, []).append((client_id, ballot))
        if changed:
            expected[participant.id] = (
                [Entry(e.option_id, e.value, e.x, e.y) for e in sorted(stored.entries, key=lambda e: e.option_id)]
                if stored
                else []
            )
    own: set[int] = set()
    actual = stored_ballots(vote)
    assert actual == {p: b for p, b in expected.items() if b}
    for ballot in actual.values():
        check_rules({"not_own": False, **config, **vote.config}, ballot, own, ids)
    # Counted once: the running tallies equal a fresh count and the tally of the last ballots.
    running = services.tallies(vote)
    assert running == services.count_tallies(vote)
    assert running == buckets_of(e for ballot in actual.values() for e in ballot)
    assert services.results(vote)["ballots"] == len(actual)
    for option in services.results(vote)["options"]:
        assert option["voters"] == sum(
            1 for ballot in actual.values() if any(e.option_id == option["id"] for e in ballot)
        )


def test_matrix_positions_are_counted_in_whole_hundredths():
    entries = [Entry(1, 1, 0.29, 0.57), Entry(1, 1, 0.01, 0.99)]
    assert buckets_of(entries) == {1: {1: methods.Bucket(2, 30, 156)}}

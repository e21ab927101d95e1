"""The JSON archive: versioned, restorable elsewhere, round trip equal; coarse profiles."""

import copy
import json
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from facilitation.exports import archive, services
from facilitation.exports.archive import ArchiveError, anonymous_profiles
from facilitation.extensions import db
from facilitation.voting import services as voting_services
from facilitation.voting.models import Tally
from facilitation.workshops.models import Membership, Role, Workshop, WorkshopState

_ARCHIVE: dict = {}


def forum_archive(request) -> dict:
    """The forum's archive, built once for the module: it is plain data, any database can import it."""
    if not _ARCHIVE:
        _ARCHIVE.update(archive.export_archive(request.getfixturevalue("forum").workshop))
    return _ARCHIVE


def comparable(data: dict) -> dict:
    """An archive without what differs between two installations by design: the moment and the team."""
    return {**data, "exported_at": None, "workshop": {**data["workshop"], "team": None}}


def test_archive_is_versioned_and_complete(forum):
    data = json.loads(services.export_workshop(forum.workshop, "json").data)
    assert (data["format"], data["version"]) == ("facilitation.archive", 1)
    assert data["definition"]["format"] == "facilitation.workshop"
    assert [a["title"] for a in data["definition"]["activities"]] == [a.title for a in forum.workshop.activities]
    assert len(data["participants"]) == len(forum.people)
    assert len(data["cards"]) == 12  # the refused and the withdrawn card stay behind
    assert {c["label"] for c in data["clusters"]} == set(forum.clusters)
    assert len(data["ballots"]) == 14 + 11
    assert [r["topic"] for r in data["recommendations"]] == [r.topic for r in forum.recommendations]
    assert data["workshop"]["team"] == ["Max Moderator", "Olga Owner"]
    assert "join_code" not in json.dumps(data) and forum.workshop.join_code not in json.dumps(data)


def test_round_trip_is_equal(forum, create_account):
    original = archive.export_archive(forum.workshop)
    importer = create_account(email="elsewhere@example.org")
    copy = services.import_workshop(importer, archive.dumps(original))
    assert copy.id != forum.workshop.id
    assert copy.join_code != forum.workshop.join_code
    assert copy.state is WorkshopState.ended
    assert comparable(archive.export_archive(copy)) == comparable(original)
    # The restored workshop counts the same: tallies, results, the importer owns it.
    for title in ("Zukunftsthemen", "Rangfolge der Themen"):
        step = next(a for a in copy.activities if a.title == title)
        assert voting_services.tallies(step) == voting_services.count_tallies(step)
        before = voting_services.results(forum.steps[title])["options"]
        after = voting_services.results(step)["options"]
        assert [(o["label"], o.get("total"), o.get("score")) for o in after] == [
            (o["label"], o.get("total"), o.get("score")) for o in before
        ]
    assert db.session.scalar(select(Membership.role).where(Membership.workshop_id == copy.id)) is Role.owner


def test_a_second_round_trip_changes_nothing(forum):
    first = services.import_workshop(None, archive.dumps(archive.export_archive(forum.workshop)))
    second = services.import_workshop(None, archive.dumps(archive.export_archive(first)))
    assert comparable(archive.export_archive(second)) == comparable(archive.export_archive(first))


def test_a_live_workshop_arrives_ended_with_its_steps_closed(forum):
    data = archive.export_archive(forum.workshop)
    data["workshop"]["state"] = "live"
    data["steps"][2]["state"] = "open"
    copy = services.import_workshop(None, archive.dumps(data))
    assert copy.state is WorkshopState.ended
    assert all(a.state.value != "open" for a in copy.activities)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(format="something.else"), "kein Workshop-Archiv"),
        (lambda d: d.update(version=99), "Version"),
        (lambda d: d["cards"][0].update(step=0), "beschädigt"),  # step 0 is the info step
        (lambda d: d["cards"][0].update(participant=999), "beschädigt"),
        (lambda d: d["ballots"][0]["entries"].append(dict(d["ballots"][0]["entries"][0])), "beschädigt"),
        (lambda d: d["clusters"][1]["cards"].append(d["clusters"][0]["cards"][0]), "beschädigt"),
        (lambda d: d["cards"][0].update(text=""), "beschädigt"),
        (lambda d: d["participants"][0].update(token="abc"), "beschädigt"),
        (lambda d: d["definition"]["activities"][0].update(kind="unknown"), "Unbekannte Art"),
    ],
)
def test_a_broken_archive_is_refused_whole(app, request, change, message):
    data = copy.deepcopy(forum_archive(request))
    change(data)
    workshops = db.session.scalar(select(func.count(Workshop.id)))
    with pytest.raises(ArchiveError, match=message):
        services.import_workshop(None, archive.dumps(data))
    db.session.rollback()
    assert db.session.scalar(select(func.count(Workshop.id))) == workshops


def test_a_failure_while_restoring_leaves_nothing_behind(forum, monkeypatch):
    data = archive.export_archive(forum.workshop)
    workshops = db.session.scalar(select(func.count(Workshop.id)))
    tallies = db.session.scalar(select(func.count(Tally.id)))

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(archive.methods, "buckets_of", broken)
    with pytest.raises(RuntimeError):
        services.import_workshop(None, archive.dumps(data))
    assert db.session.scalar(select(func.count(Workshop.id))) == workshops
    assert db.session.scalar(select(func.count(Tally.id))) == tallies


def test_not_json_is_refused(app):
    with pytest.raises(ArchiveError, match="kein gültiges JSON"):
        services.import_workshop(None, b"\xff not json")


# -- coarse profiles ---------------------------------------------------------------------------------------


def test_rare_combinations_lose_the_role_first_then_the_organisation():
    profiles = (
        [("Rostock", "Leitung")] * 3
        + [("Rostock", "ASD")] * 3
        + [("Schwerin", "ASD")] * 5
        + [("Politik", "Leitung")]
        + [("Land", "ASD")] * 2
        + [(None, None)] * 2
    )
    result = anonymous_profiles(profiles, 5)
    assert result[:6] == [("Rostock", None)] * 6
    assert result[6:11] == [("Schwerin", "ASD")] * 5
    assert result[11] == (None, None)
    assert result[12:14] == [(None, None)] * 2  # ASD without Schwerin: 2 + nothing kept


profile = st.tuples(st.sampled_from(["A", "B", "C", None]), st.sampled_from(["x", "y", None]))


@settings(max_examples=200, deadline=None)
@given(st.lists(profile, max_size=40), st.integers(min_value=1, max_value=8))
def test_every_profile_shown_is_shared_by_k_and_coarsening_twice_changes_nothing(profiles, k):
    result = anonymous_profiles(profiles, k)
    counts = Counter(result)
    assert all(count >= k for value, count in counts.items() if value != (None, None))
    for before, after in zip(profiles, result, strict=True):
        assert after[0] in (before[0], None) and after[1] in (before[1], None)
    assert anonymous_profiles(result, k) == result

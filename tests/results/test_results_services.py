"""Breakdowns of a vote by organisation and role, reach, and charts."""

import xml.etree.ElementTree as ET

import pytest
from votingfixtures import ORGANISATIONS, entries

from facilitation.activities import services as activity_services
from facilitation.results import services
from facilitation.voting import services as voting
from facilitation.voting.methods import Entry
from facilitation.workshops.models import WorkshopState

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def forum(vote_step, voter, client_id):
    """``forum(groups, **config)``: an open vote where ``groups`` maps (organisation, role) to the ballots
    of its members (``{topic: value}`` each)."""

    def create(groups: dict, **config):
        vote = vote_step(**config)
        for (organisation, role), ballots in groups.items():
            for ballot in ballots:
                participant = voter(vote.workshop, organisation, role)
                voting.cast_votes(participant, vote, client_id=client_id(), entries=entries(vote, ballot))
        return vote

    return create


ROSTOCK, SCHWERIN, GREIFSWALD, LAND, TRAEGER = ORGANISATIONS


def row(breakdown, label):
    return next(r for r in breakdown["rows"] if r["label"] == label)


def test_breakdown_by_organisation_hides_small_groups_and_what_would_reveal_them(forum):
    vote = forum(
        {
            (ROSTOCK, "Leitung"): [{"Personal": 1, "Inklusion": 1}] * 6,
            (SCHWERIN, "Leitung"): [{"Personal": 1}] * 7,
            (GREIFSWALD, "Leitung"): [{"Inklusion": 1}] * 2,  # small
            (LAND, "Leitung"): [{"Führung": 1}] * 5,  # the smallest other group: hidden along
            (None, None): [{"Personal": 1}] * 8,  # no check-in
        }
    )
    personal = str(next(o["id"] for o in voting.results(vote)["options"] if o["label"] == "Personal"))

    breakdown = services.breakdown(vote, "organisation")

    assert breakdown["k"] == 5
    assert [(r["label"], r["status"], r["size_text"]) for r in breakdown["rows"]] == [
        (ROSTOCK, "shown", "6"),
        (SCHWERIN, "shown", "7"),
        (GREIFSWALD, "small", "< 5"),
        (LAND, "complementary", "–"),
        ("Ohne Angabe", "shown", "8"),
    ]
    assert row(breakdown, ROSTOCK)["cells"][personal] == {"voters": 6, "total": 6}
    assert row(breakdown, GREIFSWALD)["cells"] is None
    assert row(breakdown, LAND)["cells"] is None
    assert breakdown["rest"]["size"] == 7
    assert breakdown["total"]["size"] == 28
    assert breakdown["total"]["cells"][personal]["voters"] == 21
    shown = sum(r["cells"][personal]["voters"] for r in breakdown["rows"] if r["cells"])
    assert shown + breakdown["rest"]["cells"][personal]["voters"] == 21
    assert "weniger als 5" in breakdown["note"]


def test_reach_in_x_of_y_jugendaemter(forum):
    vote = forum(
        {
            (ROSTOCK, None): [{"Personal": 1}] + [{"Inklusion": 1}] * 4,
            (SCHWERIN, None): [{"Inklusion": 1}] * 5,
            (GREIFSWALD, None): [{"Personal": 1}] * 2,  # chose it, but too few to say so
            (LAND, None): [{"Personal": 1}] * 5,
        }
    )
    ids = {o["label"]: str(o["id"]) for o in voting.results(vote)["options"]}

    reach = services.breakdown(vote, "organisation")["reach"]

    assert reach[ids["Personal"]]["text"] == "in 1 von 3 Jugendämtern · in 2 von 5 Organisationen"
    assert reach[ids["Personal"]]["uncounted"] == 1
    assert reach[ids["Inklusion"]]["families"] == [{"family": "Jugendamt", "reached": 2, "of": 3, "uncounted": 1}]
    assert reach[ids["Führung"]]["reached"] == 0


def test_the_demo_reach_names_the_eight_jugendaemter(owner, demo_workshop, voter, client_id):
    activity_services.change_workshop_state(owner, demo_workshop, WorkshopState.live)
    [vote] = [a for a in demo_workshop.activities if a.kind == "vote"]
    activity_services.open_activity(owner, vote)
    [first, *_] = voting.ensure_options(vote)
    offices = [o for o in demo_workshop.activities[1].config["organisations"] if o.startswith("Jugendamt")]
    for office in offices[:7]:
        for _ in range(5):
            voting.cast_votes(voter(demo_workshop, office), vote, client_id=client_id(), entries=[Entry(first.id, 1)])

    reach = services.breakdown(vote, "organisation")["reach"][str(first.id)]

    assert reach["text"].startswith("in 7 von 8 Jugendämtern")


def test_breakdown_by_role(forum):
    vote = forum({(ROSTOCK, "Leitung"): [{"Personal": 1}] * 5, (SCHWERIN, "ASD-Fachkraft"): [{"Personal": 1}] * 3})

    breakdown = services.breakdown(vote, "role")

    # One role below k: both hidden (the total would give it away), only the total remains.
    assert [(r["label"], r["status"]) for r in breakdown["rows"]] == [
        ("Leitung", "complementary"),
        ("ASD-Fachkraft", "small"),
    ]
    assert breakdown["rest"]["size"] == 8
    assert breakdown["reach"] is None


def test_breakdown_of_a_scale_shows_means_and_of_a_matrix_mean_positions(forum):
    scale = forum({(ROSTOCK, None): [{"Personal": 4}, {"Personal": 5}] * 3}, method="scale")
    matrix = forum({(ROSTOCK, None): [{"Personal": (0.2, 0.8)}, {"Personal": (0.4, 0.6)}] * 3}, method="matrix")

    [scale_cell] = [c for c in row(services.breakdown(scale, "organisation"), ROSTOCK)["cells"].values()]
    [matrix_cell] = [c for c in row(services.breakdown(matrix, "organisation"), ROSTOCK)["cells"].values()]

    assert scale_cell == {"voters": 6, "mean": 4.5}
    assert matrix_cell == {"voters": 6, "x": 0.3, "y": 0.7}
    assert services.breakdown(scale, "organisation")["reach"] is None


def test_the_smallest_group_follows_the_workshop_setting(forum):
    vote = forum({(ROSTOCK, None): [{"Personal": 1}] * 3, (SCHWERIN, None): [{"Personal": 1}] * 3})
    vote.workshop.min_group_size = 3

    breakdown = services.breakdown(vote, "organisation")

    assert [r["status"] for r in breakdown["rows"]] == ["shown", "shown"]


def test_breakdowns_only_for_votes_and_known_groupings(vote_step, create_activity):
    vote = vote_step()
    with pytest.raises(services.ResultsError):
        services.breakdown(vote, "postcode")
    with pytest.raises(services.ResultsError):
        services.breakdown(create_activity(vote.workshop, kind="cards"), "role")


# -- charts --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["dots", "points", "ranking", "single", "multiple", "scale", "fist", "matrix"])
def test_every_method_has_a_chart(forum, method):
    ballot = {"Personal": (0.8, 0.9)} if method == "matrix" else {"Personal": 1}
    vote = forum({(ROSTOCK, None): [ballot] * 2}, method=method)

    svg = services.chart(vote)

    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.find(f"{SVG}title").text == vote.title
    texts = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert "Personal" in texts


def test_a_chart_escapes_the_topics(owner, vote_workshop):
    workshop = vote_workshop(options=['<script>alert("x")</script> & Co'])
    svg = services.chart(workshop.activities[1])
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    ET.fromstring(svg)


def test_the_screen_chart_waits_for_the_reveal(owner, vote_step):
    vote = vote_step()
    with pytest.raises(services.ResultsError):
        services.chart(vote, for_screen=True)
    activity_services.reveal_activity(owner, vote)
    assert services.chart(vote, for_screen=True).startswith("<svg")

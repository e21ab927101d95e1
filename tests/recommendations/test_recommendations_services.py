"""Handlungsempfehlungen: drafting from clusters and votes, editing, showing, and the consent check."""

import pytest
from sqlalchemy import func, select

from facilitation.activities import services as activity_services
from facilitation.clustering import services as clustering_services
from facilitation.extensions import db
from facilitation.participation import services as participation_services
from facilitation.recommendations import services
from facilitation.recommendations.models import ConsentVote, RecommendationStatus
from facilitation.voting import services as voting_services
from facilitation.voting.methods import Entry


@pytest.fixture
def opened(step, owner):
    return activity_services.open_activity(owner, step)


def titles(step):
    db.session.expire_all()
    return [r.topic for r in services.recommendations_of(step)]


# -- drafting -------------------------------------------------------------------------------------------


def test_drafting_sources_are_the_clusters_and_voted_topics(step, clusters, voted):
    sources = services.drafting_sources(step)

    assert [(c["label"], c["count"]) for c in sources["clusters"]] == [("Personal", 2), ("Digitalisierung", 1)]
    assert [(o["label"], o["total"], o["rank"]) for o in sources["options"]] == [
        ("Personal", 7, 1),
        ("Digitalisierung", 3, 2),
    ]


def test_a_draft_from_a_cluster_is_prefilled_with_its_figures(step, clusters, voted, owner):
    personal, _digital = clusters
    recommendation = services.create_recommendation(owner, step, cluster_ids=[personal.id])

    assert recommendation.topic == "Personal"
    assert recommendation.rationale == (
        "Cluster „Personal“: 2 Nennungen; Abstimmung „Zukunftsthemen“: 7 Punkte, Platz 1 von 2"
    )
    assert recommendation.status is RecommendationStatus.draft
    assert [link.cluster_id for link in recommendation.links] == [personal.id]


def test_a_draft_from_a_voted_topic(step, clusters, voted, owner):
    recommendation = services.create_recommendation(owner, step, option_ids=[voted[1].id], topic="Digitale Akte")
    assert recommendation.topic == "Digitale Akte"
    assert recommendation.rationale == "Abstimmung „Zukunftsthemen“, Thema „Digitalisierung“: 3 Punkte, Platz 2 von 2"


def test_vote_figures_are_the_votes_own_results(step, workshop, voted):
    vote = workshop.activities[2]
    ranked = voting_services.results(vote)["options"]
    figures = services.vote_figures(vote)

    assert {option_id: (f["total"], f["rank"], f["of"]) for option_id, f in figures.items()} == {
        row["id"]: (row["total"], row["rank"], len(ranked)) for row in ranked
    }


def test_the_rationale_follows_the_tallies_after_more_votes(step, workshop, clusters, voted, owner):
    vote = workshop.activities[2]
    activity_services.open_activity(owner, vote)
    for number in range(2):
        participant = participation_services.join_workshop(workshop, f"token-late-{number:04d}")
        voting_services.cast_votes(participant, vote, client_id=f"late-{number:04d}", entries=[Entry(voted[1].id, 3)])
    recommendation = services.create_recommendation(owner, step, option_ids=[voted[1].id])

    assert recommendation.rationale == "Abstimmung „Zukunftsthemen“, Thema „Digitalisierung“: 9 Punkte, Platz 1 von 2"


def test_a_ranking_is_quoted_with_its_borda_points(step, workshop, owner):
    ranking = activity_services.add_activity(
        owner, workshop, kind="vote", title="Rangfolge", config={"method": "ranking", "top_k": 2, "options": ["A", "B"]}
    )
    activity_services.update_activity(
        owner, step, title=step.title, config={**step.config, "sources": [1, 2, ranking.position]}
    )
    activity_services.open_activity(owner, ranking)
    first, second = voting_services.ensure_options(ranking)
    for number, order in enumerate([(first, second), (first, second), (second, first)]):
        participant = participation_services.join_workshop(workshop, f"token-rank-{number:04d}")
        entries = [Entry(option.id, place) for place, option in enumerate(order, start=1)]
        voting_services.cast_votes(participant, ranking, client_id=f"rank-{number:04d}", entries=entries)
    recommendation = services.create_recommendation(owner, step, option_ids=[first.id])

    assert recommendation.rationale == "Abstimmung „Rangfolge“, Thema „A“: 5 Punkte, Platz 1 von 2"


def test_several_sources_are_a_list_one_line_each(step, clusters, voted, owner):
    _personal, digital = clusters
    recommendation = services.create_recommendation(
        owner, step, cluster_ids=[digital.id], option_ids=[voted[0].id], topic="Personal und Akte"
    )
    assert recommendation.rationale.splitlines() == [
        "– Cluster „Digitalisierung“: 1 Nennung; Abstimmung „Zukunftsthemen“: 3 Punkte, Platz 2 von 2",
        "– Abstimmung „Zukunftsthemen“, Thema „Personal“: 7 Punkte, Platz 1 von 2",
    ]


def test_one_mention_is_singular(step, clusters, owner):
    recommendation = services.create_recommendation(owner, step, cluster_ids=[clusters[1].id])
    assert recommendation.rationale == "Cluster „Digitalisierung“: 1 Nennung"


def test_links_must_come_from_the_sources(step, owner, workshop, create_workshop, clusters):
    other = create_workshop(owner=owner, title="Anderes")
    activity_services.add_activity(owner, other, kind="cards", title="Karten", config={})
    board = activity_services.add_activity(owner, other, kind="clustering", title="Board", config={"sources": [0]})
    foreign = clustering_services.create_cluster(owner, board, "Fremd")
    with pytest.raises(services.RecommendationError) as error:
        services.create_recommendation(owner, step, cluster_ids=[foreign.id])
    assert error.value.code == "not_found"


def test_all_fields_edit_and_validate(step, owner):
    recommendation = services.create_recommendation(owner, step, topic="Personal", text="Mehr Stellen schaffen.")
    services.update_recommendation(
        owner,
        recommendation,
        text="Zehn Stellen im ASD bis 2026.",
        responsible="Jugendamtsleitungen",
        involved="Land, Kreise",
        timeframe="2025–2026",
        priority="hoch",
        status="agreed",
    )
    assert (recommendation.text, recommendation.responsible, recommendation.priority, recommendation.status) == (
        "Zehn Stellen im ASD bis 2026.",
        "Jugendamtsleitungen",
        "hoch",
        RecommendationStatus.agreed,
    )
    with pytest.raises(services.RecommendationError):
        services.update_recommendation(owner, recommendation, priority="sofort")
    with pytest.raises(services.RecommendationError):
        services.update_recommendation(owner, recommendation, topic="  ")
    with pytest.raises(services.RecommendationError):
        services.update_recommendation(owner, recommendation, status="vergessen")
    with pytest.raises(services.RecommendationError) as error:
        services.update_recommendation(owner, recommendation, timeframe="x" * 121)
    assert error.value.code == "too_long"


def test_a_topic_is_required(step, owner):
    with pytest.raises(services.RecommendationError):
        services.create_recommendation(owner, step, topic="")


def test_redraft_the_rationale_after_new_figures(step, clusters, owner):
    recommendation = services.create_recommendation(owner, step, cluster_ids=[clusters[0].id], rationale="Eigener Text")
    assert recommendation.rationale == "Eigener Text"
    services.update_recommendation(owner, recommendation, redraft_rationale=True)
    assert recommendation.rationale == "Cluster „Personal“: 2 Nennungen"


def test_reorder_and_delete(step, owner):
    a, _b, c = (services.create_recommendation(owner, step, topic=topic) for topic in "ABC")
    services.move_recommendation(owner, c, 0)
    assert titles(step) == ["C", "A", "B"]
    services.delete_recommendation(owner, db.session.get(type(a), a.id))
    assert titles(step) == ["C", "B"]
    assert [r.position for r in services.recommendations_of(step)] == [0, 1]


def test_show_sets_the_current_recommendation(step, owner, published):
    a, b = (services.create_recommendation(owner, step, topic=topic) for topic in "AB")
    services.show_recommendation(owner, step, b)
    assert services.current_of(step).id == b.id
    services.show_recommendation(owner, step, a)
    assert services.current_of(step).id == a.id
    services.show_recommendation(owner, step, None)
    assert services.current_of(step) is None
    to_phones = [payload for event, payload, room in published if event == "current_recommendation_changed"]
    assert [p["current_id"] for p in to_phones] == [b.id, a.id, None]


# -- the consent check ----------------------------------------------------------------------------------


def cast(participant, recommendation, fingers, client_id, dissent=""):
    return services.cast_consent(participant, recommendation, client_id=client_id, fingers=fingers, dissent=dissent)


def test_consent_when_everyone_shows_three_or_more(step, opened, owner, phone_participant):
    recommendation = services.create_recommendation(owner, step, topic="Personal")
    services.open_consent(owner, recommendation)
    for fingers in (3, 4, 5, 5):
        cast(phone_participant(), recommendation, fingers, f"consent-{fingers}-{id(object())}")

    result = services.consent_result(recommendation)

    assert result["distribution"] == [0, 0, 0, 1, 1, 2]
    assert result["is_consensus"] is True
    assert result["dissent"] == []
    assert result["average"] == 4.2


def test_dissent_is_recorded_for_zero_to_two_fingers(step, opened, owner, phone_participant):
    recommendation = services.create_recommendation(owner, step, topic="Personal")
    services.open_consent(owner, recommendation)
    cast(phone_participant(), recommendation, 1, "consent-0001", "Ohne Geld nicht umsetzbar")
    cast(phone_participant(), recommendation, 0, "consent-0002")
    cast(phone_participant(), recommendation, 4, "consent-0003", "wird ignoriert")

    result = services.consent_result(recommendation)

    assert result["is_consensus"] is False
    assert result["dissent_count"] == 2
    assert result["dissent"] == [{"fingers": 1, "text": "Ohne Geld nicht umsetzbar"}]
    assert db.session.scalar(select(ConsentVote.dissent).where(ConsentVote.fingers == 4)) == ""


def test_a_resend_is_harmless_and_a_change_is_allowed_while_open(step, opened, owner, phone_participant):
    recommendation = services.create_recommendation(owner, step, topic="Personal")
    services.open_consent(owner, recommendation)
    participant = phone_participant()

    first, changed = cast(participant, recommendation, 2, "consent-0001", "Zu teuer")
    again, changed_again = cast(participant, recommendation, 2, "consent-0001", "Zu teuer")
    assert (changed, changed_again, again.id) == (True, False, first.id)

    changed_vote, changed = cast(participant, recommendation, 4, "consent-0002")
    assert changed and changed_vote.id == first.id and changed_vote.fingers == 4
    late_resend, changed = cast(participant, recommendation, 2, "consent-0001", "Zu teuer")
    assert changed is True and late_resend.fingers == 2, "an older command sent again is a new answer"
    assert db.session.scalar(select(func.count(ConsentVote.id))) == 1


def test_answers_only_while_the_check_is_open(step, opened, owner, phone_participant):
    recommendation = services.create_recommendation(owner, step, topic="Personal")
    participant = phone_participant()
    with pytest.raises(services.RecommendationError) as error:
        cast(participant, recommendation, 3, "consent-0001")
    assert error.value.code == "closed"

    services.open_consent(owner, recommendation)
    cast(participant, recommendation, 3, "consent-0001")
    services.close_consent(owner, recommendation)

    assert cast(participant, recommendation, 3, "consent-0001")[1] is False, "a resend after closing is acked"
    with pytest.raises(services.RecommendationError):
        cast(participant, recommendation, 5, "consent-0002")


def test_opening_a_check_closes_the_others_and_shows_it(step, opened, owner):
    a, b = (services.create_recommendation(owner, step, topic=topic) for topic in "AB")
    services.open_consent(owner, a)
    services.open_consent(owner, b)
    db.session.expire_all()
    assert (a.is_consent_open, b.is_consent_open) == (False, True)
    assert services.current_of(step).id == b.id


def test_a_check_needs_the_step_open_and_configured(step, owner):
    recommendation = services.create_recommendation(owner, step, topic="Personal")
    with pytest.raises(services.RecommendationError) as error:
        services.open_consent(owner, recommendation)
    assert error.value.code == "closed"
    step.config = {**step.config, "has_consent_check": False}
    db.session.commit()
    with pytest.raises(services.RecommendationError):
        services.open_consent(owner, recommendation)


def test_while_open_the_screens_see_only_how_many_answered(step, opened, owner, phone_participant):
    recommendation = services.create_recommendation(owner, step, topic="Personal")
    services.open_consent(owner, recommendation)
    cast(phone_participant(), recommendation, 1, "consent-0001", "Nein")

    projector = services.view(step, "projector")
    console = services.view(step, "console")

    assert projector["current"]["consent"] == {"count": 1}
    assert console["recommendations"][0]["consent"]["distribution"] == [0, 1, 0, 0, 0, 0]
    services.close_consent(owner, recommendation)
    assert services.view(step, "projector")["current"]["consent"]["dissent"] == [{"fingers": 1, "text": "Nein"}]


def test_phones_see_their_own_answers(step, opened, owner, phone_participant):
    recommendation = services.create_recommendation(owner, step, topic="Personal")
    services.open_consent(owner, recommendation)
    participant, other = phone_participant(), phone_participant()
    cast(participant, recommendation, 5, "consent-0001")

    assert services.view(step, "phone", participant)["own"] == {str(recommendation.id): {"fingers": 5, "dissent": ""}}
    assert services.view(step, "phone", other)["own"] == {}

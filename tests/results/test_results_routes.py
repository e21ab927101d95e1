"""The results page of a vote and its charts: who may see what, and when."""

import pytest
from votingfixtures import ORGANISATIONS, entries

from facilitation.activities import services as activity_services
from facilitation.voting import services as voting
from facilitation.workshops import services as workshop_services
from facilitation.workshops.models import Role


@pytest.fixture
def counted(vote_step, voter, client_id):
    """An open dots vote with ten ballots from two Jugendämter and two from a third (too few to show)."""
    vote = vote_step()
    for organisation, count in ((ORGANISATIONS[0], 5), (ORGANISATIONS[1], 5), (ORGANISATIONS[2], 2)):
        for _ in range(count):
            voting.cast_votes(
                voter(vote.workshop, organisation, "Leitung"),
                vote,
                client_id=client_id(),
                entries=entries(vote, {"Personal": 1, "Inklusion": 1}),
            )
    return vote


def results_url(vote):
    return f"/workshops/{vote.workshop_id}/steps/{vote.id}/results"


def test_the_team_sees_results_and_breakdowns(client, login, owner, counted):
    login(client, owner)

    response = client.get(results_url(counted))

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Ergebnisse: Abstimmung" in page
    assert "12 Personen haben abgestimmt." in page
    assert f'src="/workshops/{counted.workshop_id}/steps/{counted.id}/chart.svg"' in page
    assert "Nach Organisation" in page and "Nach Rolle" in page
    assert "&lt; 5" in page  # the third Jugendamt
    assert "Übrige Gruppen zusammen" in page
    assert "in 2 von 3 Jugendämtern" in page
    assert "style=" not in page
    assert "<script>" not in page


def test_observers_may_see_results_others_may_not(client, login, owner, counted, create_account):
    observer, stranger = create_account(), create_account()
    workshop_services.grant_role(owner, counted.workshop, observer, Role.observer)

    login(client, observer)
    assert client.get(results_url(counted)).status_code == 200
    assert client.get(f"/workshops/{counted.workshop_id}/steps/{counted.id}/chart.svg").status_code == 200

    other = client.application.test_client()
    login(other, stranger)
    assert other.get(results_url(counted)).status_code == 404
    anonymous = client.application.test_client()
    assert anonymous.get(results_url(counted)).status_code == 302


def test_only_votes_have_results(client, login, owner, counted, create_activity):
    login(client, owner)
    cards = create_activity(counted.workshop, kind="cards")
    assert client.get(f"/workshops/{counted.workshop_id}/steps/{cards.id}/results").status_code == 404
    assert client.get(f"/workshops/{counted.workshop_id}/steps/999999/chart.svg").status_code == 404


def test_the_teams_chart_is_an_svg_before_the_reveal(client, login, owner, counted):
    login(client, owner)

    response = client.get(f"/workshops/{counted.workshop_id}/steps/{counted.id}/chart.svg")

    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.get_data(as_text=True).startswith("<svg")


def test_the_projector_gets_the_chart_only_with_its_key_and_after_the_reveal(client, owner, counted):
    workshop = counted.workshop
    url = f"/{workshop.join_code}/chart/{counted.id}.svg"

    assert client.get(f"{url}?key={workshop.screen_key}").status_code == 404  # not revealed yet
    activity_services.reveal_activity(owner, counted)

    assert client.get(f"{url}?key={workshop.screen_key}").status_code == 200
    assert client.get(f"{url}?key=wrong").status_code == 404
    assert client.get(url).status_code == 404
    assert client.get(f"/ZZZZZZ/chart/{counted.id}.svg?key={workshop.screen_key}").status_code == 404


def test_a_live_vote_shows_its_chart_at_once(client, vote_step):
    vote = vote_step(is_live=True)
    workshop = vote.workshop
    response = client.get(f"/{workshop.join_code}/chart/{vote.id}.svg?key={workshop.screen_key}")
    assert response.status_code == 200

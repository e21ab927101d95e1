"""A live workshop: cards (0), a clustering board over them (1), a dot vote on its clusters (2) and a
recommendations step drawing on both (3); phones join with ``phone_participant``."""

import itertools

import pytest

from facilitation.activities import services as activity_services
from facilitation.clustering import services as clustering_services
from facilitation.participation import services as participation_services
from facilitation.voting import services as voting_services
from facilitation.voting.methods import Entry
from facilitation.workshops import services as workshop_services
from facilitation.workshops.models import Role, WorkshopState

CARDS = ["Mehr Personal im ASD", "Personal im ASD aufstocken", "Digitale Akte einführen"]


@pytest.fixture
def workshop(owner, create_workshop):
    workshop = create_workshop(owner=owner)
    add = activity_services.add_activity
    add(owner, workshop, kind="cards", title="Ideen", config={"max_cards": 10})
    add(owner, workshop, kind="clustering", title="Themen bilden", config={"sources": [0]})
    add(
        owner,
        workshop,
        kind="vote",
        title="Zukunftsthemen",
        config={"method": "dots", "dots": 4, "max_per_option": 3, "items_from": "clusters", "source": 1},
    )
    add(owner, workshop, kind="recommendations", title="Empfehlungen", config={"sources": [1, 2]})
    workshop_services.change_state(owner, workshop, WorkshopState.live)
    return workshop


@pytest.fixture
def step(workshop):
    return workshop.activities[3]


@pytest.fixture
def clusters(workshop, owner):
    """Two clusters on the board: "Personal" (2 cards) and "Digitalisierung" (1 card)."""
    cards_step, board = workshop.activities[0], workshop.activities[1]
    activity_services.open_activity(owner, cards_step)
    participant = participation_services.join_workshop(workshop, "token-cards-0001")
    cards = []
    for number, text in enumerate(CARDS):
        card, _ = participation_services.submit_card(participant, cards_step, client_id=f"card-{number:04d}", text=text)
        participation_services.approve_card(owner, card)
        cards.append(card)
    personal = clustering_services.create_cluster(owner, board, "Personal", card_ids=[cards[0].id, cards[1].id])
    digital = clustering_services.create_cluster(owner, board, "Digitalisierung", card_ids=[cards[2].id])
    return personal, digital


@pytest.fixture
def voted(workshop, clusters, owner):
    """The dot vote's options are the clusters; Personal got 7 dots, Digitalisierung 3 (cast through the
    voting services, so the running tallies hold them)."""
    vote = workshop.activities[2]
    activity_services.open_activity(owner, vote)
    options = voting_services.ensure_options(vote)
    for number, (first, second) in enumerate([(3, 1), (2, 1), (2, 1)]):
        participant = participation_services.join_workshop(workshop, f"token-vote-{number:04d}")
        voting_services.cast_votes(
            participant,
            vote,
            client_id=f"ballot-{number:04d}",
            entries=[Entry(options[0].id, first), Entry(options[1].id, second)],
        )
    activity_services.close_activity(owner, vote)
    return options


@pytest.fixture
def phone_participant(workshop):
    numbers = itertools.count(1)

    def join():
        return participation_services.join_workshop(workshop, f"token-phone-{next(numbers):04d}")

    return join


@pytest.fixture
def observer(create_account, workshop, owner):
    account = create_account(email="beobachtung@example.org")
    workshop_services.grant_role(owner, workshop, account, Role.observer)
    return account

"""A live workshop with a card question (position 0) and a clustering board over it (position 1)."""

import itertools

import pytest

from facilitation.activities import services as activity_services
from facilitation.participation import services as participation_services
from facilitation.workshops import services as workshop_services
from facilitation.workshops.models import Role, WorkshopState

CARDS_CONFIG = {"max_cards": 20, "max_length": 280, "is_premoderated": True}
PERSONAL = ["Mehr Personal im ASD", "Personal im ASD aufstocken", "Der ASD braucht mehr Personal"]
DIGITAL = ["Digitale Akte für alle Ämter", "Die digitale Akte endlich einführen", "Digitale Akte statt Papier"]
LOOSE = ["Kaffee in den Pausen"]


@pytest.fixture(autouse=True)
def _ngram_engine(app):
    """Character n-grams unless a test asks for the model: fast, and no model needed."""
    app.config["CLUSTERING_ENGINE"] = "tfidf"


@pytest.fixture
def workshop(owner, create_workshop):
    workshop = create_workshop(owner=owner)
    activity_services.add_activity(owner, workshop, kind="cards", title="Ideen", config=CARDS_CONFIG)
    activity_services.add_activity(owner, workshop, kind="clustering", title="Themen bilden", config={"sources": [0]})
    workshop_services.change_state(owner, workshop, WorkshopState.live)
    return workshop


@pytest.fixture
def cards_step(workshop):
    return workshop.activities[0]


@pytest.fixture
def board_step(workshop):
    return workshop.activities[1]


@pytest.fixture
def write_cards(owner, cards_step):
    """Cards written by one phone; approved unless ``approve=False``. Returns them in order."""
    numbers = itertools.count(1)

    def write(texts, approve=True, step=None):
        step = step or cards_step
        if not step.is_open:
            activity_services.open_activity(owner, step)
        participant = participation_services.join_workshop(step.workshop, f"token-{next(numbers)}-x")
        cards = []
        for text in texts:
            card, _ = participation_services.submit_card(
                participant, step, client_id=f"cid-{next(numbers):06d}", text=text
            )
            if approve:
                participation_services.approve_card(owner, card)
            cards.append(card)
        return cards

    return write


@pytest.fixture
def themed_cards(write_cards):
    """Three personnel cards, three digital ones and one on its own, all approved."""
    return write_cards(PERSONAL + DIGITAL + LOOSE)


@pytest.fixture
def moderator(create_account, workshop, owner):
    account = create_account(email="moderatorin@example.org")
    workshop_services.grant_role(owner, workshop, account, Role.moderator)
    return account


@pytest.fixture
def observer(create_account, workshop, owner):
    account = create_account(email="beobachtung@example.org")
    workshop_services.grant_role(owner, workshop, account, Role.observer)
    return account

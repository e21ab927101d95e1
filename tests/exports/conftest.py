"""A finished forum built through the services, the way a real one runs: check-in, two card
questions (one with the columns Erhalten / Zurücklassen / Neu gestalten), a clustering board over
both, a dot vote on fixed topics, a ranking of the clusters, Handlungsempfehlungen with consent checks.

The groups are chosen so that suppression has work to do (k = 5): Jugendamt Rostock has 6 people,
Jugendamt Schwerin 5, "Politik" a single person who alone votes for "Inklusion", and 2 people give no
organisation.
"""

import itertools
from dataclasses import dataclass, field
from datetime import date

import pytest

from facilitation.activities import services as activity_services
from facilitation.clustering import services as clustering_services
from facilitation.extensions import db
from facilitation.participation import services as participation_services
from facilitation.recommendations import services as recommendation_services
from facilitation.voting import services as voting_services
from facilitation.voting.methods import Entry
from facilitation.workshops import services as workshop_services
from facilitation.workshops.models import Role, WorkshopState

ORGANISATIONS = ["Jugendamt Rostock", "Jugendamt Schwerin", "Land", "Politik"]
ROLES = ["Leitung", "ASD-Fachkraft", "Kinderschutzkoordination"]
TOPICS = ["Krisenmanagement", "Personalsituation", "Führung im Jugendamt", "Inklusion"]
DESCRIPTION = (
    "Das Bündnis blickt auf die Jahre 2025–2030.\n\n"
    "Leitfragen:\n"
    "- Welche Ziele nimmt das Bündnis in den Blick?\n"
    "- Was sollte erhalten bleiben – was kann zurückgelassen werden – was muss neu gestaltet werden?"
)
#: (organisation, role) of every participant, in joining order.
PEOPLE = (
    [("Jugendamt Rostock", "Leitung")] * 3
    + [("Jugendamt Rostock", "ASD-Fachkraft")] * 3
    + [("Jugendamt Schwerin", "ASD-Fachkraft")] * 5
    + [("Politik", "Leitung")]
    + [(None, None)] * 2
)
#: The card a spreadsheet must never run as a formula.
FORMULA_CARD = '=HYPERLINK("http://example.org";"Klick")'
GOALS = {
    "Personal": ["Mehr Personal im ASD", "Fachkräfte halten und gewinnen", "Einarbeitung neuer Fachkräfte stärken"],
    "Krisen": ["Krisenmanagement üben", "Notfallpläne für alle Ämter"],
}
COLUMNS = {
    "Erhalten": ["Fachtage des Bündnisses", "Kollegiale Beratung"],
    "Zurücklassen": ["Doppelte Dokumentation", "+Papierakten"],
    "Neu gestalten": ["Digitale Fallakte", "@Beteiligung von Kindern"],
}


@dataclass
class Forum:
    workshop: object
    owner: object
    people: list
    tokens: list
    steps: dict = field(default_factory=dict)
    cards: dict = field(default_factory=dict)
    clusters: dict = field(default_factory=dict)
    recommendations: list = field(default_factory=list)


@pytest.fixture
def forum(owner, create_account) -> Forum:
    """The finished forum (ended), its people (participants in ``PEOPLE`` order) and their tokens."""
    owner.name = "Olga Owner"
    db.session.commit()
    workshop = workshop_services.create_workshop(
        owner,
        title="Zukunftsforum Kinderschutz 2025–2030",
        organiser="Bündnis Kinderschutz MV",
        venue="Güstrow, Bürgerhaus",
        starts_on=date(2025, 10, 2),
        description=DESCRIPTION,
        min_group_size=5,
    )
    moderator = create_account(email="max@example.org", name="Max Moderator")
    workshop_services.grant_role(owner, workshop, moderator, Role.moderator)
    add = activity_services.add_activity
    add(
        owner,
        workshop,
        kind="info",
        title="Stand und Ausblick",
        config={
            "body": "Rückblick auf **2024**.\n\n- 69 Veranstaltungen\n- 5 Veröffentlichungen",
            "figures": [{"value": "44 von 40", "label": "Beratungstage"}],
        },
    )
    add(
        owner, workshop, kind="checkin", title="Wer ist dabei?", config={"organisations": ORGANISATIONS, "roles": ROLES}
    )
    add(
        owner,
        workshop,
        kind="cards",
        title="Ziele 2025–2030",
        prompt="Welche Ziele nimmt das Bündnis in den Blick?",
        config={"max_cards": 10, "is_premoderated": True},
    )
    add(
        owner,
        workshop,
        kind="cards",
        title="Erhalten – Zurücklassen – Neu gestalten",
        prompt="Was sollte erhalten bleiben, was zurückgelassen, was neu gestaltet werden?",
        config={"columns": list(COLUMNS), "max_cards": 10},
    )
    add(owner, workshop, kind="clustering", title="Themen bilden", config={"sources": [2, 3]})
    add(
        owner,
        workshop,
        kind="vote",
        title="Zukunftsthemen",
        prompt="Welche Themen sollen uns prägen?",
        config={"method": "dots", "items_from": "fixed", "options": TOPICS, "dots": 3},
    )
    add(
        owner,
        workshop,
        kind="vote",
        title="Rangfolge der Themen",
        config={"method": "ranking", "items_from": "clusters", "source": 4, "top_k": 2},
    )
    add(owner, workshop, kind="recommendations", title="Handlungsempfehlungen", config={"sources": [4, 5]})
    workshop_services.change_state(owner, workshop, WorkshopState.live)
    steps = {a.title: a for a in workshop.activities}
    numbers = itertools.count(1)

    def cid() -> str:
        return f"cid-{next(numbers):06d}"

    # Check-in.
    people, tokens = [], []
    checkin = steps["Wer ist dabei?"]
    activity_services.open_activity(owner, checkin)
    for index, (organisation, role) in enumerate(PEOPLE):
        token = f"token-{index:02d}-{participation_services.new_token()}"
        participant = participation_services.join_workshop(workshop, token)
        if organisation:
            participation_services.check_in(participant, checkin, organisation, role)
        people.append(participant)
        tokens.append(token)
    activity_services.close_activity(owner, checkin)

    # Cards: every text from a different person, approved; one refused, one withdrawn, one written as a formula.
    cards = {}
    goals = steps["Ziele 2025–2030"]
    activity_services.open_activity(owner, goals)
    writers = itertools.cycle(people)
    for texts in GOALS.values():
        for text in texts:
            card, _ = participation_services.submit_card(next(writers), goals, client_id=cid(), text=text)
            participation_services.approve_card(owner, card)
            cards[text] = card
    card, _ = participation_services.submit_card(people[0], goals, client_id=cid(), text=FORMULA_CARD)
    participation_services.approve_card(owner, card)
    cards[FORMULA_CARD] = card
    refused, _ = participation_services.submit_card(people[1], goals, client_id=cid(), text="Abgelehnte Karte XYZ")
    participation_services.reject_card(owner, refused, "Nicht zum Thema")
    withdrawn, _ = participation_services.submit_card(people[2], goals, client_id=cid(), text="Zurückgezogen QQQ")
    participation_services.withdraw_card(people[2], withdrawn)
    activity_services.close_activity(owner, goals)
    keep = steps["Erhalten – Zurücklassen – Neu gestalten"]
    activity_services.open_activity(owner, keep)
    for column, texts in COLUMNS.items():
        for text in texts:
            card, _ = participation_services.submit_card(next(writers), keep, client_id=cid(), text=text, column=column)
            participation_services.approve_card(owner, card)
            cards[text] = card
    activity_services.close_activity(owner, keep)

    # Clustering: two themes, the formula card and the column cards partly unassigned.
    board = steps["Themen bilden"]
    clusters = {
        "Personal gewinnen und halten": clustering_services.create_cluster(
            owner,
            board,
            "Personal gewinnen und halten",
            card_ids=[cards[t].id for t in [*GOALS["Personal"], "Kollegiale Beratung"]],
        ),
        "Krisen und Digitalisierung": clustering_services.create_cluster(
            owner,
            board,
            "Krisen und Digitalisierung",
            card_ids=[cards[t].id for t in [*GOALS["Krisen"], "Digitale Fallakte"]],
        ),
    }

    # Dot vote: Rostock likes Krisenmanagement, Schwerin Personalsituation, Politik alone Inklusion.
    vote = steps["Zukunftsthemen"]
    activity_services.open_activity(owner, vote)
    options = {o.label: o.id for o in voting_services.ensure_options(vote)}
    ballots = (
        [["Krisenmanagement", "Personalsituation", "Führung im Jugendamt"]] * 6
        + [["Personalsituation", "Führung im Jugendamt"]] * 5
        + [["Inklusion"]]
        + [["Krisenmanagement"]] * 2
    )
    for person, chosen in zip(people, ballots, strict=True):
        voting_services.cast_votes(person, vote, client_id=cid(), entries=[Entry(options[label]) for label in chosen])
    activity_services.close_activity(owner, vote)
    activity_services.reveal_activity(owner, vote)

    # Ranking of the clusters (top 2).
    ranking = steps["Rangfolge der Themen"]
    activity_services.open_activity(owner, ranking)
    ranked = {o.label: o.id for o in voting_services.ensure_options(ranking)}
    first, second = ranked["Personal gewinnen und halten"], ranked["Krisen und Digitalisierung"]
    for index, person in enumerate(people[:11]):
        order = [first, second] if index % 3 else [second, first]
        voting_services.cast_votes(person, ranking, client_id=cid(), entries=[Entry(order[0], 1), Entry(order[1], 2)])
    activity_services.close_activity(owner, ranking)

    # Recommendations with consent checks: the first passes, the second meets dissent.
    step = steps["Handlungsempfehlungen"]
    activity_services.open_activity(owner, step)
    first_rec = recommendation_services.create_recommendation(
        owner,
        step,
        cluster_ids=[clusters["Personal gewinnen und halten"].id],
        text="Ein landesweites Programm zur Gewinnung und Bindung von ASD-Fachkräften auflegen.",
        responsible="AG Personal",
        involved="Jugendämter, Land",
        timeframe="bis Ende 2026",
        priority="hoch",
        status="agreed",
    )
    second_rec = recommendation_services.create_recommendation(
        owner,
        step,
        option_ids=[options["Krisenmanagement"]],
        topic="Krisenmanagement",
        text="Gemeinsame Notfallpläne für alle Jugendämter erarbeiten.",
        responsible="Bündnis-Koordination",
        timeframe="2027",
        priority="mittel",
    )
    for recommendation, fingers in ((first_rec, [5, 4, 4, 3, 5, 4]), (second_rec, [4, 2, 3, 1, 5])):
        recommendation_services.open_consent(owner, recommendation)
        for person, count in zip(people, fingers, strict=False):
            dissent = "Erst die Finanzierung klären" if count == 1 else ""
            recommendation_services.cast_consent(
                person, recommendation, client_id=cid(), fingers=count, dissent=dissent
            )
        recommendation_services.close_consent(owner, recommendation)
    activity_services.close_activity(owner, step)
    activity_services.change_workshop_state(owner, workshop, WorkshopState.ended)

    return Forum(workshop, owner, people, tokens, steps, cards, clusters, [first_rec, second_rec])

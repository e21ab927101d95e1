"""A finished workshop whose every participant- and moderator-written text is an attack: HTML, script,
Markdown, CSS, template syntax and spreadsheet formulas, in card texts, cluster names, vote options and
every recommendation field. Built through the services, the way a real one runs.

A plain module (not a fixture) so that the exports tests and the browser test build the same workshop.
"""

import itertools
from dataclasses import dataclass, field
from datetime import date

from facilitation.activities import services as activity_services
from facilitation.clustering import services as clustering_services
from facilitation.participation import services as participation_services
from facilitation.recommendations import services as recommendation_services
from facilitation.voting import services as voting_services
from facilitation.voting.methods import Entry
from facilitation.workshops import services as workshop_services
from facilitation.workshops.models import WorkshopState

#: Markup that must show up literally and never run or style anything.
MARKUP = [
    '<img src=x onerror="window.__xss=1">',
    "<script>window.__xss=2</script>",
    "**fett** [Link](javascript:window.__xss=3) # Titel",
    "<style>body{display:none}</style>",
    '<b style="color:red">rot</b> {{7*7}} ${7*7}',
    "<svg onload=window.__xss=4>",
]
#: Text a spreadsheet would run as a formula (tab and CR are removed at input; see ``FORMULAS_RAW``).
FORMULAS = ["=1+2", "+SUMME(A1:A3)", '-2+3;=HYPERLINK("http://example.org";"x")', "@SUMME(A1)"]
#: What a crafted archive can carry past the input cleaning.
FORMULAS_RAW = ["\t=3+4", "\r=5+6"]
#: Cards of the hostile workshop: every payload, in this order.
CARDS = MARKUP + FORMULAS
#: Names of the two clusters and the fixed vote options.
CLUSTERS = ["<script>window.__xss=5</script> Cluster", "=CLUSTER()+1"]
OPTIONS = ["<i>Option</i> &amp; <script>window.__xss=6</script>", "=OPTION()", "Normal"]
#: One recommendation with a payload in every field.
RECOMMENDATION = {
    "topic": "<h1>Thema</h1><script>window.__xss=7</script>",
    "text": "=EMPFEHLUNG()\n<img src=x onerror=window.__xss=8>",
    "rationale": "+BEGRUENDUNG() **fett**",
    "responsible": "@VERANTWORTLICH",
    "involved": "-BETEILIGTE <u>x</u>",
    "timeframe": "=2026",
}
TITLE = "Forum <script>window.__xss=9</script> & Co"
#: A vote's title that spreadsheet libraries take for a cell reference (and its chart for a formula).
VOTE_TITLE = "Achtung!ASD2025 <b>Wahl</b>"


@dataclass
class Hostile:
    workshop: object
    people: list
    steps: dict = field(default_factory=dict)
    #: Every text that must come out literally.
    texts: list = field(default_factory=list)


def build(owner) -> Hostile:
    """The ended hostile workshop: five people, every card, both clusters, a dot vote, a recommendation."""
    workshop = workshop_services.create_workshop(
        owner,
        title=TITLE,
        organiser="<b>Veranstalter</b>",
        venue="=ORT()",
        starts_on=date(2025, 11, 3),
        description="Ziel: <script>window.__xss=10</script>",
        min_group_size=2,
    )
    add = activity_services.add_activity
    add(owner, workshop, kind="cards", title="Karten", prompt="<em>Frage</em>?", config={"max_cards": 20})
    add(owner, workshop, kind="clustering", title="Themen", config={"sources": [0]})
    add(
        owner,
        workshop,
        kind="vote",
        title=VOTE_TITLE,
        config={"method": "dots", "items_from": "fixed", "options": OPTIONS, "dots": 2},
    )
    add(owner, workshop, kind="recommendations", title="Empfehlungen", config={"sources": [1, 2]})
    workshop_services.change_state(owner, workshop, WorkshopState.live)
    steps = {a.title: a for a in workshop.activities}
    numbers = itertools.count(1)
    people = [participation_services.join_workshop(workshop, participation_services.new_token()) for _ in range(5)]

    cards_step = steps["Karten"]
    activity_services.open_activity(owner, cards_step)
    cards = []
    for person, text in zip(itertools.cycle(people), CARDS, strict=False):
        card, _ = participation_services.submit_card(person, cards_step, client_id=f"h-{next(numbers)}", text=text)
        participation_services.approve_card(owner, card)
        cards.append(card)
    activity_services.close_activity(owner, cards_step)

    board = steps["Themen"]
    clusters = [
        clustering_services.create_cluster(owner, board, CLUSTERS[0], card_ids=[c.id for c in cards[:4]]),
        clustering_services.create_cluster(owner, board, CLUSTERS[1], card_ids=[c.id for c in cards[4:7]]),
    ]

    vote = steps[VOTE_TITLE]
    activity_services.open_activity(owner, vote)
    options = {o.label: o.id for o in voting_services.ensure_options(vote)}
    for person in people:
        voting_services.cast_votes(
            person,
            vote,
            client_id=f"h-{next(numbers)}",
            entries=[Entry(options[OPTIONS[0]]), Entry(options[OPTIONS[1]])],
        )
    activity_services.close_activity(owner, vote)
    activity_services.reveal_activity(owner, vote)

    step = steps["Empfehlungen"]
    activity_services.open_activity(owner, step)
    recommendation_services.create_recommendation(
        owner, step, cluster_ids=[clusters[0].id], status="agreed", priority="hoch", **RECOMMENDATION
    )
    activity_services.close_activity(owner, step)
    activity_services.change_workshop_state(owner, workshop, WorkshopState.ended)
    texts = [*CARDS, *CLUSTERS, *OPTIONS[:2], *(v for v in RECOMMENDATION.values() if "\n" not in v), TITLE, VOTE_TITLE]
    return Hostile(workshop, people, steps, texts)

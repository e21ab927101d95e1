"""Everything a workshop's downloads show, gathered once into plain data (:class:`Report`).

This is the only part of the exports that reads the database. Every breakdown by organisation or
role comes from ``results`` (``results.services.breakdown`` for votes, ``results.suppression`` for the
participation tables), so small groups are hidden the same way on screen and in every file. Texts are
translated here, in the workshop's language; the writers (``pdf``, ``docx``, ``xlsx``, ``csv``) only
lay the data out.

What never gets into a report: participant tokens, who wrote which card or cast which ballot,
withdrawn and rejected cards, the words a moderator replaced, and any figure of a group below k.
"""

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from babel.numbers import get_decimal_symbol
from flask_babel import force_locale, format_date, ngettext
from flask_babel import gettext as _
from sqlalchemy import func, select

from facilitation.activities.models import Activity, ActivityState
from facilitation.activities.registry import KINDS
from facilitation.clustering import services as clustering
from facilitation.clustering.models import Cluster, Placement
from facilitation.exports.tables import HIDDEN, TOTAL, Column, Table
from facilitation.extensions import db
from facilitation.modeling import utcnow
from facilitation.participation.models import Card, CardStatus, Participant
from facilitation.participation.services import participation_counts
from facilitation.recommendations import services as recommendation_services
from facilitation.recommendations.models import Recommendation
from facilitation.results import charts, suppression
from facilitation.results import services as results
from facilitation.voting import methods
from facilitation.voting import services as voting
from facilitation.voting.models import Ballot, BallotEntry, Option
from facilitation.workshops.models import Membership, Role, Workshop

#: Cards shown per cluster or column in the body of the Dokumentation; the appendix lists them all.
EXAMPLES = 6
#: Cards the raw tables list: everything the room saw or could have seen, not what was refused.
RAW_STATUSES = (CardStatus.visible, CardStatus.hidden, CardStatus.pending)


# -- the report's parts -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """A paragraph (``items`` empty) or a bulleted list (``text`` its lead-in, may be empty)."""

    text: str = ""
    items: tuple[str, ...] = ()


@dataclass
class CardGroup:
    """A cluster, a column or the unassigned pile of one guiding question, with its cards."""

    label: str
    #: ``cluster``, ``unassigned``, ``column`` or ``all``.
    kind: str
    cards: list[dict] = field(default_factory=list)
    #: "12 Nennungen", in the report's language.
    mentions: str = ""

    @property
    def count(self) -> int:
        return len(self.cards)

    @property
    def examples(self) -> list[dict]:
        return self.cards[:EXAMPLES]

    @property
    def more(self) -> int:
        return max(0, len(self.cards) - EXAMPLES)


@dataclass
class Question:
    """A card question ("Leitfrage") and what came of it."""

    position: int
    title: str
    prompt: str
    columns: list[str]
    count: int
    authors: int
    #: Title of the clustering step that grouped these cards, or "".
    board: str
    groups: list[CardGroup]
    #: Clusters × columns, for clustered questions with columns.
    matrix: Table | None = None

    @property
    def is_clustered(self) -> bool:
        return bool(self.board)


@dataclass
class Vote:
    activity_id: int
    position: int
    title: str
    prompt: str
    method: str
    method_label: str
    rules: str
    ballots: int
    results: Table
    chart_svg: str
    chart_alt: str
    breakdowns: list[Table]
    #: Explains "in 7 von 8 Jugendämtern" when the results table has a reach column.
    reach_note: str = ""


@dataclass
class InfoSection:
    title: str
    blocks: list[Block]
    figures: list[tuple[str, str]]


@dataclass
class StepSheet:
    """One step for the spreadsheet: a sheet with texts, tables and (for votes) a chart of ``tables[0]``."""

    position: int
    title: str
    kind_label: str
    lines: list[str]
    tables: list[Table]
    #: For votes: which column of ``tables[0]`` the chart draws, and which one names the bars.
    chart_values: int | None = None
    chart_categories: int | None = None


@dataclass
class _Recommendations:
    table: Table | None = None
    raw: Table | None = None
    chart_svg: str = ""
    chart_alt: str = ""
    open_questions: list[str] = field(default_factory=list)
    next_steps: Table | None = None
    #: The consent checks by organisation and by role (small groups suppressed).
    breakdowns: list[Table] = field(default_factory=list)


@dataclass
class Report:
    language: str
    decimal_mark: str
    labels: dict[str, str]
    workshop: dict
    team: list[str]
    generated: str
    aims: list[Block]
    context: list[InfoSection]
    agenda: Table
    method: list[str]
    figures: list[tuple[str, int]]
    participation: list[Table]
    questions: list[Question]
    votes: list[Vote]
    recommendations: Table | None
    consent_chart_svg: str
    consent_chart_alt: str
    open_questions: list[str]
    next_steps: Table | None
    steps: list[StepSheet]
    raw: list[Table]
    k: int
    #: The consent checks by organisation and by role (small groups suppressed), after the recommendations.
    consent_breakdowns: list[Table] = field(default_factory=list)

    def tables(self) -> list[Table]:
        """Every table of the spreadsheet, step by step and then the raw data (the CSV files)."""
        return [table for step in self.steps for table in step.tables] + self.raw


# -- texts ----------------------------------------------------------------------------------------------------


def labels(k: int) -> dict[str, str]:
    """The words of the Dokumentation and the spreadsheets, in the current language."""
    return {
        "document": _("Dokumentation"),
        "contents": _("Inhalt"),
        "date": _("Datum"),
        "venue": _("Ort"),
        "organiser": _("Veranstalter"),
        "team": _("Moderation"),
        "generated": _("Erstellt"),
        "page": _("Seite"),
        "of": _("von"),
        "aims": _("Ziele und Leitfragen"),
        "context": _("Ausgangslage"),
        "method": _("Ablauf und Methode"),
        "agenda": _("Ablauf"),
        "participation": _("Beteiligung"),
        "questions": _("Ergebnisse je Leitfrage"),
        "votes": _("Priorisierung"),
        "recommendations": _("Handlungsempfehlungen"),
        "open_questions": _("Offene Fragen"),
        "next_steps": _("Nächste Schritte"),
        "appendix": _("Anhang: alle Karten"),
        "cards": _("Karten"),
        "more_cards": _("weitere Karten im Anhang"),
        "clustered_in": _("Zu Themen geordnet im Schritt"),
        "ballots": _("Stimmzettel"),
        "breakdown_organisation": _("Nach Organisation"),
        "breakdown_role": _("Nach Rolle"),
        "consent": _("Konsens-Check"),
        "none_open": _("Es wurden keine offenen Fragen festgehalten."),
        "none_next": _("Es wurden keine nächsten Schritte festgehalten."),
        "no_cards": _("Zu dieser Frage gibt es keine freigegebenen Karten."),
        "privacy": _(
            "Alle Beiträge wurden anonym abgegeben. Auswertungen nach Organisation und Rolle zeigen Gruppen mit "
            "weniger als %(k)s Personen nicht einzeln.",
            k=k,
        ),
        "overview": _("Übersicht"),
    }


def _mentions(count: int) -> str:
    return ngettext("%(num)d Nennung", "%(num)d Nennungen", count)


def blocks(text: str) -> list[Block]:
    """Paragraphs and bulleted lists of a text typed in a form (Markdown's ``**`` dropped).

    Lines of a paragraph are joined; a paragraph right before a list (``Leitfragen:``) leads it in.
    """
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text or "")
    result: list[Block] = []
    lead, items = "", []
    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        bullet = re.match(r"^(?:[-*•–]|\d+[.)])\s+(.*)$", line)
        if bullet:
            items.append(bullet.group(1).strip())
            continue
        if (not line or items) and (lead or items):
            result.append(Block(lead, tuple(items)))
            lead, items = "", []
        if line:
            lead = f"{lead} {line}" if lead else line
    if lead or items:
        result.append(Block(lead, tuple(items)))
    return result


def _date(value: date | datetime | None) -> str:
    return format_date(value, "long") if value else ""


# -- gathering ------------------------------------------------------------------------------------------------


def collect(workshop: Workshop, language: str | None = None) -> Report:
    """Gather the workshop's report in ``language`` (by default the workshop's: the Dokumentation's)."""
    language = language or workshop.language or "de"
    with force_locale(language):
        return _Collector(workshop, language).report()


class _Collector:
    def __init__(self, workshop: Workshop, language: str):
        self.workshop = workshop
        self.k = workshop.min_group_size
        self.language = language
        self.decimal_mark = get_decimal_symbol(self.language)
        self.activities = list(workshop.activities)

    # -- the whole ----------------------------------------------------------------------------------------

    def report(self) -> Report:
        workshop = self.workshop
        questions = self.questions()
        votes = self.votes()
        recommendations = self.recommendations()
        return Report(
            language=self.language,
            decimal_mark=self.decimal_mark,
            labels=labels(self.k),
            workshop={
                "title": workshop.title,
                "organiser": workshop.organiser,
                "venue": workshop.venue,
                "date": _date(workshop.starts_on),
                "starts_on": workshop.starts_on.isoformat() if workshop.starts_on else "",
                "state": workshop.state.label,
            },
            team=self.team(),
            generated=format_date(utcnow().date(), "long"),
            aims=blocks(workshop.description) or self.guiding_questions(),
            context=self.context(),
            agenda=self.agenda(),
            method=self.method(),
            figures=self.figures(),
            participation=[self.participation_table("organisation"), self.participation_table("role")],
            questions=questions,
            votes=votes,
            recommendations=recommendations.table,
            consent_chart_svg=recommendations.chart_svg,
            consent_chart_alt=recommendations.chart_alt,
            open_questions=recommendations.open_questions,
            next_steps=recommendations.next_steps,
            steps=self.steps(questions, votes, recommendations.table, recommendations.breakdowns),
            raw=[self.raw_cards(), self.raw_ballots(), self.raw_clusters()]
            + ([recommendations.raw] if recommendations.raw else []),
            k=self.k,
            consent_breakdowns=recommendations.breakdowns,
        )

    def team(self) -> list[str]:
        """Names of the owners and moderators (accounts without a name are left out: no e-mail addresses)."""
        memberships = db.session.scalars(
            select(Membership).where(
                Membership.workshop_id == self.workshop.id, Membership.role.in_((Role.owner, Role.moderator))
            )
        )
        return sorted({m.account.name.strip() for m in memberships if m.account.name.strip()})

    def guiding_questions(self) -> list[Block]:
        prompts = [a.prompt or a.title for a in self.activities if a.kind == "cards"]
        return [Block(_("Leitfragen:"), tuple(prompts))] if prompts else []

    def context(self) -> list[InfoSection]:
        return [
            InfoSection(
                a.title,
                blocks(a.config.get("body", "")),
                [(f["value"], f["label"]) for f in a.config.get("figures", [])],
            )
            for a in self.activities
            if a.kind == "info"
        ]

    def agenda(self) -> Table:
        table = Table(
            "ablauf",
            _("Ablauf"),
            [
                Column(_("Nr."), "int", 0.7),
                Column(_("Schritt"), "text", 3),
                Column(_("Art"), "text", 2),
                Column(_("Frage oder Auftrag"), "text", 5),
            ],
        )
        for a in self.activities:
            table.add([a.position + 1, a.title, str(KINDS[a.kind].label), a.prompt])
        return table

    def method(self) -> list[str]:
        kinds = {a.kind for a in self.activities}
        lines = [
            _(
                "Das Forum folgte der Moderationsmethode: Kartenabfrage, Clustern, Punkten und "
                "Handlungsempfehlungen. Die Teilnehmenden antworteten anonym auf ihren Smartphones; ein Konto "
                "brauchten sie nicht."
            )
        ]
        if "checkin" in kinds:
            lines.append(
                _(
                    "Beim Check-in konnten sie freiwillig ihre Organisation und Rolle angeben. Diese Angaben werden "
                    "nur zusammengefasst ausgewertet: Gruppen mit weniger als %(k)d Personen erscheinen nicht "
                    "einzeln.",
                    k=self.k,
                )
            )
        if "cards" in kinds:
            lines.append(
                _(
                    "Antworten auf die Leitfragen wurden als Karten gesammelt. Die Moderation gab sie frei, bevor "
                    "sie auf der Leinwand erschienen."
                )
            )
        if "clustering" in kinds:
            lines.append(_("Die Karten wurden anschließend gemeinsam zu Themen geordnet („Nennungen“ je Thema)."))
        if "vote" in kinds:
            lines.append(_("Themen wurden priorisiert; die Ergebnisse wurden erst nach Abschluss gezeigt."))
        if "recommendations" in kinds:
            lines.append(
                _(
                    "Aus den wichtigsten Themen entstanden Handlungsempfehlungen, zu denen das Plenum mit "
                    "„Fist-of-five“ (0 bis 5 Finger) seine Zustimmung zeigte."
                )
            )
        return lines

    # -- participation -------------------------------------------------------------------------------------

    def figures(self) -> list[tuple[str, int]]:
        workshop_id = self.workshop.id
        counts = participation_counts(workshop_id)
        steps = select(Activity.id).where(Activity.workshop_id == workshop_id)
        cards = db.session.scalar(
            select(func.count(Card.id)).where(Card.activity_id.in_(steps), Card.status == CardStatus.visible)
        )
        writers = db.session.scalar(
            select(func.count(func.distinct(Card.participant_id))).where(
                Card.activity_id.in_(steps), Card.status == CardStatus.visible
            )
        )
        voters = db.session.scalar(
            select(func.count(func.distinct(Ballot.participant_id))).where(Ballot.activity_id.in_(steps))
        )
        ballots = db.session.scalar(select(func.count(Ballot.id)).where(Ballot.activity_id.in_(steps)))
        return [
            (_("Teilnehmende (Geräte)"), counts["joined"]),
            (_("davon mit Check-in"), counts["checked_in"]),
            (_("freigegebene Karten"), cards),
            (_("Personen mit Karten"), writers),
            (_("Personen, die abgestimmt haben"), voters),
            (_("Stimmzettel"), ballots),
        ]

    def participation_table(self, by: str) -> Table:
        """Participants per organisation or role, through the one suppression of ``results``."""
        column = results.GROUPINGS[by]
        rows = db.session.execute(
            select(column, func.count(Participant.id))
            .where(Participant.workshop_id == self.workshop.id)
            .group_by(column)
        ).all()
        sizes = {(group or results.NO_ANSWER): count for group, count in rows}
        organisations, roles = results.checkin_lists(self.workshop)
        listed = organisations if by == "organisation" else roles
        order = [g for g in listed if g in sizes] + sorted(g for g in sizes if g not in listed and g)
        order += [results.NO_ANSWER] if results.NO_ANSWER in sizes else []
        table = suppression.suppressed_table(sizes, {}, self.k, order)
        heading = _("Organisation") if by == "organisation" else _("Rolle")
        result = Table(
            f"beteiligung-{'organisation' if by == 'organisation' else 'rolle'}",
            _("Teilnehmende nach Organisation") if by == "organisation" else _("Teilnehmende nach Rolle"),
            [Column(heading, "text", 3.4), Column(_("Personen"), "int", 1.4)],
            note=self.suppression_note(),
        )
        for row in table.rows:
            label = row.group or _("Ohne Angabe")
            if row.status == "shown":
                result.add([label, row.size])
            else:
                result.add([label, self.hidden_size(row.status)], HIDDEN)
        if table.rest:
            result.add([_("Übrige Gruppen zusammen"), table.rest.size])
        result.add([_("Alle"), table.total.size], TOTAL)
        return result

    def hidden_size(self, status: str) -> str:
        return f"< {self.k}" if status == "small" else "–"

    def suppression_note(self) -> str:
        return _(
            "Gruppen mit weniger als %(k)d Personen werden nicht einzeln gezeigt, sondern mit anderen zusammengefasst.",
            k=self.k,
        )

    # -- guiding questions -------------------------------------------------------------------------------

    def board_of(self, step: Activity) -> Activity | None:
        for activity in self.activities:
            if activity.kind == "clustering" and step.position in (activity.config.get("sources") or []):
                return activity
        return None

    def questions(self) -> list[Question]:
        questions = []
        for step in self.activities:
            if step.kind != "cards" or step.state is ActivityState.pending:
                continue
            cards = db.session.scalars(
                select(Card).where(Card.activity_id == step.id, Card.status == CardStatus.visible).order_by(Card.id)
            ).all()
            columns = list(step.config.get("columns") or [])
            board = self.board_of(step)
            groups = self.clustered(board, cards) if board is not None else []
            if board is not None and not any(g.kind == "cluster" for g in groups):
                board, groups = None, []  # the board stayed empty: show the cards as they came
            if board is None:
                groups = self.by_column(cards, columns)
            for group in groups:
                group.mentions = _mentions(group.count)
            question = Question(
                position=step.position,
                title=step.title,
                prompt=step.prompt,
                columns=columns,
                count=len(cards),
                authors=len({c.participant_id for c in cards}),
                board=board.title if board is not None else "",
                groups=groups,
            )
            if board is not None and columns:
                question.matrix = self.cluster_columns(question)
            questions.append(question)
        return questions

    @staticmethod
    def _card(card: Card) -> dict:
        return {"text": card.text, "column": card.column, "is_edited": card.is_edited}

    def clustered(self, board: Activity, cards: list[Card]) -> list[CardGroup]:
        by_id = {card.id: card for card in cards}
        groups = []
        placed: set[int] = set()
        placements = db.session.scalars(
            select(Placement).where(Placement.activity_id == board.id).order_by(Placement.position, Placement.id)
        ).all()
        members: dict[int, list[int]] = {}
        for placement in placements:
            members.setdefault(placement.cluster_id, []).append(placement.card_id)
        for cluster in clustering.clusters_of(board):
            inside = [by_id[i] for i in members.get(cluster.id, []) if i in by_id]
            if inside:
                groups.append(CardGroup(cluster.label, "cluster", [self._card(c) for c in inside]))
                placed.update(c.id for c in inside)
        groups.sort(key=lambda g: -g.count)  # sort() is stable: equal counts keep the board's order
        rest = [card for card in cards if card.id not in placed]
        if rest:
            groups.append(CardGroup(_("Nicht zugeordnet"), "unassigned", [self._card(c) for c in rest]))
        return groups

    def by_column(self, cards: list[Card], columns: list[str]) -> list[CardGroup]:
        if not columns:
            return [CardGroup(_("Karten"), "all", [self._card(c) for c in cards])] if cards else []
        groups = [
            CardGroup(column, "column", [self._card(c) for c in cards if c.column == column]) for column in columns
        ]
        others = [c for c in cards if c.column not in columns]
        if others:
            groups.append(CardGroup(_("Ohne Spalte"), "column", [self._card(c) for c in others]))
        return groups

    def cluster_columns(self, question: Question) -> Table:
        table = Table(
            f"themen-spalten-{question.position + 1}",
            _("Nennungen je Thema und Spalte"),
            [
                Column(_("Thema"), "text", 4),
                *[Column(c, "int", 1.4) for c in question.columns],
                Column(_("Summe"), "int", 1),
            ],
        )
        for group in question.groups:
            counts = [sum(1 for card in group.cards if card["column"] == c) for c in question.columns]
            table.add([group.label, *counts, group.count])
        return table

    # -- votes -------------------------------------------------------------------------------------------------

    def votes(self) -> list[Vote]:
        found = []
        for step in self.activities:
            if step.kind != "vote" or step.state is ActivityState.pending:
                continue
            voting.ensure_options(step)
            outcome = voting.results(step)
            method = voting.method_of(step)
            breakdowns = [results.breakdown(step, by) for by in results.GROUPINGS]
            reach = next((b["reach"] for b in breakdowns if b.get("reach")), None)
            reach_note = next((b.get("reach_note", "") for b in breakdowns if b.get("reach")), "")
            table = self.results_table(step, method, outcome, reach)
            found.append(
                Vote(
                    activity_id=step.id,
                    position=step.position,
                    title=step.title,
                    prompt=step.prompt,
                    method=method.name,
                    method_label=str(method.label),
                    rules=self.rules(method, step.config),
                    ballots=outcome["ballots"],
                    results=table,
                    chart_svg=results.chart(step),
                    chart_alt=self.chart_alt(table),
                    breakdowns=[self.breakdown_table(step, b, outcome) for b in breakdowns],
                    reach_note=reach_note if reach else "",
                )
            )
        return found

    def rules(self, method: methods.Method, config: dict) -> str:
        rules = {
            "dots": lambda: _(
                "Punkten: %(dots)d Punkte je Person, höchstens %(max)d pro Thema.",
                dots=config.get("dots", 3),
                max=config.get("max_per_option", 1),
            ),
            "points": lambda: _("Budget: %(n)d Punkte je Person, frei verteilt.", n=config.get("budget", 100)),
            "ranking": lambda: _(
                "Rangfolge der besten %(n)d Themen; Platz 1 erhält %(n)d Punkte, Platz %(n)d einen Punkt.",
                n=config.get("top_k", 3),
            ),
            "single": lambda: _("Einfachauswahl: eine Stimme je Person."),
            "multiple": lambda: _("Mehrfachauswahl: beliebig viele Stimmen je Person."),
            "scale": lambda: _("Zustimmung von 1 (stimme gar nicht zu) bis 5 (stimme voll zu)."),
            "fist": lambda: _("Fist-of-five: 0 bis 5 Finger; Konsens, wenn alle mindestens 3 Finger zeigen."),
            "matrix": lambda: _("2×2-Matrix: jedes Thema nach Wichtigkeit und Dringlichkeit eingeordnet (0 bis 1)."),
        }
        return rules[method.name]()

    def figure_columns(self, method: str) -> list[tuple[str, Column]]:
        """The result figures of a method: key in ``voting.results`` and column."""
        if method in ("dots", "points"):
            return [("total", Column(_("Punkte"), "int")), ("voters", Column(_("Personen"), "int"))]
        if method == "ranking":
            return [
                ("score", Column(_("Punktzahl"), "int")),
                ("firsts", Column(_("Platz 1"), "int")),
                ("mean_rank", Column(_("Ø Platz"), "float")),
                ("voters", Column(_("Personen"), "int")),
            ]
        if method in ("single", "multiple"):
            return [("voters", Column(_("Stimmen"), "int")), ("share", Column(_("Anteil"), "percent"))]
        if method in ("scale", "fist"):
            values = range(0, 6) if method == "fist" else range(1, 6)
            figures = [("mean", Column(_("Ø"), "float"))]
            figures += [(f"distribution.{v}", Column(str(v), "int", 0.6)) for v in values]
            figures.append(("voters", Column(_("Personen"), "int")))
            if method == "fist":
                figures.append(("objections", Column(_("Einwände"), "int")))
            return figures
        return [
            ("x", Column(_("Wichtigkeit Ø"), "float", 1.3)),
            ("y", Column(_("Dringlichkeit Ø"), "float", 1.3)),
            ("quadrant", Column(_("Feld"), "text", 2)),
            ("voters", Column(_("Personen"), "int")),
        ]

    def results_table(self, step: Activity, method: methods.Method, outcome: dict, reach: dict | None) -> Table:
        figures = self.figure_columns(method.name)
        columns = [Column(_("Nr."), "int", 0.7)]
        if method.is_ranked:
            columns.append(Column(_("Rang"), "int", 1))
        columns.append(Column(_("Thema") if method.name != "scale" else _("Aussage"), "text", 4))
        columns += [column for _key, column in figures]
        if reach:
            columns.append(Column(_("Reichweite"), "text", 3.5))
        table = Table(f"ergebnis-{step.position + 1}", _("Ergebnis: %(title)s", title=step.title), columns)
        quadrants = {
            "both": _("wichtig & dringend"),
            "important": _("wichtig"),
            "urgent": _("dringend"),
            "neither": _("weder noch"),
        }
        for number, option in enumerate(outcome["options"], start=1):
            row = [number]
            if method.is_ranked:
                row.append(option.get("rank"))
            row.append(option["label"])
            for key, _column in figures:
                if key.startswith("distribution."):
                    value = option.get("distribution", {}).get(key.split(".", 1)[1], 0)
                elif key == "quadrant":
                    value = quadrants.get(option.get("quadrant"), "")
                else:
                    value = option.get(key)
                row.append(value)
            if reach:
                row.append(reach.get(str(option["id"]), {}).get("text", ""))
            table.add(row)
        return table

    def chart_alt(self, table: Table) -> str:
        """The chart in words (PDF/UA and screen readers): each topic with its first figure."""
        label_at = next(i for i, c in enumerate(table.columns) if c.kind == "text")
        value_at = label_at + 1
        unit = table.columns[value_at].label
        parts = [f"{row[label_at]}: {row[value_at] if row[value_at] is not None else '–'}" for row in table.rows]
        return _("Diagramm (%(unit)s): %(parts)s", unit=unit, parts="; ".join(parts)) if parts else ""

    def breakdown_table(self, step: Activity, breakdown: dict, outcome: dict) -> Table:
        """A breakdown of ``results.breakdown`` as a table: groups × topics (topics by their number)."""
        by = breakdown["by"]
        method = breakdown["method"]
        numbers = {option["id"]: n for n, option in enumerate(outcome["options"], start=1)}
        options = breakdown["options"]
        if method in ("dots", "points"):
            key, kind, what = "total", "int", _("Punkte")
        elif method in ("ranking", "single", "multiple"):
            key, kind, what = "voters", "int", _("Personen, die das Thema gewählt haben")
        elif method == "matrix":
            key, kind, what = "xy", "text", _("Ø Wichtigkeit / Ø Dringlichkeit")
        else:
            key, kind, what = "mean", "float", _("Ø Zustimmung")
        heading = _("Organisation") if by == "organisation" else _("Rolle")
        columns = [Column(heading, "text", 4), Column(_("Personen"), "int", 1.6)]
        columns += [Column(o["label"], kind, 1, short=str(numbers.get(o["id"], ""))) for o in options]
        table = Table(
            f"aufschluesselung-{step.position + 1}-{'organisation' if by == 'organisation' else 'rolle'}",
            (_("%(title)s nach Organisation") if by == "organisation" else _("%(title)s nach Rolle"))
            % {"title": step.title},
            columns,
            note=f"{what}. {breakdown['note']}",
        )

        def cells(row: dict) -> list:
            values = []
            for option in options:
                cell = (row["cells"] or {}).get(str(option["id"]))
                if cell is None:
                    values.append(None if row["cells"] is None else 0 if kind == "int" else None)
                elif key == "xy":
                    x, y = cell.get("x"), cell.get("y")
                    values.append(f"{x:.2f} / {y:.2f}".replace(".", self.decimal_mark) if x is not None else None)
                else:
                    values.append(cell.get(key))
            return values

        for row in breakdown["rows"]:
            if row["status"] == "shown":
                table.add([row["label"], row["size"], *cells(row)])
            else:
                table.add([row["label"], row["size_text"], *[None] * len(options)], HIDDEN)
        if breakdown["rest"]:
            table.add([breakdown["rest"]["label"], breakdown["rest"]["size"], *cells(breakdown["rest"])])
        total = breakdown["total"]
        table.add([total["label"], total["size"], *cells(total)], TOTAL)
        return table

    # -- recommendations --------------------------------------------------------------------------------------

    def recommendations(self) -> "_Recommendations":
        steps = [a for a in self.activities if a.kind == "recommendations"]
        found = _Recommendations()
        items = [(step, r) for step in steps for r in recommendation_services.recommendations_of(step)]
        if not items:
            return found
        statuses = recommendation_services.status_labels()
        priorities = recommendation_services.priority_labels()
        has_check = any(step.config.get("has_consent_check", True) for step in steps)
        fields = [
            Column(_("Thema"), "text", 2.2),
            Column(_("Empfehlung"), "text", 4),
            Column(_("Begründung"), "text", 3.6),
            Column(_("Zuständigkeit"), "text", 2),
            Column(_("Beteiligte"), "text", 2),
            Column(_("Zeitrahmen"), "text", 1.7),
            Column(_("Priorität"), "text", 1.5),
            Column(_("Status"), "text", 1.6),
        ]
        consent_column = [Column(_("Konsens"), "text", 1.8)] if has_check else []
        found.table = Table(
            "empfehlungen", _("Handlungsempfehlungen"), [Column(_("Nr."), "int", 0.7), *fields, *consent_column]
        )
        found.raw = Table(
            "empfehlungen-daten",
            _("Empfehlungen"),
            [
                Column(_("Nr."), "int", 0.7),
                Column(_("Schritt"), "text", 2),
                *fields,
                Column(_("Grundlage"), "text", 3),
                Column(_("Antworten"), "int"),
                *[Column(_("%(n)d Finger", n=n), "int", 0.8) for n in range(6)],
                Column(_("Ø Finger"), "float"),
                Column(_("Einwände"), "int"),
                Column(_("Einwände in Worten"), "text", 4),
            ],
        )
        next_steps = Table(
            "naechste-schritte",
            _("Nächste Schritte"),
            [
                Column(_("Nr."), "int", 0.7),
                Column(_("Thema"), "text", 4),
                Column(_("Zuständigkeit"), "text", 2.4),
                Column(_("Beteiligte"), "text", 2.4),
                Column(_("Zeitrahmen"), "text", 1.8),
                Column(_("Status"), "text", 2),
            ],
        )
        chart_options = []
        for number, (step, item) in enumerate(items, start=1):
            consent = recommendation_services.consent_result(item)
            status = statuses.get(item.status.value, item.status.value)
            values = [
                item.topic,
                item.text,
                item.rationale,
                item.responsible,
                item.involved,
                item.timeframe,
                priorities.get(item.priority, item.priority),
                status,
            ]
            found.table.add([number, *values, *([self.consent_text(consent)] if has_check else [])])
            found.raw.add(
                [
                    number,
                    step.title,
                    *values,
                    self.basis(item),
                    consent["count"],
                    *consent["distribution"],
                    consent["average"],
                    consent["dissent_count"],
                    " | ".join(d["text"] for d in consent["dissent"]),
                ]
            )
            if consent["count"]:
                chart_options.append(self.consent_option(number, item, consent))
            if consent["count"] and not consent["is_consensus"]:
                objections = ngettext("%(num)d Einwand", "%(num)d Einwände", consent["dissent_count"])
                found.open_questions.append(
                    _(
                        "Empfehlung %(n)d „%(topic)s“: %(objections)s.",
                        n=number,
                        topic=item.topic,
                        objections=objections,
                    )
                    + self.dissent(consent["dissent"])
                )
            elif item.status.value == "draft":
                found.open_questions.append(
                    _("Empfehlung %(n)d „%(topic)s“ ist noch ein Entwurf.", n=number, topic=item.topic)
                )
            if item.status.value in ("agreed", "in_progress") or item.responsible or item.timeframe:
                next_steps.add([number, item.topic, item.responsible, item.involved, item.timeframe, status])
        found.next_steps = next_steps if next_steps.rows else None
        if has_check:
            found.breakdowns = [
                table for by in results.GROUPINGS if (table := self.consent_breakdown_table(items, by)).rows
            ]
        if chart_options:
            found.chart_svg = charts.chart(
                {"method": "fist", "options": chart_options},
                results.chart_words(),
                title=_("Konsens-Check"),
                decimal_mark=self.decimal_mark,
            )
            found.chart_alt = _(
                "Diagramm (Konsens-Check): %(parts)s",
                parts="; ".join(f"{o['label']}: {self.consent_text_short(o)}" for o in chart_options),
            )
        return found

    def consent_breakdown_table(self, items: list[tuple[Activity, Recommendation]], by: str) -> Table:
        """Every answered consent check by organisation or role (``results.consent_breakdown``): one block
        of rows per recommendation, small groups suppressed, each block ending with its total."""
        heading = _("Organisation") if by == "organisation" else _("Rolle")
        columns = [Column(_("Nr."), "int", 0.7), Column(heading, "text", 4), Column(_("Personen"), "int", 1.4)]
        columns += [Column(_("%(n)d Finger", n=n), "int", 0.9, short=str(n)) for n in range(6)]
        columns += [Column(_("Ø Finger"), "float", 1.1), Column(_("Einwände"), "int", 1.2)]
        table = Table(
            f"konsens-{'organisation' if by == 'organisation' else 'rolle'}",
            _("Konsens-Check nach Organisation") if by == "organisation" else _("Konsens-Check nach Rolle"),
            columns,
        )
        for number, (_step, item) in enumerate(items, start=1):
            breakdown = results.consent_breakdown(item, by)
            if not breakdown["answers"]:
                continue
            table.note = breakdown["note"]
            for row in [*breakdown["rows"], *([breakdown["rest"]] if breakdown["rest"] else [])]:
                if row["cells"] is None:
                    table.add([number, row["label"], row["size_text"], *[None] * 8], HIDDEN)
                else:
                    table.add([number, row["label"], row["size"], *self.consent_cells(row["cells"])])
            total = breakdown["total"]
            table.add([number, total["label"], total["size"], *self.consent_cells(total["cells"])], TOTAL)
        return table

    @staticmethod
    def consent_cells(figures: dict) -> list:
        return [*figures["distribution"], figures["average"], figures["dissent"]]

    def basis(self, item: Recommendation) -> str:
        """What a recommendation builds on: its linked clusters and topics, by name."""
        names = []
        for link in item.links:
            if link.cluster_id:
                cluster = db.session.get(Cluster, link.cluster_id)
                names.append(_("Cluster „%(label)s“", label=cluster.label) if cluster else "")
            if link.option_id:
                option = db.session.get(Option, link.option_id)
                names.append(_("Thema „%(label)s“", label=option.label) if option else "")
        return "; ".join(name for name in names if name)

    @staticmethod
    def dissent(dissent: list[dict]) -> str:
        """The objections in words, each text once: " – „Finanzierung ungeklärt“ (3×)"."""
        counts = Counter(d["text"] for d in dissent)
        return "".join(f" – „{text}“" + (f" ({count}×)" if count > 1 else "") for text, count in counts.items())

    def consent_text(self, consent: dict) -> str:
        if not consent["count"]:
            return _("kein Konsens-Check")
        answers = ngettext("%(num)d Antwort", "%(num)d Antworten", consent["count"])
        average = f"{consent['average']:.1f}".replace(".", self.decimal_mark)
        if consent["is_consensus"]:
            return _("Konsens (%(answers)s, Ø %(average)s)", answers=answers, average=average)
        objections = ngettext("%(num)d Einwand", "%(num)d Einwände", consent["dissent_count"])
        return f"{objections} ({answers}, Ø {average})"

    def consent_text_short(self, option: dict) -> str:
        return (
            _("Konsens") if option["passes"] else ngettext("%(num)d Einwand", "%(num)d Einwände", option["objections"])
        )

    def consent_option(self, number: int, item: Recommendation, consent: dict) -> dict:
        """A recommendation's consent as the fist-of-five figures the shared chart draws."""
        distribution = consent["distribution"]
        voters = consent["count"]
        return {
            "id": item.id,
            "label": f"{number}. {item.topic}",
            "voters": voters,
            "distribution": {str(v): distribution[v] for v in range(6)},
            "mean": sum(v * distribution[v] for v in range(6)) / voters,
            "passes": consent["is_consensus"],
            "objections": sum(distribution[v] for v in range(methods.FIST_PASS)),
        }

    # -- one sheet per step --------------------------------------------------------------------------------------

    def steps(
        self,
        questions: list[Question],
        votes: list[Vote],
        recommendations: Table | None,
        consent_breakdowns: list[Table] = (),
    ) -> list[StepSheet]:
        by_position_q = {q.position: q for q in questions}
        by_position_v = {v.position: v for v in votes}
        sheets = []
        for step in self.activities:
            kind = str(KINDS[step.kind].label)
            lines = [line for line in (step.prompt,) if line]
            sheet = StepSheet(step.position, step.title, kind, lines, [])
            if step.kind == "info":
                lines += [b.text for b in blocks(step.config.get("body", "")) if b.text]
                figures = Table(
                    f"schritt-{step.position + 1}-kennzahlen",
                    step.title,
                    [Column(_("Wert"), "text", 1.5), Column(_("Bedeutung"), "text", 5)],
                )
                for figure in step.config.get("figures", []):
                    figures.add([figure["value"], figure["label"]])
                if figures.rows:
                    sheet.tables.append(figures)
            elif step.kind == "checkin":
                sheet.tables += [self.participation_table("organisation"), self.participation_table("role")]
            elif step.kind == "cards" and step.position in by_position_q:
                sheet.tables.append(self.question_table(by_position_q[step.position]))
                if by_position_q[step.position].matrix:
                    sheet.tables.append(by_position_q[step.position].matrix)
            elif step.kind == "clustering":
                sheet.tables.append(self.board_table(step))
            elif step.kind == "vote" and step.position in by_position_v:
                vote = by_position_v[step.position]
                sheet.lines.append(vote.rules)
                sheet.lines.append(f"{_('Stimmzettel')}: {vote.ballots}")
                sheet.tables += [vote.results, *vote.breakdowns]
                label_at = next(i for i, c in enumerate(vote.results.columns) if c.kind == "text")
                sheet.chart_categories, sheet.chart_values = label_at, label_at + 1
            elif step.kind == "recommendations" and recommendations is not None:
                sheet.tables.append(recommendations)
                sheet.tables += consent_breakdowns
            if sheet.tables:
                sheets.append(sheet)
        return sheets

    def question_table(self, question: Question) -> Table:
        columns = [Column(_("Nr."), "int", 0.7), Column(_("Karte"), "text", 6)]
        if question.columns:
            columns.append(Column(_("Spalte"), "text", 1.6))
        group_heading = _("Thema") if question.is_clustered else (_("Spalte") if question.columns else None)
        if group_heading and question.is_clustered:
            columns.append(Column(group_heading, "text", 2.4))
        table = Table(f"karten-{question.position + 1}", question.title, columns)
        number = 0
        for group in question.groups:
            for card in group.cards:
                number += 1
                row = [number, card["text"]]
                if question.columns:
                    row.append(card["column"])
                if question.is_clustered:
                    row.append(group.label if group.kind == "cluster" else "")
                table.add(row)
        return table

    def board_table(self, board: Activity) -> Table:
        counts = recommendation_services.cluster_counts(board)
        table = Table(
            f"themen-{board.position + 1}",
            _("Themen: %(title)s", title=board.title),
            [Column(_("Nr."), "int", 0.7), Column(_("Thema"), "text", 5), Column(_("Nennungen"), "int", 1.2)],
        )
        for number, cluster in enumerate(clustering.clusters_of(board), start=1):
            table.add([number, cluster.label, counts.get(cluster.id, 0)])
        return table

    # -- raw data ---------------------------------------------------------------------------------------------------

    def raw_cards(self) -> Table:
        steps = {a.id: a for a in self.activities}
        table = Table(
            "karten",
            _("Karten"),
            [
                Column(_("Karte"), "int", 0.7),
                Column(_("Schritt"), "text", 2.5),
                Column(_("Spalte"), "text", 1.5),
                Column(_("Text"), "text", 6),
                Column(_("Status"), "text", 1.4),
                Column(_("Bearbeitet"), "text", 1),
                Column(_("Hinweis auf persönliche Daten"), "text", 1.5),
            ],
        )
        cards = db.session.scalars(
            select(Card)
            .where(Card.activity_id.in_(list(steps)), Card.status.in_(RAW_STATUSES))
            .order_by(Card.activity_id, Card.id)
        )
        yes, no = _("ja"), _("nein")
        for number, card in enumerate(sorted(cards, key=lambda c: (steps[c.activity_id].position, c.id)), start=1):
            table.add(
                [
                    number,
                    steps[card.activity_id].title,
                    card.column,
                    card.text,
                    card.status.label,
                    yes if card.is_edited else no,
                    ", ".join(card.personal_data),
                ]
            )
        return table

    def raw_ballots(self) -> Table:
        """Every ballot entry; ballots are numbered per step, with nothing that links them to a person."""
        table = Table(
            "stimmzettel",
            _("Stimmzettel"),
            [
                Column(_("Schritt"), "text", 2.5),
                Column(_("Stimmzettel"), "int", 1),
                Column(_("Thema"), "text", 4),
                Column(_("Wert"), "int", 0.8),
                Column(_("Wichtigkeit"), "float", 1),
                Column(_("Dringlichkeit"), "float", 1),
            ],
        )
        for step in self.activities:
            if step.kind != "vote":
                continue
            rows = db.session.execute(
                select(Ballot.id, Option.label, BallotEntry.value, BallotEntry.x, BallotEntry.y)
                .join(BallotEntry, BallotEntry.ballot_id == Ballot.id)
                .join(Option, Option.id == BallotEntry.option_id)
                .where(Ballot.activity_id == step.id)
                .order_by(Ballot.id, Option.position)
            ).all()
            numbers: dict[int, int] = {}
            for ballot_id, label, value, x, y in rows:
                number = numbers.setdefault(ballot_id, len(numbers) + 1)
                table.add([step.title, number, label, value, x, y])
        return table

    def raw_clusters(self) -> Table:
        table = Table(
            "cluster",
            _("Cluster"),
            [
                Column(_("Schritt"), "text", 2.5),
                Column(_("Thema"), "text", 3),
                Column(_("Karte"), "text", 6),
                Column(_("Frage"), "text", 2.5),
            ],
        )
        steps = {a.id: a for a in self.activities}
        for board in self.activities:
            if board.kind != "clustering":
                continue
            rows = db.session.execute(
                select(Placement.cluster_id, Card.text, Card.activity_id)
                .join(Card, Card.id == Placement.card_id)
                .where(Placement.activity_id == board.id, Card.status == CardStatus.visible)
                .order_by(Placement.position, Placement.id)
            ).all()
            cards: dict[int, list] = {}
            for cluster_id, text, step_id in rows:
                cards.setdefault(cluster_id, []).append((text, steps[step_id].title if step_id in steps else ""))
            for cluster in clustering.clusters_of(board):
                for text, question in cards.get(cluster.id, []):
                    table.add([board.title, cluster.label, text, question])
        return table

"""Results of voting steps and consent checks for people: breakdowns by organisation and role, reach, charts.

Every breakdown goes through ``results.suppression`` (small groups hidden, also from totals), on
every screen and in every export; there is no other way to a per-group figure.
"""

import logging

from babel.numbers import get_decimal_symbol
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from facilitation.activities.models import Activity
from facilitation.extensions import db
from facilitation.modeling import DomainError
from facilitation.participation.models import Participant
from facilitation.recommendations.models import ConsentVote, Recommendation
from facilitation.recommendations.services import DISSENT_UP_TO
from facilitation.results import charts, suppression
from facilitation.voting import methods
from facilitation.voting import services as voting
from facilitation.voting.models import Ballot, BallotEntry
from facilitation.workshops.models import Workshop

logger = logging.getLogger(__name__)

#: What a breakdown can group voters by: the check-in answers.
GROUPINGS = {"organisation": Participant.organisation, "role": Participant.role}
#: The group of voters who gave no answer at check-in.
NO_ANSWER = ""
#: Dative plurals for "in 7 von 8 …" of common organisation families (first word of their names).
FAMILY_PLURALS = {
    "Jugendamt": _l("Jugendämtern"),
    "Landkreis": _l("Landkreisen"),
    "Amt": _l("Ämtern"),
    "Schule": _l("Schulen"),
    "Kita": _l("Kitas"),
    "Träger": _l("Trägern"),
    "Gemeinde": _l("Gemeinden"),
    "Stadt": _l("Städten"),
    "Hochschule": _l("Hochschulen"),
    "Beratungsstelle": _l("Beratungsstellen"),
}


class ResultsError(DomainError):
    """A results request the rules refuse."""


def checkin_lists(workshop: Workshop) -> tuple[list[str], list[str]]:
    """The organisations and roles of the workshop's check-in steps, in agenda order."""
    organisations: dict[str, None] = {}
    roles: dict[str, None] = {}
    for activity in workshop.activities:
        if activity.kind == "checkin":
            organisations.update(dict.fromkeys(activity.config.get("organisations", [])))
            roles.update(dict.fromkeys(activity.config.get("roles", [])))
    return list(organisations), list(roles)


def _group_label(group: str) -> str:
    return group or _("Ohne Angabe")


def _cell(method: methods.Method, figures: dict) -> dict:
    """What a table shows of a cell, worked out from its additive figures."""
    voters = figures.get("voters", 0)
    if method.name == "matrix":
        steps = methods.MATRIX_STEPS
        return {
            "voters": voters,
            "x": round(figures["sum_x"] / voters / steps, 2) if voters else None,
            "y": round(figures["sum_y"] / voters / steps, 2) if voters else None,
        }
    if not method.has_choices:
        return {"voters": voters, "mean": round(figures["total"] / voters, 2) if voters else None}
    return {"voters": voters, "total": figures.get("total", 0)}


def _row(method, row: suppression.Row, label: str, k: int) -> dict:
    return {
        "label": label,
        "status": row.status,
        "size": row.size,
        "size_text": str(row.size) if row.size is not None else (f"< {k}" if row.status == "small" else "–"),
        "cells": {str(option): _cell(method, figures) for option, figures in row.cells.items()} if row.cells else None,
    }


def _group_order(workshop: Workshop, by: str, sizes: dict) -> list[str]:
    """The groups as the check-in lists them, then the others alphabetically, "no answer" last."""
    organisations, roles = checkin_lists(workshop)
    listed = organisations if by == "organisation" else roles
    order = [g for g in listed if g in sizes] + sorted(g for g in sizes if g not in listed and g != NO_ANSWER)
    return order + ([NO_ANSWER] if NO_ANSWER in sizes else [])


def _note(k: int) -> str:
    return _(
        "Gruppen mit weniger als %(k)d Personen werden nicht einzeln gezeigt, sondern mit anderen zusammengefasst.",
        k=k,
    )


def reach_text(reached: int, of: int, family: str | None = None) -> str:
    """ "in 7 von 8 Jugendämtern", or "in 9 von 13 Organisationen"."""
    if family is None:
        return _("in %(x)d von %(y)d Organisationen", x=reached, y=of)
    plural = FAMILY_PLURALS.get(family)
    if plural is None:
        return _("in %(x)d von %(y)d Organisationen „%(family)s …“", x=reached, y=of, family=family)
    return _("in %(x)d von %(y)d %(family)s", x=reached, y=of, family=str(plural))


def breakdown(activity: Activity, by: str) -> dict:
    """The step's results per organisation or role: group sizes and figures per topic, small groups
    suppressed (see ``results.suppression``), and for organisations the reach of every topic."""
    if by not in GROUPINGS:
        raise ResultsError(_l("Unbekannte Aufschlüsselung."), code="invalid")
    if activity.kind != "vote":
        raise ResultsError(_l("Nur Abstimmungen haben eine Aufschlüsselung."), code="wrong_step")
    workshop = activity.workshop
    k = workshop.min_group_size
    method = voting.method_of(activity)
    column = GROUPINGS[by]
    rows = db.session.execute(
        select(column, Ballot.participant_id, BallotEntry.option_id, BallotEntry.value, BallotEntry.x, BallotEntry.y)
        .join(Ballot, Ballot.id == BallotEntry.ballot_id)
        .join(Participant, Participant.id == Ballot.participant_id)
        .where(Ballot.activity_id == activity.id)
    ).all()
    options = voting.options_of(activity)
    visible = {o.id for o in options}
    members: dict[str, set[int]] = {}
    cells: dict[str, dict[int, dict]] = {}
    chose: dict[int, set[str]] = {}
    for group, participant_id, option_id, value, x, y in rows:
        group = group or NO_ANSWER
        members.setdefault(group, set()).add(participant_id)
        if option_id not in visible:
            continue
        figures = cells.setdefault(group, {}).setdefault(option_id, dict.fromkeys(suppression.ADDITIVE, 0))
        figures["voters"] += 1
        figures["total"] += value
        figures["sum_x"] += methods.to_steps(x) if x is not None else 0
        figures["sum_y"] += methods.to_steps(y) if y is not None else 0
        chose.setdefault(option_id, set()).add(group)
    sizes = {group: len(ids) for group, ids in members.items()}
    organisations, _roles = checkin_lists(workshop)
    table = suppression.suppressed_table(sizes, cells, k, _group_order(workshop, by, sizes))
    ranked = voting.results(activity)["options"]
    result = {
        "activity_id": activity.id,
        "by": by,
        "k": k,
        "method": method.name,
        "ballots": table.total.size,
        "options": [{"id": o["id"], "label": o["label"]} for o in ranked],
        "rows": [_row(method, row, _group_label(row.group), k) for row in table.rows],
        "rest": _row(method, table.rest, _("Übrige Gruppen zusammen"), k) if table.rest else None,
        "total": _row(method, table.total, _("Alle"), k),
        "note": _note(k),
        "reach": None,
    }
    if by == "organisation" and method.has_choices and organisations:
        result["reach"] = _reach(organisations, sizes, chose, k, ranked)
        result["reach_note"] = _(
            "Reichweite: Organisationen mit mindestens %(k)d Abstimmenden, von denen jemand das Thema gewählt hat.",
            k=k,
        )
    return result


def _reach(organisations: list[str], sizes: dict, chose: dict, k: int, ranked: list[dict]) -> dict:
    families = suppression.families(organisations)
    reach = {}
    for option in ranked:
        picked = chose.get(option["id"], set())
        overall = suppression.reach(organisations, sizes, picked, k)
        texts = [reach_text(overall.reached, overall.of)]
        parts = []
        for family, names in families.items():
            part = suppression.reach(names, sizes, picked, k)
            parts.append({"family": family, "reached": part.reached, "of": part.of, "uncounted": part.uncounted})
            texts.insert(0, reach_text(part.reached, part.of, family))
        reach[str(option["id"])] = {
            "reached": overall.reached,
            "of": overall.of,
            "uncounted": overall.uncounted,
            "families": parts,
            "text": " · ".join(texts),
        }
    return reach


# -- consent checks ------------------------------------------------------------------------------------------

#: The columns of a consent breakdown: one per number of fingers, and all answers (their sum of fingers).
CONSENT_COLUMNS = (*(f"fingers_{n}" for n in range(6)), "all")


def consent_breakdown(recommendation: Recommendation, by: str) -> dict:
    """A consent check's answers per organisation or role: answers, fingers 0–5, average and dissent,
    small groups suppressed like every breakdown (``results.suppression``); reasons are never split up."""
    if by not in GROUPINGS:
        raise ResultsError(_l("Unbekannte Aufschlüsselung."), code="invalid")
    workshop = recommendation.activity.workshop
    k = workshop.min_group_size
    rows = db.session.execute(
        select(GROUPINGS[by], ConsentVote.fingers)
        .join(Participant, Participant.id == ConsentVote.participant_id)
        .where(ConsentVote.recommendation_id == recommendation.id)
    ).all()
    sizes: dict[str, int] = {}
    cells: dict[str, dict[str, dict]] = {}
    for group, fingers in rows:  # one answer per person and recommendation (a unique constraint)
        group = group or NO_ANSWER
        sizes[group] = sizes.get(group, 0) + 1
        columns = cells.setdefault(group, {c: dict.fromkeys(suppression.ADDITIVE, 0) for c in CONSENT_COLUMNS})
        columns[f"fingers_{fingers}"]["voters"] += 1
        columns["all"]["voters"] += 1
        columns["all"]["total"] += fingers
    table = suppression.suppressed_table(sizes, cells, k, _group_order(workshop, by, sizes))
    return {
        "recommendation_id": recommendation.id,
        "by": by,
        "k": k,
        "answers": table.total.size,
        "rows": [_consent_row(row, _group_label(row.group), k) for row in table.rows],
        "rest": _consent_row(table.rest, _("Übrige Gruppen zusammen"), k) if table.rest else None,
        "total": _consent_row(table.total, _("Alle"), k),
        "note": _note(k),
    }


def _consent_row(row: suppression.Row, label: str, k: int) -> dict:
    cells = None
    if row.cells:
        distribution = [row.cells[f"fingers_{n}"]["voters"] for n in range(6)]
        answers = row.cells["all"]["voters"]
        cells = {
            "answers": answers,
            "distribution": distribution,
            "average": round(row.cells["all"]["total"] / answers, 1) if answers else None,
            "dissent": sum(distribution[: DISSENT_UP_TO + 1]),
        }
    return {
        "label": label,
        "status": row.status,
        "size": row.size,
        "size_text": str(row.size) if row.size is not None else (f"< {k}" if row.status == "small" else "–"),
        "cells": cells,
    }


# -- charts -----------------------------------------------------------------------------------------------


def chart_words() -> charts.Words:
    """The chart's words in the current language."""
    return charts.Words(
        nobody=_("Noch keine Stimmen"),
        importance=_("Wichtigkeit"),
        urgency=_("Dringlichkeit"),
        quadrants=(_("wichtig & dringend"), _("wichtig"), _("dringend"), _("weder noch")),
        low=_("gering"),
        high=_("hoch"),
        mean=_("Ø"),
        passes=_("Konsens ✓"),
        objections=_("Einwände"),
        scale_hint=_("1 = stimme gar nicht zu, 5 = stimme voll zu"),
        fist_hint=_("0 = Veto, 3 = mittragen, 5 = volle Zustimmung"),
    )


def chart(activity: Activity, *, for_screen: bool = False) -> str:
    """The step's results as SVG; ``for_screen`` (projector, phones) refuses results that are not visible."""
    if activity.kind != "vote":
        raise ResultsError(_l("Nur Abstimmungen haben ein Diagramm."), code="wrong_step")
    if for_screen and not voting.results_visible(activity):
        raise ResultsError(_l("Die Ergebnisse sind noch nicht aufgedeckt."), code="hidden")
    decimal_mark = get_decimal_symbol(str(get_locale() or "de"))
    return charts.chart(voting.results(activity), chart_words(), title=activity.title, decimal_mark=decimal_mark)

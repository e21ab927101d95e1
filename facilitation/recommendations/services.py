"""Handlungsempfehlungen: drafted by the moderators from clusters and voted topics, checked for consent.

A recommendations step draws on the clustering and voting steps named in its ``sources``. Drafting
from a cluster or a topic fills in the Begründung with its figures ("12 Nennungen", points and rank
in the vote), which the moderator may edit. The moderator shows one recommendation at a time on the
screens and may open a consent check on it: phones answer with fist-of-five (0–5 fingers, dissent in
words for 0–2), may change their answer while the check is open, and a resent command changes
nothing. The result is the distribution, "Konsens" when everyone shows three fingers or more, else the
dissent. Breakdowns by organisation and role are the results domain's (``results.consent_breakdown``,
small groups suppressed there, once).
"""

import logging
from collections import Counter
from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from facilitation.accounts.models import Account
from facilitation.activities.models import Activity, ActivityState
from facilitation.clustering import services as clustering
from facilitation.clustering.models import Cluster, Placement
from facilitation.extensions import db
from facilitation.modeling import DomainError, utcnow
from facilitation.participation.models import Card, CardStatus, Participant
from facilitation.participation.services import clean_text
from facilitation.realtime import broadcast, payloads, rooms
from facilitation.recommendations.models import ConsentVote, Recommendation, RecommendationLink, RecommendationStatus
from facilitation.voting import services as voting
from facilitation.voting.models import Option
from facilitation.workshops import services as workshop_services

logger = logging.getLogger(__name__)

#: Longest text per field, as the columns allow.
LIMITS = {
    "topic": 200,
    "text": 5000,
    "rationale": 5000,
    "responsible": 200,
    "involved": 300,
    "timeframe": 120,
    "priority": 40,
}
PRIORITIES = ("hoch", "mittel", "niedrig")
MAX_RECOMMENDATIONS = 100
DISSENT_MAX = 500
#: Fingers up to which a vote counts as dissent (and its reason is recorded).
DISSENT_UP_TO = 2
#: Voting methods with a figure worth quoting: (its unit, its key in the vote's results).
FIGURES = {
    "dots": ("points", "total"),
    "points": ("points", "total"),
    "ranking": ("points", "score"),
    "single": ("votes", "voters"),
    "multiple": ("votes", "voters"),
}


class RecommendationError(DomainError):
    """A request about recommendations the rules refuse."""


def priority_labels() -> dict[str, str]:
    return {"hoch": str(_l("hoch")), "mittel": str(_l("mittel")), "niedrig": str(_l("niedrig"))}


def status_labels() -> dict[str, str]:
    return {
        "draft": str(_l("Entwurf")),
        "agreed": str(_l("Beschlossen")),
        "in_progress": str(_l("In Umsetzung")),
        "done": str(_l("Erledigt")),
    }


# -- reading -----------------------------------------------------------------------------------------


def require_step(activity: Activity) -> Activity:
    if activity.kind != "recommendations":
        raise RecommendationError(_l("Dieser Schritt ist keine Sammlung von Handlungsempfehlungen."), code="wrong_step")
    return activity


def recommendations_of(activity: Activity) -> list[Recommendation]:
    return list(
        db.session.scalars(
            select(Recommendation).where(Recommendation.activity_id == activity.id).order_by(Recommendation.position)
        )
    )


def current_of(activity: Activity) -> Recommendation | None:
    """The recommendation on the screens: the one shown last."""
    return db.session.scalar(
        select(Recommendation)
        .where(Recommendation.activity_id == activity.id, Recommendation.shown_at.is_not(None))
        .order_by(Recommendation.shown_at.desc(), Recommendation.id.desc())
        .limit(1)
    )


def consent_result(recommendation: Recommendation) -> dict:
    """Fist-of-five figures: answers per number of fingers, consensus, and the dissent in words."""
    votes = list(
        db.session.scalars(
            select(ConsentVote).where(ConsentVote.recommendation_id == recommendation.id).order_by(ConsentVote.id)
        )
    )
    fingers = Counter(vote.fingers for vote in votes)
    dissent = [vote for vote in votes if vote.fingers <= DISSENT_UP_TO]
    return {
        "count": len(votes),
        "distribution": [fingers.get(n, 0) for n in range(6)],
        "is_consensus": bool(votes) and not dissent,
        "dissent_count": len(dissent),
        "dissent": [{"fingers": vote.fingers, "text": vote.dissent} for vote in dissent if vote.dissent],
        "average": round(sum(vote.fingers for vote in votes) / len(votes), 1) if votes else None,
    }


def _links(recommendation: Recommendation) -> tuple[list[int], list[int]]:
    return (
        [link.cluster_id for link in recommendation.links if link.cluster_id],
        [link.option_id for link in recommendation.links if link.option_id],
    )


def _payload(recommendation: Recommendation, *, for_moderator: bool) -> dict:
    cluster_ids, option_ids = _links(recommendation)
    data = payloads.recommendation(recommendation, cluster_ids, option_ids)
    if for_moderator or not recommendation.is_consent_open:
        data["consent"] = consent_result(recommendation)
    else:  # while the check runs, the room sees how many answered, not how
        data["consent"] = {"count": consent_result(recommendation)["count"]}
    return data


def view(activity: Activity, screen: str, participant: Participant | None = None) -> dict:
    """What a screen shows of the step: consoles everything, the projector and phones the current one."""
    current = current_of(activity)
    data = {
        "activity_id": activity.id,
        "current_id": current.id if current else None,
        "has_consent_check": bool(activity.config.get("has_consent_check", True)),
    }
    if screen == "console":
        data["recommendations"] = [_payload(r, for_moderator=True) for r in recommendations_of(activity)]
        data["sources"] = drafting_sources(activity)
        data["priorities"] = priority_labels()
        data["statuses"] = status_labels()
        return data
    data["current"] = _payload(current, for_moderator=False) if current else None
    data["total"] = db.session.scalar(
        select(func.count(Recommendation.id)).where(Recommendation.activity_id == activity.id)
    )
    if screen == "phone" and participant is not None:
        data["own"] = {
            str(vote.recommendation_id): {"fingers": vote.fingers, "dissent": vote.dissent}
            for vote in db.session.scalars(
                select(ConsentVote)
                .join(Recommendation)
                .where(Recommendation.activity_id == activity.id, ConsentVote.participant_id == participant.id)
            )
        }
    return data


# -- what recommendations draw on --------------------------------------------------------------------


def _source_steps(activity: Activity, kind: str) -> list[Activity]:
    positions = set(activity.config.get("sources") or [])
    return [a for a in activity.workshop.activities if a.position in positions and a.kind == kind]


def cluster_counts(board: Activity) -> dict[int, int]:
    """Cards per cluster of a board ("n Nennungen"), approved cards only."""
    rows = db.session.execute(
        select(Placement.cluster_id, func.count(Placement.id))
        .join(Card, Card.id == Placement.card_id)
        .where(Placement.activity_id == board.id, Card.status == CardStatus.visible)
        .group_by(Placement.cluster_id)
    ).all()
    return dict(rows)


def vote_figures(vote: Activity) -> dict[int, dict]:
    """Per visible option of a voting step: the figure worth quoting and its rank, as the vote's own
    results say (``voting.services.results``, from its running tallies: one source of truth for the
    results page, the screens, the exports and the Begründung).

    Dots and points give their points, single and multiple choice their votes, a ranking its Borda
    points; the other methods (scale, fist-of-five, matrix) have no sum worth quoting.
    """
    unit_and_key = FIGURES.get(voting.method_of(vote).name)
    if unit_and_key is None:
        return {}
    unit, key = unit_and_key
    # The stored options, not ``ensure_options``: that may commit, and drafting runs inside a change.
    ranked = voting.results(vote, voting.all_options(vote))["options"]
    return {
        row["id"]: {"total": int(row.get(key) or 0), "rank": row["rank"], "of": len(ranked), "unit": unit}
        for row in ranked
    }


def drafting_sources(activity: Activity) -> dict:
    """The clusters (largest first) and voted topics (best first) a recommendation can be drafted from."""
    clusters = []
    for board in _source_steps(activity, "clustering"):
        counts = cluster_counts(board)
        for cluster in clustering.clusters_of(board):
            clusters.append(
                {"id": cluster.id, "label": cluster.label, "count": counts.get(cluster.id, 0), "step": board.title}
            )
    options = []
    for vote in _source_steps(activity, "vote"):
        figures = vote_figures(vote)
        for option in db.session.scalars(select(Option).where(Option.activity_id == vote.id).order_by(Option.position)):
            options.append(
                {
                    "id": option.id,
                    "label": option.label,
                    "step": vote.title,
                    "cluster_id": option.cluster_id,
                    **(figures.get(option.id) or {}),
                }
            )
    return {
        "clusters": sorted(clusters, key=lambda c: -c["count"]),
        "options": sorted(options, key=lambda o: (o.get("rank") or 10**6, o["label"])),
    }


def _mentions(n: int) -> str:
    return ngettext("%(num)d Nennung", "%(num)d Nennungen", n)


def _figure(figures: dict) -> str:
    unit = figures["unit"]
    amount = (
        ngettext("%(num)d Punkt", "%(num)d Punkte", figures["total"])
        if unit == "points"
        else ngettext("%(num)d Stimme", "%(num)d Stimmen", figures["total"])
    )
    return str(_l("%(amount)s, Platz %(rank)d von %(of)d", amount=amount, rank=figures["rank"], of=figures["of"]))


def rationale_for(activity: Activity, cluster_ids: Iterable[int], option_ids: Iterable[int]) -> str:
    """The Begründung's first draft: the linked clusters with their mentions and vote figures; several sources as
    a list, one line each starting with "– "."""
    lines = []
    option_ids = list(option_ids)
    figures_by_option: dict[int, tuple[dict, Activity]] = {}
    for vote in _source_steps(activity, "vote"):
        for option_id, figures in vote_figures(vote).items():
            figures_by_option[option_id] = (figures, vote)
    for cluster_id in cluster_ids:
        cluster = db.session.get(Cluster, cluster_id)
        if cluster is None:
            continue
        count = cluster_counts(cluster.activity).get(cluster.id, 0)
        line = str(_l("Cluster „%(label)s“: %(mentions)s", label=cluster.label, mentions=_mentions(count)))
        voted = db.session.scalars(select(Option.id).where(Option.cluster_id == cluster.id)).all()
        for option_id in voted:
            if option_id in figures_by_option and option_id not in option_ids:
                figures, vote = figures_by_option[option_id]
                line += str(_l("; Abstimmung „%(step)s“: %(figure)s", step=vote.title, figure=_figure(figures)))
        lines.append(line)
    for option_id in option_ids:
        option = db.session.get(Option, option_id)
        if option is None:
            continue
        if option_id in figures_by_option:
            figures, vote = figures_by_option[option_id]
            lines.append(
                str(
                    _l(
                        "Abstimmung „%(step)s“, Thema „%(label)s“: %(figure)s",
                        step=vote.title,
                        label=option.label,
                        figure=_figure(figures),
                    )
                )
            )
        else:
            lines.append(str(_l("Thema „%(label)s“", label=option.label)))
    if len(lines) == 1:
        return lines[0]  # one source: a sentence, not a list of one ("Begründung: – Cluster …")
    return "\n".join(f"– {line}" for line in lines)


# -- editing -----------------------------------------------------------------------------------------


def _clean_fields(fields: dict) -> dict:
    cleaned = {}
    for name, value in fields.items():
        if name not in LIMITS or value is None:
            continue
        value = clean_text(str(value)) if name in ("text", "rationale") else " ".join(str(value).split())
        if len(value) > LIMITS[name]:
            raise RecommendationError(
                _l("Höchstens %(n)d Zeichen in diesem Feld.", n=LIMITS[name]), {name: "too_long"}, code="too_long"
            )
        cleaned[name] = value
    if "topic" in cleaned and not cleaned["topic"]:
        raise RecommendationError(_l("Bitte ein Thema angeben."), {"topic": "empty"}, code="empty")
    if cleaned.get("priority") and cleaned["priority"] not in PRIORITIES:
        raise RecommendationError(_l("Bitte eine Priorität aus der Liste wählen."), code="invalid")
    return cleaned


def _check_links(activity: Activity, cluster_ids: list[int], option_ids: list[int]) -> None:
    boards = {board.id for board in _source_steps(activity, "clustering")}
    votes = {vote.id for vote in _source_steps(activity, "vote")}
    for cluster_id in cluster_ids:
        cluster = db.session.get(Cluster, cluster_id)
        if cluster is None or cluster.activity_id not in boards:
            raise RecommendationError(_l("Dieses Cluster gehört nicht zu den Quellen des Schritts."), code="not_found")
    for option_id in option_ids:
        option = db.session.get(Option, option_id)
        if option is None or option.activity_id not in votes:
            raise RecommendationError(_l("Dieses Thema gehört nicht zu den Quellen des Schritts."), code="not_found")


def _set_links(recommendation: Recommendation, cluster_ids: list[int], option_ids: list[int]) -> None:
    recommendation.links.clear()
    db.session.flush()
    for cluster_id in dict.fromkeys(cluster_ids):
        recommendation.links.append(RecommendationLink(cluster_id=cluster_id))
    for option_id in dict.fromkeys(option_ids):
        recommendation.links.append(RecommendationLink(option_id=option_id))


def _commit(actor: Account, activity: Activity, action: str, *, phones: bool = False, **details) -> None:
    workshop_services.record_audit(
        actor, action, workshop=activity.workshop, target=f"activity:{activity.id}", **details
    )
    db.session.commit()
    logger.info("Recommendations of %r: %s by %r", activity, action, actor)
    publish(activity, phones=phones)


def create_recommendation(
    actor: Account,
    activity: Activity,
    *,
    cluster_ids: Iterable[int] = (),
    option_ids: Iterable[int] = (),
    status: str = "draft",
    **fields,
) -> Recommendation:
    """Add a recommendation at the end; without a Begründung it is drafted from the linked figures."""
    require_step(activity)
    cluster_ids, option_ids = list(cluster_ids), list(option_ids)
    _check_links(activity, cluster_ids, option_ids)
    count = db.session.scalar(select(func.count(Recommendation.id)).where(Recommendation.activity_id == activity.id))
    if count >= MAX_RECOMMENDATIONS:
        raise RecommendationError(_l("Höchstens %(n)d Empfehlungen pro Schritt.", n=MAX_RECOMMENDATIONS), code="limit")
    if not (fields.get("topic") or "").strip():
        labels = [db.session.get(Cluster, i).label for i in cluster_ids] + [
            db.session.get(Option, i).label for i in option_ids
        ]
        fields["topic"] = labels[0] if labels else ""
    if fields.get("rationale") is None:
        fields["rationale"] = rationale_for(activity, cluster_ids, option_ids)
    cleaned = _clean_fields({"topic": "", **fields})
    recommendation = Recommendation(activity_id=activity.id, position=count, status=_status(status), **cleaned)
    db.session.add(recommendation)
    db.session.flush()
    _set_links(recommendation, cluster_ids, option_ids)
    _commit(actor, activity, "recommendation.created", recommendation=recommendation.id)
    return recommendation


def _status(status: str) -> RecommendationStatus:
    try:
        return RecommendationStatus(status)
    except ValueError as error:
        raise RecommendationError(_l("Diesen Status gibt es nicht."), code="invalid") from error


def update_recommendation(
    actor: Account,
    recommendation: Recommendation,
    *,
    cluster_ids: Iterable[int] | None = None,
    option_ids: Iterable[int] | None = None,
    status: str | None = None,
    redraft_rationale: bool = False,
    **fields,
) -> Recommendation:
    """Change some fields (``None`` leaves a field alone); ``redraft_rationale`` fills the Begründung anew."""
    activity = recommendation.activity
    if cluster_ids is not None or option_ids is not None:
        current_clusters, current_options = _links(recommendation)
        cluster_ids = list(current_clusters if cluster_ids is None else cluster_ids)
        option_ids = list(current_options if option_ids is None else option_ids)
        _check_links(activity, cluster_ids, option_ids)
        _set_links(recommendation, cluster_ids, option_ids)
    if redraft_rationale:
        fields["rationale"] = rationale_for(activity, *_links(recommendation))
    for name, value in _clean_fields(fields).items():
        setattr(recommendation, name, value)
    if status is not None:
        recommendation.status = _status(status)
    is_current = (current := current_of(activity)) is not None and current.id == recommendation.id
    _commit(actor, activity, "recommendation.updated", phones=is_current, recommendation=recommendation.id)
    return recommendation


def delete_recommendation(actor: Account, recommendation: Recommendation) -> None:
    """Remove a recommendation (with its consent answers) and close the gap."""
    activity = recommendation.activity
    was_current = (current := current_of(activity)) is not None and current.id == recommendation.id
    db.session.delete(recommendation)
    db.session.flush()
    _renumber(activity, recommendations_of(activity))
    _commit(actor, activity, "recommendation.deleted", phones=was_current, recommendation=recommendation.id)


def _renumber(activity: Activity, ordered: list[Recommendation]) -> None:
    """Positions 0…n-1 without tripping the unique (activity, position) rule on the way."""
    db.session.execute(
        update(Recommendation)
        .where(Recommendation.activity_id == activity.id)
        .values(position=-Recommendation.position - 1)
    )
    for position, recommendation in enumerate(ordered):
        db.session.execute(
            update(Recommendation).where(Recommendation.id == recommendation.id).values(position=position)
        )
    db.session.expire_all()


def move_recommendation(actor: Account, recommendation: Recommendation, position: int) -> None:
    activity = recommendation.activity
    ordered = [r for r in recommendations_of(activity) if r.id != recommendation.id]
    ordered.insert(max(0, min(position, len(ordered))), recommendation)
    _renumber(activity, ordered)
    _commit(actor, activity, "recommendation.moved", recommendation=recommendation.id, position=position)


def show_recommendation(actor: Account, activity: Activity, recommendation: Recommendation | None) -> None:
    """Put a recommendation on the projector and the phones (``None``: the overview)."""
    require_step(activity)
    if recommendation is None:
        db.session.execute(
            update(Recommendation).where(Recommendation.activity_id == activity.id).values(shown_at=None)
        )
    else:
        recommendation.shown_at = utcnow()
    _commit(
        actor,
        activity,
        "recommendation.shown",
        phones=True,
        recommendation=recommendation.id if recommendation else None,
    )


def open_consent(actor: Account, recommendation: Recommendation) -> Recommendation:
    """Let phones answer the consent check of ``recommendation`` (and show it); others of the step close."""
    activity = recommendation.activity
    if not activity.config.get("has_consent_check", True):
        raise RecommendationError(_l("Dieser Schritt hat keinen Konsens-Check."))
    if activity.state is not ActivityState.open:
        raise RecommendationError(_l("Bitte zuerst den Schritt öffnen."), code="closed")
    db.session.execute(
        update(Recommendation)
        .where(Recommendation.activity_id == activity.id, Recommendation.id != recommendation.id)
        .values(is_consent_open=False)
    )
    recommendation.is_consent_open = True
    recommendation.shown_at = utcnow()
    _commit(actor, activity, "consent.opened", phones=True, recommendation=recommendation.id)
    return recommendation


def close_consent(actor: Account, recommendation: Recommendation) -> Recommendation:
    """End the consent check; the result goes on the screens."""
    recommendation.is_consent_open = False
    _commit(actor, recommendation.activity, "consent.closed", phones=True, recommendation=recommendation.id)
    return recommendation


# -- consent from the phones ----------------------------------------------------------------------------


def cast_consent(
    participant: Participant, recommendation: Recommendation, *, client_id: str, fingers: int, dissent: str = ""
) -> tuple[ConsentVote, bool]:
    """Record (or change) a participant's fist-of-five; return the vote and whether anything changed.

    A resend of the command that stored the current answer (same ``client_id``) changes nothing, also
    after the check closed; a changed answer needs the check to be open.
    """
    activity = recommendation.activity
    if activity.workshop_id != participant.workshop_id:
        raise RecommendationError(_l("Diese Empfehlung gibt es nicht."), code="not_found")
    existing = db.session.scalar(
        select(ConsentVote).where(
            ConsentVote.recommendation_id == recommendation.id, ConsentVote.participant_id == participant.id
        )
    )
    if existing is not None and existing.client_id == client_id:
        return existing, False
    if activity.state is not ActivityState.open or not recommendation.is_consent_open:
        raise RecommendationError(_l("Der Konsens-Check ist gerade nicht geöffnet."), code="closed")
    if not isinstance(fingers, int) or isinstance(fingers, bool) or not 0 <= fingers <= 5:
        raise RecommendationError(_l("Bitte 0 bis 5 Finger wählen."), code="invalid")
    dissent = clean_text(dissent or "")[:DISSENT_MAX] if fingers <= DISSENT_UP_TO else ""
    vote = existing or ConsentVote(recommendation_id=recommendation.id, participant_id=participant.id)
    vote.client_id, vote.fingers, vote.dissent, vote.cast_at = client_id, fingers, dissent, utcnow()
    db.session.add(vote)
    try:
        db.session.commit()
    except IntegrityError:  # the same phone answered twice at once: the other answer won, apply ours on top
        db.session.rollback()
        return cast_consent(participant, recommendation, client_id=client_id, fingers=fingers, dissent=dissent)
    broadcast.publish(
        rooms.participant(participant.id),
        "own_consent_changed",
        {"recommendation_id": recommendation.id, "fingers": vote.fingers, "dissent": vote.dissent},
    )
    publish(activity)
    return vote, True


# -- publishing --------------------------------------------------------------------------------------------


def publish(activity: Activity, *, phones: bool = False) -> None:
    """Screens get the step coalesced (``recommendations_changed``); phones the current recommendation."""
    activity_id, workshop_id = activity.id, activity.workshop_id

    def builder(screen: str):
        def build() -> dict:
            step = db.session.get(Activity, activity_id)
            return view(step, screen) if step else {"activity_id": activity_id, "deleted": True}

        return build

    broadcast.publish_coalesced(
        f"recommendations:{activity_id}", rooms.projector(workshop_id), "recommendations_changed", builder("projector")
    )
    broadcast.publish_coalesced(
        f"recommendations-console:{activity_id}",
        rooms.moderators(workshop_id),
        "recommendations_changed",
        builder("console"),
    )
    if phones:
        current = current_of(activity)
        broadcast.publish(
            rooms.phones(workshop_id),
            "current_recommendation_changed",
            {
                "activity_id": activity_id,
                "current": _phone_payload(current) if current else None,
                "current_id": current.id if current else None,
            },
        )


def _phone_payload(recommendation: Recommendation) -> dict:
    data = _payload(recommendation, for_moderator=False)
    return data

"""The JSON archive of a whole workshop, and restoring it on another installation.

The archive holds the workshop's definition (the format of ``activities.services.export_definition``)
and everything that happened in it: participants, cards, clusters, topics, ballots, recommendations and
consent answers. Everything refers to everything else by numbers that exist only in the archive
(participant 7, card 12, option 3), never by database ids. Restoring it creates a new workshop with a
new join code; exporting that one gives the same archive again (round trip).

What never leaves the installation: participant tokens (or their hashes), client ids, who wrote or
moderated what beyond the opaque participant number, who proposed a topic, the words a moderator
replaced, withdrawn and rejected cards, suggestions, the audit log, accounts (only the team's names,
for information). Participants' check-in answers are coarsened so that every combination of
organisation and role in the archive is shared by at least k participants (see ``anonymous_profiles``).
"""

import json
import logging
import secrets
from collections import Counter
from datetime import datetime
from typing import Literal

from flask_babel import lazy_gettext as _l
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import insert, select

from facilitation.accounts.models import Account
from facilitation.activities import services as activity_services
from facilitation.activities.models import ActivityState
from facilitation.clustering.models import Cluster, Placement
from facilitation.extensions import db
from facilitation.modeling import DomainError, utcnow
from facilitation.participation.models import Card, CardStatus, Participant
from facilitation.participation.services import hash_token
from facilitation.recommendations.models import ConsentVote, Recommendation, RecommendationLink, RecommendationStatus
from facilitation.voting import methods
from facilitation.voting.methods import Entry
from facilitation.voting.models import Ballot, BallotEntry, Option, OptionSource, OptionStatus, Tally
from facilitation.workshops import services as workshop_services
from facilitation.workshops.models import Membership, Role, Workshop, WorkshopState

logger = logging.getLogger(__name__)

FORMAT = "facilitation.archive"
VERSION = 1
#: Cards an archive carries: what was or could still be shown; withdrawn and rejected cards stay behind.
CARD_STATUSES = (CardStatus.pending, CardStatus.visible, CardStatus.hidden)
#: A workshop running live on this installation would let phones in with the new code: it arrives ended.
IMPORTED_STATE = {"draft": "draft", "live": "ended", "ended": "ended", "archived": "archived"}


class ArchiveError(DomainError):
    """An archive that cannot be restored; nothing of it is kept."""

    code = "archive"


# -- coarse profiles -------------------------------------------------------------------------------------


def anonymous_profiles(profiles: list[tuple[str | None, str | None]], k: int) -> list[tuple[str | None, str | None]]:
    """Coarsen check-in answers so that every (organisation, role) in the result is held by at least k
    participants, apart from (None, None), which tells nothing.

    A rare combination keeps its organisation if enough others of that organisation are coarsened
    with it (or already have no role), else its role on the same terms, else neither. Applying it to
    its own result changes nothing, so an archive exported again after an import is the same.
    """
    result = list(profiles)
    sizes = Counter(profiles)
    pending = [i for i, profile in enumerate(profiles) if sizes[profile] < k]  # in order, for stable results
    for field in (0, 1):  # first keep the organisation, then the role
        waiting = set(pending)
        kept = Counter(result[i] for i in range(len(result)) if i not in waiting)
        by_value: dict[str | None, list[int]] = {}
        for i in pending:
            by_value.setdefault(result[i][field], []).append(i)
        resolved = set()
        for value, members in by_value.items():
            if value is None:
                continue
            coarse = (value, None) if field == 0 else (None, value)
            if len(members) + kept[coarse] >= k:
                for i in members:
                    result[i] = coarse
                resolved.update(members)
        pending = [i for i in pending if i not in resolved]
    for i in pending:
        result[i] = (None, None)
    return result


# -- export ----------------------------------------------------------------------------------------------------


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


def export_archive(workshop: Workshop) -> dict:
    """The whole workshop as JSON-ready data (see the module's docstring for what is left out)."""
    activities = list(workshop.activities)
    position_of = {a.id: a.position for a in activities}
    step_ids = list(position_of)

    participants = db.session.scalars(
        select(Participant).where(Participant.workshop_id == workshop.id).order_by(Participant.id)
    ).all()
    person = {p.id: number for number, p in enumerate(participants, start=1)}
    profiles = anonymous_profiles([(p.organisation, p.role) for p in participants], workshop.min_group_size)

    cards = sorted(
        db.session.scalars(select(Card).where(Card.activity_id.in_(step_ids), Card.status.in_(CARD_STATUSES))),
        key=lambda c: (position_of[c.activity_id], c.id),
    )
    card_number = {c.id: number for number, c in enumerate(cards, start=1)}

    clusters = sorted(
        db.session.scalars(select(Cluster).where(Cluster.activity_id.in_(step_ids))),
        key=lambda c: (position_of[c.activity_id], c.position, c.id),
    )
    cluster_number = {c.id: number for number, c in enumerate(clusters, start=1)}
    placements: dict[int, list[int]] = {}
    for placement in db.session.scalars(
        select(Placement)
        .where(Placement.activity_id.in_(step_ids))
        .order_by(Placement.cluster_id, Placement.position, Placement.id)
    ):
        if placement.card_id in card_number:
            placements.setdefault(placement.cluster_id, []).append(card_number[placement.card_id])

    options = sorted(
        db.session.scalars(select(Option).where(Option.activity_id.in_(step_ids))),
        key=lambda o: (position_of[o.activity_id], o.position),
    )
    option_number = {o.id: number for number, o in enumerate(options, start=1)}

    ballots = sorted(
        db.session.scalars(select(Ballot).where(Ballot.activity_id.in_(step_ids))),
        key=lambda b: (position_of[b.activity_id], person[b.participant_id]),
    )

    recommendations = sorted(
        db.session.scalars(select(Recommendation).where(Recommendation.activity_id.in_(step_ids))),
        key=lambda r: (position_of[r.activity_id], r.position),
    )
    consent: dict[int, list[ConsentVote]] = {}
    for vote in db.session.scalars(
        select(ConsentVote).where(ConsentVote.recommendation_id.in_([r.id for r in recommendations]))
    ):
        consent.setdefault(vote.recommendation_id, []).append(vote)

    team = db.session.scalars(
        select(Account.name)
        .join(Membership, Membership.account_id == Account.id)
        .where(Membership.workshop_id == workshop.id, Membership.role.in_((Role.owner, Role.moderator)))
    ).all()

    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": _iso(utcnow()),
        "definition": activity_services.export_definition(workshop),
        "workshop": {
            "language": workshop.language,
            "state": workshop.state.value,
            "started_at": _iso(workshop.started_at),
            "ended_at": _iso(workshop.ended_at),
            "purged_at": _iso(workshop.purged_at),
            "team": sorted(name.strip() for name in team if name and name.strip()),
        },
        "steps": [
            {
                "position": a.position,
                "state": a.state.value,
                "is_revealed": a.is_revealed,
                "opened_at": _iso(a.opened_at),
                "closed_at": _iso(a.closed_at),
            }
            for a in activities
        ],
        "participants": [
            {"number": number, "organisation": organisation, "role": role, "checked_in": p.checked_in_at is not None}
            for number, (p, (organisation, role)) in enumerate(zip(participants, profiles, strict=True), start=1)
        ],
        "cards": [
            {
                "number": card_number[c.id],
                "step": position_of[c.activity_id],
                "participant": person.get(c.participant_id),
                "column": c.column,
                "text": c.text,
                "status": c.status.value,
                "is_edited": c.is_edited,
                "personal_data": list(c.personal_data or []),
            }
            for c in cards
        ],
        "clusters": [
            {
                "number": cluster_number[c.id],
                "step": position_of[c.activity_id],
                "label": c.label,
                "colour": c.colour,
                "position": c.position,
                "cards": placements.get(c.id, []),
            }
            for c in clusters
        ],
        "options": [
            {
                "number": option_number[o.id],
                "step": position_of[o.activity_id],
                "position": o.position,
                "label": o.label,
                "description": o.description,
                "source": o.source.value,
                "cluster": cluster_number.get(o.cluster_id),
                "status": o.status.value,
            }
            for o in options
        ],
        "ballots": [
            {
                "step": position_of[b.activity_id],
                "participant": person[b.participant_id],
                "entries": sorted(
                    ({"option": option_number[e.option_id], "value": e.value, "x": e.x, "y": e.y} for e in b.entries),
                    key=lambda e: e["option"],
                ),
            }
            for b in ballots
        ],
        "recommendations": [
            {
                "step": position_of[r.activity_id],
                "position": r.position,
                "topic": r.topic,
                "text": r.text,
                "rationale": r.rationale,
                "responsible": r.responsible,
                "involved": r.involved,
                "timeframe": r.timeframe,
                "priority": r.priority,
                "status": r.status.value,
                "clusters": sorted(cluster_number[link.cluster_id] for link in r.links if link.cluster_id),
                "options": sorted(option_number[link.option_id] for link in r.links if link.option_id),
                "consent": sorted(
                    (
                        {"participant": person[v.participant_id], "fingers": v.fingers, "dissent": v.dissent}
                        for v in consent.get(r.id, [])
                    ),
                    key=lambda v: v["participant"],
                ),
            }
            for r in recommendations
        ],
    }


def dumps(archive: dict) -> bytes:
    return json.dumps(archive, ensure_ascii=False, indent=1).encode("utf-8")


# -- the archive's shape, checked before anything is written ---------------------------------------------


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid")


Number = Field(ge=1, le=10_000_000)
Position = Field(ge=0, le=1000)


class _Workshop(_Part):
    language: str = Field(default="de", max_length=5)
    state: Literal["draft", "live", "ended", "archived"] = "ended"
    started_at: datetime | None = None
    ended_at: datetime | None = None
    purged_at: datetime | None = None
    team: list[str] = Field(default_factory=list, max_length=200)


class _Step(_Part):
    position: int = Position
    state: Literal["pending", "open", "closed"]
    is_revealed: bool = False
    opened_at: datetime | None = None
    closed_at: datetime | None = None


class _Participant(_Part):
    number: int = Number
    organisation: str | None = Field(default=None, max_length=120)
    role: str | None = Field(default=None, max_length=120)
    checked_in: bool = False


class _Card(_Part):
    number: int = Number
    step: int = Position
    participant: int | None = Number
    column: str = Field(default="", max_length=80)
    text: str = Field(min_length=1, max_length=5000)
    status: Literal["pending", "visible", "hidden"]
    is_edited: bool = False
    personal_data: list[str] = Field(default_factory=list, max_length=20)


class _Cluster(_Part):
    number: int = Number
    step: int = Position
    label: str = Field(min_length=1, max_length=120)
    colour: str = Field(default="blue", max_length=20)
    position: int = Field(default=0, ge=0, le=10_000)
    cards: list[int] = Field(default_factory=list)


class _Option(_Part):
    number: int = Number
    step: int = Position
    position: int = Field(ge=0, le=10_000)
    label: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    source: Literal["fixed", "proposed", "cluster"] = "fixed"
    cluster: int | None = None
    status: Literal["pending", "visible", "hidden"] = "visible"


class _Entry(_Part):
    option: int = Number
    value: int = Field(default=1, ge=0, le=100_000)
    x: float | None = Field(default=None, ge=0, le=1)
    y: float | None = Field(default=None, ge=0, le=1)


class _Ballot(_Part):
    step: int = Position
    participant: int = Number
    entries: list[_Entry] = Field(min_length=1, max_length=1000)


class _Consent(_Part):
    participant: int = Number
    fingers: int = Field(ge=0, le=5)
    dissent: str = Field(default="", max_length=500)


class _Recommendation(_Part):
    step: int = Position
    position: int = Field(ge=0, le=10_000)
    topic: str = Field(max_length=200)
    text: str = Field(default="", max_length=5000)
    rationale: str = Field(default="", max_length=5000)
    responsible: str = Field(default="", max_length=200)
    involved: str = Field(default="", max_length=300)
    timeframe: str = Field(default="", max_length=120)
    priority: str = Field(default="", max_length=40)
    status: Literal["draft", "agreed", "in_progress", "done"] = "draft"
    clusters: list[int] = Field(default_factory=list)
    options: list[int] = Field(default_factory=list)
    consent: list[_Consent] = Field(default_factory=list)


class _Archive(_Part):
    format: Literal["facilitation.archive"]
    version: int
    exported_at: str | None = None
    definition: dict
    workshop: _Workshop = Field(default_factory=_Workshop)
    steps: list[_Step] = Field(default_factory=list)
    participants: list[_Participant] = Field(default_factory=list, max_length=100_000)
    cards: list[_Card] = Field(default_factory=list, max_length=200_000)
    clusters: list[_Cluster] = Field(default_factory=list, max_length=10_000)
    options: list[_Option] = Field(default_factory=list, max_length=10_000)
    ballots: list[_Ballot] = Field(default_factory=list, max_length=500_000)
    recommendations: list[_Recommendation] = Field(default_factory=list, max_length=10_000)


def _invalid(detail: str) -> ArchiveError:
    return ArchiveError(_l("Das Archiv ist beschädigt oder unvollständig (%(detail)s).", detail=detail))


def _validated(data) -> _Archive:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ArchiveError(_l("Die Datei ist kein Workshop-Archiv."))
    if data.get("version") != VERSION:
        raise ArchiveError(_l("Diese Version des Workshop-Archivs wird nicht unterstützt."))
    try:
        archive = _Archive.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        raise _invalid(".".join(str(part) for part in first["loc"])) from error
    _check_references(archive)
    return archive


def _unique(numbers, what: str) -> set:
    numbers = list(numbers)
    if len(set(numbers)) != len(numbers):
        raise _invalid(f"{what}: doppelte Nummern")
    return set(numbers)


def _check_references(archive: _Archive) -> None:
    """Every number points at something of the right kind, in the right step."""
    kinds = {
        position: (step or {}).get("kind")
        for position, step in enumerate(archive.definition.get("activities") or [])
        if isinstance(step, dict)
    }
    people = _unique((p.number for p in archive.participants), "participants")
    _unique([c.number for c in archive.cards], "cards")
    _unique([c.number for c in archive.clusters], "clusters")
    _unique([o.number for o in archive.options], "options")
    cards = {c.number: c for c in archive.cards}
    clusters = {c.number: c for c in archive.clusters}
    options = {o.number: o for o in archive.options}

    def step_of(position: int, kind: str, what: str) -> None:
        if kinds.get(position) != kind:
            raise _invalid(f"{what}: Schritt {position + 1}")

    positions = _unique([s.position for s in archive.steps], "steps")
    if not positions <= set(kinds):
        raise _invalid("steps")
    for card in archive.cards:
        step_of(card.step, "cards", "cards")
        if card.participant is not None and card.participant not in people:
            raise _invalid("cards.participant")
    placed = []
    for cluster in archive.clusters:
        step_of(cluster.step, "clustering", "clusters")
        if any(number not in cards for number in cluster.cards):
            raise _invalid("clusters.cards")
        placed += [(cluster.step, number) for number in cluster.cards]
    if len(set(placed)) != len(placed):
        raise _invalid("clusters.cards: eine Karte in zwei Clustern")
    for option in archive.options:
        step_of(option.step, "vote", "options")
        if option.cluster is not None and option.cluster not in clusters:
            raise _invalid("options.cluster")
    seen_ballots = set()
    for ballot in archive.ballots:
        step_of(ballot.step, "vote", "ballots")
        if ballot.participant not in people or (ballot.step, ballot.participant) in seen_ballots:
            raise _invalid("ballots.participant")
        seen_ballots.add((ballot.step, ballot.participant))
        chosen = [entry.option for entry in ballot.entries]
        if len(set(chosen)) != len(chosen) or any(
            number not in options or options[number].step != ballot.step for number in chosen
        ):
            raise _invalid("ballots.entries")
    for recommendation in archive.recommendations:
        step_of(recommendation.step, "recommendations", "recommendations")
        if any(n not in clusters for n in recommendation.clusters) or any(
            n not in options for n in recommendation.options
        ):
            raise _invalid("recommendations.links")
        voters = [vote.participant for vote in recommendation.consent]
        if any(n not in people for n in voters) or len(set(voters)) != len(voters):
            raise _invalid("recommendations.consent")


# -- import ------------------------------------------------------------------------------------------------------


def import_archive(actor: Account | None, data) -> Workshop:
    """Restore an archive as a new workshop (new join code, ``actor`` its owner); all or nothing."""
    archive = _validated(data)
    try:
        workshop = activity_services.import_definition(actor, archive.definition)
    except activity_services.ActivityError as error:
        raise ArchiveError(error.message, error.errors) from error
    try:
        _restore(workshop, archive)
        workshop_services.record_audit(
            actor,
            "workshop.restored",
            workshop=workshop,
            target=f"workshop:{workshop.id}",
            cards=len(archive.cards),
            ballots=len(archive.ballots),
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        logger.exception("Restoring an archive failed; removing the half-imported workshop")
        half = db.session.get(Workshop, workshop.id)
        if half is not None:
            half.current_activity_id = None
            db.session.flush()
            db.session.delete(half)
            db.session.commit()
        raise
    logger.info("Workshop %r restored from an archive by %r", workshop, actor)
    return workshop


def _restore(workshop: Workshop, archive: _Archive) -> None:
    steps = {a.position: a for a in workshop.activities}
    fields = archive.workshop
    workshop.language = fields.language
    workshop.state = WorkshopState(IMPORTED_STATE[fields.state])
    workshop.started_at, workshop.ended_at, workshop.purged_at = fields.started_at, fields.ended_at, fields.purged_at
    if workshop.state is WorkshopState.ended and workshop.ended_at is None:
        workshop.ended_at = utcnow()
    for step in archive.steps:
        activity = steps[step.position]
        activity.state = ActivityState(step.state)
        if fields.state == "live" and activity.state is ActivityState.open:
            activity.state = ActivityState.closed
        activity.is_revealed = step.is_revealed
        activity.opened_at, activity.closed_at = step.opened_at, step.closed_at

    people = {}
    for p in archive.participants:
        participant = Participant(
            workshop_id=workshop.id,
            token_hash=hash_token(secrets.token_urlsafe(32)),  # nobody holds this token: nobody can rejoin as them
            organisation=p.organisation,
            role=p.role,
            checked_in_at=(fields.started_at or utcnow()) if p.checked_in else None,
        )
        db.session.add(participant)
        people[p.number] = participant
    db.session.flush()

    cards = {}
    for c in archive.cards:
        card = Card(
            activity_id=steps[c.step].id,
            participant_id=people[c.participant].id if c.participant is not None else None,
            client_id=f"archive-{c.number}",
            column=c.column,
            text=c.text,
            status=CardStatus(c.status),
            is_edited=c.is_edited,
            personal_data=c.personal_data,
        )
        db.session.add(card)
        cards[c.number] = card
    db.session.flush()

    clusters = {}
    for c in archive.clusters:
        cluster = Cluster(activity_id=steps[c.step].id, label=c.label, colour=c.colour, position=c.position)
        db.session.add(cluster)
        clusters[c.number] = (cluster, c)
    db.session.flush()
    for cluster, c in clusters.values():
        for position, number in enumerate(c.cards):
            db.session.add(
                Placement(
                    activity_id=cluster.activity_id, cluster_id=cluster.id, card_id=cards[number].id, position=position
                )
            )

    options = {}
    for o in archive.options:
        option = Option(
            activity_id=steps[o.step].id,
            position=o.position,
            label=o.label,
            description=o.description,
            source=OptionSource(o.source),
            cluster_id=clusters[o.cluster][0].id if o.cluster is not None else None,
            status=OptionStatus(o.status),
        )
        db.session.add(option)
        options[o.number] = option
    db.session.flush()

    entries_by_step: dict[int, list[Entry]] = {}
    for number, b in enumerate(archive.ballots, start=1):
        ballot_id = db.session.execute(
            insert(Ballot)
            .values(
                activity_id=steps[b.step].id,
                participant_id=people[b.participant].id,
                client_id=f"archive-{number}",
                cast_at=fields.ended_at or utcnow(),
            )
            .returning(Ballot.id)
        ).scalar_one()
        entries = [Entry(options[e.option].id, e.value, e.x, e.y) for e in b.entries]
        db.session.execute(
            insert(BallotEntry),
            [{"ballot_id": ballot_id, "option_id": e.option_id, "value": e.value, "x": e.x, "y": e.y} for e in entries],
        )
        entries_by_step.setdefault(b.step, []).extend(entries)
    # The running tallies that voting keeps, counted once from the restored entries.
    for entries in entries_by_step.values():
        for option_id, by_value in methods.buckets_of(entries).items():
            for value, bucket in by_value.items():
                db.session.add(
                    Tally(
                        option_id=option_id, value=value, entries=bucket.entries, sum_x=bucket.sum_x, sum_y=bucket.sum_y
                    )
                )

    for number, r in enumerate(archive.recommendations, start=1):
        recommendation = Recommendation(
            activity_id=steps[r.step].id,
            position=r.position,
            topic=r.topic,
            text=r.text,
            rationale=r.rationale,
            responsible=r.responsible,
            involved=r.involved,
            timeframe=r.timeframe,
            priority=r.priority,
            status=RecommendationStatus(r.status),
            is_consent_open=False,
        )
        recommendation.links = [RecommendationLink(cluster_id=clusters[n][0].id) for n in r.clusters] + [
            RecommendationLink(option_id=options[n].id) for n in r.options
        ]
        db.session.add(recommendation)
        db.session.flush()
        for vote in r.consent:
            db.session.add(
                ConsentVote(
                    recommendation_id=recommendation.id,
                    participant_id=people[vote.participant].id,
                    client_id=f"archive-{number}-{vote.participant}",
                    fingers=vote.fingers,
                    dissent=vote.dissent,
                )
            )
    db.session.flush()


def loads(raw: bytes):
    """Parse an uploaded archive, or raise :class:`ArchiveError`."""
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ArchiveError(_l("Die Datei ist kein gültiges JSON.")) from error

"""Voting steps: their topics (fixed, proposed, clusters), the ballots, and running tallies.

A ballot is one participant's whole answer to a step, replaced as a whole when changed; the rules of
the step's method (``voting.methods``) are checked before anything is written, so a broken ballot
changes nothing. Every ballot change adjusts the tallies in SQL in the same transaction; results read
those few rows, never every entry, and updates to the screens are coalesced, so a vote costs the same
however many phones are connected.
"""

import logging
import time
from collections.abc import Iterable

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from facilitation.accounts.models import Account
from facilitation.activities.models import Activity, ActivityState
from facilitation.clustering.models import Cluster
from facilitation.extensions import db
from facilitation.modeling import DomainError, InvalidTransition, commit_keeping_state, utcnow
from facilitation.participation.models import Participant
from facilitation.participation.pii import find_personal_data
from facilitation.participation.services import clean_text
from facilitation.realtime import broadcast, payloads, rooms
from facilitation.voting import methods
from facilitation.voting.methods import Bucket, Buckets, Entry
from facilitation.voting.models import Ballot, BallotEntry, Option, OptionSource, OptionStatus, Tally
from facilitation.workshops import services as workshop_services

logger = logging.getLogger(__name__)

LABEL_MAX = 120
#: Attempts when concurrent writers collide on a unique constraint (first ballot, next position).
ATTEMPTS = 5


class VotingError(DomainError):
    """A participant's or moderator's request the voting rules refuse."""


def _require_vote(activity: Activity, participant: Participant) -> None:
    if activity.workshop_id != participant.workshop_id or activity.kind != "vote":
        raise VotingError(_l("Dieser Schritt passt nicht zu dieser Eingabe."), code="wrong_step")
    if activity.state is not ActivityState.open:
        raise VotingError(_l("Die Abstimmung ist gerade nicht geöffnet."), code="closed")


def method_of(activity: Activity) -> methods.Method:
    return methods.method_of(activity.config)


def results_visible(activity: Activity) -> bool:
    """Whether projector and phones see the results: once revealed, or all along for a live vote."""
    return activity.is_revealed or bool(activity.config.get("is_live"))


# -- options ----------------------------------------------------------------------------------------


def _wanted_options(activity: Activity) -> list[tuple[OptionSource, str, int | None]]:
    """The topics the config asks for: the fixed list, then the clusters of the source step."""
    config = activity.config
    wanted = [(OptionSource.fixed, label[:200], None) for label in config.get("options", [])]
    if config.get("items_from") == "clusters" and config.get("source") is not None:
        source = db.session.scalar(
            select(Activity).where(
                Activity.workshop_id == activity.workshop_id,
                Activity.position == config["source"],
                Activity.kind == "clustering",
            )
        )
        if source is not None:
            clusters = db.session.scalars(
                select(Cluster).where(Cluster.activity_id == source.id).order_by(Cluster.position, Cluster.id)
            )
            wanted += [(OptionSource.cluster, cluster.label[:200], cluster.id) for cluster in clusters]
    return wanted


def all_options(activity: Activity) -> list[Option]:
    return list(db.session.scalars(select(Option).where(Option.activity_id == activity.id).order_by(Option.position)))


def ensure_options(activity: Activity) -> list[Option]:
    """Make the step's fixed and cluster topics match its config; return every option, in order.

    Runs whenever a vote step is viewed or voted on. Before the step first opens its topics follow
    the config exactly (the editor may still change it); afterwards topics are only added (or a
    cluster's label updated), never taken away, because ballots refer to them.
    """
    for _attempt in range(ATTEMPTS):
        try:
            changed, existing = _sync_options(activity)
            if not changed:
                return existing
            db.session.commit()
            return all_options(activity)
        except IntegrityError:  # another connection synced the same step at the same moment
            db.session.rollback()
    return all_options(activity)


def _sync_options(activity: Activity) -> tuple[bool, list[Option]]:
    """Change the session's options to match the config; return whether anything changed, and the
    options as they were."""
    wanted = _wanted_options(activity)
    existing = all_options(activity)
    managed = [o for o in existing if o.source is not OptionSource.proposed]
    if [(o.source, o.label, o.cluster_id) for o in managed] == wanted and all(
        o.position == index for index, o in enumerate(managed)
    ):
        return False, existing
    if activity.state is ActivityState.pending:
        # No ballots or proposals yet (both need an open step): rebuild the topics in the config's order.
        db.session.execute(delete(Option).where(Option.id.in_([o.id for o in managed])))
        for position, (source, label, cluster_id) in enumerate(wanted):
            db.session.add(
                Option(activity=activity, position=position, label=label, source=source, cluster_id=cluster_id)
            )
        db.session.flush()
        db.session.expire_all()
        return True, existing
    changed = False
    next_position = max((o.position for o in existing), default=-1) + 1
    by_cluster = {o.cluster_id: o for o in managed if o.cluster_id is not None}
    fixed_labels = {o.label for o in managed if o.source is OptionSource.fixed}
    for source, label, cluster_id in wanted:
        if source is OptionSource.cluster and cluster_id in by_cluster:
            if by_cluster[cluster_id].label != label:
                by_cluster[cluster_id].label = label
                changed = True
            continue
        if source is OptionSource.fixed and label in fixed_labels:
            continue
        db.session.add(
            Option(activity=activity, position=next_position, label=label, source=source, cluster_id=cluster_id)
        )
        next_position += 1
        changed = True
    db.session.flush()
    return changed, existing


def options_of(activity: Activity, statuses: Iterable[OptionStatus] = (OptionStatus.visible,)) -> list[Option]:
    """The step's options with one of ``statuses``, in order."""
    return list(
        db.session.scalars(
            select(Option)
            .where(Option.activity_id == activity.id, Option.status.in_(list(statuses)))
            .order_by(Option.position)
        )
    )


def _option_label(text: str) -> str:
    label = " ".join(clean_text(text or "").split())
    if not label:
        raise VotingError(_l("Bitte ein Thema eingeben."), code="empty")
    if len(label) > LABEL_MAX:
        raise VotingError(_l("Höchstens %(n)d Zeichen pro Thema.", n=LABEL_MAX), code="too_long")
    return label


def own_proposals(participant: Participant, activity: Activity) -> list[Option]:
    if activity.config.get("items_from") != "proposed":
        return []  # only such a step takes proposals, and its config is fixed once it ran
    return list(
        db.session.scalars(
            select(Option)
            .where(Option.activity_id == activity.id, Option.proposed_by_id == participant.id)
            .order_by(Option.id)
        )
    )


def proposals_left(participant: Participant, activity: Activity) -> int:
    """How many topics the participant may still propose (hidden proposals count too)."""
    if activity.config.get("items_from") != "proposed":
        return 0
    return max(0, activity.config.get("max_proposals", 2) - len(own_proposals(participant, activity)))


def _find_proposal(participant: Participant, client_id: str) -> Option | None:
    return db.session.scalar(
        select(Option).where(Option.proposed_by_id == participant.id, Option.client_id == client_id)
    )


def propose_option(participant: Participant, activity: Activity, *, client_id: str, label: str) -> tuple[Option, bool]:
    """Store a proposed topic ("Reservethema") once per ``client_id``; it waits for the moderator."""
    existing = _find_proposal(participant, client_id)
    if existing:
        return existing, False
    _require_vote(activity, participant)
    if activity.config.get("items_from") != "proposed":
        raise VotingError(_l("Für diese Abstimmung können keine Themen vorgeschlagen werden."), code="wrong_step")
    label = _option_label(label)
    if proposals_left(participant, activity) <= 0:
        raise VotingError(
            _l("Sie haben schon %(n)d Themen vorgeschlagen.", n=activity.config.get("max_proposals", 2)),
            code="limit",
        )
    ensure_options(activity)
    taken = {o.label.casefold() for o in options_of(activity, (OptionStatus.visible, OptionStatus.pending))}
    if label.casefold() in taken:
        raise VotingError(_l("Dieses Thema steht schon zur Wahl oder ist vorgeschlagen."), code="duplicate")
    for _attempt in range(ATTEMPTS):
        position = db.session.scalar(
            select(func.coalesce(func.max(Option.position), -1) + 1).where(Option.activity_id == activity.id)
        )
        option = Option(
            activity_id=activity.id,
            position=position,
            label=label,
            source=OptionSource.proposed,
            proposed_by_id=participant.id,
            client_id=client_id,
            status=OptionStatus.pending,
        )
        db.session.add(option)
        try:
            db.session.commit()
        except IntegrityError:  # the same command twice at once, or another proposal took the position
            db.session.rollback()
            existing = _find_proposal(participant, client_id)
            if existing:
                return existing, False
            continue
        _publish_option(option)
        return option, True
    raise VotingError(_l("Das hat nicht geklappt. Bitte noch einmal versuchen."), code="busy")


def _has_votes(option: Option) -> bool:
    return db.session.scalar(select(func.count(BallotEntry.id)).where(BallotEntry.option_id == option.id)) > 0


def _moderate_option(actor: Account, option: Option, wanted: OptionStatus, action: str) -> Option:
    if option.source is not OptionSource.proposed:
        raise VotingError(_l("Nur vorgeschlagene Themen werden freigegeben oder ausgeblendet."))
    if wanted is OptionStatus.hidden and _has_votes(option):
        raise VotingError(_l("Für dieses Thema wurde schon abgestimmt; es bleibt sichtbar."), code="has_votes")
    try:
        option.change_status(wanted)
    except InvalidTransition as error:
        raise VotingError(error.message) from error
    activity = option.activity
    version = workshop_services.bump_version(activity.workshop)
    workshop_services.record_audit(actor, action, workshop=activity.workshop, target=f"option:{option.id}")
    db.session.commit()
    logger.info("Option %r %s by %r", option, action, actor)
    _publish_option(option)
    _publish_options(activity, version)
    return option


def approve_option(actor: Account, option: Option) -> Option:
    """Put a proposed topic on every ballot."""
    return _moderate_option(actor, option, OptionStatus.visible, "option.approved")


def hide_option(actor: Account, option: Option) -> Option:
    """Keep a proposed topic off the ballots (only while nobody voted for it)."""
    return _moderate_option(actor, option, OptionStatus.hidden, "option.hidden")


def option_for_moderator(option: Option) -> dict:
    return {
        **payloads.option(option, for_moderator=True),
        "personal_data": sorted({hint.kind for hint in find_personal_data(option.label)}),
    }


# -- ballots ------------------------------------------------------------------------------------------


_OWN_BALLOT = (
    select(Ballot)
    .options(joinedload(Ballot.entries))
    .where(Ballot.activity_id == bindparam("activity_id"), Ballot.participant_id == bindparam("participant_id"))
)


def own_ballot(participant: Participant, activity: Activity, *, fresh: bool = False) -> Ballot | None:
    """The participant's ballot with its entries (one query); ``fresh`` reloads one the session holds."""
    statement = _OWN_BALLOT.execution_options(populate_existing=True) if fresh else _OWN_BALLOT
    result = db.session.execute(statement, {"activity_id": activity.id, "participant_id": participant.id})
    return result.unique().scalar_one_or_none()


def cast_votes(
    participant: Participant, activity: Activity, *, client_id: str, entries: list[Entry]
) -> tuple[Ballot | None, bool]:
    """Replace the participant's ballot with ``entries`` (an empty list takes the vote back).

    Returns the stored ballot (``None`` when taken back) and whether anything changed: a resend of the
    last command's ``client_id`` changes nothing. A ballot that breaks any rule is refused whole.
    """
    existing = own_ballot(participant, activity)
    if existing is not None and existing.client_id == client_id:
        return existing, False
    _require_vote(activity, participant)
    options = ensure_options(activity)
    method = method_of(activity)
    entries = method.check(
        list(entries),
        activity.config,
        options={o.id for o in options if o.is_visible},
        own={o.id for o in options if o.proposed_by_id == participant.id},
    )
    for attempt in range(ATTEMPTS):
        try:
            # Without a ballot a moment ago, most likely still none: insert it straight away (if one
            # came in between, the unique constraint says so and the next attempt replaces it).
            ballot, changed = _replace_ballot(
                participant, activity, client_id, entries, is_first=existing is None and attempt == 0
            )
        except IntegrityError:  # the participant's first ballot arrived twice at once: try again
            db.session.rollback()
            continue
        if changed:
            _publish_ballot(participant, activity, ballot)
        return ballot, changed
    raise VotingError(_l("Das hat nicht geklappt. Bitte noch einmal versuchen."), code="busy")


# The statements of a ballot change, built once and run on the tables (no ORM bookkeeping): casting a
# ballot is what 2,000 phones do within seconds when a vote opens.
_BALLOTS, _ENTRIES, _TALLIES = Ballot.__table__, BallotEntry.__table__, Tally.__table__
_OWN = (_BALLOTS.c.activity_id == bindparam("b_activity"), _BALLOTS.c.participant_id == bindparam("b_participant"))
_LOCK_BALLOT = update(_BALLOTS).where(*_OWN).values(cast_at=bindparam("b_now"))
_BALLOT_ID = select(_BALLOTS.c.id, _BALLOTS.c.client_id).where(*_OWN)
_OLD_ENTRIES = select(_ENTRIES.c.option_id, _ENTRIES.c.value, _ENTRIES.c.x, _ENTRIES.c.y).where(
    _ENTRIES.c.ballot_id == bindparam("b_ballot")
)
_DELETE_ENTRIES = delete(_ENTRIES).where(_ENTRIES.c.ballot_id == bindparam("b_ballot"))
_INSERT_BALLOT = insert(_BALLOTS).returning(_BALLOTS.c.id)
_INSERT_ENTRIES = insert(_ENTRIES)
_SET_CLIENT_ID = update(_BALLOTS).where(_BALLOTS.c.id == bindparam("b_ballot")).values(client_id=bindparam("b_client"))
_DELETE_BALLOT = delete(_BALLOTS).where(_BALLOTS.c.id == bindparam("b_ballot"))
_TAKE_FROM_TALLY = (
    update(_TALLIES)
    .where(_TALLIES.c.option_id == bindparam("b_option"), _TALLIES.c.value == bindparam("b_value"))
    .values(
        entries=_TALLIES.c.entries + bindparam("b_entries"),
        sum_x=_TALLIES.c.sum_x + bindparam("b_sum_x"),
        sum_y=_TALLIES.c.sum_y + bindparam("b_sum_y"),
    )
)


def _replace_ballot(
    participant: Participant, activity: Activity, client_id: str, entries: list[Entry], *, is_first: bool = False
) -> tuple[Ballot | None, bool]:
    own = {"b_activity": activity.id, "b_participant": participant.id}
    now = utcnow()
    # Lock the ballot first (the row on PostgreSQL, the database on SQLite): whatever this transaction
    # reads afterwards cannot change until it commits, so tallies never count twice. A first ballot
    # has nothing to lock.
    locked = 0 if is_first and entries else db.session.execute(_LOCK_BALLOT, {**own, "b_now": now}).rowcount
    if locked:
        ballot_id, stored_client_id = db.session.execute(_BALLOT_ID, own).one()
        if stored_client_id == client_id:  # a resend that overtook its first copy
            db.session.rollback()
            return own_ballot(participant, activity), False
        old = [Entry(*row) for row in db.session.execute(_OLD_ENTRIES, {"b_ballot": ballot_id})]
        db.session.execute(_DELETE_ENTRIES, {"b_ballot": ballot_id})
    elif not entries:
        db.session.rollback()
        return None, False  # nothing to take back
    else:
        ballot_id = db.session.execute(
            _INSERT_BALLOT,
            {"activity_id": activity.id, "participant_id": participant.id, "client_id": client_id, "cast_at": now},
        ).scalar_one()
        old = []
    if entries:
        db.session.execute(
            _INSERT_ENTRIES,
            [{"ballot_id": ballot_id, "option_id": e.option_id, "value": e.value, "x": e.x, "y": e.y} for e in entries],
        )
        if locked:  # the replaced ballot takes this command's client id (a new one has it already)
            db.session.execute(_SET_CLIENT_ID, {"b_ballot": ballot_id, "b_client": client_id})
    else:
        db.session.execute(_DELETE_BALLOT, {"b_ballot": ballot_id})
    _adjust_tallies(methods.buckets_of(old), methods.buckets_of(entries))
    commit_keeping_state()
    return (own_ballot(participant, activity, fresh=True) if entries else None), True


def _adjust_tallies(removed: Buckets, added: Buckets) -> None:
    """Apply the difference between two sets of entries to the tallies, in SQL."""
    delta: dict[tuple[int, int], list[int]] = {}
    for buckets, sign in ((removed, -1), (added, 1)):
        for option_id, by_value in buckets.items():
            for value, bucket in by_value.items():
                change = delta.setdefault((option_id, value), [0, 0, 0])
                change[0] += sign * bucket.entries
                change[1] += sign * bucket.sum_x
                change[2] += sign * bucket.sum_y
    # One fixed order for every row this ballot touches, added to or taken from, so that concurrent
    # ballots lock the tally rows in the same order (two passes, adding first, deadlocked on PostgreSQL).
    upsert = _tally_upsert(db.session.get_bind().dialect.name)
    batch: list[dict] = []  # consecutive additions go as one statement (executemany, in this order)
    for (option_id, value), (entries, sum_x, sum_y) in sorted(delta.items()):
        if entries > 0:
            batch.append({"option_id": option_id, "value": value, "entries": entries, "sum_x": sum_x, "sum_y": sum_y})
            continue
        if batch:
            db.session.execute(upsert, batch)
            batch = []
        if (entries, sum_x, sum_y) == (0, 0, 0):
            continue
        # The row exists: the entries being replaced were counted in it.
        parameters = {"b_option": option_id, "b_value": value, "b_entries": entries, "b_sum_x": sum_x, "b_sum_y": sum_y}
        if db.session.execute(_TAKE_FROM_TALLY, parameters).rowcount != 1:
            raise RuntimeError(f"no tally for option {option_id} value {value}")
    if batch:
        db.session.execute(upsert, batch)


_TALLY_UPSERTS: dict[str, object] = {}


def _tally_upsert(dialect: str):
    """``INSERT … ON CONFLICT DO UPDATE`` adding to a tally row, built once per dialect."""
    if dialect not in _TALLY_UPSERTS:
        statement = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}[dialect](_TALLIES)
        _TALLY_UPSERTS[dialect] = statement.on_conflict_do_update(
            index_elements=[_TALLIES.c.option_id, _TALLIES.c.value],
            set_={
                "entries": _TALLIES.c.entries + statement.excluded.entries,
                "sum_x": _TALLIES.c.sum_x + statement.excluded.sum_x,
                "sum_y": _TALLIES.c.sum_y + statement.excluded.sum_y,
            },
        )
    return _TALLY_UPSERTS[dialect]


# -- tallies and results --------------------------------------------------------------------------------


def _buckets(rows) -> Buckets:
    buckets: Buckets = {}
    for option_id, value, entries, sum_x, sum_y in rows:
        if entries:
            buckets.setdefault(option_id, {})[value] = Bucket(int(entries), int(sum_x or 0), int(sum_y or 0))
    return buckets


def tallies(activity: Activity) -> Buckets:
    """The running tallies of the step: a few rows per option."""
    return _buckets(
        db.session.execute(
            select(Tally.option_id, Tally.value, Tally.entries, Tally.sum_x, Tally.sum_y)
            .join(Option, Option.id == Tally.option_id)
            .where(Option.activity_id == activity.id)
        )
    )


def count_tallies(activity: Activity) -> Buckets:
    """The tallies counted afresh from every entry (to check the running ones)."""
    return _buckets(
        db.session.execute(
            select(
                BallotEntry.option_id,
                BallotEntry.value,
                func.count(BallotEntry.id),
                func.sum(func.round(BallotEntry.x * methods.MATRIX_STEPS)),
                func.sum(func.round(BallotEntry.y * methods.MATRIX_STEPS)),
            )
            .join(Ballot, Ballot.id == BallotEntry.ballot_id)
            .where(Ballot.activity_id == activity.id)
            .group_by(BallotEntry.option_id, BallotEntry.value)
        )
    )


def ballot_count(activity: Activity) -> int:
    return db.session.scalar(select(func.count(Ballot.id)).where(Ballot.activity_id == activity.id))


def results(activity: Activity, options: list[Option] | None = None) -> dict:
    """Results of the step from its running tallies: every visible topic with its figures.

    ``options`` are the step's options if the caller has them already (from :func:`ensure_options`).
    """
    method = method_of(activity)
    ballots = ballot_count(activity)
    options = [
        {"id": o.id, "label": o.label, "position": o.position, "source": o.source.value}
        for o in (ensure_options(activity) if options is None else options)
        if o.is_visible
    ]
    return {
        "activity_id": activity.id,
        "method": method.name,
        "ballots": ballots,
        "options": methods.results(method, activity.config, options, tallies(activity), ballots),
    }


#: Where an app keeps the results it computed for the screens: ``activity_id -> (monotonic time, results)``.
RESULTS_CACHE = "voting.results"


def _shared_results(activity: Activity, options: list[Option] | None = None, *, fresh: bool = False) -> dict:
    """:func:`results` computed at most once per coalescing interval for the snapshots of the screens.

    A revealed vote makes every phone ask for a snapshot at once (2,000 of them in a large forum);
    they share one computation. Every ballot or topic change in this process drops it
    (:func:`publish_results`); one made by another process shows after the interval at the latest.
    ``fresh`` computes anew (the coalesced updates do, so that the last one is never stale).
    """
    app = current_app._get_current_object()
    cache = app.extensions.setdefault(RESULTS_CACHE, {})
    now = time.monotonic()
    found = cache.get(activity.id)
    if not fresh and found is not None and now - found[0] < app.config.get("REALTIME_COALESCE_SECONDS", 0.3):
        return found[1]
    computed = results(activity, options)
    cache[activity.id] = (now, computed)
    return computed


def _forget_results(activity_id: int) -> None:
    current_app.extensions.get(RESULTS_CACHE, {}).pop(activity_id, None)


def screen_results(activity: Activity, options: list[Option] | None = None, *, fresh: bool = False) -> dict:
    """What the projector (and phones) get: the results once visible, before that the count of ballots."""
    shared = _shared_results(activity, options, fresh=fresh)
    if results_visible(activity):
        return {**shared, "is_visible": True}
    return {
        "activity_id": activity.id,
        "method": shared["method"],
        "ballots": shared["ballots"],
        "options": [],
        "is_visible": False,
    }


# -- publishing -----------------------------------------------------------------------------------------


def publish_results(activity: Activity) -> None:
    """Coalesced results for the projector (as far as it may see them) and the moderators."""
    activity_id, workshop_id = activity.id, activity.workshop_id
    _forget_results(activity_id)

    def current() -> Activity:
        return db.session.get(Activity, activity_id)

    broadcast.publish_coalesced(
        f"results:{activity_id}:projector",
        rooms.projector(workshop_id),
        "results_changed",
        lambda: screen_results(current(), fresh=True),
    )
    broadcast.publish_coalesced(
        f"results:{activity_id}:moderators",
        rooms.moderators(workshop_id),
        "results_changed",
        lambda: {**results(current()), "is_visible": results_visible(current())},
    )


def _publish_ballot(participant: Participant, activity: Activity, ballot: Ballot | None) -> None:
    """The voter's other tabs get their ballot; the screens get coalesced results, nobody else anything."""
    broadcast.publish(
        rooms.participant(participant.id),
        "own_ballot_changed",
        {"activity_id": activity.id, "ballot": payloads.ballot(ballot) if ballot else None},
    )
    publish_results(activity)


def _publish_option(option: Option) -> None:
    """Moderators see every proposal; its author sees its status."""
    activity = option.activity
    broadcast.publish(
        rooms.moderators(activity.workshop_id), "option_changed", {"option": option_for_moderator(option)}
    )
    if option.proposed_by_id:
        broadcast.publish(
            rooms.participant(option.proposed_by_id),
            "own_option_changed",
            {"option": payloads.option(option, own=True)},
        )


def _publish_options(activity: Activity, version: int) -> None:
    """The topics on the ballot changed: every screen gets the new list (a state change, not per vote)."""
    broadcast.publish(
        rooms.everyone(activity.workshop_id),
        "options_changed",
        {"activity_id": activity.id, "options": [payloads.option(o) for o in options_of(activity)], "version": version},
    )
    publish_results(activity)

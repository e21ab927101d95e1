"""The clustering board: the moderator groups the approved cards of a step's card questions into themes.

Every change is a moderator action: create, rename, recolour, merge, split and delete clusters, move
cards between clusters and the unassigned pile, and accept or reject what the suggestion engine
proposes. Nothing moves on its own. A card sits in at most one cluster of a step (a unique
constraint on placements); cards without a placement are unassigned. After each committed change the
screens get the board coalesced per step (``board_changed``).

The suggestion engine (``algorithms``, ``embedding``) works on stored card vectors: each card's text is
embedded once (per model), when a console first opens the board (in the background) or at the
latest when suggestions are requested, in small chunks that let other work run in between.
"""

import logging
import time
from collections.abc import Iterable

import numpy as np
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from facilitation.accounts.models import Account
from facilitation.activities.models import Activity
from facilitation.clustering.models import (
    CardEmbedding,
    Cluster,
    Placement,
    Suggestion,
    SuggestionKind,
    SuggestionStatus,
)
from facilitation.extensions import db, socketio
from facilitation.modeling import DomainError
from facilitation.participation.models import Card, CardStatus
from facilitation.participation.services import clean_text
from facilitation.realtime import broadcast, payloads, rooms
from facilitation.workshops import services as workshop_services

logger = logging.getLogger(__name__)

#: The board's colours: named, each with a text colour that keeps 4.5:1 contrast (see console.css and
#: projector.css); a cluster's colour never carries meaning on its own, its label does.
PALETTE = ("blue", "green", "orange", "purple", "teal", "red", "brown", "grey")
LABEL_MAX = 120
MAX_CLUSTERS = 100
#: Which engine proposes: "auto" (e5 when the model is installed, else character n-grams), "e5", "tfidf".
ENGINE_SETTING = "CLUSTERING_ENGINE"


class ClusteringError(DomainError):
    """A board change the rules refuse."""


def colour_labels() -> dict[str, str]:
    return {
        "blue": str(_l("Blau")),
        "green": str(_l("Grün")),
        "orange": str(_l("Orange")),
        "purple": str(_l("Lila")),
        "teal": str(_l("Petrol")),
        "red": str(_l("Rot")),
        "brown": str(_l("Braun")),
        "grey": str(_l("Grau")),
    }


# -- reading the board --------------------------------------------------------------------------------


def require_board(activity: Activity) -> Activity:
    if activity.kind != "clustering":
        raise ClusteringError(_l("Dieser Schritt ist kein Clustern."), code="wrong_step")
    return activity


def source_steps(activity: Activity) -> list[Activity]:
    """The card steps whose approved cards the board clusters, in agenda order."""
    positions = set(activity.config.get("sources") or [])
    return [a for a in activity.workshop.activities if a.position in positions and a.kind == "cards"]


def source_cards(activity: Activity) -> list[Card]:
    """The approved (visible) cards of the source steps, in agenda order, oldest first."""
    steps = source_steps(activity)
    if not steps:
        return []
    order = {step.id: step.position for step in steps}
    cards = db.session.scalars(
        select(Card).where(Card.activity_id.in_(order), Card.status == CardStatus.visible).order_by(Card.id)
    ).all()
    return sorted(cards, key=lambda card: (order[card.activity_id], card.id))


def clusters_of(activity: Activity) -> list[Cluster]:
    return list(
        db.session.scalars(
            select(Cluster).where(Cluster.activity_id == activity.id).order_by(Cluster.position, Cluster.id)
        )
    )


def _placements(activity: Activity) -> list[Placement]:
    return list(
        db.session.scalars(
            select(Placement).where(Placement.activity_id == activity.id).order_by(Placement.position, Placement.id)
        )
    )


def board(activity: Activity, *, for_moderator: bool = False) -> dict:
    """The board as the screens draw it: clusters with their cards, the unassigned pile, the cards.

    Only approved cards of the source steps appear; a card hidden after it was placed keeps its
    placement but is left out until it is approved again.
    """
    cards = source_cards(activity)
    visible = {card.id for card in cards}
    members: dict[int, list[int]] = {}
    placed = set()
    for placement in _placements(activity):
        if placement.card_id in visible:
            members.setdefault(placement.cluster_id, []).append(placement.card_id)
            placed.add(placement.card_id)
    data = {
        "activity_id": activity.id,
        "clusters": [payloads.cluster(cluster, members.get(cluster.id, [])) for cluster in clusters_of(activity)],
        "unassigned": [card.id for card in cards if card.id not in placed],
        "cards": [payloads.card(card) for card in cards],
    }
    if for_moderator:
        data["suggestions"] = [
            payloads.suggestion(s, _live_card_ids(s, visible - placed)) for s in pending_suggestions(activity)
        ]
        data["colours"] = colour_labels()
    return data


def pending_suggestions(activity: Activity) -> list[Suggestion]:
    return list(
        db.session.scalars(
            select(Suggestion)
            .where(Suggestion.activity_id == activity.id, Suggestion.status == SuggestionStatus.pending)
            .order_by(Suggestion.position, Suggestion.id)
        )
    )


def _live_card_ids(suggestion: Suggestion, unassigned: set[int]) -> list[int]:
    """The proposed cards that are still unassigned and approved (the moderator may have moved some)."""
    return [card_id for card_id in suggestion.card_ids if card_id in unassigned]


# -- publishing -------------------------------------------------------------------------------------------


def publish_board(activity: Activity) -> None:
    """Send the board to projector and consoles, coalesced per step (``board_changed``)."""
    activity_id, workshop_id = activity.id, activity.workshop_id

    def build(for_moderator: bool):
        def build_board() -> dict:
            step = db.session.get(Activity, activity_id)
            return board(step, for_moderator=for_moderator) if step else {"activity_id": activity_id, "deleted": True}

        return build_board

    broadcast.publish_coalesced(
        f"board:{activity_id}", rooms.projector(workshop_id), "board_changed", build(for_moderator=False)
    )
    broadcast.publish_coalesced(
        f"board-console:{activity_id}", rooms.moderators(workshop_id), "board_changed", build(for_moderator=True)
    )


def _commit(actor: Account, activity: Activity, action: str, **details) -> None:
    workshop_services.record_audit(
        actor, action, workshop=activity.workshop, target=f"activity:{activity.id}", **details
    )
    db.session.commit()
    logger.info("Board %r: %s by %r", activity, action, actor)
    publish_board(activity)


# -- clusters ------------------------------------------------------------------------------------------------


def _label(label: str) -> str:
    label = clean_text(label or "").replace("\n", " ")
    if not label:
        raise ClusteringError(_l("Bitte einen Namen für das Cluster angeben."), code="empty")
    if len(label) > LABEL_MAX:
        raise ClusteringError(_l("Höchstens %(n)d Zeichen für den Namen.", n=LABEL_MAX), code="too_long")
    return label


def _colour(colour: str | None, activity: Activity) -> str:
    if colour is None:
        used = db.session.scalar(select(func.count(Cluster.id)).where(Cluster.activity_id == activity.id))
        return PALETTE[used % len(PALETTE)]
    if colour not in PALETTE:
        raise ClusteringError(_l("Diese Farbe gibt es nicht."), code="invalid")
    return colour


def _board_cards(activity: Activity, card_ids: Iterable[int]) -> list[Card]:
    """The cards with these ids, refusing any that is not an approved card of the board's sources."""
    card_ids = list(dict.fromkeys(card_ids))
    if not card_ids:
        return []
    allowed = {card.id: card for card in source_cards(activity)}
    missing = [card_id for card_id in card_ids if card_id not in allowed]
    if missing:
        raise ClusteringError(_l("Diese Karte liegt nicht auf dieser Pinnwand."), code="not_found")
    return [allowed[card_id] for card_id in card_ids]


def _next_cluster_position(activity: Activity) -> int:
    highest = db.session.scalar(select(func.max(Cluster.position)).where(Cluster.activity_id == activity.id))
    return 0 if highest is None else highest + 1


def _new_cluster(activity: Activity, label: str, colour: str | None) -> Cluster:
    count = db.session.scalar(select(func.count(Cluster.id)).where(Cluster.activity_id == activity.id))
    if count >= MAX_CLUSTERS:
        raise ClusteringError(_l("Höchstens %(n)d Cluster pro Schritt.", n=MAX_CLUSTERS), code="limit")
    cluster = Cluster(
        activity=activity,
        label=_label(label),
        colour=_colour(colour, activity),
        position=_next_cluster_position(activity),
    )
    db.session.add(cluster)
    db.session.flush()
    return cluster


def _place(activity: Activity, cluster: Cluster | None, cards: list[Card], position: int | None = None) -> None:
    """Put ``cards`` into ``cluster`` (``None``: the unassigned pile) at ``position`` (default: the end)."""
    if not cards:
        return
    ids = [card.id for card in cards]
    existing = {
        p.card_id: p
        for p in db.session.scalars(
            select(Placement).where(Placement.activity_id == activity.id, Placement.card_id.in_(ids))
        )
    }
    touched = {p.cluster_id for p in existing.values()}
    if cluster is None:
        for placement in existing.values():
            db.session.delete(placement)
    else:
        for card in cards:
            placement = existing.get(card.id)
            if placement is None:
                db.session.add(Placement(activity_id=activity.id, cluster_id=cluster.id, card_id=card.id, position=0))
            else:
                placement.cluster_id = cluster.id
        touched.add(cluster.id)
    db.session.flush()
    for cluster_id in touched:
        _renumber(cluster_id, ids if cluster is not None and cluster_id == cluster.id else [], position)


def _renumber(cluster_id: int, moved: list[int], position: int | None) -> None:
    """Number a cluster's placements 0…n-1, the ``moved`` cards inserted at ``position`` (or appended)."""
    placements = list(
        db.session.scalars(
            select(Placement).where(Placement.cluster_id == cluster_id).order_by(Placement.position, Placement.id)
        )
    )
    moved_set = set(moved)
    staying = [p for p in placements if p.card_id not in moved_set]
    arriving = sorted((p for p in placements if p.card_id in moved_set), key=lambda p: moved.index(p.card_id))
    at = len(staying) if position is None else max(0, min(position, len(staying)))
    for index, placement in enumerate(staying[:at] + arriving + staying[at:]):
        placement.position = index


def create_cluster(
    actor: Account, activity: Activity, label: str, *, colour: str | None = None, card_ids: Iterable[int] = ()
) -> Cluster:
    """Add a cluster to the board, optionally with cards (taken from wherever they were)."""
    require_board(activity)
    cards = _board_cards(activity, card_ids)
    cluster = _new_cluster(activity, label, colour)
    _place(activity, cluster, cards)
    _commit(actor, activity, "cluster.created", cluster=cluster.id, label=cluster.label, cards=len(cards))
    return cluster


def rename_cluster(actor: Account, cluster: Cluster, label: str) -> Cluster:
    cluster.label = _label(label)
    _commit(actor, cluster.activity, "cluster.renamed", cluster=cluster.id, label=cluster.label)
    return cluster


def recolour_cluster(actor: Account, cluster: Cluster, colour: str) -> Cluster:
    cluster.colour = _colour(colour, cluster.activity)
    _commit(actor, cluster.activity, "cluster.recoloured", cluster=cluster.id, colour=cluster.colour)
    return cluster


def move_cluster(actor: Account, cluster: Cluster, position: int) -> Cluster:
    """Move a cluster to ``position`` on the board (clamped), shifting the others."""
    activity = cluster.activity
    ordered = [c for c in clusters_of(activity) if c.id != cluster.id]
    ordered.insert(max(0, min(position, len(ordered))), cluster)
    for index, item in enumerate(ordered):
        item.position = index
    _commit(actor, activity, "cluster.moved", cluster=cluster.id, position=cluster.position)
    return cluster


def delete_cluster(actor: Account, cluster: Cluster) -> None:
    """Remove a cluster; its cards go back to the unassigned pile."""
    activity = cluster.activity
    details = {"cluster": cluster.id, "label": cluster.label}
    db.session.delete(cluster)
    _commit(actor, activity, "cluster.deleted", **details)


def merge_clusters(actor: Account, target: Cluster, others: list[Cluster], label: str | None = None) -> Cluster:
    """Move the cards of ``others`` into ``target`` (after its own) and delete ``others``."""
    activity = target.activity
    others = [other for other in others if other.id != target.id]
    if not others:
        raise ClusteringError(_l("Bitte mindestens zwei Cluster zum Zusammenführen wählen."))
    if any(other.activity_id != activity.id for other in others):
        raise ClusteringError(_l("Dieses Cluster gibt es auf dieser Pinnwand nicht."), code="not_found")
    if label is not None:
        target.label = _label(label)
    moving = [
        p.card
        for other in others
        for p in db.session.scalars(
            select(Placement).where(Placement.cluster_id == other.id).order_by(Placement.position, Placement.id)
        )
    ]
    _place(activity, target, moving)
    for other in others:
        db.session.delete(other)
    _commit(actor, activity, "cluster.merged", cluster=target.id, merged=[other.id for other in others])
    return target


def split_cluster(actor: Account, cluster: Cluster, card_ids: Iterable[int], label: str) -> Cluster:
    """Move the chosen cards of ``cluster`` into a new cluster right after it."""
    activity = cluster.activity
    card_ids = list(dict.fromkeys(card_ids))
    inside = set(db.session.scalars(select(Placement.card_id).where(Placement.cluster_id == cluster.id)))
    if not card_ids:
        raise ClusteringError(_l("Bitte die Karten wählen, die ein eigenes Cluster bilden sollen."))
    if any(card_id not in inside for card_id in card_ids):
        raise ClusteringError(_l("Diese Karte liegt nicht in diesem Cluster."), code="not_found")
    cards = _board_cards(activity, card_ids)
    new = _new_cluster(activity, label, None)
    for other in clusters_of(activity):  # right after the split one, the rest shifted back
        if other.id != new.id and other.position > cluster.position:
            other.position += 1
    new.position = cluster.position + 1
    _place(activity, new, cards)
    _commit(actor, activity, "cluster.split", cluster=cluster.id, new_cluster=new.id, cards=len(cards))
    return new


def move_card(actor: Account, activity: Activity, card_id: int, cluster: Cluster | None, position: int | None = None):
    """Put a card into ``cluster`` at ``position``, or back on the unassigned pile (``cluster=None``)."""
    require_board(activity)
    if cluster is not None and cluster.activity_id != activity.id:
        raise ClusteringError(_l("Dieses Cluster gibt es auf dieser Pinnwand nicht."), code="not_found")
    cards = _board_cards(activity, [card_id])
    _place(activity, cluster, cards, position)
    _commit(actor, activity, "card.placed", card=card_id, cluster=cluster.id if cluster else None)


# -- suggestions ------------------------------------------------------------------------------------------


def _engine_modules():
    """The engine's modules, imported on first use: scipy takes about a second to import, which every CLI
    command and test would pay otherwise. A serving process imports them before it serves
    (:func:`prepare_engine`)."""
    from facilitation.clustering import algorithms, embedding

    return algorithms, embedding


def _embedding():
    """The vector module alone (numpy only): cheap enough to import while serving."""
    from facilitation.clustering import embedding

    return embedding


def _engine_name() -> str:
    """The engine of this app: decided without loading the model (a moment of its own, done off the
    request path by the first embedding)."""
    embedding = _embedding()
    wanted = current_app.config.get(ENGINE_SETTING, "auto")
    if wanted == "tfidf":
        return "tfidf"
    if embedding.is_e5_installed():
        return "e5"
    if wanted == "e5":
        logger.warning("CLUSTERING_ENGINE is e5 but the model is not available; using character n-grams")
    return "tfidf"


def prepare_engine(app) -> str:
    """Import the suggestion engine and load its model now; return the engine's name.

    scipy (and scikit-learn for the n-gram fallback) take about a second each to import, and an import
    holds the whole process: under eventlet or gevent every screen would wait for the first suggestion
    of the day. A serving entry point calls this before it serves; commands and tests import lazily.
    """
    started = time.perf_counter()
    with app.app_context():
        _algorithms, embedding = _engine_modules()
        engine = _engine_name()
        if engine == "e5" and embedding.is_e5_available():
            embedding.reference()
        else:  # no model, or it failed to load: the fallback's library now, not in a suggestion
            engine = "tfidf"
            embedding.ngram_vectoriser()
    logger.info("Suggestion engine %s ready in %.2f s", engine, time.perf_counter() - started)
    return engine


def _pause() -> None:
    """Let other greenlets (eventlet, gevent) run between two chunks of embedding."""
    socketio.sleep(0)


def card_vectors(cards: list[Card]):
    """The stored e5 vectors of ``cards`` (one row each), computing and storing the missing or stale ones."""
    embedding = _embedding()
    model = embedding.model_name()
    ids = [card.id for card in cards]
    stored = {
        row.card_id: row
        for start in range(0, len(ids), 500)
        for row in db.session.scalars(select(CardEmbedding).where(CardEmbedding.card_id.in_(ids[start : start + 500])))
    }
    missing = [
        card
        for card in cards
        if card.id not in stored
        or stored[card.id].model != model
        or stored[card.id].text_hash != embedding.text_hash(card.text)
    ]
    for start in range(0, len(missing), embedding.CHUNK):
        chunk = missing[start : start + embedding.CHUNK]
        vectors = embedding.embed([card.text for card in chunk])
        for card, vector in zip(chunk, vectors, strict=True):
            row = stored.get(card.id) or CardEmbedding(card_id=card.id)
            row.model, row.text_hash, row.vector = model, embedding.text_hash(card.text), embedding.to_bytes(vector)
            db.session.add(row)
            stored[card.id] = row
        try:
            db.session.commit()  # short transactions: SQLite has one writer
        except IntegrityError:  # another console stored the same cards at the same moment
            db.session.rollback()
            return card_vectors(cards)
        _pause()
    raw = np.vstack([embedding.from_bytes(stored[card_id].vector) for card_id in ids]) if ids else np.zeros((0, 384))
    return embedding.centre(raw, embedding.reference())


def embed_in_background(activity: Activity) -> None:
    """Embed the board's cards off the request path (a console opened the board); once per step at a time."""
    if _engine_name() != "e5":
        return
    app = current_app._get_current_object()
    running = app.extensions.setdefault("clustering.embedding", set())
    if activity.id in running:
        return
    running.add(activity.id)
    socketio.start_background_task(_embed_task, app, activity.id)


def _embed_task(app, activity_id: int) -> None:
    try:
        with app.app_context():
            activity = db.session.get(Activity, activity_id)
            if activity is not None:
                card_vectors(source_cards(activity))
            db.session.remove()
    except Exception:  # a background task must never take the server down; suggestions embed again
        logger.exception("Embedding the cards of activity %s failed", activity_id)
    finally:
        app.extensions.get("clustering.embedding", set()).discard(activity_id)


def suggest(actor: Account, activity: Activity, granularity: int = 0) -> list[Suggestion]:
    """Replace the pending suggestions with new ones for the current board.

    Proposes tight groups of the unassigned cards (at most ``MAX_CARDS`` per run, oldest first) and
    themes among the clusters on the board. Accepted clusters and their cards stay as they are;
    a proposal the moderator rejected before is not made again.
    """
    algorithms, embedding = _engine_modules()
    require_board(activity)
    granularity = max(-2, min(2, int(granularity)))
    engine = _engine_name()
    cards = source_cards(activity)
    placements = [p for p in _placements(activity) if p.card_id in {card.id for card in cards}]
    placed = {p.card_id for p in placements}
    loose = [card for card in cards if card.id not in placed][: algorithms.MAX_CARDS]
    clustered = [card for card in cards if card.id in placed][: algorithms.MAX_CARDS - len(loose)]
    corpus = loose + clustered
    index = {card.id: number for number, card in enumerate(corpus)}
    vectors = None
    if engine == "e5":
        try:
            vectors = card_vectors(corpus)
        except RuntimeError:  # the model did not load after all: character n-grams instead
            db.session.rollback()
            engine = "tfidf"
    if vectors is None:
        vectors = embedding.tfidf_vectors([card.text for card in corpus])
    group_cut, theme_cut = algorithms.cuts(engine, granularity)
    similarity = algorithms.similarities(vectors) if len(corpus) else None
    texts = [card.text for card in corpus]

    rejected = {
        (s.kind, tuple(sorted(s.card_ids or s.cluster_ids)))
        for s in db.session.scalars(
            select(Suggestion).where(
                Suggestion.activity_id == activity.id, Suggestion.status == SuggestionStatus.rejected
            )
        )
    }
    db.session.execute(
        delete(Suggestion).where(Suggestion.activity_id == activity.id, Suggestion.status == SuggestionStatus.pending)
    )
    made: list[Suggestion] = []
    if len(loose) >= algorithms.MIN_GROUP:
        loose_vectors = vectors[: len(loose)]
        groups = algorithms.propose_groups(
            loose_vectors, max_distance=group_cut, similarity=similarity[: len(loose), : len(loose)]
        )
        described = algorithms.describe(texts, groups, vectors, similarity=similarity)
        for group, description in zip(groups, described, strict=True):
            card_ids = [corpus[i].id for i in group]
            if (SuggestionKind.group, tuple(sorted(card_ids))) in rejected:
                continue
            made.append(
                Suggestion(
                    activity_id=activity.id,
                    kind=SuggestionKind.group,
                    label=description.label,
                    terms=list(description.terms),
                    card_ids=card_ids,
                    cluster_ids=[],
                    example_card_id=corpus[description.example].id,
                    engine=engine,
                    granularity=granularity,
                )
            )
    members: dict[int, list[int]] = {}
    for placement in placements:
        if placement.card_id in index:
            members.setdefault(placement.cluster_id, []).append(index[placement.card_id])
    cluster_order = [c for c in clusters_of(activity) if members.get(c.id)]
    if len(cluster_order) >= 2:
        groups = [members[c.id] for c in cluster_order]
        themes = algorithms.propose_themes(vectors, groups, max_distance=theme_cut)
        unions = [sorted({i for g in theme for i in groups[g]}) for theme in themes]
        described = algorithms.describe(texts, unions, vectors, similarity=similarity)
        for theme, description in zip(themes, described, strict=True):
            ordered = sorted((cluster_order[g] for g in theme), key=lambda c: (-len(members[c.id]), c.position))
            cluster_ids = [c.id for c in ordered]
            if (SuggestionKind.merge, tuple(sorted(cluster_ids))) in rejected:
                continue
            made.append(
                Suggestion(
                    activity_id=activity.id,
                    kind=SuggestionKind.merge,
                    label=description.label,
                    terms=list(description.terms),
                    card_ids=[],
                    cluster_ids=cluster_ids,
                    example_card_id=corpus[description.example].id,
                    engine=engine,
                    granularity=granularity,
                )
            )
    for position, suggestion in enumerate(made):
        suggestion.position = position
        db.session.add(suggestion)
    _commit(actor, activity, "suggestions.made", engine=engine, granularity=granularity, count=len(made))
    return made


def _pending(suggestion: Suggestion) -> Suggestion:
    if suggestion.status is not SuggestionStatus.pending:
        raise ClusteringError(_l("Über diesen Vorschlag wurde schon entschieden."), code="refused")
    return suggestion


def _unassigned_of(suggestion: Suggestion, activity: Activity) -> list[int]:
    cards = {card.id for card in source_cards(activity)}
    placed = set(db.session.scalars(select(Placement.card_id).where(Placement.activity_id == activity.id)))
    return [card_id for card_id in suggestion.card_ids if card_id in cards and card_id not in placed]


def accept_suggestion(actor: Account, suggestion: Suggestion, label: str | None = None) -> Cluster:
    """Carry out a proposal: a group becomes a cluster (its still unassigned cards), a theme merges clusters."""
    activity = suggestion.activity
    _pending(suggestion)
    if suggestion.kind is SuggestionKind.merge:
        clusters = [db.session.get(Cluster, cluster_id) for cluster_id in suggestion.cluster_ids]
        clusters = [c for c in clusters if c is not None and c.activity_id == activity.id]
        if len(clusters) < 2:
            raise ClusteringError(_l("Diese Cluster gibt es nicht mehr. Bitte neu vorschlagen lassen."))
        suggestion.status = SuggestionStatus.accepted
        suggestion.cluster_id = clusters[0].id
        return merge_clusters(actor, clusters[0], clusters[1:], label=label or suggestion.label)
    card_ids = _unassigned_of(suggestion, activity)
    if not card_ids:
        raise ClusteringError(_l("Diese Karten sind schon alle einsortiert."))
    cluster = _suggestion_cluster(suggestion, activity, label)
    _place(activity, cluster, _board_cards(activity, card_ids))
    suggestion.card_ids = []
    suggestion.status = SuggestionStatus.accepted
    _commit(actor, activity, "suggestion.accepted", suggestion=suggestion.id, cluster=cluster.id, cards=len(card_ids))
    return cluster


def _suggestion_cluster(suggestion: Suggestion, activity: Activity, label: str | None) -> Cluster:
    """The cluster a group proposal fills: the one made by accepting a first card, else a new one."""
    cluster = db.session.get(Cluster, suggestion.cluster_id) if suggestion.cluster_id else None
    if cluster is None:
        cluster = _new_cluster(activity, label or suggestion.label, None)
        suggestion.cluster_id = cluster.id
    elif label:
        cluster.label = _label(label)
    return cluster


def reject_suggestion(actor: Account, suggestion: Suggestion) -> None:
    """Dismiss a proposal; the same proposal is not made again."""
    _pending(suggestion).status = SuggestionStatus.rejected
    _commit(actor, suggestion.activity, "suggestion.rejected", suggestion=suggestion.id)


def accept_suggested_card(actor: Account, suggestion: Suggestion, card_id: int) -> Cluster:
    """Take one card of a group proposal: into the proposal's cluster (made now if needed)."""
    activity = suggestion.activity
    if _pending(suggestion).kind is not SuggestionKind.group or card_id not in suggestion.card_ids:
        raise ClusteringError(_l("Diese Karte gehört nicht zu diesem Vorschlag."), code="not_found")
    if card_id not in _unassigned_of(suggestion, activity):
        raise ClusteringError(_l("Diese Karte ist schon einsortiert."))
    cluster = _suggestion_cluster(suggestion, activity, None)
    _place(activity, cluster, _board_cards(activity, [card_id]))
    _drop_card(suggestion, card_id, SuggestionStatus.accepted)
    _commit(actor, activity, "suggestion.card_accepted", suggestion=suggestion.id, card=card_id, cluster=cluster.id)
    return cluster


def reject_suggested_card(actor: Account, suggestion: Suggestion, card_id: int) -> Suggestion:
    """Take one card out of a group proposal; it stays unassigned."""
    if _pending(suggestion).kind is not SuggestionKind.group or card_id not in suggestion.card_ids:
        raise ClusteringError(_l("Diese Karte gehört nicht zu diesem Vorschlag."), code="not_found")
    _drop_card(suggestion, card_id, SuggestionStatus.accepted if suggestion.cluster_id else SuggestionStatus.rejected)
    _commit(actor, suggestion.activity, "suggestion.card_rejected", suggestion=suggestion.id, card=card_id)
    return suggestion


def _drop_card(suggestion: Suggestion, card_id: int, status_when_empty: SuggestionStatus) -> None:
    suggestion.card_ids = [other for other in suggestion.card_ids if other != card_id]
    if not _unassigned_of(suggestion, suggestion.activity):
        suggestion.status = status_when_empty

"""The clustering board over Socket.IO: what each screen sees of it, and the moderators' commands.

Every command is for consoles that may moderate; its ack carries the whole board as the consoles
draw it (``{"board": …}``), so the acting console redraws at once. Projector and consoles get the
board coalesced as ``board_changed``.
"""

from flask_babel import lazy_gettext as _l
from pydantic import Field

from facilitation.accounts.models import Account
from facilitation.activities.models import Activity
from facilitation.clustering import services
from facilitation.clustering.models import Cluster, Suggestion
from facilitation.extensions import db
from facilitation.realtime.commands import MAX_ID, Command, command
from facilitation.realtime.connection import Viewer, activity_view

Id = Field(ge=1, le=MAX_ID)
Label = Field(min_length=1, max_length=services.LABEL_MAX)
#: A card list of one command: at most a board's worth.
CardIds = Field(default_factory=list, max_length=2000)


@activity_view("clustering")
def clustering_view(activity: Activity, viewer: Viewer) -> dict:
    """Phones only look up; the projector gets the board; consoles the board with the suggestions."""
    if viewer.screen == "phone":
        return {}
    if viewer.screen == "console":
        services.embed_in_background(activity)  # vectors ready before the first suggestion
        return services.board(activity, for_moderator=True)
    return services.board(activity)


def _actor(viewer: Viewer) -> Account:
    return db.session.get(Account, viewer.account_id)


def _board_step(viewer: Viewer, activity_id: int) -> Activity:
    activity = db.session.get(Activity, activity_id)
    if activity is None or activity.workshop_id != viewer.workshop_id:
        raise services.ClusteringError(_l("Diesen Schritt gibt es in diesem Workshop nicht."), code="not_found")
    return services.require_board(activity)


def _cluster(viewer: Viewer, cluster_id: int) -> Cluster:
    cluster = db.session.get(Cluster, cluster_id)
    if cluster is None or cluster.activity.workshop_id != viewer.workshop_id:
        raise services.ClusteringError(_l("Dieses Cluster gibt es nicht mehr."), code="not_found")
    return cluster


def _suggestion(viewer: Viewer, suggestion_id: int) -> Suggestion:
    suggestion = db.session.get(Suggestion, suggestion_id)
    if suggestion is None or suggestion.activity.workshop_id != viewer.workshop_id:
        raise services.ClusteringError(_l("Diesen Vorschlag gibt es nicht mehr."), code="not_found")
    return suggestion


def _board(activity: Activity, **extra) -> dict:
    return {"board": services.board(activity, for_moderator=True), **extra}


class CreateCluster(Command):
    activity_id: int = Id
    label: str = Label
    colour: str | None = Field(default=None, max_length=20)
    card_ids: list[int] = CardIds


class ClusterRef(Command):
    cluster_id: int = Id


class RenameCluster(ClusterRef):
    label: str = Label


class RecolourCluster(ClusterRef):
    colour: str = Field(min_length=1, max_length=20)


class MoveCluster(ClusterRef):
    position: int = Field(ge=0, le=services.MAX_CLUSTERS)


class MergeClusters(Command):
    cluster_ids: list[int] = Field(min_length=2, max_length=services.MAX_CLUSTERS)
    label: str | None = Field(default=None, min_length=1, max_length=services.LABEL_MAX)


class SplitCluster(ClusterRef):
    card_ids: list[int] = Field(min_length=1, max_length=2000)
    label: str = Label


class MoveCard(Command):
    activity_id: int = Id
    card_id: int = Id
    #: ``null``: back to the unassigned pile.
    cluster_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    position: int | None = Field(default=None, ge=0, le=2000)


class Suggest(Command):
    activity_id: int = Id
    #: −2 fewer, larger themes … +2 more, smaller ones.
    granularity: int = Field(default=0, ge=-2, le=2)


class SuggestionRef(Command):
    suggestion_id: int = Id


class AcceptSuggestion(SuggestionRef):
    label: str | None = Field(default=None, min_length=1, max_length=services.LABEL_MAX)


class SuggestedCard(SuggestionRef):
    card_id: int = Id


@command("create_cluster", CreateCluster, screens=("console",), moderator=True)
def on_create_cluster(viewer: Viewer, payload: CreateCluster):
    """Console adds a cluster (optionally with cards); screens get ``board_changed``."""
    activity = _board_step(viewer, payload.activity_id)
    cluster = services.create_cluster(
        _actor(viewer), activity, payload.label, colour=payload.colour, card_ids=payload.card_ids
    )
    return _board(activity, cluster_id=cluster.id)


@command("rename_cluster", RenameCluster, screens=("console",), moderator=True)
def on_rename_cluster(viewer: Viewer, payload: RenameCluster):
    cluster = services.rename_cluster(_actor(viewer), _cluster(viewer, payload.cluster_id), payload.label)
    return _board(cluster.activity)


@command("recolour_cluster", RecolourCluster, screens=("console",), moderator=True)
def on_recolour_cluster(viewer: Viewer, payload: RecolourCluster):
    cluster = services.recolour_cluster(_actor(viewer), _cluster(viewer, payload.cluster_id), payload.colour)
    return _board(cluster.activity)


@command("move_cluster", MoveCluster, screens=("console",), moderator=True)
def on_move_cluster(viewer: Viewer, payload: MoveCluster):
    cluster = services.move_cluster(_actor(viewer), _cluster(viewer, payload.cluster_id), payload.position)
    return _board(cluster.activity)


@command("delete_cluster", ClusterRef, screens=("console",), moderator=True)
def on_delete_cluster(viewer: Viewer, payload: ClusterRef):
    """Console removes a cluster; its cards go back to the unassigned pile."""
    cluster = _cluster(viewer, payload.cluster_id)
    activity = cluster.activity
    services.delete_cluster(_actor(viewer), cluster)
    return _board(activity)


@command("merge_clusters", MergeClusters, screens=("console",), moderator=True)
def on_merge_clusters(viewer: Viewer, payload: MergeClusters):
    """Console merges clusters into the first one named."""
    clusters = [_cluster(viewer, cluster_id) for cluster_id in dict.fromkeys(payload.cluster_ids)]
    target = services.merge_clusters(_actor(viewer), clusters[0], clusters[1:], label=payload.label)
    return _board(target.activity, cluster_id=target.id)


@command("split_cluster", SplitCluster, screens=("console",), moderator=True)
def on_split_cluster(viewer: Viewer, payload: SplitCluster):
    """Console moves some cards of a cluster into a new one."""
    new = services.split_cluster(_actor(viewer), _cluster(viewer, payload.cluster_id), payload.card_ids, payload.label)
    return _board(new.activity, cluster_id=new.id)


@command("move_card", MoveCard, screens=("console",), moderator=True)
def on_move_card(viewer: Viewer, payload: MoveCard):
    """Console puts a card into a cluster (at a position) or back on the unassigned pile."""
    activity = _board_step(viewer, payload.activity_id)
    cluster = _cluster(viewer, payload.cluster_id) if payload.cluster_id else None
    services.move_card(_actor(viewer), activity, payload.card_id, cluster, payload.position)
    return _board(activity)


@command("suggest_clusters", Suggest, screens=("console",), moderator=True)
def on_suggest_clusters(viewer: Viewer, payload: Suggest):
    """Console asks for suggestions (replacing the pending ones); nothing on the board moves."""
    activity = _board_step(viewer, payload.activity_id)
    made = services.suggest(_actor(viewer), activity, payload.granularity)
    return _board(activity, count=len(made))


@command("accept_suggestion", AcceptSuggestion, screens=("console",), moderator=True)
def on_accept_suggestion(viewer: Viewer, payload: AcceptSuggestion):
    suggestion = _suggestion(viewer, payload.suggestion_id)
    cluster = services.accept_suggestion(_actor(viewer), suggestion, payload.label)
    return _board(suggestion.activity, cluster_id=cluster.id)


@command("reject_suggestion", SuggestionRef, screens=("console",), moderator=True)
def on_reject_suggestion(viewer: Viewer, payload: SuggestionRef):
    suggestion = _suggestion(viewer, payload.suggestion_id)
    services.reject_suggestion(_actor(viewer), suggestion)
    return _board(suggestion.activity)


@command("accept_suggested_card", SuggestedCard, screens=("console",), moderator=True)
def on_accept_suggested_card(viewer: Viewer, payload: SuggestedCard):
    suggestion = _suggestion(viewer, payload.suggestion_id)
    cluster = services.accept_suggested_card(_actor(viewer), suggestion, payload.card_id)
    return _board(suggestion.activity, cluster_id=cluster.id)


@command("reject_suggested_card", SuggestedCard, screens=("console",), moderator=True)
def on_reject_suggested_card(viewer: Viewer, payload: SuggestedCard):
    suggestion = _suggestion(viewer, payload.suggestion_id)
    services.reject_suggested_card(_actor(viewer), suggestion, payload.card_id)
    return _board(suggestion.activity)

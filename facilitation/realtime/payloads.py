"""Payload builders: one per model, the only shapes that go over the wire.

They take model objects and read attributes; they import no domain, so every domain can use them.
"""

from datetime import UTC, datetime


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() + "Z" if moment else None


def workshop(workshop) -> dict:
    return {
        "id": workshop.id,
        "title": workshop.title,
        "join_code": workshop.join_code,
        "state": workshop.state.value,
        "current_activity_id": workshop.current_activity_id,
        "version": workshop.version,
    }


def timer(activity) -> dict | None:
    """A running (``ends_at``) or paused (``remaining`` seconds) timer, with the server's time now.

    ``server_time`` lets a screen whose own clock is wrong count down right: it counts to
    ``ends_at`` on the server's clock (its offset to the screen's clock taken when the payload arrives).
    """
    if activity.timer_ends_at is None and activity.timer_remaining is None:
        return None
    return {
        "ends_at": _iso(activity.timer_ends_at),
        "remaining": activity.timer_remaining,
        "server_time": _iso(datetime.now(UTC).replace(tzinfo=None)),
    }


def activity(activity) -> dict:
    """What every screen may know about a step (its settings, never its answers)."""
    return {
        "id": activity.id,
        "position": activity.position,
        "kind": activity.kind,
        "title": activity.title,
        "prompt": activity.prompt,
        "config": activity.config,
        "state": activity.state.value,
        "is_revealed": activity.is_revealed,
        "timer": timer(activity),
    }


def card(card, *, for_moderator: bool = False, own: bool = False) -> dict:
    """A card; authorship never leaves the server, moderators see the moderation fields."""
    data = {
        "id": card.id,
        "activity_id": card.activity_id,
        "column": card.column,
        "text": card.text,
        "is_edited": card.is_edited,
    }
    if own or for_moderator:
        data.update(status=card.status.value, personal_data=list(card.personal_data), reject_reason=card.reject_reason)
    if own:
        data["client_id"] = card.client_id
    if for_moderator:
        data.update(original_text=card.original_text, created_at=_iso(card.created_at))
    return data


def participant(participant) -> dict:
    return {
        "organisation": participant.organisation,
        "role": participant.role,
        "is_checked_in": participant.checked_in_at is not None,
    }


def option(option, *, for_moderator: bool = False, own: bool = False) -> dict:
    """A topic of a voting step; who proposed it never leaves the server."""
    data = {
        "id": option.id,
        "activity_id": option.activity_id,
        "position": option.position,
        "label": option.label,
        "description": option.description,
        "source": option.source.value,
    }
    if own or for_moderator:
        data["status"] = option.status.value
    if own:
        data["client_id"] = option.client_id
    if for_moderator:
        data["created_at"] = _iso(option.created_at)
    return data


def ballot(ballot) -> dict:
    """A participant's own ballot, for their phones only."""
    return {
        "activity_id": ballot.activity_id,
        "client_id": ballot.client_id,
        "cast_at": _iso(ballot.cast_at),
        "entries": [{"option_id": e.option_id, "value": e.value, "x": e.x, "y": e.y} for e in ballot.entries],
    }


def cluster(cluster, card_ids: list[int]) -> dict:
    """A cluster of the board with the ids of its (approved) cards in board order."""
    return {
        "id": cluster.id,
        "activity_id": cluster.activity_id,
        "label": cluster.label,
        "colour": cluster.colour,
        "position": cluster.position,
        "card_ids": list(card_ids),
        "count": len(card_ids),
    }


def suggestion(suggestion, card_ids: list[int]) -> dict:
    """A pending proposal of the suggestion engine, for the consoles; ``card_ids`` are those still open."""
    return {
        "id": suggestion.id,
        "kind": suggestion.kind.value,
        "label": suggestion.label,
        "terms": list(suggestion.terms),
        "card_ids": list(card_ids),
        "cluster_ids": list(suggestion.cluster_ids),
        "example_card_id": suggestion.example_card_id,
        "cluster_id": suggestion.cluster_id,
        "engine": suggestion.engine,
        "granularity": suggestion.granularity,
    }


def recommendation(recommendation, cluster_ids: list[int], option_ids: list[int]) -> dict:
    """A Handlungsempfehlung with the clusters and voted topics it builds on (consent figures are added
    by the domain, per audience)."""
    return {
        "id": recommendation.id,
        "activity_id": recommendation.activity_id,
        "position": recommendation.position,
        "topic": recommendation.topic,
        "text": recommendation.text,
        "rationale": recommendation.rationale,
        "responsible": recommendation.responsible,
        "involved": recommendation.involved,
        "timeframe": recommendation.timeframe,
        "priority": recommendation.priority,
        "status": recommendation.status.value,
        "is_consent_open": recommendation.is_consent_open,
        "cluster_ids": list(cluster_ids),
        "option_ids": list(option_ids),
    }

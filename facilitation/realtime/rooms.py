"""Names of the Socket.IO rooms: one per workshop and audience, one per participant."""


def phones(workshop_id: int) -> str:
    return f"workshop:{workshop_id}:phones"


def projector(workshop_id: int) -> str:
    return f"workshop:{workshop_id}:projector"


def moderators(workshop_id: int) -> str:
    return f"workshop:{workshop_id}:moderators"


def participant(participant_id: int) -> str:
    """Every open tab of one participant."""
    return f"participant:{participant_id}"


def screens(workshop_id: int) -> tuple[str, str]:
    """Projector and moderators: the audiences that see aggregates."""
    return projector(workshop_id), moderators(workshop_id)


def everyone(workshop_id: int) -> tuple[str, str, str]:
    return phones(workshop_id), projector(workshop_id), moderators(workshop_id)

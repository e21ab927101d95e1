"""How the projector and the moderator console connect."""

import hmac

from flask_login import current_user

from facilitation.realtime import rooms
from facilitation.realtime.connection import Viewer, authenticator
from facilitation.workshops import services
from facilitation.workshops.models import Role


@authenticator("projector")
def authenticate_projector(auth: dict) -> Viewer | None:
    """The projector connects with the join code and the secret key of its link."""
    workshop = services.find_by_join_code(str(auth.get("code", "")))
    key = str(auth.get("key", ""))
    if workshop is None or not hmac.compare_digest(key.encode(), workshop.screen_key.encode()):
        return None
    return Viewer("projector", workshop.id, rooms=(rooms.projector(workshop.id),))


@authenticator("console")
def authenticate_console(auth: dict) -> Viewer | None:
    """Moderators and observers connect with their login session."""
    workshop = services.find_by_join_code(str(auth.get("code", "")))
    if workshop is None:
        return None
    role = services.role_of(current_user, workshop)
    if role is None:
        return None
    return Viewer(
        "console",
        workshop.id,
        account_id=current_user.id,
        can_moderate=role.rank >= Role.moderator.rank,
        rooms=(rooms.moderators(workshop.id),),
    )

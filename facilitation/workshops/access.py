"""Access checks for moderator views, as decorators."""

from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from facilitation.extensions import db
from facilitation.workshops import services
from facilitation.workshops.models import Role, Workshop


def workshop_role(needed: Role):
    """Load ``workshop_id`` from the URL as ``workshop`` and require at least ``needed`` in it.

    Accounts without any role get a 404, so workshops of others cannot be discovered; accounts whose
    role is too low get a 403.
    """

    def decorate(view):
        @wraps(view)
        @login_required
        def wrapper(workshop_id: int, **kwargs):
            workshop = db.session.get(Workshop, workshop_id)
            role = services.role_of(current_user, workshop) if workshop else None
            if role is None:
                abort(404)
            if role.rank < needed.rank:
                abort(403)
            return view(workshop=workshop, **kwargs)

        return wrapper

    return decorate

"""Creating and running workshops, roles per workshop, and the audit log."""

import logging
import secrets
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from facilitation.accounts.models import Account
from facilitation.extensions import db
from facilitation.modeling import DomainError
from facilitation.realtime import broadcast, rooms
from facilitation.workshops.models import (
    JOIN_CODE_ALPHABET,
    JOIN_CODE_LENGTH,
    AuditEntry,
    Membership,
    Role,
    Workshop,
    WorkshopState,
)

logger = logging.getLogger(__name__)

#: Fields of a workshop that the editor and imports may set.
EDITABLE_FIELDS = ("title", "description", "organiser", "venue", "starts_on", "min_group_size", "retention_days")


class WorkshopError(DomainError):
    """A request the workshop rules refuse; ``message`` is for the user."""


# -- audit log ----------------------------------------------------------------------------------


def record_audit(
    actor: Account | None, action: str, *, workshop: Workshop | None = None, target: str = "", **details
) -> AuditEntry:
    """Add an audit entry to the session; the caller's commit writes it with the change it records."""
    entry = AuditEntry(
        workshop_id=workshop.id if workshop else None,
        account_id=actor.id if actor else None,
        actor=actor.email if actor else "system",
        action=action,
        target=target,
        details=details,
    )
    db.session.add(entry)
    return entry


#: Audit details that may quote what participants wrote (a card's text, a reason for rejecting it).
PARTICIPANT_TEXT_DETAILS = ("before", "after", "reason")


def forget_participant_texts(workshop: Workshop) -> int:
    """Remove quoted card texts from the workshop's audit entries (retention, deletion); keep who did what."""
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.workshop_id == workshop.id, AuditEntry.target.like("card:%"))
    )
    changed = 0
    for entry in entries:
        if any(key in entry.details for key in PARTICIPANT_TEXT_DETAILS):
            entry.details = {k: v for k, v in entry.details.items() if k not in PARTICIPANT_TEXT_DETAILS}
            changed += 1
    return changed


def audit_log(workshop: Workshop, limit: int = 200) -> list[AuditEntry]:
    query = (
        select(AuditEntry)
        .where(AuditEntry.workshop_id == workshop.id)
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


# -- roles --------------------------------------------------------------------------------------


def role_of(account: Account | None, workshop: Workshop) -> Role | None:
    """The account's role in the workshop; administrators count as owners."""
    if account is None or not getattr(account, "is_authenticated", False):
        return None
    if account.is_admin:
        return Role.owner
    return db.session.scalar(
        select(Membership.role).where(Membership.workshop_id == workshop.id, Membership.account_id == account.id)
    )


def has_role(account: Account | None, workshop: Workshop, needed: Role) -> bool:
    role = role_of(account, workshop)
    return role is not None and role.rank >= needed.rank


def grant_role(actor: Account | None, workshop: Workshop, account: Account, role: Role) -> Membership:
    """Give ``account`` the ``role`` in ``workshop`` (replacing an earlier one, but never the last owner's)."""
    membership = db.session.scalar(
        select(Membership).where(Membership.workshop_id == workshop.id, Membership.account_id == account.id)
    )
    if membership is not None and role is not Role.owner:
        _keep_an_owner(workshop, account)
    if membership is None:
        membership = Membership(workshop=workshop, account=account, role=role)
        db.session.add(membership)
    membership.role = role
    record_audit(actor, "role.granted", workshop=workshop, target=f"account:{account.id}", role=role.value)
    db.session.commit()
    return membership


def _keep_an_owner(workshop: Workshop, account: Account) -> None:
    """Refuse to take the owner role from ``account`` if nobody else has it."""
    owners = db.session.scalars(
        select(Membership.account_id).where(Membership.workshop_id == workshop.id, Membership.role == Role.owner)
    ).all()
    if owners == [account.id]:
        raise WorkshopError(_l("Ein Workshop braucht mindestens eine verantwortliche Person."))


def revoke_role(actor: Account | None, workshop: Workshop, account: Account) -> None:
    _keep_an_owner(workshop, account)
    db.session.execute(
        delete(Membership).where(Membership.workshop_id == workshop.id, Membership.account_id == account.id)
    )
    record_audit(actor, "role.revoked", workshop=workshop, target=f"account:{account.id}")
    db.session.commit()


def workshops_for(account: Account) -> list[Workshop]:
    """Workshops the account has a role in, newest first (all of them for administrators)."""
    query = select(Workshop).order_by(Workshop.created_at.desc(), Workshop.id.desc())
    if not account.is_admin:
        query = query.join(Membership).where(Membership.account_id == account.id)
    return list(db.session.scalars(query))


# -- lifecycle ----------------------------------------------------------------------------------


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def find_by_join_code(code: str) -> Workshop | None:
    """Find a workshop by a code as people type it: any case, spaces or dashes in between."""
    code = code.strip().upper().replace(" ", "").replace("-", "")
    if len(code) != JOIN_CODE_LENGTH or any(c not in JOIN_CODE_ALPHABET for c in code):
        return None
    return db.session.scalar(select(Workshop).where(Workshop.join_code == code))


#: Longest text and allowed range of each field, as in the settings form; imports arrive unchecked.
TEXT_LIMITS = {"title": 200, "organiser": 200, "venue": 200, "description": 5000}
NUMBER_LIMITS = {"min_group_size": (1, 50), "retention_days": (1, 3650)}


def _field_labels() -> dict:
    return {
        "organiser": _l("Veranstalter"),
        "venue": _l("Ort"),
        "description": _l("Ziele und Leitfragen"),
        "starts_on": _l("Datum"),
        "min_group_size": _l("Kleinste gezeigte Gruppe"),
        "retention_days": _l("Aufbewahrung der Karten (Tage nach Ende)"),
    }


def _invalid(name: str) -> WorkshopError:
    return WorkshopError(_l("Die Angabe „%(field)s“ ist ungültig.", field=_field_labels()[name]))


def _clean_fields(fields: dict) -> dict:
    """Check types and limits (the database would refuse them, or SQLite would store them anyway)."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise WorkshopError(_l("Unbekannte Felder: %(names)s", names=", ".join(sorted(unknown))))
    fields = dict(fields)
    for name, limit in TEXT_LIMITS.items():
        if name not in fields:
            continue
        value = "" if fields[name] is None and name != "title" else fields[name]
        if name == "title" and (not isinstance(value, str) or not value.strip() or len(value.strip()) > limit):
            raise WorkshopError(_l("Bitte einen Titel mit höchstens 200 Zeichen angeben."))
        if not isinstance(value, str) or len(value.strip()) > limit:
            raise _invalid(name)
        fields[name] = value.strip()
    for name, (low, high) in NUMBER_LIMITS.items():
        value = fields.get(name, low)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise _invalid(name)
    starts_on = fields.get("starts_on")
    if isinstance(starts_on, str):
        try:
            fields["starts_on"] = date.fromisoformat(starts_on) if starts_on else None
        except ValueError:
            raise _invalid("starts_on") from None
    elif starts_on is not None and not isinstance(starts_on, date):
        raise _invalid("starts_on")
    return fields


def create_workshop(actor: Account | None, *, title: str, **fields) -> Workshop:
    """Create a draft workshop with a fresh join code; ``actor`` becomes its owner."""
    fields = _clean_fields({"title": title, **fields})
    for _attempt in range(10):
        workshop = Workshop(join_code=new_join_code(), screen_key=secrets.token_urlsafe(24), **fields)
        db.session.add(workshop)
        try:
            db.session.flush()
        except IntegrityError:  # the join code was taken in the meantime
            db.session.rollback()
            continue
        break
    else:  # pragma: no cover - 31^6 codes make this practically impossible
        raise WorkshopError(_l("Es konnte kein freier Zugangscode gefunden werden."))
    if actor is not None:
        db.session.add(Membership(workshop=workshop, account=actor, role=Role.owner))
    record_audit(actor, "workshop.created", workshop=workshop, target=f"workshop:{workshop.id}")
    db.session.commit()
    logger.info("Workshop %r created by %r", workshop, actor)
    return workshop


def update_workshop(actor: Account, workshop: Workshop, **fields) -> Workshop:
    fields = _clean_fields(fields)
    for name, value in fields.items():
        setattr(workshop, name, value)
    record_audit(actor, "workshop.updated", workshop=workshop, target=f"workshop:{workshop.id}", fields=sorted(fields))
    db.session.commit()
    return workshop


def delete_workshop(actor: Account, workshop: Workshop) -> None:
    """Erase the workshop and everything in it; the audit log keeps that it happened."""
    entry = record_audit(
        actor, "workshop.deleted", target=f"workshop:{workshop.id}", title=workshop.title, join_code=workshop.join_code
    )
    entry.workshop_id = None
    forget_participant_texts(workshop)  # the log outlives the workshop, the cards' words must not
    # Unlink the current step first: the workshop ↔ activity reference is circular.
    workshop.current_activity_id = None
    db.session.flush()
    db.session.delete(workshop)
    db.session.commit()
    logger.info("Workshop %s deleted by %r", entry.details["join_code"], actor)


def bump_version(workshop: Workshop) -> int:
    """Increase the workshop's snapshot version in SQL (no read-modify-write) and return it."""
    db.session.execute(update(Workshop).where(Workshop.id == workshop.id).values(version=Workshop.version + 1))
    db.session.refresh(workshop, ["version"])
    return workshop.version


def change_state(actor: Account, workshop: Workshop, wanted: WorkshopState) -> Workshop:
    """Start, end, resume or archive a workshop and tell every screen."""
    try:
        workshop.change_state(wanted)
    except ValueError as error:
        raise WorkshopError(getattr(error, "message", str(error))) from error
    version = bump_version(workshop)
    record_audit(actor, f"workshop.{wanted.value}", workshop=workshop, target=f"workshop:{workshop.id}")
    db.session.commit()
    broadcast.publish(
        rooms.everyone(workshop.id), "workshop_changed", {"state": workshop.state.value, "version": version}
    )
    return workshop

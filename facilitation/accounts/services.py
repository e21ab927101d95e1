"""Creating accounts and checking passwords."""

import logging

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from facilitation.accounts.models import Account
from facilitation.extensions import db
from facilitation.modeling import DomainError, utcnow

logger = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 10
_DUMMY_HASH = generate_password_hash("not a password")


class AccountError(DomainError):
    """An account that cannot be created as asked; ``message`` is for the user."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_account(email: str) -> Account | None:
    return db.session.scalar(select(Account).where(Account.email == normalise_email(email)))


def create_account(email: str, password: str, *, name: str = "", is_admin: bool = False) -> Account:
    """Create a moderator account; refuse a taken e-mail or a short password."""
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise AccountError(_l("Bitte eine gültige E-Mail-Adresse angeben."))
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(_l("Das Passwort muss mindestens %(n)d Zeichen lang sein.", n=MIN_PASSWORD_LENGTH))
    if find_account(email):
        raise AccountError(_l("Für diese E-Mail-Adresse gibt es schon ein Konto."))
    account = Account(email=email, name=name.strip(), is_admin=is_admin)
    account.set_password(password)
    db.session.add(account)
    db.session.commit()
    logger.info("Account %r created", account)
    return account


def authenticate(email: str, password: str) -> Account | None:
    """Return the active account with these credentials, or ``None``."""
    account = find_account(email)
    if account is None:
        check_password_hash(_DUMMY_HASH, password)  # take as long as a real check: no hint which e-mails exist
        return None
    if not account.is_active or not account.check_password(password):
        return None
    account.last_login_at = utcnow()
    db.session.commit()
    return account


def count_accounts() -> int:
    return db.session.scalar(select(func.count(Account.id)))

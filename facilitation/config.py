"""Settings from environment variables, with safe defaults for a laptop at a venue."""

import os
import secrets
from pathlib import Path

ASYNC_MODES = ("eventlet", "gevent", "threading")


def _instance_secret(instance_path: Path) -> str:
    """Return the secret key kept in ``instance/``, creating it on first use."""
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _bool(value: str | None, default: bool) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs written the usual way (``postgres://``, ``postgresql://``)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def _origins(value: str | None) -> list[str] | None:
    """Allowed WebSocket origins: ``None`` accepts only the page's own origin (the safe default)."""
    origins = [o.strip().rstrip("/") for o in (value or "").split(",") if o.strip()]
    return origins or None


#: Database connections per process for PostgreSQL: many greenlets each run a short transaction, so a
#: pool of SQLAlchemy's default size (5 + 10) ran dry under 2,000 phones; 20 + 10 per process stays
#: within PostgreSQL's default ``max_connections`` (100) with three processes.
DB_POOL_SIZE = 20
DB_MAX_OVERFLOW = 10
#: Seconds a command waits for a free connection before the phone is told to try again: below the
#: phone's ack timeout (8 s), so the phone hears "busy" instead of nothing.
DB_POOL_TIMEOUT = 5.0


def engine_options(config: dict) -> dict:
    """SQLAlchemy's engine options for ``config``'s database: the pool sizing for a server database,
    nothing for SQLite (one file, one writer; its pool is not the bottleneck)."""
    if config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return {}
    return {
        "pool_size": config["DB_POOL_SIZE"],
        "max_overflow": config["DB_MAX_OVERFLOW"],
        "pool_timeout": config["DB_POOL_TIMEOUT"],
    }


def load_config(instance_path: Path) -> dict:
    """Build the Flask configuration from the environment."""
    env = os.environ
    async_mode = env.get("FACILITATION_ASYNC_MODE", "eventlet")
    if async_mode not in ASYNC_MODES:
        raise ValueError(f"FACILITATION_ASYNC_MODE must be one of {ASYNC_MODES}, not {async_mode!r}")
    return {
        "SECRET_KEY": env.get("SECRET_KEY") or _instance_secret(instance_path),
        "SQLALCHEMY_DATABASE_URI": env.get("DATABASE_URL", f"sqlite:///{instance_path / 'facilitation.sqlite3'}"),
        #: Connections kept per process, extra ones allowed at peaks, and seconds a command waits for
        #: one (PostgreSQL only, see :func:`engine_options`).
        "DB_POOL_SIZE": int(env.get("FACILITATION_DB_POOL_SIZE", DB_POOL_SIZE)),
        "DB_MAX_OVERFLOW": int(env.get("FACILITATION_DB_MAX_OVERFLOW", DB_MAX_OVERFLOW)),
        "DB_POOL_TIMEOUT": float(env.get("FACILITATION_DB_POOL_TIMEOUT", DB_POOL_TIMEOUT)),
        "SOCKETIO_ASYNC_MODE": async_mode,
        #: Redis URL for several server processes; empty for one process.
        "SOCKETIO_MESSAGE_QUEUE": env.get("FACILITATION_MESSAGE_QUEUE") or None,
        #: Redis pub/sub channel: pub/sub ignores database numbers, so installations sharing a Redis
        #: need channels of their own.
        "SOCKETIO_CHANNEL": env.get("FACILITATION_MESSAGE_QUEUE_CHANNEL") or "flask-socketio",
        "BABEL_DEFAULT_LOCALE": "de",
        "LANGUAGES": ("de", "en"),
        "BOOTSTRAP_SERVE_LOCAL": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool(env.get("FACILITATION_SECURE_COOKIES"), False),
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        #: Smallest group shown in a breakdown by organisation or role.
        "DEFAULT_MIN_GROUP_SIZE": int(env.get("FACILITATION_MIN_GROUP_SIZE", "5")),
        #: Most participants a workshop can have (phones joining past it see a message): bounds what a
        #: script fetching the phone page can write to the database.
        "MAX_PARTICIPANTS": int(env.get("FACILITATION_MAX_PARTICIPANTS", "5000")),
        #: Participants one client address may create (``security.NEW_PARTICIPANT_LIMIT`` when empty).
        "NEW_PARTICIPANT_LIMIT": env.get("FACILITATION_NEW_PARTICIPANT_LIMIT", "").strip() or None,
        #: Failed socket connects per client address (``realtime.ratelimit.CONNECT_FAILURE_LIMIT`` when empty).
        "SOCKET_CONNECT_FAILURE_LIMIT": env.get("FACILITATION_SOCKET_CONNECT_FAILURE_LIMIT", "").strip() or None,
        #: Days after a workshop ends before its raw cards are deleted.
        "DEFAULT_RETENTION_DAYS": int(env.get("FACILITATION_RETENTION_DAYS", "90")),
        #: Public base URL shown on the projector (join link and QR code); derived from the request when empty.
        "PUBLIC_URL": env.get("FACILITATION_PUBLIC_URL", "").rstrip("/"),
        #: Seconds between two coalesced aggregate updates per activity.
        "REALTIME_COALESCE_SECONDS": float(env.get("FACILITATION_COALESCE_SECONDS", "0.3")),
        #: Whom participants may ask about their data (shown on the privacy page), e.g. an address.
        "PRIVACY_CONTACT": env.get("FACILITATION_PRIVACY_CONTACT", "").strip(),
        #: Reverse proxies in front of the app whose X-Forwarded-* headers are trusted (nginx: 1).
        "PROXY_COUNT": int(env.get("FACILITATION_PROXY_COUNT", "0")),
        #: Where rate limits are counted: memory (one process), or Redis shared by every process.
        "RATELIMIT_STORAGE_URI": env.get("FACILITATION_RATELIMIT_STORAGE")
        or env.get("FACILITATION_MESSAGE_QUEUE")
        or "memory://",
        "RATELIMIT_STRATEGY": "moving-window",
        "RATELIMIT_KEY_PREFIX": "facilitation",
        "RATELIMIT_HEADERS_ENABLED": True,
        #: A Redis outage must not stop logins or joins: count in memory meanwhile.
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": _bool(env.get("FACILITATION_SECURE_COOKIES"), False),
    }

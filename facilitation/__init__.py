"""facilitation: a real-time web app that runs a strategy forum from the first question to the
written recommendations."""

import logging
from pathlib import Path

from flask import Flask, has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import event

from facilitation import assets, cli, errors, retention, security

# Each domain's models and socket handlers, imported before ``socketio.init_app`` so that every app
# (every test app too) gets all handlers and SQLAlchemy knows every table.
from facilitation.accounts.models import Account
from facilitation.accounts.routes import bp as accounts_bp
from facilitation.activities import sockets as _activities_sockets  # noqa: F401
from facilitation.activities.routes import bp as activities_bp
from facilitation.clustering import models as _clustering_models  # noqa: F401
from facilitation.clustering import sockets as _clustering_sockets  # noqa: F401
from facilitation.config import engine_options, load_config
from facilitation.exports.routes import bp as exports_bp
from facilitation.extensions import babel, bootstrap, csrf, db, login_manager, migrate, socketio
from facilitation.participation import sockets as _participation_sockets  # noqa: F401
from facilitation.participation.routes import bp as participation_bp
from facilitation.realtime import connection as _connection  # noqa: F401
from facilitation.recommendations import models as _recommendations_models  # noqa: F401
from facilitation.recommendations import sockets as _recommendations_sockets  # noqa: F401
from facilitation.results import sockets as _results_sockets  # noqa: F401
from facilitation.results.routes import bp as results_bp
from facilitation.voting import models as _voting_models  # noqa: F401
from facilitation.voting import sockets as _voting_sockets  # noqa: F401
from facilitation.workshops import sockets as _workshops_sockets  # noqa: F401
from facilitation.workshops.routes import bp as workshops_bp

ROOT = Path(__file__).resolve().parent.parent
logger = logging.getLogger(__name__)


def select_locale() -> str:
    """German first: an explicit choice (``?lang=`` or the saved one), then the browser's wish."""
    languages = ("de", "en")
    if not has_request_context():  # CLI commands and background tasks speak German
        return "de"
    wanted = request.args.get("lang")
    if wanted in languages:
        session["lang"] = wanted
    return session.get("lang") or request.accept_languages.best_match(languages) or "de"


def create_app(config_overrides: dict | None = None) -> Flask:
    """Create the application; ``config_overrides`` win over the environment (tests use this)."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.update(load_config(Path(app.instance_path)))
    app.config.update(config_overrides or {})
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options(app.config))

    db.init_app(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            event.listen(db.engine, "connect", _configure_sqlite)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    bootstrap.init_app(app)
    assets.init_app(app)
    socketio.init_app(
        app,
        async_mode=app.config["SOCKETIO_ASYNC_MODE"],
        message_queue=app.config["SOCKETIO_MESSAGE_QUEUE"],
        channel=app.config.get("SOCKETIO_CHANNEL", "flask-socketio"),
        cors_allowed_origins=app.config.get("SOCKETIO_CORS_ORIGINS"),
        max_http_buffer_size=64 * 1024,
        ping_interval=20,
        ping_timeout=30,
    )

    security.init_app(app, login_manager)
    _register_blueprints(app)
    errors.init_app(app)
    cli.init_app(app)
    retention.init_app(app)
    _register_template_globals(app)
    return app


def _configure_sqlite(dbapi_connection, _record) -> None:
    """Enforce foreign keys; WAL lets readers work while one writer commits; wait briefly for locks."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA busy_timeout = 5000")
    cursor.close()


def _register_blueprints(app: Flask) -> None:
    for blueprint in (accounts_bp, workshops_bp, activities_bp, participation_bp, results_bp, exports_bp):
        app.register_blueprint(blueprint)


def _register_template_globals(app: Flask) -> None:
    @login_manager.user_loader
    def load_account(account_id: str) -> Account | None:
        return db.session.get(Account, int(account_id)) if account_id.isdigit() else None

    @app.context_processor
    def inject_globals() -> dict:
        return {"current_language": str(get_locale() or "de"), "current_user": current_user}

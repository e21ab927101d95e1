"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

import logging

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from facilitation.extensions import db

# migrations/env.py (Flask-Migrate's template) tries Flask-SQLAlchemy 2's ``db.get_engine()`` first.
pytestmark = pytest.mark.filterwarnings("ignore:'get_engine' is deprecated:DeprecationWarning")


@pytest.fixture(autouse=True)
def _keep_logging():
    """Undo ``fileConfig()`` in ``migrations/env.py``: it disables every logger it does not name and
    hangs a handler on pytest's captured stderr, which would break the log capture of later tests."""
    loggers = [logger for logger in logging.root.manager.loggerDict.values() if isinstance(logger, logging.Logger)]
    saved = [(logger, logger.disabled, logger.level, list(logger.handlers), logger.propagate) for logger in loggers]
    root = (logging.root.level, list(logging.root.handlers))
    yield
    for logger, disabled, level, handlers, propagate in saved:
        logger.disabled, logger.level, logger.handlers, logger.propagate = disabled, level, handlers, propagate
    logging.root.level, logging.root.handlers = root


def differences_from_models() -> list:
    """What alembic's autogenerate would change to make the database match the models."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def is_current_activity_fk(difference) -> bool:
    """The one known gap: ``op.create_table`` drops a ``use_alter`` foreign key on PostgreSQL."""
    return difference[0] == "add_fk" and difference[1].name == "fk_workshops_current_activity_id_activities"


def check_round_trip(app, ignore=lambda difference: False):
    with app.app_context():
        upgrade()

        assert [d for d in differences_from_models() if not ignore(d)] == []
        assert set(inspect(db.engine).get_table_names()) == set(db.metadata.tables) | {"alembic_version"}

        downgrade(revision="base")

        assert inspect(db.engine).get_table_names() == ["alembic_version"]

        upgrade()  # and up again: the downgrade left nothing in the way

        assert [d for d in differences_from_models() if not ignore(d)] == []
        db.engine.dispose()


def test_migrations_have_a_single_head(app):
    script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())

    assert len(script.get_heads()) == 1


def test_migrations_match_the_models_on_sqlite(make_app, tmp_path):
    check_round_trip(make_app(schema=False, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'migrated.sqlite3'}"))


@pytest.mark.postgres
def test_migrations_match_the_models_on_postgresql(postgres_url, make_app):
    check_round_trip(make_app(schema=False, SQLALCHEMY_DATABASE_URI=postgres_url))


@pytest.mark.postgres
def test_postgresql_gets_the_current_activity_foreign_key(postgres_url, make_app):
    with make_app(schema=False, SQLALCHEMY_DATABASE_URI=postgres_url).app_context():
        upgrade()
        differences = differences_from_models()
        db.engine.dispose()

    assert not any(is_current_activity_fk(d) for d in differences)

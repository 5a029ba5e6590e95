"""The schema and the database connection, on both backends."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from app.core.errors import DatabaseUnavailable
from app.models import Base
from app.services.database import (
    MIGRATIONS_PACKAGE,
    SCHEMA_HEAD,
    current_revision,
    describe_url,
    open_database,
)


def test_schema_head_constant_matches_the_migrations() -> None:
    config = Config()
    config.set_main_option("script_location", MIGRATIONS_PACKAGE)
    assert ScriptDirectory.from_config(config).get_current_head() == SCHEMA_HEAD


def test_migrations_create_exactly_the_models(database_url: str) -> None:
    database = open_database(database_url)
    try:
        assert current_revision(database.engine) == SCHEMA_HEAD
        with database.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
            names = set(inspect(connection).get_table_names())
        assert {"users", "sessions", "alembic_version"} <= names
    finally:
        database.dispose()


def test_opening_twice_does_not_migrate_again(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_database(database_url).dispose()

    def refuse(*args: object) -> None:
        raise AssertionError("migrated an up-to-date database")

    monkeypatch.setattr("app.services.database.upgrade_schema", refuse)
    open_database(database_url).dispose()


def test_sqlite_file_is_created_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dir" / "strongroom.db"
    open_database(f"sqlite:///{path}").dispose()
    assert path.stat().st_mode & 0o077 == 0
    assert path.parent.stat().st_mode & 0o077 == 0


def test_unreachable_server_gives_a_clear_error_without_the_password() -> None:
    url = "mariadb+mariadbconnector://alice:s3cret-pw@127.0.0.1:1/strongroom"
    with pytest.raises(DatabaseUnavailable) as raised:
        open_database(url)
    error = raised.value
    assert "s3cret-pw" not in str(error)
    assert "s3cret-pw" not in error.reason + error.hint + error.target
    assert error.target == "mariadb+mariadbconnector://alice:***@127.0.0.1:1/strongroom"
    assert "running" in error.hint


@pytest.mark.mariadb
def test_wrong_credentials_give_a_clear_error(mariadb_server: str) -> None:
    from sqlalchemy.engine import make_url

    url = make_url(mariadb_server).set(username="nobody_here", password="pw-canary-123")
    with pytest.raises(DatabaseUnavailable) as raised:
        open_database(url.render_as_string(hide_password=False))
    assert "Access denied" in raised.value.reason
    assert "pw-canary-123" not in str(raised.value)


def test_missing_driver_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "mariadb", None)
    with pytest.raises(DatabaseUnavailable, match="driver is not installed") as raised:
        open_database("mariadb+mariadbconnector://u:p@localhost/db")
    assert "strongroom[mariadb]" in raised.value.hint


def test_unwritable_sqlite_location_is_explained(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(DatabaseUnavailable, match="cannot be created"):
        open_database(f"sqlite:///{blocker / 'strongroom.db'}")


def test_describe_url_masks_the_password() -> None:
    assert describe_url("mysql://u:pw@h/d") == "mysql://u:***@h/d"
    assert describe_url("::::") == "(unreadable database URL)"

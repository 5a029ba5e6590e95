"""The schema and the database connection, on both backends."""

from __future__ import annotations

import socket
import sys
from pathlib import Path
from typing import Any

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


def _instance_opens(url: str, barrier: Any, results: Any) -> None:
    barrier.wait()
    try:
        open_database(url).dispose()
        results.put("ok")
    except Exception as error:
        results.put(f"{type(error).__name__}: {error}")


def test_two_instances_creating_the_schema_at_once(database_url: str) -> None:
    """Two processes start on an empty database at the same moment: both open it, and the
    schema is made once (on one server the second waits for the first's lock)."""
    import multiprocessing

    spawn = multiprocessing.get_context("spawn")
    barrier, results = spawn.Barrier(2), spawn.Queue()
    instances = [
        spawn.Process(target=_instance_opens, args=(database_url, barrier, results))
        for _ in range(2)
    ]
    for instance in instances:
        instance.start()
    outcomes = [results.get(timeout=120) for _ in instances]
    for instance in instances:
        instance.join(timeout=30)
    assert outcomes == ["ok", "ok"]
    database = open_database(database_url)
    assert current_revision(database.engine) == SCHEMA_HEAD
    database.dispose()


@pytest.mark.mariadb
def test_a_host_that_does_not_answer_is_passed_over(mariadb_url: str) -> None:
    """The first host in the list refuses connections: the next one is used, and the switch
    is reported (the app shows it, the security log records it)."""
    from sqlalchemy.engine import make_url

    from app.services.cluster import hosts_of

    url = make_url(mariadb_url)
    ((host, port),) = hosts_of(url)
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        dead = closed.getsockname()[1]  # nothing listens once this closes
    listed = url.set(host=None, port=None).update_query_dict(
        {"host": f"127.0.0.1:{dead},{host}:{port}"}
    )
    switched: list[tuple[str, str]] = []
    database = open_database(
        listed.render_as_string(hide_password=False),
        on_switch=lambda old, new: switched.append((old, new)),
    )
    try:
        assert current_revision(database.engine) == SCHEMA_HEAD
    finally:
        database.dispose()
    assert switched == [(f"127.0.0.1:{dead}", f"{host}:{port}")]


@pytest.mark.parametrize(
    "url",
    [
        "mariadb+mariadbconnector://u@/s?host=db1:port",
        "mariadb+mariadbconnector://u@db1,,db2:3306/s",
    ],
)
def test_a_host_list_that_cannot_be_read_is_explained(url: str) -> None:
    with pytest.raises(DatabaseUnavailable) as refused:
        open_database(url)
    assert "port" in refused.value.message or "empty" in refused.value.message

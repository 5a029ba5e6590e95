"""The schema and the database connection, on both backends."""

from __future__ import annotations

import os
import socket
import stat
import sys
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from app.core.errors import DatabaseUnavailable
from app.models import Base
from app.services.database import (
    MIGRATIONS_PACKAGE,
    SCHEMA_HEAD,
    current_revision,
    describe_url,
    open_database,
    upgrade_schema,
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


def _database_id(url: str) -> str:
    database = open_database(url)
    database.dispose()
    return database.database_id


def test_every_database_has_an_id_of_its_own(database_url: str, tmp_path: Path) -> None:
    """Random, written when the schema is made, the same at every opening; made afresh if
    someone deleted it (a saved login then names a database that is no longer this one)."""
    first = open_database(database_url)
    other = open_database(f"sqlite:///{tmp_path / 'other' / 'other.db'}")
    try:
        assert len(first.database_id) == 32
        assert first.database_id != other.database_id
        assert _database_id(database_url) == first.database_id
        with first.engine.begin() as connection:
            connection.execute(text("DELETE FROM app_keys WHERE name = 'database_id'"))
        again = _database_id(database_url)
        assert len(again) == 32
        assert again != first.database_id
    finally:
        first.dispose()
        other.dispose()


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


def test_sqlite_side_files_are_owner_only(tmp_path: Path) -> None:
    """The write-ahead log and shared memory hold recent pages (the verifier too), and SQLite
    makes them with the database file's own mode: a database file others could read is refused,
    and one of Strongroom's own, under any umask, gets owner-only side files."""
    path = tmp_path / "data" / "strongroom.db"
    previous = os.umask(0)
    try:
        database = open_database(f"sqlite:///{path}")
    finally:
        os.umask(previous)
    try:
        for name in ("", "-wal", "-shm"):
            assert stat.S_IMODE(Path(f"{path}{name}").stat().st_mode) == 0o600, name
    finally:
        database.dispose()
    path.chmod(0o644)
    with pytest.raises(DatabaseUnavailable, match=r"could be read by other users \(mode 644\)"):
        open_database(f"sqlite:///{path}")
    assert not Path(f"{path}-wal").exists()


@pytest.mark.parametrize("mode", [0o1777, 0o777, 0o770, 0o757], ids=lambda mode: f"{mode:o}")
def test_a_database_folder_others_can_write_is_refused(tmp_path: Path, mode: int) -> None:
    """As /tmp is: another user could create the database's -wal or -shm there first (the
    sticky bit stops only a rename or a removal), so nothing is opened or created."""
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(mode)
    with pytest.raises(DatabaseUnavailable) as raised:
        open_database(f"sqlite:///{folder / 'vault.db'}")
    assert f"folder {folder} could be written by other users (mode {mode:o})" in str(raised.value)
    assert f"chmod 700 {folder}" in raised.value.hint
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("side", ["-wal", "-shm"])
def test_sqlite_side_files_others_could_change_or_that_are_links_are_refused(
    tmp_path: Path, side: str
) -> None:
    path = tmp_path / "data" / "strongroom.db"
    open_database(f"sqlite:///{path}").dispose()
    planted = Path(f"{path}{side}")
    planted.write_bytes(b"")
    for mode, problem in ((0o666, "could be changed"), (0o640, "could be read")):
        planted.chmod(mode)
        with pytest.raises(DatabaseUnavailable, match=f"{planted} {problem} by other users"):
            open_database(f"sqlite:///{path}")
    planted.unlink()
    planted.symlink_to(tmp_path / "elsewhere")
    with pytest.raises(DatabaseUnavailable, match=f"{planted} is a symbolic link"):
        open_database(f"sqlite:///{path}")
    assert not (tmp_path / "elsewhere").exists()


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


def test_an_upgrade_whose_version_row_moved_under_it_waits_for_the_other(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two instances upgrading at once where no lock is shared (Galera: a named lock is one
    node's): the one whose version update comes second gets Alembic's CommandError ("expected
    to match one row"). It waits for the other's upgrade to finish, and the database opens."""
    from alembic import command
    from alembic.util import CommandError
    from sqlalchemy import create_engine

    url = f"sqlite:///{tmp_path / 'vault.db'}"
    real_upgrade = command.upgrade

    def the_other_went_first(config: Config, revision: str) -> None:
        other = Config()
        other.set_main_option("script_location", MIGRATIONS_PACKAGE)
        engine = create_engine(url)
        with engine.begin() as connection:
            other.attributes["connection"] = connection
            real_upgrade(other, "head")
        engine.dispose()
        raise CommandError("Online migration expected to match one row when updating ...")

    monkeypatch.setattr(command, "upgrade", the_other_went_first)
    engine = create_engine(url)
    # This instance did not upgrade: `strongroom db upgrade` says "up to date", not "Upgraded".
    assert upgrade_schema(engine) == (SCHEMA_HEAD, SCHEMA_HEAD)
    engine.dispose()
    (tmp_path / "vault.db").chmod(0o600)  # as Strongroom makes it
    database = open_database(url)
    assert current_revision(database.engine) == SCHEMA_HEAD
    database.dispose()

"""Opening the database: the engine, the schema (Alembic), and errors a person can act on."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import sqlite3
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import PASSWORD_QUERY_KEYS
from app.core.errors import DatabaseBusy, DatabaseUnavailable, UserError, VaultTampered
from app.core.files import (
    folder_problem,
    make_private_dir,
    privacy_problem,
    tamper_problem,
)
from app.services import cluster
from app.services.cluster import SwitchListener
from app.services.transactions import LOCK_WAIT_TIMEOUT, error_code

# The newest migration in app/migrations/versions. Start-up compares it with the database's
# alembic_version and only imports Alembic when they differ (tests keep the two in step).
SCHEMA_HEAD = "0011_secret_key"
MIGRATIONS_PACKAGE = "app:migrations"


def describe_url(url: str) -> str:
    """The URL as it may be shown to a person: every password masked, the user's and any in
    the query string (``?password=...``)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return "(unreadable database URL)"
    hidden = {key: "***" for key in parsed.query if key.lower() in PASSWORD_QUERY_KEYS}
    if hidden:
        parsed = parsed.update_query_dict(hidden)
    return parsed.render_as_string(hide_password=True).replace("%2A%2A%2A", "***")


@dataclass
class Database:
    engine: Engine
    sessions: sessionmaker[Session]
    target: str
    # A random id the database keeps for itself (hex): a saved login names the database
    # that issued it by this (see app.services.tokens).
    database_id: str = ""

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    # WAL is a property of the file, set by its first connection. Setting it needs the file
    # alone for a moment and does not wait for busy_timeout: a second instance starting at the
    # same moment is told "database is locked" at once, so it asks again, briefly.
    deadline = time.monotonic() + 5
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)
    cursor.close()


def check_sqlite_files(path: Path, target: str) -> None:
    """A SQLite database, and the files SQLite keeps beside it (its write-ahead log ``-wal``
    and shared memory ``-shm``, which hold recent pages: the verifier too), are the user's own,
    regular and owner-only, in a folder nobody else can write (else another user could create
    them first, to read or change what is written): otherwise DatabaseUnavailable, naming which
    and why. A missing database is created owner-only; SQLite gives the files it makes beside
    it the database's own mode."""
    make_private_dir(path.parent)
    info = path.parent.stat()
    if not stat.S_ISDIR(info.st_mode):  # "cannot be created", as SQLite would have said
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(path.parent))
    folder = folder_problem(info)
    if folder is not None:
        raise DatabaseUnavailable(
            target,
            f"The database's folder {path.parent} {folder}, so the database was not opened: "
            "other users could create, or read, the files SQLite keeps beside it.",
            f"Keep the database in a folder only you can write (chmod 700 {path.parent}), "
            "or move it to one and set database_url to match.",
        )
    if not path.exists() and not path.is_symlink():
        flags = os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_NOFOLLOW
        with contextlib.suppress(FileExistsError):  # another instance, just now
            os.close(os.open(path, flags, 0o600))
    for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            found = file.lstat()
        except FileNotFoundError:
            continue
        problem = tamper_problem(found) or privacy_problem(found)
        if problem is not None:
            raise DatabaseUnavailable(
                target,
                f"The database file {file} {problem}, so it was not opened.",
                "Use database files of your own that only you can read and write "
                f"(chmod 600 {file}), or move them away and start afresh.",
            )


def create_database_engine(url: str, on_switch: SwitchListener | None = None) -> Engine:
    """The engine for ``url``; for a server, connected to the first of its hosts that is up
    (see :mod:`.cluster`), calling ``on_switch(old, new)`` when that moves to another."""
    target = describe_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseUnavailable(
            target,
            "The database URL is not valid.",
            "Use sqlite:///path/to/file.db or "
            "mariadb+mariadbconnector://user@host:3306/database (the password in an owner-only "
            "config file or database_password_file).",
        ) from None
    try:
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                check_sqlite_files(Path(parsed.database).expanduser(), target)
            engine = create_engine(parsed, hide_parameters=True)
            event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        try:
            hosts = cluster.hosts_of(parsed)
        except cluster.HostListError as error:
            raise DatabaseUnavailable(target, str(error), _SERVER_HINT) from None
        engine = create_engine(
            cluster.single_host(parsed, *hosts[0]),
            hide_parameters=True,
            pool_pre_ping=True,
            pool_recycle=3600,
        )
        cluster.install(engine, cluster.Failover(hosts, on_switch))
        return engine
    except (NoSuchModuleError, ModuleNotFoundError):
        raise DatabaseUnavailable(
            target,
            "The MariaDB driver is not installed.",
            "Install Strongroom with its MariaDB extra: pip install 'strongroom[mariadb]' "
            "(needs MariaDB Connector/C, Debian package libmariadb-dev).",
        ) from None
    except OSError as error:
        raise DatabaseUnavailable(
            target,
            f"The database file cannot be created ({error.filename}: {error.strerror}).",
            _FILE_HINT,
        ) from None


_FILE_HINT = "Check that the folder exists and that you may write to it."
_SERVER_HINT = (
    "Check that the MariaDB server is running and reachable, and that the user, password and "
    "database name in database_url (config file or STRONGROOM_DATABASE_URL) are right."
)


def explain(error: DBAPIError, target: str) -> DatabaseUnavailable:
    """Turn a driver error into a sentence. Parameters are hidden by the engine already."""
    original = getattr(error, "orig", None)
    reason = str(original or error).strip().splitlines()[0] if str(original or error) else ""
    if error_code(error) == LOCK_WAIT_TIMEOUT:
        return DatabaseBusy(target, reason)
    hint = _FILE_HINT if target.startswith("sqlite") else _SERVER_HINT
    return DatabaseUnavailable(target, reason or type(error).__name__, hint)


# SQLite hands back TEXT as str, and a raw write can put bytes there that are no UTF-8.
_NOT_UTF8 = "Could not decode to UTF-8"
NOT_TEXT = (
    "The database was changed outside Strongroom: a column holds text that is not UTF-8, "
    "which Strongroom never writes, so it cannot be read. Restore the database from a backup."
)


@contextmanager
def database_errors(target: str) -> Iterator[None]:
    """Turn a driver error inside the block into DatabaseUnavailable for ``target`` (or, for
    text SQLite cannot decode, VaultTampered: the database is there, its contents are not
    Strongroom's; the driver's message, which quotes them, is not passed on)."""
    try:
        yield
    except DBAPIError as error:
        if str(getattr(error, "orig", "")).startswith(_NOT_UTF8):
            raise VaultTampered(NOT_TEXT) from None
        raise explain(error, target) from None


def unreadable(what: str) -> str:
    return (
        f"The database was changed outside Strongroom: a column of this {what} holds a value "
        f"of a type Strongroom never writes, so the {what} cannot be read. Restore the "
        "database from a backup."
    )


@contextmanager
def readable(what: str = "vault") -> Iterator[None]:
    """A value of a type Strongroom never writes, met while reading or checking the vault or
    the account (its row, its sessions), is the database changed outside Strongroom
    (VaultTampered), not a crash: SQLite keeps whatever a raw write puts in any column (text in
    a date or a blob column, say), and its driver's parse error would quote it."""
    try:
        yield
    except UserError:
        raise  # a ValidationError is a ValueError too: what was typed, not what was stored
    except (ValueError, TypeError):
        raise VaultTampered(unreadable(what)) from None


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return _revision(connection)


# A named lock on a server: a second instance starting at once waits, then finds nothing to do.
MIGRATION_LOCK = "strongroom_schema_upgrade"
MIGRATION_WAIT_SECONDS = 120


def upgrade_schema(engine: Engine) -> tuple[str | None, str]:
    """Bring the schema to the newest migration (the first run creates it); returns the
    revisions before and after.

    Safe to start twice at once. On a server the second waits for the first's named lock
    (GET_LOCK) and then finds the schema done. On a Galera cluster that lock is only one node's,
    and SQLite has none: there the second's first change fails (the table or column is already
    there, certification refuses it, or Alembic finds the version row moved under it) and it
    waits for the first to finish instead.
    """
    from alembic import command
    from alembic.config import Config
    from alembic.util import CommandError

    config = Config()
    config.set_main_option("script_location", MIGRATIONS_PACKAGE)
    with engine.connect() as connection:
        server = connection.dialect.name != "sqlite"
        if server:
            connection.execute(
                text("SELECT GET_LOCK(:name, :wait)"),
                {"name": MIGRATION_LOCK, "wait": MIGRATION_WAIT_SECONDS},
            )
            connection.commit()
        try:
            before = _revision(connection)
            connection.commit()
            if before == SCHEMA_HEAD:
                return before, before
            try:
                with connection.begin():
                    config.attributes["connection"] = connection
                    command.upgrade(config, "head")
            except (DBAPIError, CommandError):
                # CommandError: Alembic found the version row moved by the other (Galera).
                if not _wait_for_head(engine):
                    raise
                return SCHEMA_HEAD, SCHEMA_HEAD  # the other instance upgraded it, not this one
            return before, SCHEMA_HEAD
        finally:
            if server:
                connection.execute(text("SELECT RELEASE_LOCK(:name)"), {"name": MIGRATION_LOCK})
                connection.commit()


def _revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    row = connection.execute(text("SELECT version_num FROM alembic_version")).first()
    return None if row is None else str(row[0])


def _wait_for_head(engine: Engine) -> bool:
    """Whether another instance's upgrade, running now, reaches the newest migration."""
    deadline = time.monotonic() + MIGRATION_WAIT_SECONDS
    while time.monotonic() < deadline:
        try:
            if current_revision(engine) == SCHEMA_HEAD:
                return True
        except DBAPIError:
            pass  # its tables may be half made: look again
        time.sleep(0.2)
    return False


class SchemaBehind(DatabaseUnavailable):
    """The schema is older than this Strongroom, and upgrading at start-up is turned off."""

    def __init__(self, target: str, revision: str | None) -> None:
        super().__init__(
            target,
            f"its schema is at {revision or 'nothing yet'}; this Strongroom needs {SCHEMA_HEAD}.",
            "Upgrade it with: strongroom db upgrade (migrate_on_start is off in the config file).",
        )
        self.message = (
            f"The database ({target}) needs a schema upgrade: {self.reason} "
            "Run: strongroom db upgrade"
        )


def open_database(
    url: str, *, migrate: bool = True, on_switch: SwitchListener | None = None
) -> Database:
    """Connect, migrate when needed (unless ``migrate`` is off: then an older schema is an
    error that names ``strongroom db upgrade``), and hand back a session factory."""
    target = describe_url(url)
    engine = create_database_engine(url, on_switch)
    try:
        revision = current_revision(engine)
        if revision != SCHEMA_HEAD:
            if not migrate:
                engine.dispose()
                raise SchemaBehind(target, revision)
            upgrade_schema(engine)
        database_id = read_database_id(engine)
    except DBAPIError as error:
        engine.dispose()
        raise explain(error, target) from None
    return Database(engine, sessionmaker(engine, expire_on_commit=False), target, database_id)


DATABASE_ID = "database_id"
_SELECT_ID = text("SELECT value FROM app_keys WHERE name = :name").bindparams(name=DATABASE_ID)


def read_database_id(engine: Engine) -> str:
    """The database's own random id, in hex (written by migration 0008; made again should
    someone have deleted it, which ends every device's saved login with a clear refusal)."""
    with engine.connect() as connection:
        value = connection.execute(_SELECT_ID).scalar()
    if value is None:
        with contextlib.suppress(IntegrityError), engine.begin() as connection:  # or another
            connection.execute(
                text("INSERT INTO app_keys (name, value) VALUES (:name, :value)"),
                {"name": DATABASE_ID, "value": secrets.token_bytes(16)},
            )
        with engine.connect() as connection:
            value = connection.execute(_SELECT_ID).scalar_one()
    if not isinstance(value, bytes | bytearray | memoryview):  # SQLite keeps any type
        raise VaultTampered(
            "The database was changed outside Strongroom: its id (in app_keys) is not a value "
            "Strongroom writes, so no saved login can be checked against it. Restore the "
            "database from a backup."
        )
    return bytes(value).hex()

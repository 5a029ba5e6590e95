"""The transaction runner: what it retries, what it does not, and a write whose COMMIT was lost.

Galera's own conflicts are proven on a real cluster in test_galera.py; here the runner's rules
are checked one by one, and a lost COMMIT is made on purpose (the server commits, the client
hears only that the connection broke) to show that the retry finds its own write instead of
writing twice, read back through raw SQL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.session import SessionTransaction

from app.core.accounts import ActiveSession
from app.core.errors import DatabaseBusy
from app.core.items import ItemDraft
from app.services.accounts import AccountService
from app.services.database import Database, open_database
from app.services.transactions import ATTEMPTS, run_in_transaction
from app.services.vault import VaultService
from tests.helpers import STRONG_PASSWORD, FakeClock, make_controller, make_settings


class DriverError(Exception):
    def __init__(self, errno: int, sqlstate: str = "HY000") -> None:
        super().__init__(f"errno {errno}")
        self.errno = errno
        self.sqlstate = sqlstate


def failure(errno: int, kind: type[DBAPIError] = OperationalError) -> DBAPIError:
    return kind("UPDATE items ...", None, DriverError(errno))


def flaky(failures: list[DBAPIError]) -> tuple[list[int], Any]:
    """A unit of work that fails with each of ``failures`` in turn, then returns "done"."""
    calls: list[int] = []

    def work(db: Session) -> str:
        calls.append(1)
        if len(calls) <= len(failures):
            raise failures[len(calls) - 1]
        db.execute(text("SELECT 1"))
        return "done"

    return calls, work


@pytest.mark.parametrize(
    "errno", [1213, 1205], ids=["deadlock or certification conflict", "lock wait timeout"]
)
def test_a_serialization_failure_runs_the_whole_unit_again(database: Database, errno: int) -> None:
    pauses: list[float] = []
    calls, work = flaky([failure(errno)])
    assert run_in_transaction(database.sessions, work, sleep=pauses.append) == "done"
    assert len(calls) == 2
    assert len(pauses) == 1


def test_a_second_lock_wait_timeout_is_not_waited_out_again(database: Database) -> None:
    """Each one has waited innodb_lock_wait_timeout (50 s by default) on another connection's
    lock: the unit runs once more, then says so, rather than for ten silent minutes. A
    deadlock or a certification conflict, over at once, runs again as often as it takes."""
    calls, work = flaky([failure(1205), failure(1213), failure(1205), failure(1213)])
    with pytest.raises(OperationalError):
        run_in_transaction(database.sessions, work, sleep=lambda _: None)
    assert len(calls) == 3
    calls, work = flaky([failure(1213)] * 5)
    assert run_in_transaction(database.sessions, work, sleep=lambda _: None) == "done"
    assert len(calls) == 6


@pytest.mark.mariadb
def test_a_lock_held_past_the_servers_wait_is_said_as_busy_and_writes_nothing(
    mariadb_url: str, tmp_path: Path
) -> None:
    """Another connection keeps the account's vault head locked (a transaction left open) past
    the server's lock wait timeout (1 s here): an add says the database is busy, that nothing
    was changed, and what to look for; never that it "cannot be reached". Read back by SQL."""
    from sqlalchemy import create_engine, event

    database = open_database(mariadb_url)

    @event.listens_for(database.engine, "connect")
    def short_wait(connection: Any, _: object) -> None:
        cursor = connection.cursor()
        cursor.execute("SET SESSION innodb_lock_wait_timeout = 1")
        cursor.close()

    database.engine.dispose()  # the connections opened before the listener go
    settings = make_settings(tmp_path, mariadb_url)
    accounts = make_controller(database, settings, FakeClock())
    accounts.register("alice", STRONG_PASSWORD, STRONG_PASSWORD)
    alice = accounts.login("alice", STRONG_PASSWORD, remember=False)
    vault = VaultService(database.sessions)
    vault.add(alice, ItemDraft("First"))
    other = create_engine(mariadb_url)
    try:
        with other.connect() as holder:
            holder.execute(text("SELECT * FROM vault_heads FOR UPDATE"))
            with pytest.raises(DatabaseBusy) as raised:
                vault.add(alice, ItemDraft("Second", password="never-written"))
            holder.rollback()
        said = str(raised.value)
        assert "is busy: another connection held a lock" in said
        assert "Nothing was changed." in said
        assert "cannot be reached" not in said
        assert "SHOW PROCESSLIST" in raised.value.hint
        with other.connect() as reader:
            assert reader.execute(text("SELECT COUNT(*) FROM items")).scalar() == 1
    finally:
        other.dispose()
        database.dispose()


def test_sqlstate_40001_is_a_serialization_failure_whatever_the_errno(database: Database) -> None:
    error = OperationalError("COMMIT", None, DriverError(9999, sqlstate="40001"))
    calls, work = flaky([error])
    assert run_in_transaction(database.sessions, work, sleep=lambda _: None) == "done"
    assert len(calls) == 2


def test_it_gives_up_after_a_bounded_number_of_attempts(database: Database) -> None:
    calls, work = flaky([failure(1213)] * (ATTEMPTS + 5))
    with pytest.raises(OperationalError):
        run_in_transaction(database.sessions, work, sleep=lambda _: None)
    assert len(calls) == ATTEMPTS


@pytest.mark.parametrize(
    "error",
    [failure(1062, IntegrityError), failure(1045), failure(1146)],
    ids=["duplicate key", "access denied", "no such table"],
)
def test_other_database_errors_are_not_retried(database: Database, error: DBAPIError) -> None:
    calls, work = flaky([error])
    with pytest.raises(type(error)):
        run_in_transaction(database.sessions, work, sleep=lambda _: None)
    assert len(calls) == 1


def test_a_lost_connection_runs_again_on_a_new_one(database: Database) -> None:
    lost = OperationalError("SELECT", None, DriverError(2013), connection_invalidated=True)
    calls, work = flaky([lost])
    assert run_in_transaction(database.sessions, work, sleep=lambda _: None) == "done"
    assert len(calls) == 2


# -- a COMMIT whose answer was lost ---------------------------------------------------------


@pytest.fixture
def lose_next_commit(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """The next COMMIT reaches the server, but the client is told the connection broke."""
    armed = [True]
    real_commit = SessionTransaction.commit

    def commit(self: SessionTransaction, _to_root: bool = False) -> Any:
        result = real_commit(self, _to_root)
        if armed[0] and self.parent is None:
            armed[0] = False
            raise OperationalError("COMMIT", None, DriverError(2013), connection_invalidated=True)
        return result

    monkeypatch.setattr(SessionTransaction, "commit", commit)
    return armed


def count_items(database: Database) -> int:
    with database.engine.connect() as connection:
        return int(connection.execute(text("SELECT COUNT(*) FROM items")).scalar_one())


def test_an_add_whose_commit_was_lost_is_not_added_twice(
    database: Database, alice: ActiveSession, lose_next_commit: list[bool]
) -> None:
    vault = VaultService(database.sessions, target=database.target)
    item = vault.add(alice, ItemDraft("GitHub", password="hunter2"))
    assert not lose_next_commit[0]  # the COMMIT was lost, and the add ran again
    assert item.title == "GitHub"
    assert count_items(database) == 1
    assert [entry.id for entry in vault.list_items(alice)] == [item.id]


def test_an_edit_whose_commit_was_lost_is_saved_not_a_conflict(
    database: Database, alice: ActiveSession, lose_next_commit: list[bool]
) -> None:
    lose_next_commit[0] = False
    vault = VaultService(database.sessions, target=database.target)
    item = vault.add(alice, ItemDraft("GitHub", password="first"))
    lose_next_commit[0] = True
    saved = vault.update(alice, item.id, item.version, ItemDraft("GitHub", password="second"))
    assert not lose_next_commit[0]
    assert saved.password == "second"
    assert saved.version == item.version + 1  # applied once
    assert [entry.password for entry in vault.history(alice, item.id)] == ["first"]


def test_a_registration_whose_commit_was_lost_is_not_called_taken(
    accounts: AccountService, database: Database, lose_next_commit: list[bool]
) -> None:
    """The account was made; the retry finds it is its own (same verifier), not someone else's."""
    accounts.register("alice", STRONG_PASSWORD, STRONG_PASSWORD)
    assert not lose_next_commit[0]
    with database.engine.connect() as connection:
        count = connection.execute(text("SELECT COUNT(*) FROM users")).scalar_one()
    assert count == 1
    assert accounts.login("alice", STRONG_PASSWORD, remember=False).username == "alice"

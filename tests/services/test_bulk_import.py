"""An import's bulk write (app.services.bulk), on SQLite and MariaDB: every row written once,
under ids taken ahead; on MariaDB in chunks on a thread of its own while it seals the next.
Every item, its earlier passwords and the integrity record come out whole; a failure or an
interrupt at any point leaves the database as it was (read back with raw SQL), and ids given
to another writer meanwhile send the import round again."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from app.core.accounts import ActiveSession
from app.core.errors import UserError
from app.core.items import HistoryEntry, ImportedItem, ItemDraft
from app.models import PasswordHistory, VaultItem
from app.services import bulk
from app.services.accounts import AccountService
from app.services.database import Database
from app.services.integrity import ITEMS
from app.services.vault import VaultService
from tests.helpers import STRONG_PASSWORD, FakeClock

COUNT = 30


@pytest.fixture
def vault(database: Database, clock: FakeClock) -> VaultService:
    return VaultService(database.sessions, target=database.target, clock=clock)


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of 7, so that 30 items are five of them, the last one short."""
    monkeypatch.setattr(bulk, "CHUNK", 7)


def entries(clock: FakeClock) -> list[ImportedItem]:
    """Every third item with two earlier passwords, every fifth in the other manager's trash."""
    made = []
    for n in range(COUNT):
        history = (
            (
                HistoryEntry(f"old-{n}-b", clock() - timedelta(days=1)),
                HistoryEntry(f"old-{n}-a", clock() - timedelta(days=2)),
            )
            if n % 3 == 0
            else ()
        )
        trashed = clock() if n % 5 == 0 else None
        draft = ItemDraft(f"Item {n:02}", f"user{n}", f"pw-{n}", notes=f"note {n}")
        made.append(ImportedItem(draft, history, trashed_at=trashed))
    return made


def rows(database: Database, user_id: int) -> tuple[int, int]:
    """The account's item rows and history rows, as the database holds them."""
    with database.engine.connect() as connection:
        items = connection.scalar(
            select(func.count()).select_from(VaultItem).where(VaultItem.user_id == user_id)
        )
        history = connection.scalar(
            select(func.count())
            .select_from(PasswordHistory)
            .join(VaultItem, VaultItem.id == PasswordHistory.item_id)
            .where(VaultItem.user_id == user_id)
        )
    return int(items or 0), int(history or 0)


def failing_on(
    monkeypatch: pytest.MonkeyPatch, name: str, call: int, error: BaseException
) -> list[str]:
    """bulk.``name`` raising ``error`` at its ``call``-th call; the threads it ran in."""
    real: Callable[..., Any] = getattr(bulk, name)
    threads: list[str] = []

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread().name)
        if len(threads) == call:
            raise error
        return real(*args, **kwargs)

    monkeypatch.setattr(bulk, name, wrapped)
    return threads


def test_an_import_in_chunks_keeps_every_item_its_history_and_the_record(
    vault: VaultService,
    alice: ActiveSession,
    accounts: AccountService,
    database: Database,
    clock: FakeClock,
) -> None:
    progress: list[tuple[int, int]] = []
    added = bulk.import_items(
        vault, alice, entries(clock), lambda done, total: progress.append((done, total))
    )
    assert added == (COUNT, 0)
    assert rows(database, alice.user_id) == (COUNT, 2 * len(range(0, COUNT, 3)))
    assert progress[-1] == (COUNT, COUNT)
    assert [done for done, _ in progress] == sorted(done for done, _ in progress)
    # Read back by another login, with nothing of this one's memory: whole and checked.
    again = accounts.login("alice", STRONG_PASSWORD, remember=False)
    fresh = VaultService(database.sessions, target=database.target, clock=clock)
    live, binned = fresh.list_items(again), fresh.list_items(again, trash=True)
    assert len(live) + len(binned) == COUNT
    assert {item.title for item in binned} == {f"Item {n:02}" for n in range(0, COUNT, 5)}
    for item in live + binned:
        n = int(item.title.split()[1])
        assert item.error is None
        assert (item.username, item.password, item.notes) == (f"user{n}", f"pw-{n}", f"note {n}")
        expected = {f"old-{n}-b", f"old-{n}-a"} if n % 3 == 0 else set()
        assert {old.password for old in fresh.history(again, item.id)} == expected


@pytest.mark.parametrize("name", ["_insert_chunk", "execute_many"])
def test_a_statement_that_fails_mid_import_leaves_nothing_written(
    vault: VaultService,
    alice: ActiveSession,
    database: Database,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
) -> None:
    vault.add(alice, ItemDraft("Before", password="kept"))
    # SQLite writes in one chunk: its first call; MariaDB's third, two chunks in.
    call = 1 if database.engine.dialect.name == "sqlite" else 3
    threads = failing_on(monkeypatch, name, call, RuntimeError("the server went away"))
    with pytest.raises(RuntimeError, match="went away"):
        bulk.import_items(vault, alice, entries(clock))
    assert rows(database, alice.user_id) == (1, 0)
    assert [item.title for item in vault.list_items(alice)] == ["Before"]
    if database.engine.dialect.name != "sqlite":
        assert all(thread.startswith("strongroom-import") for thread in threads)
    monkeypatch.undo()
    assert bulk.import_items(vault, alice, entries(clock)) == (COUNT, 0)
    assert len(vault.list_items(alice)) + len(vault.list_items(alice, trash=True)) == COUNT + 1


def test_an_interrupt_while_sealing_leaves_nothing_written_and_no_thread(
    vault: VaultService,
    alice: ActiveSession,
    database: Database,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Ctrl-C while the second chunk is sealed (on MariaDB), its rows (and the next ones')
    already sent to the writer: the statements not started are dropped, the one running is
    waited for, and the transaction is rolled back."""
    call = 1 if database.engine.dialect.name == "sqlite" else 2  # SQLite: one chunk
    failing_on(monkeypatch, "_sealed", call, KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        bulk.import_items(vault, alice, entries(clock))
    assert not [t for t in threading.enumerate() if t.name.startswith("strongroom-import")]
    assert rows(database, alice.user_id) == (0, 0)
    assert vault.list_items(alice) == []


@pytest.mark.parametrize(
    "database_url", [pytest.param("mariadb", marks=pytest.mark.mariadb)], indirect=True
)
def test_another_accounts_writes_during_a_chunked_import_take_no_id_of_it(
    vault: VaultService,
    alice: ActiveSession,
    accounts: AccountService,
    database: Database,
    clock: FakeClock,
) -> None:
    """Bob adds items the whole time Alice's import writes: the ids MariaDB gives between
    Alice's chunks are Bob's, and neither account's items are the other's."""
    accounts.register("bob", STRONG_PASSWORD, STRONG_PASSWORD)
    bob = accounts.login("bob", STRONG_PASSWORD, remember=False)
    done = threading.Event()
    bobs: list[int] = []

    def bob_writes() -> None:
        while not done.is_set():
            bobs.append(vault.add(bob, ItemDraft(f"Bob {len(bobs)}", password="b")).id)

    writer = threading.Thread(target=bob_writes)
    writer.start()
    try:
        assert bulk.import_items(vault, alice, entries(clock)) == (COUNT, 0)
    finally:
        done.set()
        writer.join()
    mine = vault.list_items(alice) + vault.list_items(alice, trash=True)
    assert len(mine) == COUNT
    assert all(item.error is None for item in mine)
    assert not {item.id for item in mine} & set(bobs)
    assert len(vault.list_items(bob)) == len(bobs)


@pytest.mark.parametrize(
    "database_url", [pytest.param("mariadb", marks=pytest.mark.mariadb)], indirect=True
)
def test_a_second_ctrl_c_waits_for_the_statement_running_before_the_rollback(
    vault: VaultService,
    alice: ActiveSession,
    database: Database,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Ctrl-C while the writer's statement is held up (a row lock someone else holds), and
    Ctrl-C again while the import waits for it: the rollback still waits until the writer has
    let go of the connection (the driver is not thread-safe: a rollback sent during the
    statement crashed the process), then the interrupt goes on, and nothing is written."""
    inside, let_go = threading.Event(), threading.Event()
    real_insert, real_sealed = bulk._insert_chunk, bulk._sealed
    sealed_calls: list[int] = []

    def held_up(*args: Any, **kwargs: Any) -> Any:
        inside.set()
        time.sleep(1.5)  # a statement waiting on a lock
        let_go.set()
        return real_insert(*args, **kwargs)

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        sealed_calls.append(1)
        if len(sealed_calls) == 2:
            assert inside.wait(10)
            # The second Ctrl-C, while the first one waits for the writer.
            threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()
            raise KeyboardInterrupt
        return real_sealed(*args, **kwargs)

    monkeypatch.setattr(bulk, "_insert_chunk", held_up)
    monkeypatch.setattr(bulk, "_sealed", interrupted)
    with pytest.raises(KeyboardInterrupt):
        bulk.import_items(vault, alice, entries(clock))
    assert let_go.is_set()  # the writer had finished before the interrupt went on
    assert not [t for t in threading.enumerate() if t.name.startswith("strongroom-import")]
    monkeypatch.undo()
    assert rows(database, alice.user_id) == (0, 0)
    assert vault.list_items(alice) == []
    assert bulk.import_items(vault, alice, entries(clock)) == (COUNT, 0)


@pytest.mark.parametrize(
    "database_url", [pytest.param("mariadb", marks=pytest.mark.mariadb)], indirect=True
)
@pytest.mark.parametrize("taken", [1, bulk.ID_ATTEMPTS])
def test_ids_given_to_another_writer_send_the_import_round_again(
    vault: VaultService,
    alice: ActiveSession,
    database: Database,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    taken: int,
) -> None:
    """The ids an import took ahead, given by the server to another writer before the import
    wrote them (the ids of items already there, for the test): that try is rolled back and
    the import tried again, whole; every try taken so is one clear error, nothing written."""
    before = vault.add(alice, ItemDraft("Before", password="kept"))
    real = bulk._reserved
    tries: list[int] = []

    def overlapping(connection: Any, table: Any, count: int) -> list[int]:
        ids = real(connection, table, count)
        if table is ITEMS:
            tries.append(1)
            if len(tries) <= taken:  # the first chunk written holds the highest ids
                return [*ids[:-1], before.id]
        return ids

    monkeypatch.setattr(bulk, "_reserved", overlapping)
    if taken < bulk.ID_ATTEMPTS:
        assert bulk.import_items(vault, alice, entries(clock)) == (COUNT, 0)
        assert rows(database, alice.user_id) == (COUNT + 1, 2 * len(range(0, COUNT, 3)))
        assert len(tries) == taken + 1
    else:
        with pytest.raises(UserError, match="Nothing was imported: try again"):
            bulk.import_items(vault, alice, entries(clock))
        assert rows(database, alice.user_id) == (1, 0)
    [kept] = [item for item in vault.list_items(alice) if item.title == "Before"]
    assert (kept.id, kept.password) == (before.id, "kept")


@pytest.mark.parametrize(
    "database_url", [pytest.param("mariadb", marks=pytest.mark.mariadb)], indirect=True
)
def test_rows_the_server_dropped_without_saying_so_send_the_import_round_again(
    vault: VaultService,
    alice: ActiveSession,
    database: Database,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A Galera node that aborts the import's transaction for a write from another node may
    not tell the statement running: its rows are gone with no error (as here, where the first
    try's chunks are never written). The import sees the rows are not in its transaction
    before it moves the head, and runs again: every item, and a vault that checks whole."""
    real = bulk._insert_chunk
    tries: list[int] = []

    def dropped_on_the_first_try(connection: Any, rows_: Any, history_rows: Any) -> None:
        if len(tries) < 5:  # the first try's five chunks
            tries.append(1)
            return
        real(connection, rows_, history_rows)

    monkeypatch.setattr(bulk, "_insert_chunk", dropped_on_the_first_try)
    assert bulk.import_items(vault, alice, entries(clock)) == (COUNT, 0)
    assert rows(database, alice.user_id) == (COUNT, 2 * len(range(0, COUNT, 3)))
    live, binned = vault.list_items(alice), vault.list_items(alice, trash=True)
    assert len(live) + len(binned) == COUNT
    assert all(item.error is None for item in live + binned)


@pytest.mark.parametrize(
    "database_url", [pytest.param("mariadb", marks=pytest.mark.mariadb)], indirect=True
)
@pytest.mark.parametrize(("left", "fits"), [(500, True), (20, False)])
def test_an_import_near_the_last_id_uses_what_is_left_or_says_so(
    vault: VaultService,
    alice: ActiveSession,
    database: Database,
    clock: FakeClock,
    left: int,
    fits: bool,
) -> None:
    """The items table's next id set by raw SQL to ``left`` ids before MariaDB's INT limit:
    an import that fits takes its ids there with no gap left below them; one that does not
    says so in one line (not "cannot be reached"), and writes nothing."""
    from sqlalchemy import text

    with database.engine.begin() as connection:
        connection.execute(text(f"ALTER TABLE items AUTO_INCREMENT = {bulk.ID_LIMIT - left + 1}"))
    if fits:
        assert bulk.import_items(vault, alice, entries(clock)) == (COUNT, 0)
        ids = [item.id for item in vault.list_items(alice) + vault.list_items(alice, trash=True)]
        assert min(ids) == bulk.ID_LIMIT - left + 1
    else:
        with pytest.raises(UserError, match="no ids left for 30 new rows in its items table"):
            bulk.import_items(vault, alice, entries(clock))
        assert rows(database, alice.user_id) == (0, 0)

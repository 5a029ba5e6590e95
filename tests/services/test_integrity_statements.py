"""What the integrity record adds to a save, counted in statements (not timed): each round trip
it spares is spared on every save of every device."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from app.core.accounts import ActiveSession
from app.core.items import ItemDraft
from app.models import PasswordHistory
from app.services.database import Database
from app.services.seen import SeenStore
from app.services.vault import VaultService
from tests.helpers import FakeClock


@pytest.fixture
def vault(database: Database, clock: FakeClock, tmp_path: Path) -> VaultService:
    seen = SeenStore(tmp_path / "config" / "vault-seen.json", database.database_id)
    return VaultService(database.sessions, clock=clock, seen=seen)


@contextmanager
def statements(database: Database, table: str = "vault_heads") -> Iterator[list[str]]:
    """Every statement sent to the database that names ``table``."""
    sent: list[str] = []

    def note(_c: object, _cursor: object, statement: str, *_rest: object) -> None:
        if table in statement:
            sent.append(" ".join(statement.split()))

    event.listen(database.engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        event.remove(database.engine, "before_cursor_execute", note)


def test_a_save_locks_and_writes_the_head_in_two_statements(
    vault: VaultService, alice: ActiveSession, database: Database
) -> None:
    """An add, an edit with a new password (a history entry), a trash, a restore and a delete
    for good each read the head under its lock and write it once: the write transaction (on
    SQLite) was begun by the item's own row, so nothing else touches the head."""
    item = vault.add(alice, ItemDraft("One", "a", "pw-0"))  # the account's first record
    saves: list[Callable[[], object]] = [
        lambda: vault.add(alice, ItemDraft("Two", "b", "pw-1")),
        lambda: vault.update(alice, item.id, item.version, ItemDraft("One", "a", "pw-2")),
        lambda: vault.trash(alice, item.id),
        lambda: vault.restore(alice, item.id),
        lambda: vault.trash(alice, item.id),
        lambda: vault.purge(alice, item.id),
    ]
    for save in saves:
        with statements(database) as sent:
            save()
        assert [statement.split()[0] for statement in sent] == ["SELECT", "UPDATE"], sent
        assert sent[0].endswith("FOR UPDATE") or database.engine.dialect.name == "sqlite"
        assert all(f"{column}=" in sent[1] for column in ("SET counter", "head", "mac"))
    assert len(vault.list_items(alice)) == 1


def test_a_new_password_adds_its_entry_and_drops_only_what_is_past_the_limit(
    vault: VaultService, alice: ActiveSession, database: Database
) -> None:
    """The history read for the row's check is what the trim keeps from: an edit with a new
    password reads the item's history once, and deletes only once it holds more than ten
    entries, the oldest; what stays is the newest ten, as the item's tag says."""
    item = vault.add(alice, ItemDraft("Rotating", "a", "pw-0"))
    for number in range(1, 13):
        with statements(database, "password_history") as sent:
            item = vault.update(alice, item.id, item.version, ItemDraft("R", "a", f"pw-{number}"))
        kinds = [statement.split()[0] for statement in sent]
        assert kinds == ["SELECT", "INSERT", "UPDATE"] + ["DELETE"] * (number > 10), sent
    with database.sessions() as db:
        count = db.scalar(select(func.count()).select_from(PasswordHistory))
    assert count == 10
    history = vault.history(alice, item.id)
    assert [entry.password for entry in history] == [f"pw-{n}" for n in range(11, 1, -1)]
    vault.update(alice, item.id, item.version, ItemDraft("R", "a", "pw-13"))  # checks the tag

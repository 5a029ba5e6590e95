"""The warm agent's check before it answers from the listing it holds (CheckedReads.still_at),
on SQLite and MariaDB: every honest write since the listing, and every change outside
Strongroom that a row's tag, the head or the asked item's row shows, says "not the same", so
the full check runs and tells; the vault as it was listed says "the same"."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import delete, insert, select, update

from app.core.accounts import ActiveSession
from app.core.errors import VaultRolledBack, VaultTampered
from app.core.items import ItemDraft
from app.models import PasswordHistory, VaultHead, VaultItem
from app.services.database import Database
from app.services.seen import SeenStore
from app.services.vault import VaultService
from tests.services.conftest import raw


def three(vault: VaultService, alice: ActiveSession) -> list[int]:
    """Three items, the first with an earlier password in its history."""
    first = vault.add(alice, ItemDraft("One", password="pw-1"))
    vault.update(alice, first.id, first.version, ItemDraft("One", password="pw-1b"))
    second = vault.add(alice, ItemDraft("Two", password="pw-2"))
    third = vault.add(alice, ItemDraft("Three", password="pw-3"))
    return [first.id, second.id, third.id]


def version(vault: VaultService, alice: ActiveSession, item_id: int) -> int:
    (item,) = [item for item in vault.list_items(alice) if item.id == item_id]
    return item.version


def test_the_vault_as_listed_stands_and_a_write_since_from_anywhere_does_not(
    vault: VaultService, alice: ActiveSession, database: Database, tmp_path: Path
) -> None:
    ids = three(vault, alice)
    marks = vault.list_checked(alice).marks
    assert vault.still_at(alice, marks)
    assert all(vault.still_at(alice, marks, item_id) for item_id in ids)

    other = VaultService(database.sessions, seen=SeenStore(tmp_path / "other.json", "x"))
    other.update(
        alice, ids[1], version(vault, alice, ids[1]), ItemDraft("Two", password="on another")
    )
    assert not vault.still_at(alice, marks)
    assert not vault.still_at(alice, marks, ids[0])  # not the item written, but the head moved

    marks = vault.list_checked(alice).marks
    assert vault.still_at(alice, marks, ids[1])
    vault.trash(alice, ids[2])  # this device's own write
    assert not vault.still_at(alice, marks, ids[0])


def test_the_asked_items_row_changed_under_its_old_tag_is_seen(
    vault: VaultService, alice: ActiveSession, database: Database
) -> None:
    """A field, a flag, the version, or a history entry of the item asked for, each changed
    with its tag and the head left as they were: the full check then names it."""
    ids = three(vault, alice)
    marks = vault.list_checked(alice).marks
    with database.sessions() as db:
        theirs = db.get_one(VaultItem, ids[1]).password_sealed
        entries = select(PasswordHistory.__table__).where(PasswordHistory.item_id == ids[0])
        history = dict(db.execute(entries).one()._mapping)
    item = VaultItem.id == ids[0]
    changes = [
        (update(VaultItem).where(item).values(password_sealed=theirs), None),
        (update(VaultItem).where(item).values(favourite=True), None),
        (update(VaultItem).where(item).values(version=VaultItem.version + 1), None),
        (update(VaultItem).where(item).values(deleted_at=VaultItem.updated_at), None),
        (delete(PasswordHistory).where(PasswordHistory.id == history["id"]), history),
    ]
    with database.sessions() as db:
        before = db.execute(select(VaultItem.__table__).where(item)).one()._mapping
    for change, entry_back in changes:
        raw(database, change)
        assert not vault.still_at(alice, marks, ids[0]), change
        with pytest.raises(VaultTampered) as raised:
            vault.verify(alice)
        assert raised.value.damaged == (ids[0],)
        raw(database, update(VaultItem).where(item).values(**dict(before)))
        if entry_back is not None:
            raw(database, insert(PasswordHistory).values(entry_back))
        assert vault.still_at(alice, marks, ids[0])  # put back exactly: the same again


def test_any_rows_tag_a_row_added_or_removed_or_the_head_changed_is_seen(
    vault: VaultService, alice: ActiveSession, database: Database
) -> None:
    ids = three(vault, alice)
    marks = vault.list_checked(alice).marks
    with database.sessions() as db:
        tag = db.get_one(VaultItem, ids[1]).integrity_tag
        copy = dict(
            db.execute(select(VaultItem.__table__).where(VaultItem.id == ids[2])).one()._mapping
        )
    raw(database, update(VaultItem).where(VaultItem.id == ids[2]).values(integrity_tag=tag))
    assert not vault.still_at(alice, marks, ids[0])
    with pytest.raises(VaultTampered):
        vault.verify(alice)
    raw(database, delete(VaultItem).where(VaultItem.id == ids[2]))
    assert not vault.still_at(alice, marks, ids[0])
    raw(database, insert(VaultItem).values(copy))
    assert vault.still_at(alice, marks, ids[0])
    raw(
        database, insert(VaultItem).values({**copy, "id": ids[2] + 100, "write_id": None})
    )  # one row more
    assert not vault.still_at(alice, marks, ids[0])
    raw(database, delete(VaultItem).where(VaultItem.id == ids[2] + 100))
    raw(database, update(VaultHead).values(mac=b"\0" * 32))  # the head's MAC alone
    assert not vault.still_at(alice, marks, ids[0])


def test_a_database_put_back_to_the_listing_after_this_device_wrote_is_a_rollback(
    vault: VaultService, alice: ActiveSession, database: Database
) -> None:
    """Every row and the head exactly as the listing read them, after this device wrote past
    them: nothing in the database tells, this device's memory does."""
    ids = three(vault, alice)
    marks = vault.list_checked(alice).marks
    with database.sessions() as db:
        items = [dict(r._mapping) for r in db.execute(select(VaultItem.__table__))]
        heads = [dict(r._mapping) for r in db.execute(select(VaultHead.__table__))]
        history = [dict(r._mapping) for r in db.execute(select(PasswordHistory.__table__))]
    vault.update(alice, ids[1], version(vault, alice, ids[1]), ItemDraft("Two", password="newer"))
    vault.flush_seen()
    raw(database, delete(PasswordHistory))
    raw(database, delete(VaultItem))
    raw(database, delete(VaultHead))
    with database.engine.begin() as connection:
        connection.execute(insert(VaultItem), items)
        connection.execute(insert(VaultHead), heads)
        connection.execute(insert(PasswordHistory), history)

    assert not vault.still_at(alice, marks, ids[1])
    with pytest.raises(VaultRolledBack):
        vault.verify(alice)


def test_the_full_check_after_a_listing_tags_again_only_what_changed_and_sees_any_change(
    vault: VaultService,
    alice: ActiveSession,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`ls` in the warm agent: every row read and compared with the listing's, byte for byte;
    only a row that differs is tagged again, so a field changed under its old tag in any row is
    still seen and named."""
    from app.services.integrity import item_tag

    ids = three(vault, alice)
    marks = vault.list_checked(alice).marks
    tagged: list[int] = []

    def counted(*args: object, **kwargs: object) -> bytes:
        tagged.append(1)
        return item_tag(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("app.services.integrity_check.item_tag", counted)
    assert vault.verify(alice, marks) == marks.state
    assert tagged == []
    with database.sessions() as db:
        theirs = db.get_one(VaultItem, ids[1]).password_sealed
    raw(database, update(VaultItem).where(VaultItem.id == ids[2]).values(password_sealed=theirs))
    with pytest.raises(VaultTampered) as raised:
        vault.verify(alice, marks)
    assert raised.value.damaged == (ids[2],)
    assert tagged == [1]

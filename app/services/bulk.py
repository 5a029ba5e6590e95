"""The bulk write of an import: thousands of items in one transaction, every one or none.

Plain Python, no Textual. The rows go in by statements run over many rows (insert, read the new
ids back, seal: the id is in every field's associated data), not one ORM object each, so 10,000
items take seconds. Each item is sealed exactly as VaultService.add seals one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import (
    Connection,
    bindparam,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session

from app.core import crypto
from app.core.accounts import ActiveSession
from app.core.credential import unmarked
from app.core.items import HistoryEntry, ImportedItem, Item
from app.core.rules import validate
from app.models import ITEM_FIELDS, SEALED_FIELDS
from app.services import integrity, sealing
from app.services.bulk_sql import execute_many, statements
from app.services.writes import HISTORY_LIMIT, check_key, new_write_id, written

PROGRESS_EVERY = 250
CHUNK = 1000  # rows a MariaDB import writes while it seals the next ones
Progress = Callable[[int, int], None]  # (done, total)
T = TypeVar("T")


class Vault(Protocol):
    """What the bulk write needs of VaultService (which imports this module, not the reverse)."""

    def list_items(self, active: ActiveSession, *, trash: bool = False) -> list[Item]: ...

    def now(self) -> datetime: ...

    def write(self, work: Callable[[Session], T]) -> T: ...

    def saw(self, active: ActiveSession, head: integrity.Head) -> None: ...


class Commit(Protocol):
    """Told where an import's write stands, for a command line's Ctrl-C: until the commit
    begins, an interrupt cancels the write (rolled back, nothing added); from then on the write
    is done or failed on its own, and an interrupt should wait for it to be said."""

    def writing(self) -> None:
        """A try at the write begins (again after a try the database asked to retry)."""

    def committing(self) -> None:
        """Every item is written and sealed; the commit begins."""


def import_items(
    vault: Vault,
    active: ActiveSession,
    entries: list[ImportedItem],
    progress: Progress | None = None,
    *,
    dedupe: bool = True,
    commit: Commit | None = None,
) -> tuple[int, int]:
    """Add what an import read, in one transaction: every item or none. An item the vault
    already holds (the same title, username, password, URLs, notes, TOTP and custom fields,
    live or in the trash) is not added again. Returns (added, already there).

    Each item keeps its own dates and earlier passwords; one that was in the other manager's
    trash goes into the trash, restorable for 30 days from now. A custom field named as
    git's mark is renamed (see unmarked): only the credential helper makes git's items. An
    SSH key with only its private key gets its public key and fingerprint as fields.
    """
    from app.core import ssh  # an import's own: no other command needs the SSH key code

    cleaned = [
        ImportedItem(
            validate(ssh.with_public_fields(unmarked(entry.draft))),
            entry.history,
            entry.created_at,
            entry.updated_at,
            entry.trashed_at,
        )
        for entry in entries
    ]
    fresh = _not_in_vault(vault, active, cleaned) if dedupe else cleaned
    if not fresh:
        return 0, len(cleaned)
    now = vault.now()
    # One prefix for the whole import, then the item's number: the new rows are found again by
    # one range read of the write_id index, with no RETURNING per batch.
    prefix = new_write_id()[:24]
    write_ids = [f"{prefix}{number:08x}" for number in range(len(fresh))]
    cipher = crypto.FieldCipher(active.vault_key)
    heads: list[integrity.Head] = []
    key = integrity.vault_mac_key(active.vault_key)

    def work(db: Session) -> int:
        if commit is not None:
            commit.writing()
            event.listen(db, "before_commit", lambda _db: commit.committing())
        check_key(db, active)
        if written(db, active, write_ids[0]) is not None:
            heads.append(integrity.lock_head(db, active))
            return len(fresh)  # one transaction: the first is there, so are the others
        connection = db.connection()
        if connection.dialect.name == "sqlite" and not any(e.history for e in fresh):
            tags = _insert_sealed(db, cipher, key, active, fresh, write_ids, now, progress)
        else:
            tags = _placed_then_sealed(
                connection, cipher, key, active, fresh, write_ids, now, progress
            )
        heads.append(integrity.record(db, active, [], tags))
        return len(fresh)

    added = vault.write(work)
    vault.saw(active, heads[-1])
    return added, len(cleaned) - added


def _not_in_vault(
    vault: Vault, active: ActiveSession, cleaned: list[ImportedItem]
) -> list[ImportedItem]:
    """The entries the vault does not hold yet (a file that holds one item twice adds it once)."""
    from app.core.formats import identity

    existing = vault.list_items(active) + vault.list_items(active, trash=True)
    known = {identity(item.draft()) for item in existing if item.error is None}
    fresh = []
    for entry in cleaned:
        key = identity(entry.draft)
        if key not in known:
            known.add(key)
            fresh.append(entry)
    return fresh


def _insert_rows(
    connection: Connection,
    active: ActiveSession,
    fresh: list[ImportedItem],
    write_ids: list[str],
    now: datetime,
) -> list[int]:
    """Insert the rows with empty sealed fields; their new ids, in the order of ``fresh``."""
    items = integrity.ITEMS
    rows = _rows(active, fresh, write_ids, now)
    execute_many(connection, insert(items), rows)
    made = connection.execute(
        select(items.c.write_id, items.c.id).where(
            items.c.write_id.between(write_ids[0], write_ids[-1]),
            items.c.user_id == active.user_id,
        )
    )
    by_write: dict[str, int] = {write_id: item_id for write_id, item_id in made}
    return [by_write[write_id] for write_id in write_ids]


def _rows(
    active: ActiveSession, fresh: list[ImportedItem], write_ids: list[str], now: datetime
) -> list[dict[str, Any]]:
    """The new rows' columns, with empty sealed fields."""
    rows: list[dict[str, Any]] = []
    for entry, write_id in zip(fresh, write_ids, strict=True):
        created = entry.created_at or entry.updated_at or now
        rows.append(
            {
                "user_id": active.user_id,
                "version": 1,
                "favourite": entry.draft.favourite,
                "created_at": created,
                "updated_at": entry.updated_at or created,
                "write_id": write_id,
                "deleted_at": now if entry.trashed_at is not None else None,
                **{f"{name}_sealed": b"" for name in ITEM_FIELDS},
                "fields_sealed": None,
            }
        )
    return rows


def _insert_sealed(
    db: Session,
    cipher: crypto.FieldCipher,
    key: bytes,
    active: ActiveSession,
    fresh: list[ImportedItem],
    write_ids: list[str],
    now: datetime,
    progress: Progress | None,
) -> list[bytes]:
    """SQLite, items without earlier passwords: every row written once, sealed and tagged under
    the id it gets; the tags. Once the head is locked this transaction is the database's only
    writer until it ends, so the ids past the highest one there are free (they are the ones
    SQLite would give); MariaDB gives ids to other accounts' writers meanwhile, so there the
    rows go in first and are sealed once their ids are known (_placed_then_sealed)."""
    integrity.lock_head(db, active)
    connection = db.connection()
    items = integrity.ITEMS
    first = int(connection.execute(select(func.max(items.c.id))).scalar() or 0) + 1
    ids = list(range(first, first + len(fresh)))
    rows = _rows(active, fresh, write_ids, now)
    sealed, tags = _sealed(cipher, key, active.user_id, fresh, ids, {}, progress)
    for row, item_id, values in zip(rows, ids, sealed, strict=True):
        row["id"] = item_id
        row.update(values)
    execute_many(connection, insert(items), rows)
    return tags


def _sealed(
    cipher: crypto.FieldCipher,
    key: bytes,
    user_id: int,
    fresh: list[ImportedItem],
    ids: list[int],
    histories: dict[int, list[tuple[int, object]]],
    progress: Progress | None,
) -> tuple[list[dict[str, Any]], list[bytes]]:
    """Every new row's fields sealed under its id and version (1), and its tag with its
    history (see app.services.integrity), by column name; and the tags."""
    sealed, tags = [], []
    base = integrity.keyed(key)
    for done, (item_id, entry) in enumerate(zip(ids, fresh, strict=True), start=1):
        values: dict[str, Any] = sealing.sealed_values(cipher, user_id, item_id, 1, entry.draft)
        trashed = entry.trashed_at is not None
        tag = integrity.item_tag(
            base,
            user_id,
            item_id,
            1,
            trashed,
            entry.draft.favourite,
            [values[f"{name}_sealed"] for name in SEALED_FIELDS],
            histories.get(item_id, []),
        )
        values["integrity_tag"] = tag
        tags.append(tag)
        sealed.append(values)
        if progress is not None and (done % PROGRESS_EVERY == 0 or done == len(ids)):
            progress(done, len(ids))
    return sealed, tags


def _placed_then_sealed(
    connection: Connection,
    cipher: crypto.FieldCipher,
    key: bytes,
    active: ActiveSession,
    fresh: list[ImportedItem],
    write_ids: list[str],
    now: datetime,
    progress: Progress | None,
) -> list[bytes]:
    """Rows that go in before they can be sealed (on MariaDB, which gives ids to other
    accounts' writers meanwhile; on SQLite when earlier passwords need their entries' ids):
    each inserted with empty sealed fields, with its earlier passwords, then sealed under the
    ids it got and updated; the tags, in the order of ``fresh``.

    On MariaDB this goes in chunks, the statements run in order by a thread of their own while
    this one seals: the server writes one chunk while the next is sealed (the driver lets go
    of the GIL while it waits on the server), rather than sealing and writing in turn."""
    size = len(fresh) if connection.dialect.name == "sqlite" else CHUNK
    starts = range(0, len(fresh), size)

    def place(start: int) -> tuple[list[int], dict[int, list[tuple[int, object]]]]:
        chunk = fresh[start : start + size]
        ids = _insert_rows(connection, active, chunk, write_ids[start : start + size], now)
        olds = [
            (item_id, old)
            for item_id, entry in zip(ids, chunk, strict=True)
            for old in entry.history[:HISTORY_LIMIT]
        ]
        return ids, _insert_history(connection, active, olds) if olds else {}

    def counted(start: int) -> Progress | None:
        if progress is None:
            return None
        return lambda done, _: progress(start + done, len(fresh))

    tags: list[bytes] = []
    with statements(connection) as writer:
        placed = [writer.submit(place, start) for start in starts]
        written = []
        for start, future in zip(starts, placed, strict=True):
            ids, histories = future.result()
            chunk = fresh[start : start + size]
            values, chunk_tags = _sealed(
                cipher, key, active.user_id, chunk, ids, histories, counted(start)
            )
            written.append(writer.submit(_update_sealed, connection, ids, values))
            tags += chunk_tags
        for write in written:
            write.result()
    return tags


def _update_sealed(connection: Connection, ids: list[int], values: list[dict[str, Any]]) -> None:
    """The rows ``ids``, inserted with empty sealed fields, given their sealed ``values`` (each
    a row's sealed columns and its tag, by column name)."""
    items = integrity.ITEMS
    for item_id, row in zip(ids, values, strict=True):
        row["b_id"] = item_id
    execute_many(connection, update(items).where(items.c.id == bindparam("b_id")), values)


def _insert_history(
    connection: Connection, active: ActiveSession, olds: list[tuple[int, HistoryEntry]]
) -> dict[int, list[tuple[int, object]]]:
    """The imported items' earlier passwords, each sealed under its own entry's id; by item,
    (entry id, sealed) in id order, as the items' tags cover them."""
    history = integrity.HISTORY
    placeholders = [
        {"item_id": item_id, "replaced_at": old.replaced_at, "password_sealed": b""}
        for item_id, old in olds
    ]
    returning = insert(history).returning(history.c.id, sort_by_parameter_order=True)
    entry_ids = list(connection.execute(returning, placeholders).scalars())
    entries = [
        {
            "b_id": entry_id,
            "b_item": item_id,
            "b_sealed": sealing.seal_history(active, item_id, entry_id, old.password),
        }
        for entry_id, (item_id, old) in zip(entry_ids, olds, strict=True)
    ]
    execute_many(
        connection,
        update(history)
        .where(history.c.id == bindparam("b_id"))
        .values(password_sealed=bindparam("b_sealed")),
        entries,
    )
    by_item: dict[int, list[tuple[int, object]]] = {}
    for entry in sorted(entries, key=lambda entry: int(entry["b_id"])):
        by_item.setdefault(int(entry["b_item"]), []).append((entry["b_id"], entry["b_sealed"]))
    return by_item

"""The bulk write of an import: thousands of items in one transaction, every one or none.

Plain Python, no Textual. The rows go in by statements run over many rows, each written once,
sealed under the id taken for it ahead (the id is in every field's associated data), not one
ORM object each, so 10,000 items take seconds. Each item is sealed exactly as VaultService.add
seals one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection, Table, event, func, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.core import crypto
from app.core.accounts import ActiveSession
from app.core.credential import unmarked
from app.core.errors import UserError
from app.core.items import HistoryEntry, ImportedItem, Item
from app.core.rules import validate
from app.models import ITEM_FIELDS, SEALED_FIELDS
from app.services import integrity, sealing
from app.services.bulk_sql import execute_many, statements
from app.services.transactions import TransactionLost, error_code
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
        tags = _written_sealed(db, cipher, key, active, fresh, write_ids, now, progress)
        heads.append(integrity.record(db, active, [], tags))
        return len(fresh)

    for attempt in range(1, ID_ATTEMPTS + 1):
        try:
            added = vault.write(work)
            break
        except IdsTaken:  # rolled back: nothing of this try is written
            if attempt == ID_ATTEMPTS:
                raise UserError(
                    "Other writers were given the ids this import took, "
                    f"{ID_ATTEMPTS} times running. Nothing was imported: try again."
                ) from None
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


def _written_sealed(
    db: Session,
    cipher: crypto.FieldCipher,
    key: bytes,
    active: ActiveSession,
    fresh: list[ImportedItem],
    write_ids: list[str],
    now: datetime,
    progress: Progress | None,
) -> list[bytes]:
    """Every row written once, sealed and tagged under the id it gets, with its earlier
    passwords, each sealed under its own entry's id; the tags, in the order of ``fresh``.

    The ids are taken ahead (see _reserved). On MariaDB the rows go in chunks, the statements
    run in order by a thread of their own while this one seals the next chunk (the driver lets
    go of the GIL while it waits on the server). The chunk with the highest ids goes first: its
    insert moves the table's AUTO_INCREMENT past the whole range, so that another account's
    writer is given ids after it from then on (until then, the gap left below the range takes
    what the server gives). An id given in the range all the same makes the insert fail on the
    duplicate: IdsTaken, and the import is tried again, whole."""
    connection = db.connection()
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:  # the database's only writer from here: the ids past the highest are free
        integrity.lock_head(db, active)
    olds = [
        (index, old) for index, entry in enumerate(fresh) for old in entry.history[:HISTORY_LIMIT]
    ]
    ids = _reserved(connection, integrity.ITEMS, len(fresh))
    entries: dict[int, list[tuple[int, HistoryEntry]]] = {}
    for entry_id, (index, old) in zip(
        _reserved(connection, integrity.HISTORY, len(olds)), olds, strict=True
    ):
        entries.setdefault(index, []).append((entry_id, old))
    rows = _rows(active, fresh, write_ids, now)
    size = len(fresh) if sqlite else CHUNK
    tags: list[bytes] = [b""] * len(fresh)
    sealed_so_far = 0
    with statements(connection) as writer:
        written = []
        for start in reversed(range(0, len(fresh), size)):  # the highest ids first
            stop = min(start + size, len(fresh))
            histories: dict[int, list[tuple[int, object]]] = {}
            history_rows: list[dict[str, Any]] = []
            for index in range(start, stop):
                item_id = ids[index]
                for entry_id, old in entries.get(index, []):
                    password = sealing.seal_history(active, item_id, entry_id, old.password)
                    histories.setdefault(item_id, []).append((entry_id, password))
                    history_rows.append(
                        {
                            "id": entry_id,
                            "item_id": item_id,
                            "replaced_at": old.replaced_at,
                            "password_sealed": password,
                        }
                    )
            values, tags[start:stop] = _sealed(
                cipher,
                key,
                active.user_id,
                fresh[start:stop],
                ids[start:stop],
                histories,
                _counted(progress, sealed_so_far, len(fresh)),
            )
            sealed_so_far += stop - start
            chunk = rows[start:stop]
            for row, item_id, sealed in zip(chunk, ids[start:stop], values, strict=True):
                row["id"] = item_id
                row.update(sealed)
            written.append(writer.submit(_insert_chunk, connection, chunk, history_rows))
        for write in written:
            write.result()
    if not sqlite:
        _still_held(connection, active, write_ids)
    return tags


def _still_held(connection: Connection, active: ActiveSession, write_ids: list[str]) -> None:
    """TransactionLost unless this transaction still holds every row it inserted. A Galera
    node that aborts a long transaction for a write replicated from another node may not say
    so to the statement that was running: the rows are gone, and what follows (the head moved
    by their tags) would be committed in a new transaction of its own."""
    items = integrity.ITEMS
    held = connection.execute(
        select(func.count()).where(
            items.c.write_id.between(write_ids[0], write_ids[-1]),
            items.c.user_id == active.user_id,
        )
    ).scalar()
    if held != len(write_ids):
        raise TransactionLost


class IdsTaken(Exception):
    """An id taken ahead for an import was given to another writer before the import wrote it
    (see _written_sealed): that try is rolled back, and the import tried again, whole."""


DUPLICATE_KEY = 1062  # MariaDB's errno for a duplicate entry in a unique index
ID_ATTEMPTS = 3
# MariaDB: ids left free below an import's, for the server to give other writers while the
# import seals its first chunk (a gap in the ids, as a rollback or Galera's steps leave).
ID_GAP = 1000
ID_LIMIT = 2**31 - 1  # MariaDB's INT, the id columns' type
AUTO_INCREMENT = text(
    "SELECT AUTO_INCREMENT FROM information_schema.TABLES "
    "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = :name"
)


def _reserved(connection: Connection, table: Table, count: int) -> list[int]:
    """Ids for ``count`` new rows of ``table``, taken ahead of sealing them (the id is in each
    field's associated data): past the highest id there, and on MariaDB past the table's
    AUTO_INCREMENT as well, which every id the server has given moved past: to another
    account's writer, committed or not, and to rows since deleted (an id is never given
    twice, as the server never gives one twice), with ID_GAP left below them."""
    if not count:
        return []
    first = int(connection.execute(select(func.max(table.c.id))).scalar() or 0) + 1
    if connection.dialect.name != "sqlite":  # SQLite's ids go to 2**63 - 1
        counter = connection.execute(AUTO_INCREMENT, {"name": table.name}).scalar()
        first = max(first, int(counter or 0))
        if first + ID_GAP + count - 1 <= ID_LIMIT:  # near the end, no ids are left free
            first += ID_GAP
        if first + count - 1 > ID_LIMIT:
            raise UserError(
                f"The database has no ids left for {count:,} new rows in its {table.name} "
                f"table: they would go past the highest id a row can have ({ID_LIMIT:,}). "
                "Nothing was imported."
            )
    return list(range(first, first + count))


def _insert_chunk(
    connection: Connection, rows: list[dict[str, Any]], history_rows: list[dict[str, Any]]
) -> None:
    """One chunk's rows, then their earlier passwords; IdsTaken when an id of theirs was
    given to another writer meanwhile."""
    try:
        execute_many(connection, insert(integrity.ITEMS), rows)
        if history_rows:
            execute_many(connection, insert(integrity.HISTORY), history_rows)
    except IntegrityError as error:
        if error_code(error) == DUPLICATE_KEY:  # MariaDB's errno; SQLite's errors have none
            raise IdsTaken from None
        raise


def _counted(progress: Progress | None, before: int, total: int) -> Progress | None:
    """A chunk's progress as the whole import's: ``before`` items were sealed before it."""
    if progress is None:
        return None
    return lambda done, _: progress(before + done, total)


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

"""Vault actions: list, add, edit, trash, restore and purge items, sealed under the vault key.

Plain Python, no Textual. Every field a person types is sealed (see :mod:`.sealing`) before it
reaches the database, with the vault key held by the caller's ActiveSession. Edits carry the
version they started from; an edit of an item that changed meanwhile raises EditConflict with the
current item, so the caller can show both and let the person choose. An import's many items go
in through :mod:`.bulk`, sealed the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from app.core import crypto
from app.core.accounts import ActiveSession, Clock, utc_now
from app.core.errors import EditConflict, ItemNotFound, ValidationError
from app.core.items import HistoryEntry, ImportedItem, Item, ItemDraft
from app.core.rules import validate
from app.models import ITEM_FIELDS, SEALED_FIELDS, PasswordHistory, VaultItem
from app.services import integrity, sealing
from app.services.bulk import import_items
from app.services.database import database_errors, readable
from app.services.integrity_reads import CheckedReads
from app.services.seen import SeenStore
from app.services.transactions import run_in_transaction
from app.services.writes import HISTORY_LIMIT, check_key, new_write_id, written

TRASH_RETENTION = timedelta(days=30)
T = TypeVar("T")


class VaultService(CheckedReads):
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        target: str = "",
        clock: Clock = utc_now,
        seen: SeenStore | None = None,
    ) -> None:
        self._sessions = sessions
        self._target = target
        self._clock = clock
        # What this device has seen of each vault (None: nothing remembered, as in tests).
        self._seen = seen

    @contextmanager
    def _translate_errors(
        self, active: ActiveSession | None = None, item_id: int | None = None
    ) -> Iterator[None]:
        """Turn what the database says into errors a person can act on."""
        with database_errors(self._target):
            try:
                yield
            except StaleDataError:
                # Another device saved this item after it was read here.
                current = self._current(active, item_id) if active and item_id is not None else None
                raise EditConflict(current) from None

    def _load(
        self, db: Session, active: ActiveSession, item_id: int, *, for_update: bool = False
    ) -> VaultItem:
        # Writers lock the row first (SELECT ... FOR UPDATE): otherwise two devices saving one
        # item on MariaDB both take the shared lock that the history row's foreign key check
        # needs, then both wait for the exclusive one, and InnoDB kills one as a deadlock.
        row = db.get(VaultItem, item_id, with_for_update=for_update)
        if row is None or row.user_id != active.user_id:
            raise ItemNotFound
        return row

    def _load_for_write(
        self, db: Session, active: ActiveSession, item_id: int
    ) -> tuple[VaultItem, object, object]:
        """_load(for_update=True), and on MariaDB the head row locked and the item's history
        read with it (see integrity.item_and_head), for the write's record."""
        row, head, history = integrity.item_and_head(db, item_id)
        if row is None or row.user_id != active.user_id:
            raise ItemNotFound
        return row, head, history

    # -- actions ----------------------------------------------------------------------------

    def warm_up(self) -> None:
        """List the vault of a user that cannot exist (see Backend.warm_up)."""
        nobody = ActiveSession(0, "", bytes(crypto.KEY_BYTES))
        self.fingerprint(nobody)
        self.list_checked(nobody, remember=False)  # nothing this device saw of any vault

    def fingerprint(self, active: ActiveSession) -> tuple[int, int, int]:
        """A cheap summary of the account's items that changes whenever any item does.

        Every add raises the count or the highest id, every edit, trash or restore raises the
        sum of versions, every purge lowers the count: so a device polls this one-row query and
        re-reads the vault only when it moved.
        """
        summary = select(
            func.count(VaultItem.id),
            func.coalesce(func.sum(VaultItem.version), 0),
            func.coalesce(func.max(VaultItem.id), 0),
        ).where(VaultItem.user_id == active.user_id)
        with self._translate_errors():
            row = run_in_transaction(self._sessions, lambda db: db.execute(summary).one())
        return int(row[0]), int(row[1]), int(row[2])

    def add(self, active: ActiveSession, draft: ItemDraft) -> Item:
        clean = validate(draft)
        now = self._clock()
        write_id = new_write_id()

        heads: list[integrity.Head] = []

        key = integrity.vault_mac_key(active.vault_key)

        def work(db: Session) -> Item:
            check_key(db, active)
            done = written(db, active, write_id)
            if done is not None:
                heads.append(integrity.lock_head(db, active))
                return done  # the first run's COMMIT went through after all
            row = self._new_row(active, clean, now, write_id)
            db.add(row)
            db.flush()  # the id is part of every field's associated data
            version = row.version + 1  # what the flush below makes it
            sealing.seal(row, active, clean, version)
            tag = integrity.tag_row(key, active.user_id, row, version, [])
            row.integrity_tag = tag
            db.flush()
            integrity.flushed(row, version)
            heads.append(integrity.record(db, active, [], [tag]))
            return sealing.open_row(row, active)

        with self._translate_errors():
            item = run_in_transaction(self._sessions, work)
        self.saw(active, heads[-1])
        return item

    def add_many(self, active: ActiveSession, drafts: list[ItemDraft]) -> int:
        """Add many items in one transaction, sealed exactly as :meth:`add` does (see
        :mod:`.bulk`)."""
        added, _ = import_items(self, active, [ImportedItem(d) for d in drafts], dedupe=False)
        return added

    def now(self) -> datetime:
        """What time the service's clock says it is (tests set their own clock)."""
        return self._clock()

    def write(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` as one transaction (retried as run_in_transaction retries), with what
        the database says turned into errors a person can act on: for :mod:`.bulk`."""
        with self._translate_errors():
            return run_in_transaction(self._sessions, work)

    @staticmethod
    def _new_row(
        active: ActiveSession, clean: ItemDraft, now: datetime, write_id: str
    ) -> VaultItem:
        row = VaultItem(user_id=active.user_id, created_at=now, updated_at=now, write_id=write_id)
        for name in ITEM_FIELDS:
            setattr(row, f"{name}_sealed", b"")
        row.favourite = clean.favourite
        return row

    def update(
        self, active: ActiveSession, item_id: int, expected_version: int, draft: ItemDraft
    ) -> Item:
        """Save an edit made to version ``expected_version``; EditConflict if it moved on."""
        clean = validate(draft)
        now = self._clock()
        write_id = new_write_id()

        heads: list[integrity.Head] = []

        key = integrity.vault_mac_key(active.vault_key)

        def work(db: Session) -> Item:
            check_key(db, active)
            row, locked, read = self._load_for_write(db, active, item_id)
            current = sealing.open_row(row, active)
            if row.write_id == write_id:
                heads.append(integrity.lock_head(db, active, locked=locked))
                return current  # the first run's COMMIT went through after all
            if row.version != expected_version:
                raise EditConflict(current)
            history, reread = integrity.verified_history(db, active, key, row, read)
            if reread:  # read again: saved elsewhere meanwhile?
                current = sealing.open_row(row, active)
                if row.version != expected_version:
                    raise EditConflict(current)
            old_tag = row.integrity_tag
            if current.error is None and current.password and (current.password != clean.password):
                entry = PasswordHistory(item_id=row.id, replaced_at=now, password_sealed=b"")
                db.add(entry)
                db.flush()
                entry.password_sealed = sealing.seal_history(
                    active, row.id, entry.id, current.password
                )
                # The newest HISTORY_LIMIT by id are kept. The history read for the row's check
                # is all the item has (its tag covers every entry, and a writer that changed it
                # since changed the row's version too), so no query needs to find the others.
                history = sorted([*history, (entry.id, entry.password_sealed)])
                self._drop_history(db, [entry_id for entry_id, _ in history[:-HISTORY_LIMIT]])
                history = history[-HISTORY_LIMIT:]
                db.flush()
            version = row.version + 1  # what the flush below makes it
            sealing.seal(row, active, clean, version)
            row.updated_at = now
            row.write_id = write_id
            tag = integrity.tag_row(key, active.user_id, row, version, history)
            row.integrity_tag = tag
            db.flush()
            integrity.flushed(row, version)
            heads.append(integrity.record(db, active, [old_tag], [tag], locked=locked))
            return sealing.open_row(row, active)

        with self._translate_errors(active, item_id):
            item = run_in_transaction(self._sessions, work)
        self.saw(active, heads[-1])
        return item

    @staticmethod
    def _drop_history(db: Session, entry_ids: list[int]) -> None:
        if entry_ids:  # none while an item has fewer than HISTORY_LIMIT: no statement
            db.execute(delete(PasswordHistory).where(PasswordHistory.id.in_(entry_ids)))

    def _current(self, active: ActiveSession, item_id: int) -> Item | None:
        with self._sessions() as db:
            row = db.get(VaultItem, item_id)
            if row is None or row.user_id != active.user_id:
                return None
            return sealing.open_row(row, active)

    def history(self, active: ActiveSession, item_id: int) -> list[HistoryEntry]:
        """The item's previous passwords, newest first (at most 10)."""
        with self._translate_errors(), readable(), self._sessions() as db:
            row = self._load(db, active, item_id)
            entries = []
            for entry in row.history:
                try:
                    password = sealing.open_history(
                        active, item_id, entry.id, entry.password_sealed
                    )
                except crypto.CryptoError:
                    continue
                entries.append(HistoryEntry(password, entry.replaced_at))
            return entries

    def all_history(self, active: ActiveSession) -> dict[int, list[HistoryEntry]]:
        """Every item's previous passwords (newest first), in one query: for an export."""
        query = (
            select(
                PasswordHistory.item_id,
                PasswordHistory.id,
                PasswordHistory.replaced_at,
                PasswordHistory.password_sealed,
            )
            .join(VaultItem, VaultItem.id == PasswordHistory.item_id)
            .where(VaultItem.user_id == active.user_id)
            .order_by(PasswordHistory.item_id, PasswordHistory.id.desc())
        )
        with self._translate_errors(), readable():
            rows = run_in_transaction(self._sessions, lambda db: db.execute(query).all())
            history: dict[int, list[HistoryEntry]] = {}
            for item_id, entry_id, replaced_at, sealed in rows:
                try:
                    password = sealing.open_history(active, item_id, entry_id, sealed)
                except crypto.CryptoError:
                    continue
                history.setdefault(item_id, []).append(HistoryEntry(password, replaced_at))
        return history

    def created_dates(self, active: ActiveSession) -> dict[int, datetime]:
        """When each item was created, by id (the list leaves it out): for an export."""
        query = select(VaultItem.id, VaultItem.created_at).where(
            VaultItem.user_id == active.user_id
        )
        with self._translate_errors(), readable():
            rows = run_in_transaction(self._sessions, lambda db: db.execute(query).all())
        return {item_id: created for item_id, created in rows}

    def password_dates(self, active: ActiveSession) -> dict[int, datetime]:
        """When each live item's password was last set, by id: its newest history entry's
        time, else the item's creation (dates only: no password is opened). For the health
        report's "old"."""
        changed = (
            select(PasswordHistory.item_id, func.max(PasswordHistory.replaced_at))
            .join(VaultItem, VaultItem.id == PasswordHistory.item_id)
            .where(VaultItem.user_id == active.user_id)
            .group_by(PasswordHistory.item_id)
        )
        created = select(VaultItem.id, VaultItem.created_at).where(
            VaultItem.user_id == active.user_id, VaultItem.deleted_at.is_(None)
        )

        def read(db: Session) -> dict[int, datetime]:
            dates = {item_id: when for item_id, when in db.execute(created)}
            dates.update((item_id, when) for item_id, when in db.execute(changed))
            return dates

        with self._translate_errors(), readable():
            return run_in_transaction(self._sessions, read)

    def _set_deleted(self, active: ActiveSession, item_id: int, when: datetime | None) -> Item:
        write_id = new_write_id()

        heads: list[integrity.Head] = []
        cipher = crypto.FieldCipher(active.vault_key)
        key = integrity.vault_mac_key(active.vault_key)

        def work(db: Session) -> Item:
            check_key(db, active)
            row = self._load(db, active, item_id, for_update=True)
            if row.write_id == write_id:  # the first run's COMMIT went through
                heads.append(integrity.lock_head(db, active))
            else:
                history, _ = integrity.verified_history(db, active, key, row)
                old_tag, old, version = row.integrity_tag, row.version, row.version + 1
                for name in SEALED_FIELDS:  # the version is in every field's AAD
                    column = f"{name}_sealed"
                    blob = getattr(row, column)
                    resealed = sealing.reseal_version(
                        cipher, active.user_id, row.id, old, version, name, blob
                    )
                    setattr(row, column, resealed)
                row.deleted_at = when
                row.updated_at = self._clock()
                row.write_id = write_id
                tag = integrity.tag_row(key, active.user_id, row, version, history)
                row.integrity_tag = tag
                db.flush()
                integrity.flushed(row, version)
                heads.append(integrity.record(db, active, [old_tag], [tag]))
            return sealing.open_row(row, active)

        with self._translate_errors(active, item_id):
            item = run_in_transaction(self._sessions, work)
        self.saw(active, heads[-1])
        return item

    def trash(self, active: ActiveSession, item_id: int) -> Item:
        """Move to the trash, where it stays restorable for 30 days."""
        return self._set_deleted(active, item_id, self._clock())

    def restore(self, active: ActiveSession, item_id: int) -> Item:
        return self._set_deleted(active, item_id, None)

    def purge(self, active: ActiveSession, item_id: int) -> None:
        """Delete a trashed item for good."""

        heads: list[integrity.Head] = []

        def work(db: Session) -> None:
            check_key(db, active)
            row = self._load(db, active, item_id, for_update=True)
            if row.deleted_at is None:
                raise ValidationError("Only items in the trash can be deleted for good.", "")
            old_tag = row.integrity_tag
            db.delete(row)
            db.flush()
            heads.append(integrity.record(db, active, [old_tag], []))

        with self._translate_errors():
            run_in_transaction(self._sessions, work)
        self.saw(active, heads[-1])

    def purge_expired(self, active: ActiveSession) -> int:
        """Delete items that have been in the trash for longer than 30 days; returns how many."""
        cutoff = self._clock() - TRASH_RETENTION

        expired = select(VaultItem.id, VaultItem.integrity_tag).where(
            VaultItem.user_id == active.user_id,
            VaultItem.deleted_at.is_not(None),
            VaultItem.deleted_at <= cutoff,
        )
        heads: list[integrity.Head] = []

        def work(db: Session) -> int:
            if not db.execute(expired.limit(1)).first():
                return 0  # nothing to purge: no write, no lock
            check_key(db, active)
            head = integrity.lock_head(db, active)
            heads.append(head)
            rows = db.execute(expired).all()
            head.move([tag for _, tag in rows], [])
            db.execute(delete(VaultItem).where(VaultItem.id.in_([item_id for item_id, _ in rows])))
            head.save(db)
            return len(rows)

        with self._translate_errors():
            purged = run_in_transaction(self._sessions, work)
        if purged:
            self.saw(active, heads[-1])
        return purged

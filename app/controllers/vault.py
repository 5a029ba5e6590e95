"""Vault actions: list, add, edit, trash, restore and purge items, sealed under the vault key.

Plain Python, no Textual. Every field a person types is encrypted before it reaches the database
and decrypted only here, with the vault key held by the caller's ActiveSession. Edits carry the
version they started from; an edit of an item that changed meanwhile raises EditConflict with the
current item, so the caller can show both and let the person choose.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, null, select
from sqlalchemy.orm.exc import StaleDataError

from app import crypto
from app.controllers.accounts import utc_now
from app.db import database_errors
from app.items import (
    EditConflict,
    HistoryEntry,
    Item,
    ItemDraft,
    ItemNotFound,
    SecretFields,
    ShownFields,
    normalize_totp,
    plain_values,
    split_lines,
    validate,
)
from app.memory import collector_paused
from app.models import ITEM_FIELDS, PasswordHistory, VaultItem
from app.passwords import ValidationError

__all__ = [
    "EditConflict",
    "HistoryEntry",
    "Item",
    "ItemDraft",
    "ItemNotFound",
    "VaultController",
    "normalize_totp",
    "validate",
]

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from app.controllers.accounts import ActiveSession

TRASH_RETENTION = timedelta(days=30)
HISTORY_LIMIT = 10
# What the list and search show, opened on unlock; then what waits until an item is used.
_SHOWN_FIELDS = ("title", "username", "urls", "tags")
_SHOWN_LATER = _SHOWN_FIELDS[1:]  # all but the title, which the list's order needs at once
_SECRET_FIELDS = ("password", "notes", "totp")
_ROW_FIELDS = _SHOWN_FIELDS + _SECRET_FIELDS
_LIST_COLUMNS = (
    "id",
    "version",
    "favourite",
    "updated_at",
    "deleted_at",
    *(f"{name}_sealed" for name in _ROW_FIELDS),
)


def _reason(error: Exception) -> str:
    return error.args[0] if isinstance(error, crypto.CryptoError) else "unreadable"


def _open_fields(
    names: tuple[str, ...],
    cipher: crypto.FieldCipher,
    user_id: int,
    item_id: int,
    *sealed: bytes,
) -> tuple[tuple[str, ...], str | None]:
    try:
        return tuple(
            cipher.open(blob, crypto.field_aad(user_id, item_id, name))
            for name, blob in zip(names, sealed, strict=True)
        ), None
    except (crypto.CryptoError, UnicodeDecodeError) as error:
        return ("",) * len(names), f"This item cannot be opened: {_reason(error)}"


def _open_shown(
    cipher: crypto.FieldCipher, user_id: int, item_id: int, *sealed: bytes
) -> tuple[tuple[str, tuple[str, ...], tuple[str, ...]], str | None]:
    """An item's username, URLs and tags, opened when first read (see ShownFields)."""
    (username, urls, tags), error = _open_fields(_SHOWN_LATER, cipher, user_id, item_id, *sealed)
    return (username, split_lines(urls), split_lines(tags)), error


def _open_secrets(
    cipher: crypto.FieldCipher, user_id: int, item_id: int, *sealed: bytes
) -> tuple[tuple[str, str, str], str | None]:
    """An item's password, notes and TOTP secret, opened when first read (see SecretFields)."""
    (password, notes, totp), error = _open_fields(_SECRET_FIELDS, cipher, user_id, item_id, *sealed)
    return (password, notes, totp), error


class VaultController:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        target: str = "",
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._sessions = sessions
        self._target = target
        self._clock = clock

    # -- sealing ---------------------------------------------------------------------------

    @staticmethod
    def _seal(row: VaultItem, active: ActiveSession, draft: ItemDraft) -> None:
        cipher = crypto.FieldCipher(active.vault_key)
        for name, value in plain_values(draft).items():
            aad = crypto.field_aad(active.user_id, row.id, name)
            setattr(row, f"{name}_sealed", cipher.seal(value, aad))
        row.favourite = draft.favourite

    @classmethod
    def _open(cls, row: VaultItem, active: ActiveSession) -> Item:
        return cls._decrypt(
            active.user_id,
            crypto.FieldCipher(active.vault_key),
            (
                row.id,
                row.version,
                row.favourite,
                row.updated_at,
                row.deleted_at,
                *(getattr(row, f"{name}_sealed") for name in _ROW_FIELDS),
            ),
        )

    @staticmethod
    def _decrypt(user_id: int, cipher: crypto.FieldCipher, row: tuple[Any, ...]) -> Item:
        """One item from a row of _LIST_COLUMNS; a damaged one comes back with ``error`` set.

        Only the title is opened now; the other fields when first read (see ShownFields and
        SecretFields). This runs for every item on every unlock, so it stays a straight line.
        """
        item_id, version, favourite, updated_at, deleted_at = row[:5]
        sealed_title, username, urls, tags, password, notes, totp = row[5:]
        try:
            title = cipher.open(sealed_title, crypto.field_aad(user_id, item_id, "title"))
        except (crypto.CryptoError, UnicodeDecodeError) as error:
            return Item(
                item_id,
                version,
                f"Damaged item #{item_id}",
                updated_at=updated_at,
                deleted_at=deleted_at,
                damage=f"This item cannot be opened: {_reason(error)}",
            )
        return Item(
            item_id,
            version,
            title,
            favourite=bool(favourite),
            updated_at=updated_at,
            deleted_at=deleted_at,
            shown=ShownFields(
                opener=partial(_open_shown, cipher, user_id, item_id, username, urls, tags)
            ),
            secrets=SecretFields(
                opener=partial(_open_secrets, cipher, user_id, item_id, password, notes, totp)
            ),
        )

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

    # -- actions ----------------------------------------------------------------------------

    def list_items(self, active: ActiveSession, *, trash: bool = False) -> list[Item]:
        """Every live item (or every trashed one): favourites first, then by title.

        Only the titles are decrypted here, one per item, since the order needs them; every
        other field opens when it is first read (a row drawn, an item shown, the search index).
        """
        with self._translate_errors(), self._sessions() as db:
            # Plain rows, not ORM objects: listing 10,000 items is a read, not a unit of work.
            columns = [getattr(VaultItem, name) for name in _LIST_COLUMNS]
            if not trash:
                # Known to be NULL: no need to fetch and convert 10,000 timestamps.
                columns[_LIST_COLUMNS.index("deleted_at")] = null()
            query = select(*columns).where(VaultItem.user_id == active.user_id)
            query = query.where(
                VaultItem.deleted_at.is_not(None) if trash else VaultItem.deleted_at.is_(None)
            )
            with collector_paused():
                rows = [tuple(row) for row in db.connection().execute(query)]
        user_id, cipher = active.user_id, crypto.FieldCipher(active.vault_key)
        with collector_paused():
            items = [self._decrypt(user_id, cipher, row) for row in rows]
        items.sort(key=lambda item: (not item.favourite, item.title.casefold(), item.id))
        return items

    def warm_up(self) -> None:
        """List the vault of a user that cannot exist: compiles the unlock's statements early."""
        from app.controllers.accounts import ActiveSession

        nobody = ActiveSession(0, "", bytes(crypto.KEY_BYTES))
        self.fingerprint(nobody)
        self.list_items(nobody)

    def fingerprint(self, active: ActiveSession) -> tuple[int, int, int]:
        """A cheap summary of the account's items that changes whenever any item does.

        Every add raises the count or the highest id, every edit, trash or restore raises the
        sum of versions, every purge lowers the count: so a device polls this one-row query and
        re-reads the vault only when it moved.
        """
        with self._translate_errors(), self._sessions() as db:
            row = db.execute(
                select(
                    func.count(VaultItem.id),
                    func.coalesce(func.sum(VaultItem.version), 0),
                    func.coalesce(func.max(VaultItem.id), 0),
                ).where(VaultItem.user_id == active.user_id)
            ).one()
        return int(row[0]), int(row[1]), int(row[2])

    def add(self, active: ActiveSession, draft: ItemDraft) -> Item:
        clean = validate(draft)
        now = self._clock()
        with self._translate_errors(), self._sessions.begin() as db:
            row = VaultItem(user_id=active.user_id, created_at=now, updated_at=now)
            for name in ITEM_FIELDS:
                setattr(row, f"{name}_sealed", b"")
            row.favourite = clean.favourite
            db.add(row)
            db.flush()  # the id is part of every field's associated data
            self._seal(row, active, clean)
            db.flush()
            return self._open(row, active)

    def add_many(self, active: ActiveSession, drafts: list[ItemDraft]) -> int:
        """Add many items in one transaction (an import), sealed exactly as :meth:`add` does."""
        cleaned = [validate(draft) for draft in drafts]
        now = self._clock()
        with self._translate_errors(), self._sessions.begin() as db:
            rows = []
            for clean in cleaned:
                row = VaultItem(user_id=active.user_id, created_at=now, updated_at=now)
                for name in ITEM_FIELDS:
                    setattr(row, f"{name}_sealed", b"")
                row.favourite = clean.favourite
                rows.append(row)
            db.add_all(rows)
            db.flush()
            for row, clean in zip(rows, cleaned, strict=True):
                self._seal(row, active, clean)
        return len(cleaned)

    def update(
        self, active: ActiveSession, item_id: int, expected_version: int, draft: ItemDraft
    ) -> Item:
        """Save an edit made to version ``expected_version``; EditConflict if it moved on."""
        clean = validate(draft)
        now = self._clock()
        with self._translate_errors(active, item_id), self._sessions.begin() as db:
            row = self._load(db, active, item_id, for_update=True)
            current = self._open(row, active)
            if row.version != expected_version:
                raise EditConflict(current)
            if current.error is None and current.password and (current.password != clean.password):
                entry = PasswordHistory(item_id=row.id, replaced_at=now, password_sealed=b"")
                db.add(entry)
                db.flush()
                entry.password_sealed = crypto.FieldCipher(active.vault_key).seal(
                    current.password,
                    crypto.field_aad(active.user_id, row.id, f"history/{entry.id}"),
                )
                self._trim_history(db, row.id)
            self._seal(row, active, clean)
            row.updated_at = now
            db.flush()
            return self._open(row, active)

    @staticmethod
    def _trim_history(db: Session, item_id: int) -> None:
        keep = select(PasswordHistory.id).where(PasswordHistory.item_id == item_id)
        kept = db.scalars(keep.order_by(PasswordHistory.id.desc()).limit(HISTORY_LIMIT)).all()
        db.execute(
            delete(PasswordHistory).where(
                PasswordHistory.item_id == item_id, PasswordHistory.id.not_in(kept)
            )
        )

    def _current(self, active: ActiveSession, item_id: int) -> Item | None:
        with self._sessions() as db:
            row = db.get(VaultItem, item_id)
            if row is None or row.user_id != active.user_id:
                return None
            return self._open(row, active)

    def history(self, active: ActiveSession, item_id: int) -> list[HistoryEntry]:
        """The item's previous passwords, newest first (at most 10)."""
        with self._translate_errors(), self._sessions() as db:
            row = self._load(db, active, item_id)
            entries = []
            for entry in row.history:
                try:
                    password = crypto.FieldCipher(active.vault_key).open(
                        entry.password_sealed,
                        crypto.field_aad(active.user_id, item_id, f"history/{entry.id}"),
                    )
                except crypto.CryptoError:
                    continue
                entries.append(HistoryEntry(password, entry.replaced_at))
            return entries

    def _set_deleted(self, active: ActiveSession, item_id: int, when: datetime | None) -> Item:
        with self._translate_errors(active, item_id), self._sessions.begin() as db:
            row = self._load(db, active, item_id, for_update=True)
            row.deleted_at = when
            row.updated_at = self._clock()
            db.flush()
            return self._open(row, active)

    def trash(self, active: ActiveSession, item_id: int) -> Item:
        """Move to the trash, where it stays restorable for 30 days."""
        return self._set_deleted(active, item_id, self._clock())

    def restore(self, active: ActiveSession, item_id: int) -> Item:
        return self._set_deleted(active, item_id, None)

    def purge(self, active: ActiveSession, item_id: int) -> None:
        """Delete a trashed item for good."""
        with self._translate_errors(), self._sessions.begin() as db:
            row = self._load(db, active, item_id, for_update=True)
            if row.deleted_at is None:
                raise ValidationError("Only items in the trash can be deleted for good.", "")
            db.delete(row)

    def purge_expired(self, active: ActiveSession) -> int:
        """Delete items that have been in the trash for longer than 30 days; returns how many."""
        cutoff = self._clock() - TRASH_RETENTION
        with self._translate_errors(), self._sessions.begin() as db:
            result = db.execute(
                delete(VaultItem).where(
                    VaultItem.user_id == active.user_id,
                    VaultItem.deleted_at.is_not(None),
                    VaultItem.deleted_at <= cutoff,
                )
            )
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

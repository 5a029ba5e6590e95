"""Vault actions: list, add, edit, trash, restore and purge items, sealed under the vault key.

Plain Python, no Textual. Every field a person types is encrypted before it reaches the database
and decrypted only here, with the vault key held by the caller's ActiveSession. Edits carry the
version they started from; an edit of an item that changed meanwhile raises EditConflict with the
current item, so the caller can show both and let the person choose.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.exc import StaleDataError

from app import crypto
from app.controllers.accounts import utc_now
from app.db import explain
from app.items import (
    EditConflict,
    HistoryEntry,
    Item,
    ItemDraft,
    ItemNotFound,
    normalize_totp,
    plain_values,
    validate,
)
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
        for name, value in plain_values(draft).items():
            aad = crypto.field_aad(active.user_id, row.id, name)
            setattr(row, f"{name}_sealed", crypto.encrypt_field(active.vault_key, value, aad))
        row.favourite = draft.favourite

    @staticmethod
    def _open(row: VaultItem, active: ActiveSession) -> Item:
        try:
            values = {
                name: crypto.decrypt_field(
                    active.vault_key,
                    getattr(row, f"{name}_sealed"),
                    crypto.field_aad(active.user_id, row.id, name),
                )
                for name in ITEM_FIELDS
            }
            urls = tuple(str(u) for u in json.loads(values["urls"]))
            tags = tuple(str(t) for t in json.loads(values["tags"]))
        except (crypto.CryptoError, ValueError, TypeError) as error:
            message = error.args[0] if isinstance(error, crypto.CryptoError) else "unreadable"
            return Item(
                row.id,
                row.version,
                f"Damaged item #{row.id}",
                created_at=row.created_at,
                updated_at=row.updated_at,
                deleted_at=row.deleted_at,
                error=f"This item cannot be opened: {message}",
            )
        return Item(
            row.id,
            row.version,
            values["title"],
            values["username"],
            values["password"],
            urls,
            values["notes"],
            tags,
            values["totp"],
            row.favourite,
            row.created_at,
            row.updated_at,
            row.deleted_at,
        )

    def _load(self, db: Session, active: ActiveSession, item_id: int) -> VaultItem:
        row = db.get(VaultItem, item_id)
        if row is None or row.user_id != active.user_id:
            raise ItemNotFound
        return row

    # -- actions ----------------------------------------------------------------------------

    def list_items(self, active: ActiveSession, *, trash: bool = False) -> list[Item]:
        """Every live item (or every trashed one), decrypted: favourites first, then by title."""
        try:
            with self._sessions() as db:
                query = select(VaultItem).where(VaultItem.user_id == active.user_id)
                query = query.where(
                    VaultItem.deleted_at.is_not(None) if trash else VaultItem.deleted_at.is_(None)
                )
                items = [self._open(row, active) for row in db.scalars(query)]
        except DBAPIError as error:
            raise explain(error, self._target) from None
        items.sort(key=lambda item: (not item.favourite, item.title.casefold(), item.id))
        return items

    def add(self, active: ActiveSession, draft: ItemDraft) -> Item:
        clean = validate(draft)
        now = self._clock()
        try:
            with self._sessions.begin() as db:
                row = VaultItem(user_id=active.user_id, created_at=now, updated_at=now)
                for name in ITEM_FIELDS:
                    setattr(row, f"{name}_sealed", b"")
                row.favourite = clean.favourite
                db.add(row)
                db.flush()  # the id is part of every field's associated data
                self._seal(row, active, clean)
                db.flush()
                return self._open(row, active)
        except DBAPIError as error:
            raise explain(error, self._target) from None

    def update(
        self, active: ActiveSession, item_id: int, expected_version: int, draft: ItemDraft
    ) -> Item:
        """Save an edit made to version ``expected_version``; EditConflict if it moved on."""
        clean = validate(draft)
        now = self._clock()
        try:
            with self._sessions.begin() as db:
                row = self._load(db, active, item_id)
                current = self._open(row, active)
                if row.version != expected_version:
                    raise EditConflict(current)
                if (
                    current.error is None
                    and current.password
                    and (current.password != clean.password)
                ):
                    entry = PasswordHistory(item_id=row.id, replaced_at=now, password_sealed=b"")
                    db.add(entry)
                    db.flush()
                    entry.password_sealed = crypto.encrypt_field(
                        active.vault_key,
                        current.password,
                        crypto.field_aad(active.user_id, row.id, f"history/{entry.id}"),
                    )
                    self._trim_history(db, row.id)
                self._seal(row, active, clean)
                row.updated_at = now
                db.flush()
                return self._open(row, active)
        except StaleDataError:
            raise EditConflict(self._current(active, item_id)) from None
        except DBAPIError as error:
            raise explain(error, self._target) from None

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
        try:
            with self._sessions() as db:
                row = self._load(db, active, item_id)
                entries = []
                for entry in row.history:
                    try:
                        password = crypto.decrypt_field(
                            active.vault_key,
                            entry.password_sealed,
                            crypto.field_aad(active.user_id, item_id, f"history/{entry.id}"),
                        )
                    except crypto.CryptoError:
                        continue
                    entries.append(HistoryEntry(password, entry.replaced_at))
                return entries
        except DBAPIError as error:
            raise explain(error, self._target) from None

    def _set_deleted(self, active: ActiveSession, item_id: int, when: datetime | None) -> Item:
        try:
            with self._sessions.begin() as db:
                row = self._load(db, active, item_id)
                row.deleted_at = when
                row.updated_at = self._clock()
                db.flush()
                return self._open(row, active)
        except StaleDataError:
            raise EditConflict(self._current(active, item_id)) from None
        except DBAPIError as error:
            raise explain(error, self._target) from None

    def trash(self, active: ActiveSession, item_id: int) -> Item:
        """Move to the trash, where it stays restorable for 30 days."""
        return self._set_deleted(active, item_id, self._clock())

    def restore(self, active: ActiveSession, item_id: int) -> Item:
        return self._set_deleted(active, item_id, None)

    def purge(self, active: ActiveSession, item_id: int) -> None:
        """Delete a trashed item for good."""
        try:
            with self._sessions.begin() as db:
                row = self._load(db, active, item_id)
                if row.deleted_at is None:
                    raise ValidationError("Only items in the trash can be deleted for good.", "")
                db.delete(row)
        except DBAPIError as error:
            raise explain(error, self._target) from None

    def purge_expired(self, active: ActiveSession) -> int:
        """Delete items that have been in the trash for longer than 30 days; returns how many."""
        cutoff = self._clock() - TRASH_RETENTION
        try:
            with self._sessions.begin() as db:
                result = db.execute(
                    delete(VaultItem).where(
                        VaultItem.user_id == active.user_id,
                        VaultItem.deleted_at.is_not(None),
                        VaultItem.deleted_at <= cutoff,
                    )
                )
                return int(result.rowcount or 0)  # type: ignore[attr-defined]
        except DBAPIError as error:
            raise explain(error, self._target) from None

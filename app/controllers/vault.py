"""Vault actions: list, add, edit, trash, restore and purge items, sealed under the vault key.

Plain Python, no Textual. Every field a person types is encrypted before it reaches the database
and decrypted only here, with the vault key held by the caller's ActiveSession. Edits carry the
version they started from; an edit of an item that changed meanwhile raises EditConflict with the
current item, so the caller can show both and let the person choose.
"""

from __future__ import annotations

import base64
import binascii
import json
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.exc import StaleDataError

from app import crypto
from app.controllers.accounts import utc_now
from app.db import explain
from app.models import ITEM_FIELDS, PasswordHistory, VaultItem
from app.passwords import ValidationError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from app.controllers.accounts import ActiveSession

TRASH_RETENTION = timedelta(days=30)
HISTORY_LIMIT = 10
LIMITS = {
    "title": 200,
    "username": 500,
    "password": 4096,
    "url": 2048,
    "notes": 100_000,
    "tag": 64,
    "totp": 512,
}
MAX_URLS = 20
MAX_TAGS = 32


class ItemNotFound(Exception):
    def __init__(self) -> None:
        super().__init__("That item no longer exists; it may have been deleted on another device.")
        self.message = str(self)


class EditConflict(Exception):
    """The item changed since it was opened; ``current`` is what the database holds now."""

    def __init__(self, current: Item | None) -> None:
        super().__init__("This item was changed on another device while you were editing it.")
        self.message = str(self)
        self.current = current


@dataclass(frozen=True)
class ItemDraft:
    """What a person typed into the item form, before validation."""

    title: str
    username: str = ""
    password: str = field(default="", repr=False)
    urls: tuple[str, ...] = ()
    notes: str = field(default="", repr=False)
    tags: tuple[str, ...] = ()
    totp: str = field(default="", repr=False)
    favourite: bool = False


@dataclass(frozen=True)
class Item:
    """A decrypted item. ``error`` is set (and the fields empty) when it could not be opened."""

    id: int
    version: int
    title: str
    username: str = ""
    password: str = field(default="", repr=False)
    urls: tuple[str, ...] = ()
    notes: str = field(default="", repr=False)
    tags: tuple[str, ...] = ()
    totp: str = field(default="", repr=False)
    favourite: bool = False
    created_at: datetime | None = None
    updated_at: datetime | None = None
    deleted_at: datetime | None = None
    error: str | None = None

    def draft(self) -> ItemDraft:
        return ItemDraft(
            self.title,
            self.username,
            self.password,
            self.urls,
            self.notes,
            self.tags,
            self.totp,
            self.favourite,
        )


@dataclass(frozen=True)
class HistoryEntry:
    password: str = field(repr=False)
    replaced_at: datetime


def _check_text(value: str, name: str, limit: int, *, multiline: bool = False) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(f"{name} contains characters that cannot be stored.", name) from None
    allowed = "\n\t" if multiline else "\t"
    for character in value:
        if unicodedata.category(character) == "Cc" and character not in allowed:
            raise ValidationError(
                f"{name.capitalize()} contains a control character (code {ord(character)}); "
                "remove it and try again.",
                name,
            )
    if len(value) > limit:
        raise ValidationError(
            f"{name.capitalize()} is too long: at most {limit} characters ({len(value)} now).",
            name,
        )
    return value


def normalize_totp(secret: str) -> str:
    """A base32 TOTP secret, from a bare secret or an otpauth:// URI; '' for none."""
    text = secret.strip()
    if not text:
        return ""
    if text.lower().startswith("otpauth://"):
        import pyotp

        try:
            parsed = pyotp.parse_uri(text)
        except (ValueError, binascii.Error):
            raise ValidationError("That otpauth:// link is not valid.", "totp") from None
        text = parsed.secret
    compact = "".join(text.split()).upper().rstrip("=")
    try:
        base64.b32decode(compact + "=" * (-len(compact) % 8))
    except (binascii.Error, ValueError):
        raise ValidationError(
            "The TOTP secret must be base32 (letters A-Z and digits 2-7) or an otpauth:// link.",
            "totp",
        ) from None
    if len(compact) < 16:
        raise ValidationError("The TOTP secret is too short (at least 16 characters).", "totp")
    return compact


def validate(draft: ItemDraft) -> ItemDraft:
    """The draft as it will be stored, or a ValidationError naming the field to fix."""
    title = _check_text(draft.title.strip(), "title", LIMITS["title"])
    if not title:
        raise ValidationError("Please give the item a title.", "title")
    urls = tuple(u.strip() for u in draft.urls if u.strip())
    if len(urls) > MAX_URLS:
        raise ValidationError(f"At most {MAX_URLS} URLs per item.", "url")
    tags = tuple(dict.fromkeys(t.strip() for t in draft.tags if t.strip()))
    if len(tags) > MAX_TAGS:
        raise ValidationError(f"At most {MAX_TAGS} tags per item.", "tags")
    for url in urls:
        _check_text(url, "url", LIMITS["url"])
    for tag in tags:
        _check_text(tag, "tag", LIMITS["tag"])
    return replace(
        draft,
        title=title,
        username=_check_text(draft.username.strip(), "username", LIMITS["username"]),
        password=_check_text(draft.password, "password", LIMITS["password"]),
        urls=urls,
        notes=_check_text(draft.notes, "notes", LIMITS["notes"], multiline=True),
        tags=tags,
        totp=normalize_totp(_check_text(draft.totp, "totp", LIMITS["totp"])),
    )


def _plain_values(draft: ItemDraft) -> dict[str, str]:
    return {
        "title": draft.title,
        "username": draft.username,
        "password": draft.password,
        "urls": json.dumps(list(draft.urls)),
        "notes": draft.notes,
        "tags": json.dumps(list(draft.tags)),
        "totp": draft.totp,
    }


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
        for name, value in _plain_values(draft).items():
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

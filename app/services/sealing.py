"""Sealing vault items: every field a person types is AES-GCM encrypted under the vault key,
bound to its user, item, version and field, before it reaches the database, and opened only
here. (Fields written before the version was bound are re-sealed at their account's next
unlock: see app.services.integrity.)

Opening is lazy (see :mod:`app.core.items`): listing opens only the titles; the rest open
when first read, with the openers built here.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from app.core import crypto
from app.core.accounts import ActiveSession
from app.core.items import (
    CustomField,
    CustomFields,
    Item,
    ItemDraft,
    SecretFields,
    ShownFields,
)
from app.models import VaultItem

# What the list and search show, opened on unlock; then what waits until an item is used.
_SHOWN_FIELDS = ("title", "username", "urls", "tags")
_SHOWN_LATER = _SHOWN_FIELDS[1:]  # all but the title, which the list's order needs at once
_SECRET_FIELDS = ("password", "notes", "totp")
_ROW_FIELDS = _SHOWN_FIELDS + _SECRET_FIELDS
LIST_COLUMNS = (
    "id",
    "version",
    "favourite",
    "updated_at",
    "deleted_at",
    *(f"{name}_sealed" for name in _ROW_FIELDS),
    "fields_sealed",
)


# URLs and tags are single-line (validation refuses control characters in them), so a list of
# them is stored as its lines: cheaper to open for 10,000 items than JSON.
def join_lines(values: tuple[str, ...]) -> str:
    return "\n".join(values)


def split_lines(text: str) -> tuple[str, ...]:
    return tuple(text.split("\n")) if text else ()


def plain_values(draft: ItemDraft) -> dict[str, str]:
    return {
        "title": draft.title,
        "username": draft.username,
        "password": draft.password,
        "urls": join_lines(draft.urls),
        "notes": draft.notes,
        "tags": join_lines(draft.tags),
        "totp": draft.totp,
    }


def field_aad(user_id: int, item_id: int, version: int, field: str) -> bytes:
    """A field's associated data: an earlier version's field put back in its row is refused."""
    return (
        f"strongroom/item/v2/user/{user_id}/item/{item_id}/version/{version}/field/{field}".encode()
    )


def reseal_legacy(
    cipher: crypto.FieldCipher, user_id: int, item_id: int, version: int, name: str, blob: Any
) -> Any:
    """A field sealed before versions were bound (crypto.field_aad), sealed again with its
    version; one that does not open so (damaged, or already re-sealed) is left as it is."""
    if not isinstance(blob, bytes):
        return blob
    try:
        plain = cipher.open(blob, crypto.field_aad(user_id, item_id, name))
    except (crypto.CryptoError, UnicodeDecodeError):
        return blob
    return cipher.seal(plain, field_aad(user_id, item_id, version, name))


def reseal_version(
    cipher: crypto.FieldCipher, user_id: int, item_id: int, old: int, new: int, name: str, blob: Any
) -> Any:
    """A field sealed again for the item's next version (a move to or from the trash); one
    that does not open is left as it is (damaged either way)."""
    if not isinstance(blob, bytes):
        return blob
    try:
        plain = cipher.open(blob, field_aad(user_id, item_id, old, name))
    except (crypto.CryptoError, UnicodeDecodeError):
        return blob
    return cipher.seal(plain, field_aad(user_id, item_id, new, name))


def _reason(error: Exception) -> str:
    return error.args[0] if isinstance(error, crypto.CryptoError) else "unreadable"


def _open_fields(
    names: tuple[str, ...],
    cipher: crypto.FieldCipher,
    user_id: int,
    item_id: int,
    version: int,
    *sealed: bytes,
) -> tuple[tuple[str, ...], str | None]:
    item, opened = field_aad(user_id, item_id, version, ""), cipher.open  # once per item
    try:
        return tuple(
            [opened(blob, item + name.encode()) for name, blob in zip(names, sealed, strict=True)]
        ), None
    except (crypto.CryptoError, UnicodeDecodeError) as error:
        return ("",) * len(names), f"This item cannot be opened: {_reason(error)}"


def _open_shown(
    cipher: crypto.FieldCipher, user_id: int, item_id: int, version: int, *sealed: bytes
) -> tuple[tuple[str, tuple[str, ...], tuple[str, ...]], str | None]:
    """An item's username, URLs and tags, opened when first read (see ShownFields)."""
    (username, urls, tags), error = _open_fields(
        _SHOWN_LATER, cipher, user_id, item_id, version, *sealed
    )
    return (username, split_lines(urls), split_lines(tags)), error


def _open_password(
    cipher: crypto.FieldCipher, user_id: int, item_id: int, version: int, sealed: bytes
) -> tuple[tuple[str], str | None]:
    """An item's password, opened when first read (see SecretFields): the health report reads
    every item's, so it is opened here straight, not through :func:`_open_fields`."""
    try:
        return (cipher.open(sealed, field_aad(user_id, item_id, version, "password")),), None
    except (crypto.CryptoError, UnicodeDecodeError) as error:
        return ("",), f"This item cannot be opened: {_reason(error)}"


def _open_notes_totp(
    cipher: crypto.FieldCipher, user_id: int, item_id: int, version: int, *sealed: bytes
) -> tuple[tuple[str, str], str | None]:
    """An item's notes and TOTP secret, opened when first read (see SecretFields)."""
    (notes, totp), error = _open_fields(
        _SECRET_FIELDS[1:], cipher, user_id, item_id, version, *sealed
    )
    return (notes, totp), error


def _open_custom(
    cipher: crypto.FieldCipher, user_id: int, item_id: int, version: int, sealed: bytes
) -> tuple[tuple[CustomField, ...], str | None]:
    """An item's custom fields, opened when first read (see CustomFields)."""
    (text,), error = _open_fields(("fields",), cipher, user_id, item_id, version, sealed)
    if error is not None:
        return (), error
    try:
        return tuple(
            CustomField(str(name), str(value), bool(secret))
            for name, value, secret in json.loads(text)
        ), None
    except (ValueError, TypeError):
        return (), "This item cannot be opened: its custom fields are unreadable"


def sealed_values(
    cipher: crypto.FieldCipher, user_id: int, item_id: int, version: int, draft: ItemDraft
) -> dict[str, bytes | None]:
    """Every sealed column of item ``item_id`` at ``version`` (both are in every field's AAD)
    for a validated draft, by column name."""
    values: dict[str, bytes | None] = {
        f"{name}_sealed": cipher.seal(value, field_aad(user_id, item_id, version, name))
        for name, value in plain_values(draft).items()
    }
    values["fields_sealed"] = None
    if draft.fields:
        text = json.dumps([[f.name, f.value, f.secret] for f in draft.fields], ensure_ascii=False)
        aad = field_aad(user_id, item_id, version, "fields")
        values["fields_sealed"] = cipher.seal(text, aad)
    return values


def seal(row: VaultItem, active: ActiveSession, draft: ItemDraft, version: int) -> None:
    """Write a validated draft into a row that has its id, for the version it will have once
    flushed (both are in every field's AAD)."""
    cipher = crypto.FieldCipher(active.vault_key)
    for column, value in sealed_values(cipher, active.user_id, row.id, version, draft).items():
        setattr(row, column, value)
    row.favourite = draft.favourite


def open_row(row: VaultItem, active: ActiveSession) -> Item:
    return open_listed(
        active.user_id,
        crypto.FieldCipher(active.vault_key),
        (
            row.id,
            row.version,
            row.favourite,
            row.updated_at,
            row.deleted_at,
            *(getattr(row, f"{name}_sealed") for name in _ROW_FIELDS),
            row.fields_sealed,
        ),
    )


def open_listed(user_id: int, cipher: crypto.FieldCipher, row: tuple[Any, ...]) -> Item:
    """One item from a row of LIST_COLUMNS; a damaged one comes back with ``error`` set.

    Only the title is opened now; the other fields when first read (see ShownFields and
    SecretFields). This runs for every item on every unlock, so it stays a straight line.
    """
    item_id, version, favourite, updated_at, deleted_at = row[:5]
    sealed_title, username, urls, tags, password, notes, totp, custom = row[5:]
    try:
        title = cipher.open(sealed_title, field_aad(user_id, item_id, version, "title"))
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
            opener=partial(_open_shown, cipher, user_id, item_id, version, username, urls, tags)
        ),
        secrets=SecretFields(
            opener=partial(_open_password, cipher, user_id, item_id, version, password),
            rest=partial(_open_notes_totp, cipher, user_id, item_id, version, notes, totp),
        ),
        extra=None
        if custom is None
        else CustomFields(opener=partial(_open_custom, cipher, user_id, item_id, version, custom)),
    )


def _history_aad(active: ActiveSession, item_id: int, entry_id: int) -> bytes:
    return crypto.field_aad(active.user_id, item_id, f"history/{entry_id}")


def seal_history(active: ActiveSession, item_id: int, entry_id: int, password: str) -> bytes:
    cipher = crypto.FieldCipher(active.vault_key)
    return cipher.seal(password, _history_aad(active, item_id, entry_id))


def open_history(active: ActiveSession, item_id: int, entry_id: int, sealed: bytes) -> str:
    """A replaced password; CryptoError when it cannot be opened."""
    cipher = crypto.FieldCipher(active.vault_key)
    return cipher.open(sealed, _history_aad(active, item_id, entry_id))


def damaged(item_id: int, version: int, row: tuple[Any, ...], reason: str) -> Item:
    """An item whose row does not match the vault's integrity record: none of its fields opened
    (its title, opened apart where it still opens, only names it in the message)."""
    return Item(
        item_id,
        version,
        f"Damaged item #{item_id}",
        updated_at=row[3],
        deleted_at=row[4],
        damage=reason,
    )

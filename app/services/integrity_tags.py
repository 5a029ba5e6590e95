"""The integrity record's MACs (see app.services.integrity): an item's tag over its row as
Strongroom wrote it, the head as the XOR of the tags and its MAC, and the messages that say a
read found them not to match. No database here: what reads and writes the rows is there."""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence

from app.core import integrity_keys

TAG_BYTES = 32
_NULL = b"\xff\xff\xff\xff"  # a NULL column (no custom fields)
_NOT_BYTES = b"\xfe\xfe\xfe\xfe"  # what SQLite may hold after a raw write: never Strongroom's
_LENGTH = struct.Struct(">I").pack  # a blob's length, as framed writes it
ACCEPT = "If you restored the database on purpose, run strongroom db accept-restore."
CHANGED = f"The vault's integrity record was changed outside Strongroom. {ACCEPT}"


def vault_mac_key(vault_key: bytes) -> bytes:
    return integrity_keys.vault_integrity_key(vault_key)


def framed(blob: object) -> bytes:
    if blob is None:
        return _NULL
    if not isinstance(blob, bytes):
        return _NOT_BYTES
    return len(blob).to_bytes(4, "big") + blob


def item_tag(
    key: bytes | integrity_keys.Keyed,
    user_id: int,
    item_id: int,
    version: object,
    trashed: bool,
    favourite: object,
    sealed: Sequence[object],
    history: Sequence[tuple[int, object]] = (),
) -> bytes:
    """The MAC of an item's row as Strongroom wrote it (``sealed`` in SEALED_FIELDS' order,
    ``history`` as (entry id, sealed password) in id order). ``key``: the MAC key, or an HMAC
    already keyed with it (copied, not used: keying it once spares a vault's read that work
    for every item)."""
    header = (
        f"strongroom/item-tag/v1/user/{user_id}/item/{item_id}/version/{version}/"
        f"trashed/{int(trashed)}/favourite/{int(bool(favourite))}/"
    ).encode()
    parts = [header]
    for blob in sealed:  # framed, without a copy of each blob: this runs for every item
        if isinstance(blob, bytes):
            parts += (_LENGTH(len(blob)), blob)
        else:
            parts.append(framed(blob))
    for entry_id, blob in history:
        parts.append(b"h" + entry_id.to_bytes(8, "big") + framed(blob))
    return integrity_keys.mac(key, b"".join(parts))


keyed = integrity_keys.keyed


def xor(head: bytes, tags: Iterable[bytes | None]) -> bytes:
    value = int.from_bytes(head, "big")
    for tag in tags:
        if isinstance(tag, bytes) and len(tag) == TAG_BYTES:
            value ^= int.from_bytes(tag, "big")
    return value.to_bytes(TAG_BYTES, "big")


def head_mac(key: bytes, user_id: int, counter: int, account_counter: int, head: bytes) -> bytes:
    return integrity_keys.mac(
        key,
        f"strongroom/vault-head/v1/user/{user_id}/counter/{counter}/"
        f"account/{account_counter}/".encode()
        + head,
    )


DAMAGE = "This item was changed outside Strongroom, so it is not opened."


def item_message(ids: list[int], titles: dict[int, str]) -> str:
    named = [f"#{i} ({titles[i]})" if titles.get(i) else f"#{i}" for i in ids[:5]]
    more = f" and {len(ids) - 5} more" if len(ids) > 5 else ""
    one = len(ids) == 1
    return (
        f"The database was changed outside Strongroom: {'item' if one else 'items'} "
        f"{', '.join(named)}{more} {'does' if one else 'do'} not match the vault's integrity "
        f"record, and {'is' if one else 'are'} shown as damaged: named by title where it "
        f"still opens, nothing else of {'it' if one else 'them'} shown or used. {ACCEPT}"
    )

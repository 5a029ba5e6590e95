"""An unsaved edit kept through a lock: sealed under the vault key, opened again on unlock.

A lock drops the vault key and every decrypted item. An item form someone was typing in when
the vault locked itself (or was locked) would lose its work; instead its draft is sealed
with the same AES-GCM cipher as the vault's fields, so while locked the process holds only
ciphertext, and only the key that the master password unwraps opens it again.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from app.core.crypto import FieldCipher
from app.core.items import CustomField, ItemDraft

HELD_EDIT_AAD = b"strongroom:held-edit:v1"


@dataclass(frozen=True)
class HeldEdit:
    item_id: int | None  # None: a new item
    version: int | None  # the version the edit started from, for the conflict check
    sealed: bytes = field(repr=False)

    @classmethod
    def seal(
        cls, vault_key: bytes, draft: ItemDraft, item_id: int | None, version: int | None
    ) -> HeldEdit:
        plaintext = json.dumps(asdict(draft))
        return cls(item_id, version, FieldCipher(vault_key).seal(plaintext, HELD_EDIT_AAD))

    def open(self, vault_key: bytes) -> ItemDraft:
        """The draft again; CryptoError if this key did not seal it (the key was rotated)."""
        values = json.loads(FieldCipher(vault_key).open(self.sealed, HELD_EDIT_AAD))
        # JSON gives lists and dicts back: the draft's tuples and custom fields are rebuilt,
        # so the form gets the very draft that was sealed (and compares equal to it).
        values["urls"] = tuple(values["urls"])
        values["tags"] = tuple(values["tags"])
        values["fields"] = tuple(CustomField(**custom) for custom in values["fields"])
        return ItemDraft(**values)

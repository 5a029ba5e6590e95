"""A rotation re-seals every field and history entry padded, fields written before padding
included: after it, no stored length tells a password's exact length."""

from __future__ import annotations

import secrets

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import text

from app.core import crypto
from app.core.accounts import ActiveSession
from app.core.items import ItemDraft
from app.services import rotation
from app.services.accounts import AccountService
from app.services.database import Database
from app.services.vault import VaultService
from tests.helpers import STRONG_PASSWORD, FakeClock

OVERHEAD = 1 + crypto.NONCE_BYTES + 16


def stored(database: Database) -> list[bytes]:
    with database.engine.connect() as connection:
        items = connection.execute(text("SELECT password_sealed, notes_sealed FROM items"))
        found = [blob for row in items for blob in row]
        history = connection.execute(text("SELECT password_sealed FROM password_history"))
        return found + [blob for (blob,) in history]


def test_a_rotation_reseals_everything_padded(
    database: Database, accounts: AccountService, alice: ActiveSession, clock: FakeClock
) -> None:
    vault = VaultService(database.sessions, target=database.target, clock=clock)
    for n in range(1, 33):
        item = vault.add(alice, ItemDraft(f"Site {n}", password="p" * n, notes="n" * (n * 9)))
    vault.update(alice, item.id, item.version, ItemDraft("Site 32", password="q" * 5))
    before = stored(database)
    alice, _ = accounts.rotate_vault_key(alice, STRONG_PASSWORD)
    after = stored(database)
    assert len(after) == len(before) == 2 * 32 + 1
    assert not set(before) & set(after)  # every one re-sealed
    assert {blob[0] for blob in after} == {crypto.FIELD_FORMAT_AES_GCM_PADDED_V2}
    assert all((len(blob) - OVERHEAD) % 32 == 0 for blob in after)
    passwords = {len(blob) for blob in after[0 : 2 * 32 : 2]}
    assert passwords <= {OVERHEAD + 32, OVERHEAD + 64}
    items = {i.title: i for i in vault.list_items(alice)}
    assert items["Site 7"].password == "p" * 7
    assert items["Site 32"].password == "q" * 5


def test_a_field_written_before_padding_is_resealed_padded() -> None:
    old_key, new_key = secrets.token_bytes(32), secrets.token_bytes(32)
    aad = crypto.field_aad(1, 2, "password")
    nonce = secrets.token_bytes(crypto.NONCE_BYTES)
    legacy = bytes([1]) + nonce + AESGCM(old_key).encrypt(nonce, b"hunter2", aad)
    assert len(legacy) == OVERHEAD + 7
    resealed = rotation._reseal(
        crypto.FieldCipher(old_key), crypto.FieldCipher(new_key), legacy, aad
    )
    assert resealed is not None
    assert resealed[0] == crypto.FIELD_FORMAT_AES_GCM_PADDED_V2
    assert len(resealed) == OVERHEAD + 32
    assert crypto.FieldCipher(new_key).open(resealed, aad) == "hunter2"

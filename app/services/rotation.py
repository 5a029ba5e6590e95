"""Rotating the vault key: every sealed field re-sealed under a new key, in one transaction.

After a rotation, whatever copies of the old key are left (in a remembered session someone
copied, a token file and a database backup, a device that was logged in) open nothing written
since, and every write made with one is refused (see app.services.writes.check_key).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

from app.core import crypto
from app.models import SEALED_FIELDS, HealthCache, PasswordHistory, VaultItem
from app.services import sealing
from app.services.integrity import HISTORY, ITEMS

Progress = Callable[[int, int], None]  # (done, total), every PROGRESS_EVERY items and at the end
PROGRESS_EVERY = 250


def _reseal(
    old: crypto.FieldCipher,
    new: crypto.FieldCipher,
    blob: bytes,
    aad: bytes,
    new_aad: bytes | None = None,
) -> bytes | None:
    """The field under the new key (and ``new_aad``, when it changes); None when the old key
    cannot open it (already damaged: it is left as it is, unreadable either way)."""
    try:
        return new.seal(old.open(blob, aad), aad if new_aad is None else new_aad)
    except (crypto.CryptoError, UnicodeDecodeError):
        return None


def reseal_vault(
    db: Session,
    user_id: int,
    old_key: bytes,
    new_key: bytes,
    progress: Progress | None = None,
) -> tuple[int, int]:
    """Re-seal every item (trashed ones too) and every history entry of ``user_id`` inside the
    caller's transaction; bumps each item's version, so an edit begun elsewhere under the old
    key meets a conflict. Returns (items re-sealed, fields left because they were damaged)."""
    old, new = crypto.FieldCipher(old_key), crypto.FieldCipher(new_key)
    columns = [
        VaultItem.id,
        VaultItem.version,
        *(getattr(VaultItem, f"{n}_sealed") for n in SEALED_FIELDS),
    ]
    # The health report's cache is derived data under the old key: dropped, not re-sealed.
    db.execute(delete(HealthCache).where(HealthCache.user_id == user_id))
    rows = db.execute(select(*columns).where(VaultItem.user_id == user_id)).all()
    total, damaged, changes = len(rows), 0, []
    for done, (item_id, version, *sealed) in enumerate(rows, start=1):
        change: dict[str, object] = {"b_id": item_id, "b_version": version + 1}
        for name, blob in zip(SEALED_FIELDS, sealed, strict=True):
            if blob is None:  # no custom fields
                change[f"b_{name}"] = None
                continue
            # The version is in every field's AAD (see sealing.field_aad), and moves on.
            resealed = _reseal(
                old,
                new,
                blob,
                sealing.field_aad(user_id, item_id, version, name),
                sealing.field_aad(user_id, item_id, version + 1, name),
            )
            damaged += resealed is None
            change[f"b_{name}"] = blob if resealed is None else resealed
        changes.append(change)
        if progress is not None and (done % PROGRESS_EVERY == 0 or done == total):
            progress(done, total)
    table = ITEMS
    if changes:
        db.connection().execute(
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(
                version=bindparam("b_version"),
                **{f"{name}_sealed": bindparam(f"b_{name}") for name in SEALED_FIELDS},
            ),
            changes,
        )
    history = db.execute(
        select(PasswordHistory.id, PasswordHistory.item_id, PasswordHistory.password_sealed)
        .join(VaultItem, VaultItem.id == PasswordHistory.item_id)
        .where(VaultItem.user_id == user_id)
    ).all()
    entries = []
    for entry_id, item_id, blob in history:
        aad = crypto.field_aad(user_id, item_id, f"history/{entry_id}")
        resealed = _reseal(old, new, blob, aad)
        damaged += resealed is None
        entries.append({"b_id": entry_id, "b_sealed": blob if resealed is None else resealed})
    if entries:
        history_table = HISTORY
        db.connection().execute(
            update(history_table)
            .where(history_table.c.id == bindparam("b_id"))
            .values(password_sealed=bindparam("b_sealed")),
            entries,
        )
    return total, damaged

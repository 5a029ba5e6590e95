"""What every write of vault items shares, one at a time (app.services.vault) or in bulk
(app.services.bulk): its identity, chosen before it runs, the check that the vault key in hand
is the account's current one, and finding what an earlier run of the same write committed.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core import crypto
from app.core.accounts import ActiveSession
from app.core.errors import VaultKeyChanged
from app.core.items import Item
from app.models import User, VaultItem
from app.services import sealing

HISTORY_LIMIT = 10  # earlier passwords kept per item


def new_write_id() -> str:
    """A write's identity, chosen before it runs (see VaultItem.write_id)."""
    return uuid.uuid4().hex


def check_key(db: Session, active: ActiveSession, *, write: bool = True) -> None:
    """The vault key in hand must be the account's current one: after a rotation on
    another device, this one's old key may neither write nor read (see crypto.key_check).
    A writer holds the account row shared until it commits, so a rotation (which takes it
    exclusively) cannot slip in between the check and the write."""
    query = select(User.vault_key_check).where(User.id == active.user_id)
    if write:
        query = query.with_for_update(read=True)
    stored = db.scalar(query)
    if stored is not None and stored != crypto.key_check(active.vault_key):
        raise VaultKeyChanged


def written(db: Session, active: ActiveSession, write_id: str) -> Item | None:
    """The item this write already made or changed, if an earlier run of it committed."""
    row = db.scalar(
        select(VaultItem).where(VaultItem.write_id == write_id, VaultItem.user_id == active.user_id)
    )
    return None if row is None else sealing.open_row(row, active)

"""The vault's integrity record: what Strongroom wrote, so that what anyone else wrote shows.

Anyone who can write the database (every device, every person with its credentials) could put
an old sealed field back, delete a row, bump a version or bring back a whole older database,
and every field would still open. So every write also keeps a record, in the same transaction:

    MAC key   = HKDF-SHA256(vault key, "strongroom/v1/vault-integrity")
    item tag  = HMAC(MAC key, user, item id, version, trashed, favourite, every sealed column,
                     and every history entry (its id and sealed password))      (items row)
    head      = XOR of every item tag of the account
    head MAC  = HMAC(MAC key, user, counter, account counter, head)            (vault_heads)

A write changes one item's tag, so it moves the head by XORing the old tag out and the new in,
and raises the counter by one: O(1), whatever the vault's size. The head row is locked first by
every writer of the account, so two devices' writes follow one another (a Galera certification
conflict is retried whole, see :mod:`.transactions`).

Reading the vault checks it all: an item whose tag does not match its row was changed outside
Strongroom (it is shown as damaged, never opened); a head that does not match the XOR of the
tags means a row was removed, added or put back; a head MAC that does not match means the
record itself was changed. Each device keeps, in an owner-only file beside its saved login, the
highest counter and head it has seen of each account in each database: a lower counter means
the database was rolled back (restored from a backup), which no MAC can show by itself.

Fields written since this record existed have the item's version in their associated data
(:func:`app.services.sealing.field_aad`); an account's older rows, which a migration cannot
re-seal (it holds no key), are re-sealed and tagged at its next unlock (:func:`establish`).

The account row has a MAC of its own, under a key only the master password yields (HKDF from
the password's key-wrapping key), over its verifier, salt, key settings and wrapped key and a
counter every password change raises; the head records that counter, so an older users row
brought back after a password change is told at login, as is one account's key material copied
into another's row.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from app.core import crypto
from app.core.accounts import ActiveSession
from app.core.errors import VaultTampered
from app.models import SEALED_FIELDS, PasswordHistory, User, VaultHead, VaultItem
from app.services import sealing

# The record's MACs and messages, named from here too by what reads and writes the record.
from app.services.integrity_tags import ACCEPT as ACCEPT
from app.services.integrity_tags import CHANGED as CHANGED
from app.services.integrity_tags import DAMAGE as DAMAGE
from app.services.integrity_tags import TAG_BYTES as TAG_BYTES
from app.services.integrity_tags import framed as framed
from app.services.integrity_tags import head_mac as head_mac
from app.services.integrity_tags import item_message as item_message
from app.services.integrity_tags import item_tag as item_tag
from app.services.integrity_tags import keyed as keyed
from app.services.integrity_tags import vault_mac_key as vault_mac_key
from app.services.integrity_tags import xor as xor


def _table(model: Any) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


HEADS = _table(VaultHead)
ITEMS = _table(VaultItem)
HISTORY = _table(PasswordHistory)

# The statements every save runs, built once: building one and its cache key costs more than
# a round trip to SQLite, so these take only their values (bound) when they run.
_TOUCH_HEAD = (
    update(HEADS).where(HEADS.c.user_id == bindparam("b_user")).values(counter=HEADS.c.counter)
)
_LOCK_HEAD = select(HEADS).where(HEADS.c.user_id == bindparam("b_user")).with_for_update()
_SAVE_HEAD = (
    update(HEADS)
    .where(HEADS.c.user_id == bindparam("b_user"))
    .values(
        counter=bindparam("b_counter"),
        head=bindparam("b_head"),
        account_counter=bindparam("b_account"),
        mac=bindparam("b_mac"),
    )
)
# No ORDER BY: MariaDB 10.11 crashed (signal 11) freeing that sort's temporary table for a
# connection that dropped mid-statement. item_and_head puts the history in order itself.
_ITEM_AND_HEAD = (
    select(
        VaultItem,
        HEADS.c.counter,
        HEADS.c.head,
        HEADS.c.account_counter,
        HEADS.c.mac,
        HISTORY.c.id.label("history_id"),
        HISTORY.c.password_sealed.label("history_sealed"),
    )
    .outerjoin(HEADS, HEADS.c.user_id == VaultItem.user_id)
    .outerjoin(HISTORY, HISTORY.c.item_id == VaultItem.id)
    .where(VaultItem.id == bindparam("b_item"))
    .with_for_update()
)
_HISTORY_OF = (
    select(HISTORY.c.id, HISTORY.c.password_sealed)
    .where(HISTORY.c.item_id == bindparam("b_item"))
    .order_by(HISTORY.c.id)
)


# -- writing -----------------------------------------------------------------------------------


@dataclass
class Head:
    """An account's head as a write holds it (locked), moved by :meth:`move`."""

    user_id: int
    key: bytes
    counter: int
    head: bytes
    account_counter: int

    def move(self, old: Iterable[bytes | None], new: Iterable[bytes | None]) -> None:
        self.head = xor(xor(self.head, old), new)

    def save(self, db: Session) -> None:
        """Write the moved head, one counter up, with its MAC."""
        self.counter += 1
        mac = head_mac(self.key, self.user_id, self.counter, self.account_counter, self.head)
        values = {"b_user": self.user_id, "b_counter": self.counter, "b_head": self.head}
        db.execute(_SAVE_HEAD, {**values, "b_account": self.account_counter, "b_mac": mac})


def record(
    db: Session,
    active: ActiveSession,
    old: Iterable[bytes | None],
    new: Iterable[bytes | None],
    *,
    locked: Any = None,
) -> Head:
    """Move the account's head by a write's tags (``old`` out, ``new`` in) and raise its
    counter: the last step of every write, so that the head's lock, which every writer of the
    account waits for, is held only from here to the commit. Called once the write's own rows
    were flushed: on SQLite their first INSERT, UPDATE or DELETE began the write transaction
    already, so the lock needs no statement of its own to begin it. ``locked``: the head row
    as the write's first statement locked it on MariaDB (see :func:`item_and_head`)."""
    head = lock_head(db, active, writing=True, locked=locked)
    head.move(old, new)
    head.save(db)
    return head


def _begin_writing(db: Session, user_id: int) -> None:
    """On SQLite, begin the write transaction now (a write statement does; SELECT ... FOR
    UPDATE means nothing there), so every read after it sees the newest state and no other
    writer can come in between. On MariaDB the SELECT ... FOR UPDATE that follows locks the
    row: one round trip less."""
    if db.get_bind().dialect.name == "sqlite":
        db.execute(_TOUCH_HEAD, {"b_user": user_id})


def lock_head(
    db: Session, active: ActiveSession, *, writing: bool = False, locked: Any = None
) -> Head:
    """The account's head, locked until the caller's transaction ends, so that writers of one
    account follow one another (on SQLite too: an UPDATE begins a write transaction if none
    has begun, and every read after it sees the newest state; ``writing``: the caller's own
    write statements began it already); made first if the account has none yet. ``locked``:
    the head row this transaction locked already (see :func:`item_and_head`), not read again.
    VaultTampered when the record is missing or its MAC does not match."""
    if locked is not None:
        row = locked
    else:
        if not writing:
            _begin_writing(db, active.user_id)
        row = db.execute(_LOCK_HEAD, {"b_user": active.user_id}).first()
    if row is None:
        row = _establish(db, active)
    key = vault_mac_key(active.vault_key)
    if not secrets.compare_digest(
        row.mac, head_mac(key, active.user_id, row.counter, row.account_counter, row.head)
    ):
        raise VaultTampered(CHANGED)
    return Head(active.user_id, key, row.counter, row.head, row.account_counter)


def item_and_head(db: Session, item_id: int) -> tuple[VaultItem | None, Any, Any]:
    """A write's first statement: the item's row, locked (SELECT ... FOR UPDATE: two devices
    saving one item then wait for each other instead of deadlocking on the history's foreign
    key), and on MariaDB, by the same statement, its owner's head locked (the head row, or
    None; it is checked when the record moves it) and its history as the tag covers it (see
    :func:`history_of`): two round trips less for the write's record. On SQLite a SELECT locks
    nothing, so the head and the history are read once the write has begun: None, None."""
    if db.get_bind().dialect.name == "sqlite":
        return db.get(VaultItem, item_id, with_for_update=True), None, None
    found = db.execute(_ITEM_AND_HEAD, {"b_item": item_id}).all()
    if not found:
        return None, None, None
    first = found[0]
    history = sorted((r.history_id, r.history_sealed) for r in found if r.history_id is not None)
    return first[0], (None if first.counter is None else first), history


def history_of(db: Session, item_id: int) -> list[tuple[int, object]]:
    """An item's history entries as its tag covers them: (id, sealed password), by id."""
    return [(entry_id, blob) for entry_id, blob in db.execute(_HISTORY_OF, {"b_item": item_id})]


def tag_row(key: bytes, user_id: int, row: VaultItem, version: int, history: Any) -> bytes:
    """The tag of an ORM row as it will be once flushed at ``version``."""
    return item_tag(
        key,
        user_id,
        row.id,
        version,
        row.deleted_at is not None,
        row.favourite,
        [getattr(row, f"{name}_sealed") for name in SEALED_FIELDS],
        history,
    )


def flushed(row: VaultItem, version: int) -> None:
    """The row reached the version its fields and tag were made for (else every later read
    would call an honest write tampering)."""
    if row.version != version:
        raise RuntimeError(f"item {row.id} is at version {row.version}, sealed for {version}")


def row_matches(key: bytes, user_id: int, row: VaultItem, history: Any) -> bool:
    expected = tag_row(key, user_id, row, row.version, history)
    stored = row.integrity_tag
    return isinstance(stored, bytes) and secrets.compare_digest(stored, expected)


def check_row(key: bytes, user_id: int, row: VaultItem, history: Any) -> None:
    """Before a write changes an item: its row is as Strongroom left it; else VaultTampered
    (a write would seal over what someone else put there)."""
    if not row_matches(key, user_id, row, history):
        raise VaultTampered(item_message([row.id], {}), (row.id,))


def verified_history(
    db: Session, active: ActiveSession, key: bytes, row: VaultItem, read: Any = None
) -> tuple[list[tuple[int, object]], bool]:
    """Before a write changes an item: its row is as Strongroom left it (else VaultTampered).
    Its history as the tag covers it, and whether the row had to be read again to tell.

    On SQLite the row was read before this transaction began writing, so another device may
    have saved the item since: then its history (read now) is newer than the row, and they do
    not match without anyone having tampered. So a mismatch is judged again on both read under
    the head's lock, where nothing can change them (on MariaDB the row is locked already).
    ``read``: the history as the statement that locked the row read it (item_and_head)."""
    history = read if read is not None else history_of(db, row.id)
    if row_matches(key, active.user_id, row, history):
        return history, False
    lock_head(db, active)
    db.refresh(row, with_for_update=True)
    history = history_of(db, row.id)
    check_row(key, active.user_id, row, history)
    return history, True


def _establish(db: Session, active: ActiveSession) -> Any:
    """The first record of an account: its rows written before the record existed re-sealed
    with their version in every field's associated data, and tagged; the head written.
    Inside the caller's transaction."""
    user_id = active.user_id
    if db.scalar(
        select(ITEMS.c.id)
        .where(ITEMS.c.user_id == user_id, ITEMS.c.integrity_tag.is_not(None))
        .limit(1)
    ):
        # Tagged rows and no head: the record was deleted, not never made.
        raise VaultTampered(f"The vault's integrity record is missing from the database. {ACCEPT}")
    cipher, key = crypto.FieldCipher(active.vault_key), vault_mac_key(active.vault_key)
    head = retag(db, user_id, key, cipher=cipher)
    account = db.scalar(select(User.account_counter).where(User.id == user_id)) or 0
    mac = head_mac(key, user_id, 1, account, head)
    values = {"user_id": user_id, "counter": 1, "head": head, "account_counter": account}
    db.execute(insert(HEADS).values(**values, mac=mac))
    return db.execute(select(HEADS).where(HEADS.c.user_id == user_id)).one()


def retag(
    db: Session, user_id: int, key: bytes, *, cipher: crypto.FieldCipher | None = None
) -> bytes:
    """Tag every row of ``user_id`` as it stands (re-sealing, with ``cipher``, the fields still
    under their first associated data); the new head."""
    columns = [ITEMS.c.id, ITEMS.c.version, ITEMS.c.favourite, ITEMS.c.deleted_at]
    columns += [ITEMS.c[f"{name}_sealed"] for name in SEALED_FIELDS]
    rows = db.execute(select(*columns).where(ITEMS.c.user_id == user_id)).all()
    histories = all_histories(db, user_id)
    changes, tags = [], []
    base = keyed(key)
    for item_id, version, favourite, deleted_at, *sealed in rows:
        if cipher is not None:
            sealed = [
                sealing.reseal_legacy(cipher, user_id, item_id, version, name, blob)
                for name, blob in zip(SEALED_FIELDS, sealed, strict=True)
            ]
        history = histories.get(item_id, [])
        tag = item_tag(
            base, user_id, item_id, version, deleted_at is not None, favourite, sealed, history
        )
        tags.append(tag)
        change: dict[str, object] = {"b_id": item_id, "b_tag": tag}
        change.update({f"b_{name}": blob for name, blob in zip(SEALED_FIELDS, sealed, strict=True)})
        changes.append(change)
    if changes:
        db.connection().execute(
            update(ITEMS)
            .where(ITEMS.c.id == bindparam("b_id"))
            .values(
                integrity_tag=bindparam("b_tag"),
                **{f"{name}_sealed": bindparam(f"b_{name}") for name in SEALED_FIELDS},
            ),
            changes,
        )
    return xor(bytes(TAG_BYTES), tags)


def all_histories(db: Session, user_id: int) -> dict[int, list[tuple[int, object]]]:
    query = (
        select(HISTORY.c.item_id, HISTORY.c.id, HISTORY.c.password_sealed)
        .join(ITEMS, ITEMS.c.id == HISTORY.c.item_id)
        .where(ITEMS.c.user_id == user_id)
        .order_by(HISTORY.c.item_id, HISTORY.c.id)
    )
    histories: dict[int, list[tuple[int, object]]] = {}
    for item_id, entry_id, blob in db.execute(query):
        histories.setdefault(item_id, []).append((entry_id, blob))
    return histories


def ensure_head(db: Session, active: ActiveSession) -> bool:
    """Make the account's first record if it has none (its own transaction); whether it did."""
    if db.scalar(select(HEADS.c.user_id).where(HEADS.c.user_id == active.user_id)):
        return False
    lock_head(db, active)
    return True


def restart(db: Session, active: ActiveSession, floor: int) -> Head:
    """The record begun again from the rows as they stand (a restore accepted on purpose):
    every item tagged, the head written with a counter above both ``floor`` (what this device
    saw) and the database's own. Fields written before the record are re-sealed only for an
    account that has no record at all (a backup from before it existed)."""
    user_id = active.user_id
    _begin_writing(db, user_id)
    row = db.execute(select(HEADS).where(HEADS.c.user_id == user_id).with_for_update()).first()
    key = vault_mac_key(active.vault_key)
    cipher = crypto.FieldCipher(active.vault_key) if row is None else None
    head = retag(db, user_id, key, cipher=cipher)
    counter = max(int(row.counter) if row is not None else 0, floor) + 1
    account = db.scalar(select(User.account_counter).where(User.id == user_id)) or 0
    values = {
        "counter": counter,
        "head": head,
        "account_counter": account,
        "mac": head_mac(key, user_id, counter, account, head),
    }
    if row is None:
        db.execute(insert(HEADS).values(user_id=user_id, **values))
    else:
        db.execute(update(HEADS).where(HEADS.c.user_id == user_id).values(**values))
    return Head(user_id, key, counter, head, account)

"""Reading an account's vault as one state and checking it against its integrity record (see
app.services.integrity): every item's tag, the head, and what this device saw before. The
service that does it for a session is app.services.integrity_reads."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from operator import itemgetter
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from app.core.accounts import ActiveSession
from app.core.errors import VaultRolledBack, VaultTampered
from app.models import SEALED_FIELDS
from app.services import sealing
from app.services.integrity import (
    ACCEPT,
    CHANGED,
    DAMAGE,
    HEADS,
    ITEMS,
    TAG_BYTES,
    all_histories,
    head_mac,
    item_message,
    item_tag,
    keyed,
    vault_mac_key,
    xor,
)
from app.services.seen import Seen

# What reading the vault needs of every row: the listing's columns, then the tag.
ROW_COLUMNS = (*sealing.LIST_COLUMNS, "integrity_tag")
TAG = len(sealing.LIST_COLUMNS)
_SEALED = tuple(ROW_COLUMNS.index(f"{name}_sealed") for name in SEALED_FIELDS)
sealed_of = itemgetter(*_SEALED)  # a row's sealed columns in SEALED_FIELDS' order, as a tuple


# An account's head row (b_user): read before and after the rest, where SQLite's reads are each
# their own and a write between them moves it.
HEAD_OF = select(HEADS).where(HEADS.c.user_id == bindparam("b_user"))


@dataclass
class Snapshot:
    """Every row of an account's vault, its history and its head, read as one state."""

    rows: list[tuple[Any, ...]]
    histories: dict[int, list[tuple[int, object]]]
    head: Any


def read_vault(db: Session, user_id: int, *, attempts: int = 20) -> Snapshot:
    """The account's rows, history and head as one state. MariaDB's transaction sees one
    snapshot; SQLite's reads are each their own, so the head is read before and after and the
    read made again if a write came in between (every write moves the counter)."""
    columns = [ITEMS.c[name] for name in ROW_COLUMNS]
    query = select(*columns).where(ITEMS.c.user_id == user_id)
    ids = {"b_user": user_id}
    for _ in range(attempts):
        before = db.execute(HEAD_OF, ids).first()
        rows = [tuple(row) for row in db.connection().execute(query)]
        histories = all_histories(db, user_id)
        after = db.execute(HEAD_OF, ids).first()
        if before == after:
            return Snapshot(rows, histories, after)
    return Snapshot(rows, histories, after)


@dataclass
class Marks:
    """What a checked read of the vault found, kept to tell cheaply whether the vault still
    stands so (CheckedReads.still_at). Only the command line's agent asks that, so what it
    compares is made from the read's rows when first asked, never by the app's listings."""

    state: tuple[int, bytes]  # the integrity record's (counter, head); (0, b"") with none
    head: tuple[Any, ...] | None  # the head's row as read
    snapshot: Snapshot  # the rows and history read, every one found to match its tag

    @cached_property
    def tags(self) -> dict[int, Any]:
        """Every item's tag, trash included, by id."""
        return {row[0]: row[TAG] for row in self.snapshot.rows}

    @cached_property
    def checked(self) -> dict[int, tuple[tuple[Any, ...], list[tuple[int, object]]]]:
        """Every item's row and history as read, by id (see check's ``known``)."""
        histories = self.snapshot.histories
        return {row[0]: (row, histories.get(row[0], [])) for row in self.snapshot.rows}

    def prepare(self) -> None:
        """Make what the checks compare now, ahead of the first answer that needs them."""
        _ = self.tags, self.checked  # each kept once made (cached_property)


@dataclass
class Report:
    """What a read of the vault found (see :func:`check`)."""

    counter: int = 0
    head: bytes = b""
    damaged: dict[int, str] = field(default_factory=dict)
    problem: str | None = None
    rolled_back: datetime | None = None

    def raise_any(self, titles: dict[int, str]) -> None:
        if self.rolled_back is not None:
            raise VaultRolledBack(self.rolled_back)
        if self.damaged:
            raise VaultTampered(item_message(sorted(self.damaged), titles), tuple(self.damaged))
        if self.problem is not None:
            raise VaultTampered(self.problem)


def check(
    active: ActiveSession, snapshot: Snapshot, seen: Seen | None, known: Marks | None = None
) -> Report:
    """Every item's tag against its row, the head against the tags and its MAC, and the
    counter against what this device saw before. A row that is, with its history, byte for
    byte one that ``known`` (an earlier read's Marks) found matching its tag is not tagged
    again: it matches still. A 10,000-item check then costs the comparisons, not the MACs."""
    key = vault_mac_key(active.vault_key)
    user_id = active.user_id
    report = Report()
    head = snapshot.head
    if head is None:
        if any(row[TAG] is not None for row in snapshot.rows):
            report.problem = f"The vault's integrity record is missing from the database. {ACCEPT}"
        if seen is not None:
            report.rolled_back = seen.seen_at
        return report
    tags = []
    empty: list[tuple[int, object]] = []
    base, histories, sealed = keyed(key), snapshot.histories, sealed_of
    checked = known.checked if known is not None else {}
    for row in snapshot.rows:  # every item on every read of the vault: a straight line
        item_id, version, favourite, _, deleted_at = row[:5]
        stored = row[TAG]
        history = histories.get(item_id, empty)
        if checked.get(item_id) == (row, history):
            tags.append(stored)
            continue
        expected = item_tag(
            base,
            user_id,
            item_id,
            version,
            deleted_at is not None,
            favourite,
            sealed(row),
            history,
        )
        if not isinstance(stored, bytes) or not secrets.compare_digest(stored, expected):
            report.damaged[item_id] = DAMAGE
        tags.append(stored)
    report.counter, report.head = int(head.counter), bytes(head.head)
    if not secrets.compare_digest(
        head.mac, head_mac(key, user_id, head.counter, head.account_counter, head.head)
    ):
        report.problem = CHANGED
    elif xor(bytes(TAG_BYTES), tags) != report.head:
        report.problem = (
            "The database was changed outside Strongroom: an item was removed, added or put "
            f"back as it was before, since this vault was last written. {ACCEPT}"
        )
    if seen is not None and (
        report.counter < seen.counter
        or (report.counter == seen.counter and report.head != seen.head)
    ):
        report.rolled_back = seen.seen_at
    return report

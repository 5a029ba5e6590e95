"""The vault service's reads of the whole vault, each checked against its integrity record
(app.services.integrity_check reads and checks; app.services.integrity writes), and this
device's memory of what it saw; and the warm agent's cheaper check of a listing it holds."""

from __future__ import annotations

import secrets
from concurrent.futures import Future
from contextlib import suppress
from typing import Any, NamedTuple

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from app.core import crypto
from app.core.accounts import ActiveSession, Clock
from app.core.errors import VaultTampered
from app.core.items import Item
from app.core.memory import collector_paused
from app.core.search import natural_key
from app.models import VaultItem
from app.services import read_ahead, sealing
from app.services.database import database_errors, readable
from app.services.integrity import (
    ITEMS,
    Head,
    ensure_head,
    history_of,
    item_tag,
    restart,
    vault_mac_key,
)
from app.services.integrity_check import (
    HEAD_OF,
    ROW_COLUMNS,
    TAG,
    Marks,
    Report,
    Snapshot,
    check,
    read_vault,
    sealed_of,
)
from app.services.seen import SeenStore
from app.services.transactions import run_in_transaction
from app.services.writes import check_key

# What still_at reads: every item's tag, and one item's row.
_TAGS = select(ITEMS.c.id, ITEMS.c.integrity_tag).where(ITEMS.c.user_id == bindparam("b_user"))
_ROW = select(*(ITEMS.c[name] for name in ROW_COLUMNS)).where(
    ITEMS.c.id == bindparam("b_item"), ITEMS.c.user_id == bindparam("b_user")
)


class Listing(NamedTuple):
    """A read of the vault's items (see CheckedReads.list_checked)."""

    items: list[Item]
    marks: Marks  # what it was read from
    fingerprint: tuple[int, int, int]  # (items, sum of versions, highest id), trash included


class CheckedReads:
    """VaultService's reads of the whole vault, checked against its integrity record, and
    what this device remembers of them (see :mod:`.seen`)."""

    _sessions: sessionmaker[Session]
    _target: str
    _clock: Clock
    _seen: SeenStore | None
    _ahead: Future[read_ahead.ReadAhead | None] | None = None

    def read_ahead(self, user_id: int) -> None:
        """Read the account's vault, sealed, while the login or unlock that opens it checks
        the password: the listing that follows takes that read (see :mod:`.read_ahead`)."""
        self._ahead = read_ahead.start(self._sessions, user_id)

    def list_items(self, active: ActiveSession, *, trash: bool = False) -> list[Item]:
        """Every live item (or every trashed one): favourites first, then by title.

        The whole vault is checked against its integrity record first (see
        :mod:`.integrity`): VaultTampered or VaultRolledBack when it does not match, with the
        items (those that do not match shown as damaged) in its ``items``.

        Only the titles are decrypted here, one per item, since the order needs them; every
        other field opens when it is first read (a row drawn, an item shown, the search index).
        """
        return self.list_checked(active, trash=trash)[0]

    def list_checked(
        self, active: ActiveSession, *, trash: bool = False, remember: bool = True
    ) -> Listing:
        """list_items, with the (counter, head) of the state it was read from and that
        state's fingerprint (VaultService.fingerprint's numbers, counted from the same rows:
        the state the list shows, with no query of its own). ``remember=False``: a read that
        is not this device's view of a vault (the warm-up's, of an account that cannot
        exist), neither compared with what the device saw nor remembered as seen."""
        snapshot, report = self._checked(active, remember=remember)
        user_id, cipher = active.user_id, crypto.FieldCipher(active.vault_key)
        items, titles, damaged, width = [], {}, report.damaged, len(sealing.LIST_COLUMNS)
        with collector_paused():
            for row in snapshot.rows:
                if (row[4] is not None) != trash:
                    continue
                if row[0] in damaged:
                    named = sealing.open_listed(user_id, cipher, row[:width])
                    titles[row[0]] = "" if named.damage else named.title
                    items.append(sealing.damaged(row[0], row[1], row, damaged[row[0]]))
                    continue
                items.append(sealing.open_listed(user_id, cipher, row[:width]))
        items.sort(key=lambda item: (not item.favourite, natural_key(item.title), item.id))
        try:
            report.raise_any(titles)
        except VaultTampered as error:
            error.items = items
            raise
        if remember:
            self._saw(active, report.counter, report.head)
        rows = snapshot.rows
        fingerprint = (
            len(rows),
            sum(row[1] for row in rows),
            max((row[0] for row in rows), default=0),
        )
        head = None if snapshot.head is None else tuple(snapshot.head)
        marks = Marks((report.counter, report.head), head, snapshot)
        return Listing(items, marks, fingerprint)

    def still_at(self, active: ActiveSession, marks: Marks, item_id: int | None = None) -> bool:
        """Whether the vault still stands as the checked read that made ``marks`` found it,
        told without opening a field: the head's row and every item's tag as they were, this
        device having seen no later state since, and ``item_id``'s row (its fields, flags and
        history) still matching its tag. That reads two columns a row and one item in full,
        where the full check (:meth:`verify`) reads and tags every row and every history
        entry: the warm agent's check before it answers from the listing it holds.

        False means only "not known to be the same": a write since, or a change outside
        Strongroom, which the full check then tells apart and names. A field changed with its
        tag left alone is seen here in ``item_id``'s row only; the full check sees it in any."""
        user_id = active.user_id
        seen = self._seen.load(user_id) if self._seen is not None else None
        if (
            seen is not None
            and (seen.counter, seen.head) != marks.state
            and seen.counter >= marks.state[0]
        ):
            return False  # this device has seen another state since: a write, or a rollback

        def read(db: Session) -> tuple[Any, ...]:
            check_key(db, active, write=False)
            connection, ids = db.connection(), {"b_user": user_id, "b_item": item_id}
            before = connection.execute(HEAD_OF, ids).first()
            tags = dict(connection.execute(_TAGS, ids).all())
            row = history = None
            if item_id is not None:
                row = connection.execute(_ROW, ids).first()
                history = history_of(db, item_id)
            # SQLite's reads are each their own: a write between them moves the head.
            after = connection.execute(HEAD_OF, ids).first()
            return before, after, tags, row, history

        try:
            with database_errors(self._target):
                before, after, tags, row, history = run_in_transaction(self._sessions, read)
        except (ValueError, TypeError):  # a value Strongroom never writes: the full check says
            return False
        head = None if after is None else tuple(after)
        if before != after or head != marks.head or tags != marks.tags:
            return False
        if item_id is None:
            return True
        if row is None or not isinstance(row[TAG], bytes):
            return False
        expected = item_tag(
            vault_mac_key(active.vault_key),
            user_id,
            item_id,
            row[1],
            row[4] is not None,
            row[2],
            sealed_of(row),
            history,
        )
        return secrets.compare_digest(row[TAG], expected)

    def verify(self, active: ActiveSession, known: Marks | None = None) -> tuple[int, bytes]:
        """Check the whole vault against its integrity record without opening any field
        (VaultTampered or VaultRolledBack, which names the items that do not match by the
        titles that still open); the (counter, head) it is at. ``known``: what a listing
        found (see :func:`check`), to spare tagging again the rows unchanged since."""
        snapshot, report = self._checked(active, known)
        if report.damaged:
            cipher, width = crypto.FieldCipher(active.vault_key), len(sealing.LIST_COLUMNS)
            named = {
                row[0]: sealing.open_listed(active.user_id, cipher, row[:width])
                for row in snapshot.rows
                if row[0] in report.damaged
            }
            report.raise_any({i: "" if n.damage else n.title for i, n in named.items()})
        report.raise_any({})
        self._saw(active, report.counter, report.head)
        return report.counter, report.head

    def _checked(
        self, active: ActiveSession, known: Marks | None = None, *, remember: bool = True
    ) -> tuple[Snapshot, Report]:
        # What this device saw is read before the database: whatever it holds was written
        # after a commit this read cannot miss.
        seen = self._seen.load(active.user_id) if self._seen is not None and remember else None

        def read(db: Session) -> Snapshot:
            check_key(db, active, write=False)
            with collector_paused():
                return read_vault(db, active.user_id)

        def head(db: Session) -> Any:
            check_key(db, active, write=False)
            return db.execute(HEAD_OF, {"b_user": active.user_id}).first()

        pending, self._ahead = self._ahead, None
        ahead = read_ahead.taken(pending, active.user_id) if remember and known is None else None
        with database_errors(self._target), readable():
            # A read made during the login, if nothing was written since (the head moves with
            # every write): the same rows, checked below as a read made now would be.
            if (
                ahead is not None
                and run_in_transaction(self._sessions, head) == ahead.snapshot.head
            ):
                return ahead.snapshot, check(active, ahead.snapshot, seen, known)
            snapshot = run_in_transaction(self._sessions, read)
            # Rows from before the record, never seen here: made now. (An account with no
            # item yet gets its record with its first write.)
            if snapshot.head is None and seen is None and snapshot.rows:
                self._establish(active)
                snapshot = run_in_transaction(self._sessions, read)
            return snapshot, check(active, snapshot, seen, known)

    def _establish(self, active: ActiveSession) -> None:
        """The account's first integrity record (its older rows re-sealed and tagged)."""

        def work(db: Session) -> None:
            check_key(db, active)
            ensure_head(db, active)

        with suppress(IntegrityError):  # another device made it at the same moment
            run_in_transaction(self._sessions, work)

    def _saw(self, active: ActiveSession, counter: int, head: bytes) -> None:
        if self._seen is not None and head:  # (no record yet: nothing to remember)
            self._seen.record(active.user_id, counter, head, self._clock())

    def saw(self, active: ActiveSession, head: Head) -> None:
        """Remember a write this device made (see SeenStore.note: off the save's path)."""
        if self._seen is not None:
            self._seen.note(active.user_id, head.counter, head.head, self._clock())

    def flush_seen(self) -> None:
        """Write now what this device saw and has not written yet (see SeenStore.note)."""
        if self._seen is not None:
            self._seen.flush()

    def accept_restore(self, active: ActiveSession) -> int:
        """Take the database as it is now as this vault's state, on purpose (a backup restored):
        every item tagged as it stands, the head written anew with a counter above both the
        database's and this device's, and this device's memory set to it. Fields that do not
        open stay damaged. Returns how many items the record now holds."""
        seen = self._seen.load(active.user_id) if self._seen is not None else None
        holder: list[Head] = []

        def work(db: Session) -> int:
            check_key(db, active)
            head = restart(db, active, seen.counter if seen else 0)
            holder.append(head)
            return int(
                db.scalar(
                    select(func.count(VaultItem.id)).where(VaultItem.user_id == active.user_id)
                )
                or 0
            )

        with database_errors(self._target):
            count = run_in_transaction(self._sessions, work)
        if self._seen is not None:
            head = holder[-1]
            self._seen.record(active.user_id, head.counter, head.head, self._clock(), replace=True)
        return count

"""The vault health report's cache: a second run decrypts, and scores nothing it scored before.

Per item, one row of ``health_cache``: a single AES-GCM blob under the vault key (the cipher
every vault field is sealed with, :class:`app.core.crypto.FieldCipher`). Its associated data
(never stored) names its user and item, and holds what the scores were computed from: the
item's password and the words zxcvbn judged it with (username, title, sites). So a blob copied
to another row or account does not open, and neither does one after a changed password, title,
username or site: a miss, with no hash or MAC of a password kept anywhere, not even sealed.
Inside, fixed-width text (every blob of a breach list is the same length, so no length says
which items are breached or how often):

    SCORE|COMMON|COUNT|LIST

SCORE and COMMON: zxcvbn's score and the common-password flag. COUNT: how often the breach list
has the password. LIST: a SHA-256 of the breach list's identity (its path, device, inode, size
and modification time): another list, or the same file touched or replaced, makes COUNT
unknown. A row that does not open, or does not read as this format, is a miss, recomputed and
written over: never trusted.

Which items share a password is not stored: each run finds it in memory. The cache is derived
data, kept out of the integrity record, and a key rotation deletes it (app.services.rotation).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import Table, delete, select
from sqlalchemy.orm import Session

from app.core import crypto
from app.core.accounts import ActiveSession
from app.core.errors import VaultKeyChanged
from app.core.health import Known, opens
from app.core.items import Item
from app.models import HealthCache, VaultItem
from app.services.vault import VaultService
from app.services.writes import check_key

UNKNOWN = "-"
COUNT_DIGITS = 12  # Have I Been Pwned's largest count is under 10 digits
_CHUNK = 500  # ids per IN (...) list


def binding(user_id: int, item: Item) -> bytes:
    """A row's associated data: its user and item, and what the item's cached scores were
    computed from: its password, and the fields zxcvbn's words come from (username, title,
    sites; see app.core.health.user_inputs), as the repr of their tuple (quoted and escaped,
    so no two lists of them read the same)."""
    words = (item.password, item.username, item.title, *item.urls)
    return crypto.health_cache_aad(user_id, item.id) + b"/from/" + repr(words).encode()


def list_id(identity: str | None) -> str:
    """The breach list's identity as a fixed-length text (``-`` * 64 when there is none)."""
    if identity is None:
        return UNKNOWN * 64
    return crypto.content_digest(identity.encode("utf-8"))


def encode(known: Known, breach_list: str) -> str:
    score = UNKNOWN if known.score is None else str(known.score)
    common = UNKNOWN if known.common is None else str(int(known.common))
    count = (
        UNKNOWN * COUNT_DIGITS
        if known.breached is None or breach_list == list_id(None)
        else f"{min(known.breached, 10**COUNT_DIGITS - 1):0{COUNT_DIGITS}d}"
    )
    return f"{score}|{common}|{count}|{breach_list}"


def decode(text: str, breach_list: str) -> Known | None:
    """What the row knows (None: not this format); COUNT only when it is of ``breach_list``."""
    parts = text.split("|")
    if len(parts) != 4:
        return None
    score, common, count, listed = parts
    try:
        known = Known(
            None if score == UNKNOWN else int(score),
            None if common == UNKNOWN else bool(int(common)),
            int(count) if count.isdigit() and listed == breach_list != list_id(None) else None,
        )
    except ValueError:
        return None
    if known.score is not None and not 0 <= known.score <= 4:
        return None
    return known


class HealthCacheStore:
    """Reads and writes one account's cached scores (only through the vault service's
    transactions, under its key check)."""

    def __init__(self, vault: VaultService, active: ActiveSession, breach_list: str | None):
        self._vault = vault
        self._active = active
        self._list = list_id(breach_list)
        self._cipher = crypto.FieldCipher(active.vault_key)
        self._bound: dict[int, bytes] = {}
        self._loaded: dict[int, Known] = {}

    def load(self, items: Sequence[Item]) -> dict[int, Known]:
        """What the cache knows of each readable item's current password, by id; a row that
        does not open, or was computed from something else, is left out (a miss)."""
        user_id = self._active.user_id
        table = HealthCache.__table__
        assert isinstance(table, Table)
        query = select(table.c.item_id, table.c.sealed).where(table.c.user_id == user_id)

        def read(db: Session) -> dict[int, bytes]:
            check_key(db, self._active, write=False)
            return {item_id: sealed for item_id, sealed in db.connection().execute(query)}

        rows = self._vault.write(read)
        known: dict[int, Known] = {}
        bound, cipher, breach_list = self._bound, self._cipher, self._list
        decoded: dict[str, Known | None] = {}
        for item in items:
            if not opens(item) or not item.password:
                continue
            aad = bound[item.id] = binding(user_id, item)
            sealed = rows.get(item.id)
            if sealed is None:
                continue
            try:
                text = cipher.open(sealed, aad)  # computed from something else: does not open
            except (crypto.CryptoError, UnicodeDecodeError):
                continue
            # Most rows say the same (a score, no count): each text is read once per run.
            if text not in decoded:
                decoded[text] = decode(text, breach_list)
            found = decoded[text]
            if found is not None:
                known[item.id] = found
        self._loaded = known
        return known

    def save(self, learned: Mapping[int, Known]) -> int:
        """Write what changed since :meth:`load` (rows of items deleted meanwhile are not
        written); returns how many rows were written. A rotation since the load (the key in
        hand is not the account's now) writes nothing."""
        changed = {
            item_id: known
            for item_id, known in learned.items()
            if item_id in self._bound and not _same(self._loaded.get(item_id), known)
        }
        if not changed:
            return 0
        user_id = self._active.user_id
        values = {
            item_id: self._cipher.seal(encode(known, self._list), self._bound[item_id])
            for item_id, known in changed.items()
        }
        table = HealthCache.__table__
        assert isinstance(table, Table)

        def write(db: Session) -> int:
            check_key(db, self._active)
            ids = sorted(values)
            present: set[int] = set()
            for chunk in _chunks(ids):
                present.update(
                    db.scalars(
                        select(VaultItem.id)
                        .where(VaultItem.user_id == user_id, VaultItem.id.in_(chunk))
                        .with_for_update(read=True)  # a purge cannot slip in before the insert
                    )
                )
                db.execute(
                    delete(table).where(table.c.user_id == user_id, table.c.item_id.in_(chunk))
                )
            rows = [
                {"item_id": item_id, "user_id": user_id, "sealed": values[item_id]}
                for item_id in ids
                if item_id in present
            ]
            if rows:
                db.connection().execute(table.insert(), rows)
            return len(rows)

        try:
            return self._vault.write(write)
        except VaultKeyChanged:
            return 0  # rotated meanwhile: the rows would not open; the report is whole anyway


def _same(loaded: Known | None, learned: Known) -> bool:
    # The analysis hands back what it was given when nothing changed: most items, most runs.
    return loaded is learned or loaded == learned


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]

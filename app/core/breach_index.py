"""A compact index of Have I Been Pwned's sorted SHA-1 list: ``strongroom health build-index``.

The text list spends 44 bytes a hash (40 hex digits, ``:``, a count, CRLF). The index spends
12: the file is cut by the hash's first two bytes into 65,536 buckets, and each record holds the
next eight bytes of the hash and its count (a 32-bit number, exact: the list's largest counts
are in the tens of millions). So 80 bits of each hash are compared: with ``n`` hashes in the
list and ``m`` looked up, the chance of any false match is about ``n * m / 2**80`` (a billion
hashes and 10,000 passwords: about 1 in 100 billion). Lookups read the bucket's bounds from the
table and binary-search the bucket with positioned reads, never loading the file.

    magic (8) | records: 8 bytes of hash[2:10], 4-byte count, big-endian ... |
    table: 65,537 record numbers (8 bytes each): where each bucket starts, then the total

The build reads the text list once, in order, and refuses one that is not sorted (or is NTLM,
or not the list), as the search of the text list does; it writes beside the output and renames
it into place, owner-only. The index is recognised by its first bytes, wherever the
configuration or ``--breach-list`` names it.
"""

from __future__ import annotations

import os
import stat
import struct
from bisect import bisect_left
from collections.abc import Callable, Sequence
from itertools import pairwise
from pathlib import Path

from app.core.breach import HASH_DIGITS, BreachFile, BreachFolder, _parse
from app.core.twofactor import SourceError

MAGIC = b"SRHIBPX1"
BUCKETS = 1 << 16
KEY_BYTES = 8  # of each hash, after the two that choose its bucket
RECORD = struct.Struct(">8sI")
TABLE = struct.Struct(f">{BUCKETS + 1}Q")
MAX_COUNT = 2**32 - 1
Progress = Callable[[int, int], None]  # (bytes read, bytes in all)


def open_breach_source(path: Path) -> BreachFile | BreachFolder | BreachIndex:
    """The breach list at ``path``: an index this module built, the sorted file or a folder of
    range files (see app.core.breach); SourceError when unusable."""
    if not path.is_dir() and is_index(path):
        return BreachIndex(path)
    from app.core.breach import open_breach_list

    return open_breach_list(path)


def is_index(path: Path) -> bool:
    if not path.is_file():  # a named pipe would block the open: BreachFile refuses it
        return False
    try:
        with open(path, "rb") as file:
            return file.read(len(MAGIC)) == MAGIC
    except OSError:
        return False


def build_index(source: Path, target: Path, progress: Progress | None = None) -> int:
    """Write the index of the sorted text list ``source`` to ``target``; the hashes indexed.
    SourceError when ``source`` is not the sorted SHA-1 list (nothing is left at ``target``)."""
    where = str(source)
    try:
        size = source.stat().st_size
        text = open(source, "rb")  # noqa: SIM115 - closed below, with the partial output
    except OSError as error:
        raise SourceError(f"The breach list {where} cannot be read: {error.strerror}.") from None
    partial = target.with_name(f".{target.name}.partial")
    try:
        partial.unlink(missing_ok=True)  # a run stopped midway; a link is removed, not followed
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except OSError as error:
        text.close()
        raise SourceError(f"{target} cannot be written: {error.strerror}.") from None
    starts = [0] * (BUCKETS + 1)
    total, previous, done = 0, b"", 0
    try:
        with text, os.fdopen(fd, "wb", buffering=1024 * 1024) as out:
            out.write(MAGIC)
            for line in text:
                done += len(line)
                line = line.rstrip(b"\r\n").upper()
                if not line:
                    continue
                hashed, count = _parse(line, where)
                if hashed <= previous:
                    raise SourceError(
                        f"The breach list {where} is not sorted by hash, so it cannot be indexed: "
                        "download it with haveibeenpwned-downloader (its single file is sorted)."
                    )
                previous = hashed
                raw = bytes.fromhex(hashed.decode("ascii"))
                bucket = int.from_bytes(raw[:2], "big")
                starts[bucket + 1] = total + 1
                out.write(RECORD.pack(raw[2 : 2 + KEY_BYTES], min(count, MAX_COUNT)))
                total += 1
                if progress is not None and total % 1_000_000 == 0:
                    progress(done, size)
            if total == 0:
                raise SourceError(f"The breach list {where} is empty.")
            for bucket in range(1, BUCKETS + 1):  # an empty bucket ends where the last one did
                starts[bucket] = max(starts[bucket], starts[bucket - 1])
            out.write(TABLE.pack(*starts))
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return total


class BreachIndex:
    """An index written by :func:`build_index`, searched in place."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            # Without waiting: a named pipe nobody writes to would block the open.
            self._fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        except OSError as error:
            raise SourceError(f"The breach list {path} cannot be read: {error.strerror}.") from None
        info = os.fstat(self._fd)
        if not stat.S_ISREG(info.st_mode):
            os.close(self._fd)
            raise SourceError(f"The breach list {path} is not a regular file.")
        size = info.st_size
        table_at = size - TABLE.size
        records = (table_at - len(MAGIC)) // RECORD.size
        starts = TABLE.unpack(os.pread(self._fd, TABLE.size, table_at)) if table_at > 0 else (1,)
        if (
            table_at < len(MAGIC)
            or (table_at - len(MAGIC)) % RECORD.size
            or starts[0] != 0
            or starts[-1] != records
            or any(a > b for a, b in pairwise(starts))
        ):
            self.close()
            raise SourceError(
                f"The breach list index {path} is damaged or incomplete: "
                "build it again with strongroom health build-index."
            )
        self._starts = starts
        self.total = records

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def identity(self) -> str | None:
        stat = os.fstat(self._fd)
        return f"index|{self.path.resolve()}|{stat.st_dev}|{stat.st_ino}|{stat.st_size}|" + str(
            stat.st_mtime_ns
        )

    def describe(self) -> str:
        return f"{self.path} (an index of {self.total:,} hashes)"

    def counts(self, digests: Sequence[bytes]) -> dict[bytes, int]:
        """How often each digest (40 upper-case hex digits) was seen, for those in the list."""
        found: dict[bytes, int] = {}
        for digest in sorted(set(digests)):
            if len(digest) != HASH_DIGITS:
                continue
            raw = bytes.fromhex(digest.decode("ascii"))
            count = self._find(int.from_bytes(raw[:2], "big"), raw[2 : 2 + KEY_BYTES])
            if count:
                found[digest] = count
        return found

    def _find(self, bucket: int, key: bytes) -> int:
        """Binary search of the bucket with positioned reads of one key each, then one read
        of the few records left."""
        lo, hi = self._starts[bucket], self._starts[bucket + 1]
        while hi - lo > 64:
            middle = (lo + hi) // 2
            if os.pread(self._fd, KEY_BYTES, len(MAGIC) + middle * RECORD.size) < key:
                lo = middle + 1
            else:
                hi = middle
        block = os.pread(self._fd, (hi - lo) * RECORD.size, len(MAGIC) + lo * RECORD.size)
        keys = [block[n : n + KEY_BYTES] for n in range(0, len(block), RECORD.size)]
        index = bisect_left(keys, key)
        if index < len(keys) and keys[index] == key:
            return int(RECORD.unpack_from(block, index * RECORD.size)[1])
        return 0

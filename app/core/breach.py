"""Have I Been Pwned's breached passwords, offline: a downloaded SHA-1 list, never loaded.

The official downloader (``haveibeenpwned-downloader``) writes either one file of
``HASH:COUNT`` lines sorted by hash (40 upper-case hex digits of SHA-1), or a folder of range
files, ``XXXXX.txt`` named by the first five digits, each line the other 35 and ``:COUNT``.

A file is searched with positioned reads: each probe reads a few KiB where the hash should be
(SHA-1 is uniform, so the guess is close and two or three probes find it), so memory stays the
same whatever the file's size. Each probe checks the order of the lines it read against what
the earlier probes saw, so a list that is not sorted by hash is found out, not misread. A folder
is read one range file per hash prefix asked about. NTLM lists (32-digit hashes) are refused.
The digests asked about exist only in memory.
"""

from __future__ import annotations

import os
import re
import stat
from bisect import bisect_left
from collections.abc import Sequence
from pathlib import Path

from app.core.twofactor import SourceError

CHUNK = 4096  # bytes read per probe: about 90 lines
HASH_DIGITS = 40
NTLM_DIGITS = 32
EXACT_COUNT_BYTES = 64 * 1024 * 1024  # a smaller file's lines are counted, a bigger one's estimated
# A list this big is tens of thousands of uniform hashes: a probe's first hash is within
# DRIFT of its share of the file (thousands of standard deviations at a million lines).
UNIFORM_BYTES = 1024 * 1024
DRIFT = 0.05
_LINE = re.compile(rb"([0-9A-F]+):([0-9]+)\r?")
_GET = "download it with haveibeenpwned-downloader (see the README)"


def open_breach_list(path: Path) -> BreachFile | BreachFolder:
    """The list at ``path`` (a file or a folder of range files); SourceError when unusable."""
    if path.is_dir():
        return BreachFolder(path)
    return BreachFile(path)


def _check_hash(hashed: bytes, where: str, *, digits: int = HASH_DIGITS) -> None:
    if len(hashed) == digits:
        return
    if len(hashed) == digits - HASH_DIGITS + NTLM_DIGITS:
        raise SourceError(
            f"The breach list {where} holds NTLM hashes: Strongroom checks SHA-1; "
            "download the SHA-1 list (haveibeenpwned-downloader without -n)."
        )
    raise SourceError(f"The breach list {where} is not Have I Been Pwned's SHA-1 list: {_GET}.")


def _parse(line: bytes, where: str, digits: int = HASH_DIGITS) -> tuple[bytes, int]:
    found = _LINE.fullmatch(line)
    if found is None:
        raise SourceError(f"The breach list {where} is not Have I Been Pwned's SHA-1 list: {_GET}.")
    _check_hash(found[1], where, digits=digits)
    return found[1], int(found[2])


class BreachFile:
    """One sorted ``HASH:COUNT`` file, searched in place."""

    def __init__(self, path: Path) -> None:
        self.path = path
        where = str(path)
        try:
            # Without waiting: a named pipe nobody writes to would block the open.
            self._fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        except OSError as error:
            raise SourceError(
                f"The breach list {where} cannot be read: {error.strerror}."
            ) from None
        info = os.fstat(self._fd)
        if not stat.S_ISREG(info.st_mode):
            self.close()
            raise SourceError(f"The breach list {where} is not a regular file: {_GET}.")
        self.size = info.st_size
        head = os.pread(self._fd, CHUNK, 0).upper()
        if not head.strip():
            self.close()
            raise SourceError(f"The breach list {where} is empty: {_GET}.")
        tail = os.pread(self._fd, CHUNK, max(0, self.size - CHUNK)).upper().rstrip(b"\r\n")
        try:
            first = _parse(head.split(b"\n", 1)[0], where)[0]
            last = _parse(tail.rsplit(b"\n", 1)[-1], where)[0]
        except SourceError:
            self.close()
            raise
        if last < first:  # the ends are in order, and every probe checks what it reads
            raise self._unsorted()

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def identity(self) -> str | None:
        """What says the list is the same as last time: the file opened (its path, device
        and inode), its size and modification time. A list replaced or touched is another."""
        stat = os.fstat(self._fd)
        return f"file|{self.path.resolve()}|{stat.st_dev}|{stat.st_ino}|{stat.st_size}|" + str(
            stat.st_mtime_ns
        )

    def describe(self) -> str:
        if self.size <= EXACT_COUNT_BYTES:
            return f"{self.path} ({self._count_lines():,} hashes)"
        head = os.pread(self._fd, CHUNK, 0)
        line = max(1, len(head) // max(1, head.count(b"\n")))  # bytes per line, about
        return f"{self.path} (about {self.size // line:,} hashes)"

    def _count_lines(self) -> int:
        lines, offset, last = 0, 0, b"\n"
        while offset < self.size:
            block = os.pread(self._fd, 1024 * 1024, offset)
            if not block:
                break
            lines += block.count(b"\n")
            offset += len(block)
            last = block[-1:]
        return lines + (last != b"\n")

    def counts(self, digests: Sequence[bytes]) -> dict[bytes, int]:
        """How often each digest was seen, for those in the list (asked in order, each search
        starts where the last one ended)."""
        found: dict[bytes, int] = {}
        floor, below = 0, b"0"
        for digest in sorted(set(digests)):
            floor, count = self._search(digest, floor, below)
            below = digest
            if count:
                found[digest] = count
        return found

    def _search(self, target: bytes, lo: int, below: bytes) -> tuple[int, int]:
        """(offset of the first line at or after ``target``, its count if it is ``target``);
        the search starts at ``lo``, a line start before which every hash is under ``below``."""
        where = str(self.path)
        hi = self.size
        lo_key: bytes | None = None  # the hash of the line just before lo, when a probe saw it
        hi_key: bytes | None = None  # the hash of the line at hi
        lo_value, hi_value = int(below[:12], 16), 16**12
        wanted = int(target[:12], 16)
        bisect_next, slow = False, 0  # bisect when interpolation stalls (a skewed list)
        while hi - lo > 2 * CHUNK:
            span = hi - lo
            if bisect_next:
                guess = lo + span // 2
            else:
                share = (wanted - lo_value) / max(1, hi_value - lo_value)
                guess = lo + int(min(1.0, max(0.0, share)) * span)
            pos = min(max(lo, guess - CHUNK // 2), hi - CHUNK)
            chunk = os.pread(self._fd, CHUNK, pos).upper()
            start = 0 if pos == lo else chunk.find(b"\n") + 1
            end = chunk.rfind(b"\n") + 1
            if (start <= 0 and pos != lo) or end <= start:
                raise SourceError(
                    f"The breach list {where} is not Have I Been Pwned's SHA-1 list: {_GET}."
                )
            lines = chunk[start : end - 1].split(b"\n")
            first, last = _parse(lines[0], where)[0], _parse(lines[-1], where)[0]
            self._in_order(lo_key, first, last, hi_key)
            self._in_place(first, pos + start)
            if target < first:
                hi, hi_key, hi_value = pos + start, first, int(first[:12], 16)
            elif target > last:
                lo, lo_key, lo_value = pos + end, last, int(last[:12], 16)
            else:
                return self._within(lines, pos + start, target)
            slow = slow + 1 if hi - lo > span // 2 else 0
            bisect_next = slow >= 3
        block = os.pread(self._fd, hi - lo, lo).upper()
        lines = block.split(b"\n")
        if lines[-1] == b"":
            lines.pop()  # the newline that ends the last line
        if not block.strip():
            return lo, 0
        first, last = _parse(lines[0], where)[0], _parse(lines[-1], where)[0]
        self._in_order(lo_key, first, last, hi_key)
        return self._within(lines, lo, target)

    def _within(self, lines: list[bytes], offset: int, target: bytes) -> tuple[int, int]:
        """Find ``target`` among complete, sorted ``lines`` that start at ``offset``; the lines
        either side of where it belongs are checked for order too."""
        where = str(self.path)
        index = bisect_left(lines, target, key=lambda line: line[:HASH_DIGITS])
        before = lines[index - 1][:HASH_DIGITS] if index > 0 else None
        after = lines[index][:HASH_DIGITS] if index < len(lines) else None
        if before is not None and after is not None and not before < after:
            raise self._unsorted()
        if index > 1 and not lines[index - 2][:HASH_DIGITS] < before:  # type: ignore[operator]
            raise self._unsorted()
        position = min(self.size, offset + sum(map(len, lines[:index])) + index)
        if after == target:
            return position, _parse(lines[index], where)[1]
        return position, 0

    def _in_place(self, first: bytes, offset: int) -> None:
        """SHA-1 is uniform: in a sorted list of many hashes, the hash at a tenth of the file
        begins close to a tenth of the way from 0 to F. A probe far from that is reading a
        list in another order (ordered by prevalence, or blocks out of place)."""
        if self.size >= UNIFORM_BYTES:
            expected = offset / self.size
            if abs(int(first[:12], 16) / 16**12 - expected) > DRIFT:
                raise self._unsorted()

    def _in_order(
        self, lo_key: bytes | None, first: bytes, last: bytes, hi_key: bytes | None
    ) -> None:
        if first > last or (lo_key is not None and lo_key >= first):
            raise self._unsorted()
        if hi_key is not None and last >= hi_key:
            raise self._unsorted()

    def _unsorted(self) -> SourceError:
        self.close()
        return SourceError(
            f"The breach list {self.path} is not sorted by hash, so it cannot be searched: "
            "download it with haveibeenpwned-downloader (its single file is sorted), not the "
            "list ordered by prevalence."
        )


class BreachFolder:
    """A folder of range files (``XXXXX.txt``), one read per prefix asked about."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def close(self) -> None:
        pass

    def identity(self) -> None:
        """None: a folder's range files change one by one, and stating all of them would
        cost more than the lookups, so its counts are looked up on every run."""
        return None

    def describe(self) -> str:
        return f"{self.path} (a folder of range files: only those needed are read)"

    def counts(self, digests: Sequence[bytes]) -> dict[bytes, int]:
        by_prefix: dict[bytes, list[bytes]] = {}
        for digest in set(digests):
            by_prefix.setdefault(digest[:5], []).append(digest)
        found: dict[bytes, int] = {}
        missing: list[str] = []
        for prefix in sorted(by_prefix):
            name = prefix.decode() + ".txt"
            lines = self._range(name)
            if lines is None:
                missing.append(name)
                continue
            for digest in by_prefix[prefix]:
                count = self._find(lines, digest[5:], name)
                if count:
                    found[digest] = count
        if missing:
            raise SourceError(
                f"The breach list {self.path} lacks {len(missing)} range file"
                f"{'s' if len(missing) > 1 else ''} ({', '.join(missing[:3])}"
                f"{', …' if len(missing) > 3 else ''}): the download is incomplete; run "
                "haveibeenpwned-downloader again."
            )
        return found

    def _range(self, name: str) -> list[bytes] | None:
        try:
            with open(self.path / name, "rb") as file:
                data = file.read(16 * 1024 * 1024)
        except FileNotFoundError:
            return None
        except OSError as error:
            raise SourceError(
                f"The breach list's range file {self.path / name} cannot be read: {error.strerror}."
            ) from None
        return data.upper().rstrip(b"\r\n").split(b"\n") if data.strip() else []

    def _find(self, lines: list[bytes], suffix: bytes, name: str) -> int:
        where = str(self.path / name)
        digits = HASH_DIGITS - 5
        if lines:
            _parse(lines[0], where, digits)
        index = bisect_left(lines, suffix, key=lambda line: line[:digits])
        if 0 < index < len(lines) and not lines[index - 1][:digits] < lines[index][:digits]:
            raise SourceError(f"The breach list's range file {where} is not sorted by hash.")
        if index < len(lines) and lines[index][:digits] == suffix:
            return _parse(lines[index], where, digits)[1]
        return 0


BreachList = BreachFile | BreachFolder

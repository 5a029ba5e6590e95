"""What this device has seen of each vault (see app.services.integrity): the highest counter
and its head, per account and database, in an owner-only file beside the saved login. A lower
counter read later means the database was rolled back.

A write this device makes is remembered at once in the process that made it and written to the
file a moment later (:meth:`SeenStore.note`): one write with its fsync for a burst of saves, off
the save's own path, and at the latest when the process ends. A process killed in that moment
leaves the file at the counter before: rollback detection is weaker for that one write, and
never raises a false alarm."""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import os
import stat
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.core.files import make_private_dir, privacy_problem, write_private_file


@dataclass(frozen=True)
class Seen:
    counter: int
    head: bytes
    seen_at: datetime


class SeenStore:
    """The highest counter (and its head) this device has seen of each account's vault in each
    database: one owner-only file beside the saved login, changed under a lock so that the
    app, the commands and the agent of one device only ever raise it."""

    _FORMAT = 1
    FLUSH_DELAY = 0.25  # seconds a noted write waits for the next one before the file is written

    def __init__(self, path: Path, database_id: str) -> None:
        self.path = path
        self.database_id = database_id
        self._pending: dict[int, Seen] = {}
        self._guard = threading.Lock()
        self._flushing = threading.Lock()
        self._wake = threading.Event()
        self._writer: threading.Thread | None = None

    def _name(self, user_id: int) -> str:
        return f"{self.database_id}/{user_id}"

    def _read(self) -> dict[str, Any]:
        """The file's vaults; nothing from a file that is not a regular file of this user's
        alone (a link, a folder or a pipe put in its place: opened without waiting, unread)."""
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(self.path, flags)
        except OSError:
            return {}
        try:
            with os.fdopen(fd, "rb") as handle:
                info = os.fstat(handle.fileno())
                if not stat.S_ISREG(info.st_mode) or privacy_problem(info) is not None:
                    return {}
                document = json.loads(handle.read(1 << 20))
        except (OSError, ValueError):
            return {}
        if not isinstance(document, dict) or document.get("format") != self._FORMAT:
            return {}
        vaults = document.get("vaults")
        return vaults if isinstance(vaults, dict) else {}

    def load(self, user_id: int) -> Seen | None:
        """The highest this device saw: the file's, or a write of this process not yet in it."""
        stored = self._load_stored(user_id)
        with self._guard:
            pending = self._pending.get(user_id)
        if pending is not None and (stored is None or pending.counter > stored.counter):
            return pending
        return stored

    def _load_stored(self, user_id: int) -> Seen | None:
        entry = self._read().get(self._name(user_id))
        if not isinstance(entry, dict):
            return None
        try:
            return Seen(
                int(entry["counter"]),
                bytes.fromhex(entry["head"]),
                datetime.fromisoformat(entry["seen_at"]).astimezone(UTC),
            )
        except (TypeError, KeyError, ValueError):
            return None

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        make_private_dir(self.path.parent)
        lock = self.path.with_name(f".{self.path.name}.lock")
        flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(lock, flags, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def record(
        self, user_id: int, counter: int, head: bytes, now: datetime, *, replace: bool = False
    ) -> None:
        """Remember ``counter`` if it is higher than what was seen (``replace``: whatever it is,
        for a restore accepted on purpose). A file that cannot be written is left as it was."""
        if replace:
            with self._guard:
                self._pending.pop(user_id, None)
        with contextlib.suppress(OSError), self._locked():
            vaults = self._read()
            name = self._name(user_id)
            old = vaults.get(name)
            if not replace and isinstance(old, dict):
                try:
                    if int(old["counter"]) >= counter:
                        return
                except (KeyError, TypeError, ValueError):
                    pass
            vaults[name] = {"counter": counter, "head": head.hex(), "seen_at": now.isoformat()}
            document = {"format": self._FORMAT, "vaults": vaults}
            write_private_file(self.path, json.dumps(document).encode("ascii"))

    def note(self, user_id: int, counter: int, head: bytes, now: datetime) -> None:
        """:meth:`record`, a moment later: a write this device made. Seen by :meth:`load` in
        this process at once; in the file after FLUSH_DELAY (the saves of a burst written
        once, by a thread of this store's), or when the process ends, whichever comes first."""
        with self._guard:
            old = self._pending.get(user_id)
            if old is None or counter > old.counter:
                self._pending[user_id] = Seen(counter, head, now)
            if self._writer is None:
                atexit.register(self.flush)
                # A daemon: the exit's own flush stands in for it.
                self._writer = threading.Thread(target=self._write_soon, daemon=True)
                self._writer.start()
        self._wake.set()

    def _write_soon(self) -> None:
        while True:
            self._wake.wait()
            time.sleep(self.FLUSH_DELAY)
            self._wake.clear()  # a note from here on wakes it again; this flush may take it
            self.flush()

    def flush(self) -> None:
        """Write what :meth:`note` holds now. One flush at a time, and what it writes stays
        noted until written: the exit's flush waits for the writer thread's, not finding
        its counter gone from memory while the thread (a daemon, ended at exit) still had it
        to write."""
        with self._flushing:
            with self._guard:
                pending = dict(self._pending)
            for user_id, seen in pending.items():
                self.record(user_id, seen.counter, seen.head, seen.seen_at)
            with self._guard:
                for user_id, seen in pending.items():
                    if self._pending.get(user_id) is seen:
                        del self._pending[user_id]

"""What this device has seen of each vault (see app.services.integrity): the highest counter
and its head, per account and database, in an owner-only file beside the saved login. A lower
counter read later means the database was rolled back."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
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

    def __init__(self, path: Path, database_id: str) -> None:
        self.path = path
        self.database_id = database_id

    def _name(self, user_id: int) -> str:
        return f"{self.database_id}/{user_id}"

    def _read(self) -> dict[str, Any]:
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            return {}
        with os.fdopen(fd, "rb") as handle:
            if privacy_problem(os.fstat(handle.fileno())) is not None:
                return {}
            try:
                document = json.loads(handle.read(1 << 20))
            except ValueError:
                return {}
        if not isinstance(document, dict) or document.get("format") != self._FORMAT:
            return {}
        vaults = document.get("vaults")
        return vaults if isinstance(vaults, dict) else {}

    def load(self, user_id: int) -> Seen | None:
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

"""The security event log: who logged in, failed, was throttled, logged out, changed keys.

One JSON object a line, UTC timestamps, in an owner-only file. It records usernames and event
names, never a password, token, key or vault field.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from app.core.files import make_private_dir

EVENTS = frozenset(
    {
        "registered",
        "login_succeeded",
        "login_failed",
        "login_throttled",
        "unlock_failed",
        "logout",
        "vault_locked",
        "vault_unlocked",
        "password_changed",
        "secret_key_added",
        "vault_key_rotated",
        "session_revoked",
        "saved_login_refused",
        "account_deleted",
        "item_read",
        "items_listed",
        "item_added",
        "item_changed",
        "item_trashed",
        "vault_exported",
        "vault_imported",
        "database_failover",
        "tampering_detected",
        "rollback_detected",
        "restore_accepted",
    }
)


class SecurityLog:
    def __init__(self, path: Path | None, clock: Callable[[], datetime] | None = None) -> None:
        self.path = path  # None: events are checked, then dropped (tests, tools)
        self._clock = clock or (lambda: datetime.now(UTC))

    def record(self, event: str, username: str | None = None, detail: str | None = None) -> None:
        """Append one event; a log that cannot be written never stops the action it records."""
        if event not in EVENTS:
            raise ValueError(f"unknown security event {event!r}")
        entry = {"time": self._clock().astimezone(UTC).isoformat(), "event": event}
        if username is not None:
            entry["username"] = username
        if detail is not None:
            entry["detail"] = detail
        line = (json.dumps(entry, ensure_ascii=True) + "\n").encode("ascii")
        if self.path is None:
            return
        try:
            make_private_dir(self.path.parent)
            flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0)
            fd = os.open(self.path, flags, 0o600)
            try:
                os.fchmod(fd, 0o600)
                os.write(fd, line)
            finally:
                os.close(fd)
        except OSError:
            pass

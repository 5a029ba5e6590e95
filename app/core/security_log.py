"""The security log's entries as a person reads them: each line of the log parsed, labelled
and made visible text (see :mod:`app.services.security_log`, which reads the file).

A line that is not one of the log's JSON objects is an "unreadable line", never an error; every
text in an entry (a username typed at a login form, a detail) is visible text, so no control
character or bidirectional override reaches a terminal from here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from app.core.text import visible_text

LONGEST_LINE = 8 * 1024  # the log writes lines of a few hundred bytes; longer is not its
LONGEST_TEXT = 200  # a username or detail is shown up to this many characters

# What the integrity checks record: shown as warnings, apart from everything else.
WARNING_EVENTS = frozenset({"tampering_detected", "rollback_detected", "restore_accepted"})
# Worth a look, but what happens when someone mistypes: shown as notices.
NOTICE_EVENTS = frozenset(
    {"login_failed", "login_throttled", "unlock_failed", "saved_login_refused", "session_revoked"}
)
LABELS = {
    "registered": "account created",
    "login_succeeded": "logged in",
    "login_failed": "login failed",
    "login_throttled": "login throttled",
    "unlock_failed": "unlock failed",
    "logout": "logged out",
    "vault_locked": "vault locked",
    "vault_unlocked": "vault unlocked",
    "password_changed": "password changed",
    "secret_key_added": "Secret Key added",
    "vault_key_rotated": "vault key rotated",
    "session_revoked": "session revoked",
    "saved_login_refused": "saved login refused",
    "account_deleted": "account deleted",
    "item_read": "item read",
    "items_listed": "items listed",
    "item_added": "item added",
    "item_changed": "item changed",
    "item_trashed": "item trashed",
    "vault_exported": "vault exported",
    "vault_imported": "vault imported",
    "database_failover": "database failover",
    "tampering_detected": "TAMPERING DETECTED",
    "rollback_detected": "ROLLBACK DETECTED",
    "restore_accepted": "restore accepted",
}
UNREADABLE = "unreadable line"


@dataclass(frozen=True)
class LogEntry:
    """One line of the log, ready to draw: every text is visible text."""

    when: datetime | None  # None: an unreadable line
    event: str  # the event's name as written ("" for an unreadable line)
    label: str  # what to show for it
    username: str
    detail: str

    @property
    def severity(self) -> str:
        """ "warning" (tampering, rollback, an accepted restore), "notice" (a failed login and
        the like), "unreadable", or "" for everything else."""
        if self.when is None:
            return "unreadable"
        if self.event in WARNING_EVENTS:
            return "warning"
        return "notice" if self.event in NOTICE_EVENTS else ""

    def local_time(self) -> str:
        return "" if self.when is None else self.when.astimezone().strftime("%Y-%m-%d %H:%M:%S")

    def as_json(self) -> dict[str, str | None]:
        return {
            "time": None if self.when is None else self.when.isoformat(),
            "event": self.event or None,
            "username": self.username or None,
            "detail": self.detail or None,
            "severity": self.severity or None,
        }


@dataclass(frozen=True)
class LogPage:
    entries: tuple[LogEntry, ...]  # newest first
    more: bool  # older entries exist that are not among these
    missing: bool  # no log yet


def _shown(value: object) -> str:
    text = visible_text(str(value)) if isinstance(value, str) else ""
    return text if len(text) <= LONGEST_TEXT else text[: LONGEST_TEXT - 1] + "…"


def parse_line(line: bytes) -> LogEntry:
    """One log line; anything but one of the log's objects is an unreadable line."""
    unreadable = LogEntry(None, "", UNREADABLE, "", "")
    if len(line) > LONGEST_LINE:
        return unreadable
    try:
        entry = json.loads(line)
        when = datetime.fromisoformat(entry["time"])
        event = entry["event"]
    except (ValueError, KeyError, TypeError, RecursionError):
        return unreadable
    if not isinstance(event, str) or when.tzinfo is None:
        return unreadable
    username, detail = entry.get("username"), entry.get("detail")
    if any(value is not None and not isinstance(value, str) for value in (username, detail)):
        return unreadable
    label = LABELS.get(event) or _shown(event.replace("_", " "))[:24]
    return LogEntry(when, _shown(event), label, _shown(username), _shown(detail))

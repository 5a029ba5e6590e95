"""Reading this device's security log (written by :mod:`app.services.audit`): newest first,
and bounded.

The log is a file only this Unix user writes, but it can still be large, cut, or written to by
hand. So it is read from its end (at most TAIL_BYTES, at most a limit of entries); a path that
is a link, a device, a pipe or another user's file is refused in one line, without waiting on
it. Each line becomes an entry of :mod:`app.core.security_log`.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from app.core.errors import UserError
from app.core.security_log import LogPage, parse_line
from app.core.text import visible_text

__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "LogPage", "SecurityLogUnreadable", "read_log"]

TAIL_BYTES = 1024 * 1024  # the log's last bytes read: thousands of entries
DEFAULT_LIMIT = 20  # the command line's: a screen of 24 rows
MAX_LIMIT = 5000


class SecurityLogUnreadable(UserError):
    """The log's path is not a file this user's log could be (a link, a device, another's)."""


def read_log(path: Path, limit: int = DEFAULT_LIMIT) -> LogPage:
    """The newest ``limit`` entries of the log at ``path``, newest first."""
    limit = max(1, min(limit, MAX_LIMIT))
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_NOFOLLOW", 0)
    try:
        descriptor = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return LogPage((), more=False, missing=True)
    except OSError as error:
        raise SecurityLogUnreadable(
            f"The security log {visible_text(str(path))} cannot be read ({error.strerror})."
        ) from None
    with os.fdopen(descriptor, "rb") as file:
        facts = os.fstat(descriptor)
        if not stat.S_ISREG(facts.st_mode):
            raise SecurityLogUnreadable(
                f"The security log {visible_text(str(path))} is not a regular file."
            )
        if facts.st_uid != os.geteuid():
            raise SecurityLogUnreadable(
                f"The security log {visible_text(str(path))} belongs to another user."
            )
        start = max(facts.st_size - TAIL_BYTES, 0)
        # From the byte before the tail: when it ends a line, the tail starts with a whole one.
        file.seek(max(start - 1, 0))
        lines = file.read(TAIL_BYTES + 1).split(b"\n")
    if start > 0:
        lines = lines[1:]  # cut by the tail: not a whole line
    lines = [line for line in lines if line.strip()]
    newest = lines[-limit:]
    entries = tuple(parse_line(line) for line in reversed(newest))
    return LogPage(entries, more=start > 0 or len(lines) > limit, missing=False)

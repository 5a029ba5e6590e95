"""``strongroom log``: this device's security log, newest first, one line an entry.

It needs no account: the log is this Unix user's own file, and it is most wanted when logging in
fails. Every line fits the terminal (80 columns when it is not one); a warning (tampering,
rollback, an accepted restore) starts with "!!" and, on a terminal, is bold red; a failed login
or the like starts with "!". --json gives every entry as one JSON object a line.
"""

from __future__ import annotations

import json
import shutil
import sys
import textwrap
from typing import TYPE_CHECKING

from app.cli.exits import DONE, USAGE, Exit

if TYPE_CHECKING:
    import argparse

    from app.cli.context import Context
    from app.core.security_log import LogEntry

MARKS = {"warning": "!! ", "notice": "!  ", "unreadable": "?  ", "": "   "}
STYLES = {"warning": "\x1b[1;31m", "notice": "\x1b[33m", "unreadable": "\x1b[2m"}
RESET = "\x1b[0m"
WHO_WIDTH = 12


def cut(text: str, width: int) -> str:
    """``text`` in at most ``width`` characters, "…" where it was cut."""
    if width <= 0:
        return ""
    return text if len(text) <= width else text[: width - 1] + "…"


def entry_lines(entry: LogEntry, width: int) -> list[str]:
    """One entry in lines of at most ``width`` characters: one, and for a warning its whole
    detail under it (up to three more lines), as a warning is the entry to read in full."""
    if entry.when is None:
        return [cut(f"{MARKS['unreadable']}{entry.label}", width)]
    who = cut(entry.username or "-", WHO_WIDTH).ljust(WHO_WIDTH)
    head = f"{MARKS[entry.severity]}{entry.local_time()}  {entry.label:<20}  {who}"
    if entry.severity != "warning" or not entry.detail:
        return [cut(f"{head}  {entry.detail}".rstrip(), width)]
    indent = " " * len(MARKS["warning"])
    wrapped = textwrap.wrap(
        entry.detail, max(width - len(indent), 10), max_lines=3, placeholder="…"
    )
    return [cut(head.rstrip(), width), *(cut(indent + line, width) for line in wrapped)]


def log(args: argparse.Namespace, ctx: Context) -> int:
    from app.services.security_log import MAX_LIMIT, read_log

    if not 1 <= args.limit <= MAX_LIMIT:
        raise Exit(USAGE, f"--limit takes 1 to {MAX_LIMIT} entries.")
    page = read_log(ctx.settings.security_log_path, args.limit)
    if args.json:
        for entry in page.entries:
            print(json.dumps(entry.as_json(), ensure_ascii=True))
        return DONE
    if page.missing:
        print("The security log is empty: nothing has been recorded on this device yet.")
        return DONE
    terminal = sys.stdout.isatty()
    width = shutil.get_terminal_size((80, 24)).columns if terminal else 80
    for entry in page.entries:
        style = STYLES.get(entry.severity) if terminal else None
        for line in entry_lines(entry, width):
            print(f"{style}{line}{RESET}" if style else line)
    if page.more:
        print(cut(f"(older entries not shown: --limit N shows up to {MAX_LIMIT})", width))
    return DONE

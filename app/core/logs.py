"""Strongroom's log (an owner-only file, set up by the entry point): where an unexpected error
is written, its stack without its message; other libraries' warnings and errors too, the same
way."""

from __future__ import annotations

import logging
import re
import traceback

log = logging.getLogger("strongroom")


def log_failure(where: str, error: BaseException) -> None:
    """Log where an error happened and its stack, but not its message: it may quote a secret."""
    stack = "".join(traceback.format_tb(error.__traceback__))
    log.error("%s: unexpected %s\n%s", where, type(error).__name__, stack)


class WithoutMessages(logging.Formatter):
    """Strongroom's own records as they are (they never carry a secret); another library's
    (SQLAlchemy's, when a Ctrl+C lands in a rollback) as its message's template without the
    values put into it, and its error's type and stack without the error's text: either could
    quote a secret."""

    def format(self, record: logging.LogRecord) -> str:
        if record.name == log.name or record.name.startswith(f"{log.name}."):
            return super().format(record)
        template = record.msg if isinstance(record.msg, str) else type(record.msg).__name__
        if record.name == "py.warnings":  # logging.captureWarnings: "%s", the whole warning
            category = re.search(r": (\w+Warning): ", f"{record.msg} {record.args}")
            template = category.group(1) if category else "a warning"
        line = f"{self.formatTime(record)} {record.levelname} {record.name}: {template}"
        error = record.exc_info[1] if record.exc_info else None
        if error is not None:
            stack = "".join(traceback.format_tb(error.__traceback__))
            line += f" ({type(error).__name__})\n{stack}"
        return line

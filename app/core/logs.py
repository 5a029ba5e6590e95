"""Strongroom's log (an owner-only file, set up by the entry point): where an unexpected error
is written, its stack without its message."""

from __future__ import annotations

import logging
import traceback

log = logging.getLogger("strongroom")


def log_failure(where: str, error: BaseException) -> None:
    """Log where an error happened and its stack, but not its message: it may quote a secret."""
    stack = "".join(traceback.format_tb(error.__traceback__))
    log.error("%s: unexpected %s\n%s", where, type(error).__name__, stack)

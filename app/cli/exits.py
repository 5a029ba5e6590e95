"""The command line's exit codes, and the one table from a service's error to its code.

0 done, 1 not found, 2 usage, 3 ambiguous, 4 locked or logged out (with ``--no-input``, or no
account), 5 database unavailable, 6 wrong password or throttled, 7 the health report found
something (as ``gopass audit`` does), 8 the database was changed outside Strongroom or is older
than what this device saw of it (tampered with, or rolled back), 70 an unexpected error (its
stack in the log file, never on the terminal). Errors are one line on
standard error; a secret is only ever written to standard output.
"""

from __future__ import annotations

import sys

from app.core.errors import (
    AccountDataError,
    DatabaseUnavailable,
    LoginFailed,
    UserError,
    ValidationError,
    VaultTampered,
)
from app.core.text import visible_text

DONE, NOT_FOUND, USAGE, AMBIGUOUS, LOCKED, UNAVAILABLE, REFUSED, FINDINGS, TAMPERED = range(9)
UNEXPECTED = 70  # an error no case foresaw (a bug), its stack in the log (sysexits' EX_SOFTWARE)
INTERRUPTED = 130  # Ctrl+C, as a shell reports it
PIPE_CLOSED = 141  # the reader went away (SIGPIPE's code in a shell)

# The exit code of each failure the services report, most specific first.
ERROR_CODES: tuple[tuple[type[UserError], int], ...] = (
    (DatabaseUnavailable, UNAVAILABLE),
    (VaultTampered, TAMPERED),  # VaultRolledBack too
    (AccountDataError, TAMPERED),  # the account's row: keys that do not belong together
    (ValidationError, USAGE),  # what was given for an item, an account, or a generator option
    (LoginFailed, REFUSED),  # LoginThrottled too
    (UserError, NOT_FOUND),
)


class Exit(Exception):
    """Stop with this exit code and one line for standard error; ``details``, lines to print
    after it (the candidates of an ambiguous query), each made one visible line too."""

    def __init__(self, code: int, message: str = "", details: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


def reported(error: Exit | UserError) -> int:
    """Say what went wrong in one line on standard error (and any details, a line each); the
    exit code that goes with it."""
    if error.message:
        print(f"strongroom: {visible_text(error.message)}", file=sys.stderr)
    for line in getattr(error, "details", ()):
        print(visible_text(line), file=sys.stderr)
    if isinstance(error, Exit):
        return error.code
    return next(code for kind, code in ERROR_CODES if isinstance(error, kind))

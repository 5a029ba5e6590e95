"""Asking the person at the terminal, or reading a script's standard input.

A secret is read from the terminal without echo, or from the next line of standard input when
that is not a terminal; never from argv or the environment. Prompts go to standard error (or
to the terminal itself), so standard output carries only what a command prints for scripts.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TypeVar

from app.cli.exits import LOCKED, REFUSED, USAGE, Exit
from app.core.text import visible_text

T = TypeVar("T")

# A line of standard input longer than this is refused unread: no answer Strongroom asks for
# is near it (a master password has at most 1,024 characters), and a runaway pipe must not
# fill the memory.
MAX_LINE = 64 * 1024


def interactive() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


def read_line(prompt: str, missing: Exit) -> str:
    """One line that may be seen as it is typed (a username): ``prompt`` on standard error
    when standard input is a terminal; ``missing`` when there is no line."""
    if interactive():
        sys.stderr.write(prompt)
        sys.stderr.flush()
    line = _next_line()
    if not line:
        if interactive():
            sys.stderr.write("\n")
        raise missing
    return line.rstrip("\r\n")


NOT_TEXT = Exit(USAGE, "What was given is not text (UTF-8); nothing was done.")


def _next_line() -> str:
    """The next line of standard input ("" at its end); Exit 2 past MAX_LINE."""
    if sys.stdin is None:
        return ""
    try:
        line = sys.stdin.readline(MAX_LINE + 1)
    except UnicodeDecodeError:
        raise NOT_TEXT from None
    if len(line) > MAX_LINE:
        raise Exit(USAGE, f"A line of standard input is over {MAX_LINE} characters; not read.")
    return line


def read_secret(prompt: str, missing: Exit, *, confirm: str = "") -> str:
    """From the terminal without echo (typed twice when ``confirm`` is given); when stdin is
    piped, its next line (a script is not asked to confirm), and ``missing`` when there is
    none."""
    if interactive():
        typed = hidden(prompt, missing)
        if confirm and hidden(confirm, missing) != typed:
            raise Exit(USAGE, "The two passwords do not match; nothing was saved.")
        return typed
    line = _next_line()
    if not line:
        raise missing
    return line.rstrip("\r\n")


def read_rest(prompt: str, limit: int) -> str:
    """The rest of standard input as text (on a terminal: lines typed, shown, until Ctrl+D),
    with its line ends made ``\\n`` and the last ones dropped; Exit 2 past ``limit``
    characters."""
    if interactive():
        sys.stderr.write(prompt)
        sys.stderr.flush()
    lines, size = [], 0
    while line := _next_line():
        size += len(line)
        if size > limit:
            raise Exit(USAGE, f"Over {limit} characters on standard input; nothing was saved.")
        lines.append(line.rstrip("\r\n") + "\n")
    return "".join(lines).rstrip("\n")


def read_master_password(username: str, *, stdin: bool = True) -> str:
    """The master password: typed on the terminal, or (``stdin``) the first line of a piped
    standard input. Without ``stdin`` (standard input is another program's, git's say) only
    the terminal is asked, and without one the vault stays locked (exit 4)."""
    prompt = f"Master password for {visible_text(username)}: "
    if not stdin:
        if not has_terminal():
            raise Exit(LOCKED, "The vault is locked and there is no terminal to ask on.")
        # From /dev/tty, whatever standard input is.
        return hidden(prompt, Exit(LOCKED, "No master password was typed."))
    return read_secret(prompt, Exit(LOCKED, "No master password on standard input."))


def hidden(prompt: str, missing: Exit) -> str:
    """A secret typed on the terminal without echo. However the prompt ends, the terminal gets
    its echo back and the person one line: Ctrl+D is ``missing``, bytes that are not UTF-8 are
    refused (never shown), and SIGTERM or SIGHUP end the command as a signal would (getpass
    restores the terminal on the way out, which the signal's default would not let it do)."""
    import getpass
    import signal

    def stop(number: int, frame: object) -> None:
        raise SystemExit(128 + number)

    previous = {number: signal.signal(number, stop) for number in (signal.SIGTERM, signal.SIGHUP)}
    try:
        return getpass.getpass(prompt)
    except EOFError:
        sys.stderr.write("\n")
        raise missing from None
    except UnicodeDecodeError:
        sys.stderr.write("\n")
        raise NOT_TEXT from None
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def has_terminal() -> bool:
    import os

    try:
        os.close(os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY))
    except OSError:
        return False
    return True


def asking_secret_key(attempt: Callable[[str | None], T], tries: int = 3) -> T:
    """``attempt(None)``; when the account has a Secret Key this device does not hold, the key
    is asked for on the terminal (without echo) and ``attempt`` runs with it, up to ``tries``
    times. Without a terminal: exit 6, naming what is needed."""
    from app.core.secret_key import SecretKeyNeeded

    typed: str | None = None
    for _ in range(tries):
        try:
            return attempt(typed)
        except SecretKeyNeeded as needed:
            if not has_terminal():
                raise Exit(
                    REFUSED,
                    f"{needed.message} There is no terminal to ask on: run strongroom "
                    "login on a terminal once, and this device keeps it.",
                ) from None
            print(visible_text(needed.message), file=sys.stderr)
            typed = hidden("Secret Key: ", Exit(REFUSED, "No Secret Key was typed."))
    return attempt(typed)

"""Moving a vault in and out: ``import`` another manager's export, ``export`` for another.

The reading, writing and sealing are the services' (app.services.transfer), shared with the
app; only the prompting and the printing are the command line's own.
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from types import FrameType, TracebackType
from typing import TYPE_CHECKING

from app.cli.access import open_session
from app.cli.exits import DONE, LOCKED, NOT_FOUND, REFUSED, USAGE, Exit
from app.cli.prompts import read_master_password, read_secret
from app.core.errors import LoginFailed
from app.core.text import visible_text

SHOWN_SKIPPED = 20  # "Skipped …" lines an import prints; --dry-run prints them all
LINE = 300  # characters of one such line (a skipped entry's name may be a whole file)

if TYPE_CHECKING:
    import argparse

    from app.cli.context import Context


def export(args: argparse.Namespace, ctx: Context) -> int:
    """The whole vault (trash and password history too) in another manager's format."""
    from app.core.exports import ENCRYPTED_FORMATS, written_note
    from app.services.transfer import ExportTarget, export_text, save_export

    if args.output is None and sys.stdout.isatty():
        raise Exit(
            USAGE,
            "Not writing every password to the terminal: name a file with -o, or redirect "
            "standard output.",
        )
    backend = ctx.backend
    session = open_session(args, ctx)
    if ctx.remembered_unlocked or ctx.borrowed:  # open already: the master password all the same
        if args.no_input:
            raise Exit(LOCKED, "An export asks for the master password (--no-input).")
        try:
            backend.accounts().check_master_password(
                session, read_master_password(session.username)
            )
        except LoginFailed as refusal:
            raise Exit(REFUSED, refusal.message) from None
    password = ""
    if args.format in ENCRYPTED_FORMATS:
        if args.no_input:
            raise Exit(LOCKED, "An encrypted export asks for the file's password (--no-input).")
        password = read_secret(
            "Password for the export file: ",
            Exit(USAGE, "No password for the export file on standard input."),
            confirm="The same password again: ",
        )
    result = export_text(
        backend.vault(), session, args.format, settings=backend.settings, password=password
    )
    path = None if args.output is None else Path(args.output)
    if path is None:
        write_out(result.text)
    try:
        save_export(backend.security_log(), session, result, args.format, path, replace=args.force)
    except ExportTarget as refused:
        more = " --force replaces it." if refused.exists else ""
        raise Exit(USAGE, refused.message + more) from None
    where = "standard output" if path is None else args.output
    left = f" ({result.damaged} damaged items left out)" if result.damaged else ""
    note = written_note(args.format)
    print(f"Exported {result.count} items to {visible_text(where)}{left}. {note}", file=sys.stderr)
    return DONE


def write_out(text: str) -> None:
    """``text`` on standard output, flushed before the success message: a full disk is the
    command line's one line and exit (app.cli.quick.Output), with no "Exported" said."""
    sys.stdout.write(text)
    sys.stdout.flush()


def import_file(args: argparse.Namespace, ctx: Context) -> int:
    """Another manager's export into the vault: read it all, say what it holds, then write
    every item in one transaction (or none)."""
    from app.core.formats import FileMissing, ImportFailed, WrongFilePassword
    from app.services.transfer import import_parsed, read_file

    session = open_session(args, ctx)

    def ask(prompt: str) -> str:
        if args.no_input:
            raise Exit(LOCKED, "The file is encrypted and --no-input forbids asking.")
        return read_secret(prompt, Exit(USAGE, "No password for the file on standard input."))

    try:
        parsed = read_file(Path(args.file), ask, args.format)
    except ImportFailed as error:
        code = (
            NOT_FOUND
            if isinstance(error, FileMissing)
            else REFUSED
            if isinstance(error, WrongFilePassword)
            else USAGE
        )
        raise Exit(code, error.message) from None
    # A hostile file may skip every entry: a few reasons show what is wrong, the rest are
    # counted (a dry run, which writes nothing, lists every one).
    shown = parsed.skipped if args.dry_run else parsed.skipped[:SHOWN_SKIPPED]
    for skipped in shown:
        line = f"Skipped {skipped.where}: {skipped.reason}"
        print(visible_text(line[:LINE] + ("…" if len(line) > LINE else "")), file=sys.stderr)
    if len(shown) < len(parsed.skipped):
        more = len(parsed.skipped) - len(shown)
        print(f"… and {more} more skipped (--dry-run lists every one).", file=sys.stderr)
    print(
        f"Read {parsed.counts()} from {visible_text(args.file)} ({parsed.format}).",
        file=sys.stderr,
    )
    if parsed.adjusted:
        print(parsed.adjusted_note(), file=sys.stderr)
    if args.dry_run:
        return DONE

    def progress(done: int, total: int) -> None:
        if sys.stderr.isatty():
            print(f"\rSealing {done}/{total}…", end="", file=sys.stderr, flush=True)

    backend = ctx.backend
    with InterruptUntilCommit() as commit:
        added, already = import_parsed(
            backend.vault(), backend.security_log(), session, parsed, progress, commit
        )
        if sys.stderr.isatty() and added:
            print(file=sys.stderr)
        there = f"; {already} were already in the vault" if already else ""
        print(f"Imported {added} items{there}.", file=sys.stderr)
    return DONE


class InterruptUntilCommit:
    """Ctrl-C cancels an import (rolled back, nothing added) until its commit begins. From then
    on the items are in, or the commit failed on its own: Ctrl-C waits until that is said, and
    is ignored for the rest of the command (its last moments: the import is written and said),
    so an import is never reported interrupted once it is written. (A try the database asks to
    run again takes Ctrl-C again, and one that waited cancels it.) Once Ctrl-C has cancelled,
    a second one is ignored while the import rolls back and the command ends."""

    def __init__(self) -> None:
        self._holding = False
        self._pressed = False
        self._before: object = None

    def writing(self) -> None:
        self._holding = False
        if self._pressed:
            self._pressed = False
            raise KeyboardInterrupt

    def committing(self) -> None:
        self._holding = True

    def _interrupt(self, signum: int, frame: FrameType | None) -> None:
        if not self._holding:
            # Cancelled: the rest is the rollback and the way out, which a second Ctrl-C
            # would only break into (a traceback from whatever cleanup it landed in).
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            raise KeyboardInterrupt
        self._pressed = True

    def __enter__(self) -> InterruptUntilCommit:
        if threading.current_thread() is threading.main_thread():
            self._before = signal.signal(signal.SIGINT, self._interrupt)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._before is None:
            return
        if self._holding or isinstance(error, KeyboardInterrupt):
            # Written and said, or cancelled: the command has nothing left to interrupt
            # (SIG_IGN, which Python keeps even while it shuts down).
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        else:
            signal.signal(signal.SIGINT, self._before)  # type: ignore[arg-type]

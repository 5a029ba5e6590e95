"""`strongroom COMMAND`: the vault from scripts, on the same services as the full-screen app.

No Textual here: a command imports the settings, the services it needs and nothing else.
It unlocks the way the app does: with this device's remembered session, or, when that is
locked or missing, with the master password read from the terminal (or from the first line
of standard input when that is not a terminal; never from argv or the environment), counted
by the same throttle as the app's logins.

Exit codes: 0 done, 1 not found, 2 usage, 3 ambiguous, 4 locked or logged out (with
``--no-input``, or no account), 5 database unavailable, 6 wrong password or throttled.
Errors are one line on standard error; a secret is only ever written to standard output.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from app.core.errors import DatabaseUnavailable, LoginFailed, UserError, ValidationError
from app.core.format_names import EXPORT_FORMATS, IMPORT_FORMATS
from app.core.text import visible_text

if TYPE_CHECKING:
    from pathlib import Path

    from app.core.accounts import ActiveSession
    from app.core.config import Settings
    from app.core.items import Item
    from app.services.backend import Backend

DONE, NOT_FOUND, USAGE, AMBIGUOUS, LOCKED, UNAVAILABLE, REFUSED = range(7)

# The exit code of each failure the services report, most specific first.
ERROR_CODES: tuple[tuple[type[UserError], int], ...] = (
    (DatabaseUnavailable, UNAVAILABLE),
    (ValidationError, USAGE),  # what was given for an item, or a generator option
    (LoginFailed, REFUSED),  # LoginThrottled too
    (UserError, NOT_FOUND),
)

FIELDS = ("password", "username", "url", "notes", "totp", "title")


class Exit(Exception):
    """Stop with this exit code and one line for standard error."""

    def __init__(self, code: int, message: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def build_parser() -> argparse.ArgumentParser:
    """`strongroom`'s parser: the app's options and every command's."""
    from pathlib import Path

    from app import __version__

    parser = argparse.ArgumentParser(
        prog="strongroom",
        description="A full-screen terminal password manager: with no command, the app; with "
        "one, that command for scripts.",
        epilog="The database is SQLite by default; set database_url in the config file or "
        "STRONGROOM_DATABASE_URL for MariaDB. Secrets are never taken on the command line.",
    )
    parser.add_argument("--version", action="version", version=f"strongroom {__version__}")
    parser.add_argument(
        "--config-dir",
        type=Path,
        help="use this folder for config.toml and the saved login (default: the platform's)",
    )
    parser.add_argument(
        "--data-dir", type=Path, help="use this folder for the SQLite database and the log"
    )
    add_commands(parser)
    return parser


def add_commands(parser: argparse.ArgumentParser) -> None:
    """The subcommands, on the `strongroom` parser (no subcommand opens the app)."""
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help)
        sub.add_argument(
            "--no-input",
            action="store_true",
            help="fail (exit 4) instead of asking for the master password",
        )
        return sub

    get = command("get", "print one item's field (its password by default)")
    get.add_argument("query", help="a title, words to search for, or id:N")
    get.add_argument(
        "--field",
        "-f",
        default="password",
        help=f"one of {', '.join(FIELDS)}, or a custom field's name",
    )
    get.add_argument("--json", action="store_true", help="the whole item as JSON")
    get.add_argument("-n", action="store_true", help="no newline after the value")

    ls = command("ls", "list titles, usernames and URLs (never a password)")
    ls.add_argument("query", nargs="?", default="", help="only items matching this search")
    ls.add_argument("--tag", action="append", default=[], help="only items with this tag")
    ls.add_argument("--json", action="store_true", help="as JSON")

    totp = command("totp", "print an item's current TOTP code (seconds left on stderr)")
    totp.add_argument("query", help="a title, words to search for, or id:N")

    add = command("add", "add an item; its password is asked for, or generated")
    add.add_argument("title")
    item_options(add)

    edit = command("edit", "change an item: only what the options name")
    edit.add_argument("query", help="a title, words to search for, or id:N")
    edit.add_argument("--title", help="a new title")
    edit.add_argument("--password", action="store_true", help="ask for a new password")
    item_options(edit)

    rm = command("rm", "move an item to the trash (the app restores it for 30 days)")
    rm.add_argument("query", help="a title, words to search for, or id:N")

    generate = commands.add_parser("generate", help="print a new password (no account needed)")
    generate.add_argument("--length", type=int, default=20, help="characters (8-128)")
    generate.add_argument("--words", type=int, help="a passphrase of this many words instead")
    generate.add_argument("--no-symbols", action="store_true", help="letters and digits only")

    importing = command(
        "import",
        "bring in another manager's export (the format is found from the file)",
    )
    importing.add_argument(
        "file", help="the export file (a pass store: its folder, usually ~/.password-store)"
    )
    importing.add_argument(
        "--format", choices=IMPORT_FORMATS, help="read the file as this format, not the one found"
    )
    importing.add_argument(
        "--dry-run", action="store_true", help="read the file and say what it holds; write nothing"
    )

    exporting = command(
        "export",
        "write the vault for another manager to import (asks for the master password first)",
    )
    exporting.add_argument(
        "--format",
        required=True,
        choices=EXPORT_FORMATS,
        help="Bitwarden's password-protected JSON (asks for the file's password), Bitwarden "
        "JSON, KeePass 2 XML (keepassxc-cli import) or KeePassXC CSV",
    )
    exporting.add_argument(
        "-o",
        "--output",
        help="the file to write, created owner-only (standard output when it is not a terminal)",
    )
    exporting.add_argument("--force", action="store_true", help="replace the file if it exists")

    helper = command(
        "git-credential",
        "git's credential helper "
        "(git config --global credential.helper 'strongroom git-credential')",
    )
    helper.add_argument(
        "action",
        choices=["get", "store", "erase"],
        help="get: answer from the item whose URL has git's host; store: save what git used "
        "(a new item, or the item's new password); erase: move a rejected one to the trash",
    )

    shells = commands.add_parser(
        "completion",
        help="print the shell completion script for bash, zsh or fish (see the README)",
        description="Print the completion script for a shell.",
    )
    shells.add_argument("shell", choices=["bash", "zsh", "fish"])
    shells.set_defaults(root=parser)

    schema = commands.add_parser(
        "db", help="the database's schema", description="Upgrade the database's schema."
    )
    schema.add_argument(
        "action",
        choices=["upgrade"],
        help="upgrade: bring the schema to this version's (for clusters that upgrade it as a "
        "deploy step, with migrate_on_start = false)",
    )

    commands.add_parser(
        "agent",
        help="keep the services warm for the read commands (started by them; see the README)",
        description="Answer get, ls, totp and status from a warm process until idle or locked.",
    )

    command("status", "who is logged in on this device, locked or not, which database")
    command("lock", "lock the vault on this device (the session stays)")
    command("unlock", "unlock the vault on this device with the master password")
    command("logout", "end this device's session")


def item_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--username", "-u", help="the item's username")
    parser.add_argument("--url", action="append", help="a URL (repeat for several)")
    parser.add_argument("--tag", action="append", help="a tag (repeat for several)")
    made = parser.add_mutually_exclusive_group()
    made.add_argument(
        "--generate",
        nargs="?",
        const=20,
        type=int,
        metavar="LENGTH",
        help="a generated password (20 characters unless LENGTH)",
    )
    made.add_argument("--words", type=int, metavar="N", help="a generated passphrase of N words")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Run the subcommand in ``args``; the exit code."""
    try:
        if args.command == "generate":
            return generate(args)
        if args.command == "db":
            return upgrade_database(settings)
        if args.command == "completion":
            from app.completion import script

            sys.stdout.write(script(args.shell, args.root, FIELDS))
            return DONE
        from app import agent, quick

        if args.command == "agent":
            return agent.serve(settings)
        # (app.quick has already offered a read command to a running agent.)
        use_agent = settings.command_line_agent and args.command in quick.COMMANDS
        from app.services.backend import Backend

        backend = Backend(settings, device_label="command line")
        try:
            code = run_command(args, backend)
        finally:
            backend.close()
        if use_agent and code == DONE and _remembered_unlocked:
            agent.start(settings)  # the next read is answered warm
        return code
    except (Exit, UserError) as error:
        return reported(error)
    except KeyboardInterrupt:
        print("", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`| head`): nothing more to say, and nowhere to say it.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


def run_command(args: argparse.Namespace, backend: Backend) -> int:
    """One command on ``backend`` (here, or in the agent): its exit code; a failure is one
    line on standard error."""
    try:
        return COMMANDS[args.command](args, backend)
    except (Exit, UserError) as error:
        return reported(error)


def reported(error: Exit | UserError) -> int:
    """Say what went wrong in one line on standard error; the exit code that goes with it."""
    if error.message:
        print(f"strongroom: {visible_text(error.message)}", file=sys.stderr)
    if isinstance(error, Exit):
        return error.code
    return next(code for kind, code in ERROR_CODES if isinstance(error, kind))


# -- the vault's items, listed once per change -----------------------------------------------

# Said in the security log after a read the agent answered (app/agent.py sets it).
ANSWERED_BY = ""
# Whether this process found the vault unlocked by the remembered session (then the agent,
# which can only use that, may start). Set by open_session.
_remembered_unlocked = False
_listed: tuple[tuple[int, bytes, tuple[int, int, int]], list[Item]] | None = None
# What ls printed for that list (the agent answers a repeated ls without rendering it again).
_rendered: dict[tuple[object, ...], str] = {}


def vault_items(backend: Backend, session: ActiveSession) -> list[Item]:
    """The live items; listed again only when the vault's fingerprint has moved (in the
    agent, that spares opening 10,000 titles for every request)."""
    global _listed
    vault = backend.vault()
    mark = (session.user_id, session.vault_key, vault.fingerprint(session))
    if _listed is None or _listed[0] != mark:
        _listed = (mark, vault.list_items(session))
        _rendered.clear()
    return _listed[1]


def forget_items() -> None:
    global _listed
    _listed = None
    _rendered.clear()


# -- unlocking -------------------------------------------------------------------------------


def read_secret(prompt: str, missing: Exit, *, confirm: str = "") -> str:
    """From the terminal without echo (typed twice when ``confirm`` is given); when stdin is
    piped, its next line, and ``missing`` when there is none."""
    if sys.stdin is not None and sys.stdin.isatty():
        import getpass

        typed = getpass.getpass(prompt)
        if confirm and getpass.getpass(confirm) != typed:
            raise Exit(USAGE, "The two passwords do not match; nothing was saved.")
        return typed
    line = sys.stdin.readline() if sys.stdin is not None else ""
    if not line:
        raise missing
    return line.rstrip("\r\n")


def read_master_password(username: str, *, stdin: bool = True) -> str:
    """The master password: typed on the terminal, or (``stdin``) the first line of a piped
    standard input. Without ``stdin`` (standard input is another program's, git's say) only
    the terminal is asked, and without one the vault stays locked (exit 4)."""
    prompt = f"Master password for {visible_text(username)}: "
    if not stdin:
        if not has_terminal():
            raise Exit(LOCKED, "The vault is locked and there is no terminal to ask on.")
        import getpass

        return getpass.getpass(prompt)  # from /dev/tty, whatever standard input is
    return read_secret(prompt, Exit(LOCKED, "No master password on standard input."))


def has_terminal() -> bool:
    import os

    try:
        os.close(os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY))
    except OSError:
        return False
    return True


def generated(*, length: int, words: int | None, symbols: bool = True) -> str:
    """A new password (or a passphrase of ``words`` words); options it cannot meet exit 2."""
    from app.core.generator import (
        GeneratorError,
        PassphraseOptions,
        PasswordOptions,
        generate_passphrase,
        generate_password,
    )

    try:
        if words is not None:
            return generate_passphrase(PassphraseOptions(words=words))
        return generate_password(PasswordOptions(length=length, symbols=symbols))
    except GeneratorError as error:
        raise Exit(USAGE, error.message) from None


def new_password(args: argparse.Namespace, title: str) -> str:
    """An item's new password: generated when asked for, else read (see read_secret)."""
    if args.words is not None or args.generate is not None:
        return generated(length=args.generate or 0, words=args.words)
    missing = Exit(USAGE, "No password on standard input (or use --generate).")
    return read_secret(
        f"Password for {visible_text(title)}: ", missing, confirm="Again, to confirm: "
    )


def open_session(
    args: argparse.Namespace, backend: Backend, *, stdin: bool = True
) -> ActiveSession:
    """This device's session, unlocked: remembered, or opened with the master password for
    this command only (a locked session stays locked). ``stdin``: see read_master_password."""
    accounts = backend.accounts()
    state = accounts.startup()
    session = state.session
    if session is not None and session.vault_key:
        global _remembered_unlocked
        _remembered_unlocked = True
        return session
    if not state.has_accounts:
        raise Exit(LOCKED, "No account yet: run strongroom to create one.")
    if session is None:
        username = backend.login_hint()
        if username is None:
            raise Exit(LOCKED, "Not logged in on this device: run strongroom to log in.")
        if args.no_input:
            raise Exit(LOCKED, f"Not logged in as {username} on this device (--no-input).")
        password = read_master_password(username, stdin=stdin)
        return accounts.login(username, password, remember=False)
    return unlock_with_password(args, backend, session, keep_unlocked=False, stdin=stdin)


def unlock_with_password(
    args: argparse.Namespace,
    backend: Backend,
    session: ActiveSession,
    *,
    keep_unlocked: bool,
    stdin: bool = True,
) -> ActiveSession:
    """Ask for the master password and open ``session``'s vault: for this command only, or
    (``keep_unlocked``) for this device, as unlocking in the app does."""
    if args.no_input:
        raise Exit(LOCKED, "The vault is locked (--no-input).")
    password = read_master_password(session.username, stdin=stdin)
    session_id = session.session_id if keep_unlocked else None
    try:
        return backend.accounts().unlock(session.user_id, session_id, password)
    except UserError as error:  # a wrong password on unlock is a refusal, as at the login
        raise Exit(REFUSED, error.message) from None


def this_device(backend: Backend) -> ActiveSession | None:
    """This device's remembered session, locked or not (None when logged out)."""
    return backend.accounts().startup().session


# -- finding items ---------------------------------------------------------------------------


def find(items: list[Item], query: str) -> Item:
    """The one item ``query`` names: ``id:N``, an exact title, or the only search match.

    Only titles are open when the vault is listed; an item's ``error`` opens all its fields,
    so it is asked of the matches alone (asking it of 10,000 items cost 0.8 s)."""
    live = [item for item in items if not item.damage]
    if query.startswith("id:"):
        wanted = query[3:]
        match = [item for item in live if str(item.id) == wanted]
    else:
        match = [item for item in live if item.title == query]
        if not match:
            folded = query.casefold()
            match = [item for item in live if item.title.casefold() == folded]
        if not match:
            from app.core.search import Index

            match = Index(live).search(query)
    match = [item for item in match if not item.error]
    if not match:
        raise Exit(NOT_FOUND, f"No item matches {query!r}.")
    if len(match) > 1:
        lines = [f"{len(match)} items match {query!r}; name one with id:N:"]
        lines += [
            f"  id:{item.id}\t{visible_text(item.title)}\t{visible_text(item.username)}"
            for item in match
        ]
        raise Exit(AMBIGUOUS, "\n".join(lines))
    return match[0]


def open_item(args: argparse.Namespace, backend: Backend) -> tuple[ActiveSession, Item]:
    """The unlocked session and the one item ``args.query`` names."""
    session = open_session(args, backend)
    return session, find(vault_items(backend, session), args.query)


def as_json(item: Item) -> dict[str, object]:
    return {
        "id": item.id,
        "title": item.title,
        "username": item.username,
        "password": item.password,
        "urls": list(item.urls),
        "notes": item.notes,
        "tags": list(item.tags),
        "totp": item.totp,
        "fields": [{"name": f.name, "value": f.value, "secret": f.secret} for f in item.fields],
        "favourite": item.favourite,
        "updated_at": item.updated_at.isoformat() if item.updated_at else None,
    }


def totp_code(item: Item) -> tuple[str, int]:
    import time

    from app.core.totp import TotpError, totp_now

    if not item.totp:
        raise Exit(NOT_FOUND, f"{item.title!r} has no TOTP secret.")
    try:
        return totp_now(item.totp, time.time())
    except TotpError as error:
        raise Exit(NOT_FOUND, f"{item.title!r} has no usable TOTP secret: {error}") from None


# -- the commands ----------------------------------------------------------------------------


def get(args: argparse.Namespace, backend: Backend) -> int:
    session, item = open_item(args, backend)
    custom = None
    if args.field not in FIELDS and not args.json:
        custom = item.field_named(args.field)
        if custom is None:
            names = ", ".join([*FIELDS, *(repr(f.name) for f in item.fields)])
            raise Exit(NOT_FOUND, f"{item.title!r} has no field {args.field!r}; it has {names}.")
    # A custom field's name is the item's own text: the log says only that one was read.
    field = "all fields" if args.json else "a custom field" if custom else args.field
    backend.security_log().record(
        "item_read", session.username, f"item {item.id}, {field}{ANSWERED_BY}"
    )
    if args.json:
        # ensure_ascii: an escape sequence in a field is printed as \\u001b, never raw.
        print(json.dumps(as_json(item), ensure_ascii=True, indent=2))
        return DONE
    if custom is not None:
        value = custom.value
    elif args.field == "totp":
        value = totp_code(item)[0]
    elif args.field == "url":
        value = item.urls[0] if item.urls else ""
    else:
        value = getattr(item, args.field)
    sys.stdout.write(value if args.n else value + "\n")  # exactly as stored
    return DONE


def ls(args: argparse.Namespace, backend: Backend) -> int:
    session = open_session(args, backend)
    # What ls prints, and nothing secret: an item whose secrets are damaged is still listed.
    items = [
        item for item in vault_items(backend, session) if not (item.damage or item.shown.error)
    ]
    if args.query:
        from app.core.search import Index

        items = Index(items).search(args.query)
    for tag in args.tag:
        items = [item for item in items if tag.casefold() in (t.casefold() for t in item.tags)]
    backend.security_log().record(
        "items_listed", session.username, f"{len(items)} items{ANSWERED_BY}"
    )
    if args.json:
        rows = [
            {"id": i.id, "title": i.title, "username": i.username, "urls": list(i.urls)}
            for i in items
        ]
        print(json.dumps(rows, ensure_ascii=True, indent=2))
        return DONE
    key = ("ls", args.query, tuple(args.tag))
    text = _rendered.get(key)
    if text is None:
        lines = []
        for item in items:
            url = item.urls[0] if item.urls else ""
            lines.append("\t".join(visible_text(part) for part in (item.title, item.username, url)))
        text = _rendered[key] = "".join(line + "\n" for line in lines)
    sys.stdout.write(text)
    return DONE


def totp(args: argparse.Namespace, backend: Backend) -> int:
    session, item = open_item(args, backend)
    code, remaining = totp_code(item)
    backend.security_log().record(
        "item_read", session.username, f"item {item.id}, totp{ANSWERED_BY}"
    )
    print(code)
    print(f"{remaining} s left", file=sys.stderr)
    return DONE


def add(args: argparse.Namespace, backend: Backend) -> int:
    from app.core.items import ItemDraft

    session = open_session(args, backend)  # the master password, when asked, comes first
    draft = ItemDraft(
        title=args.title,
        username=args.username or "",
        password=new_password(args, args.title),
        urls=tuple(args.url or ()),
        tags=tuple(args.tag or ()),
    )
    item = backend.vault().add(session, draft)
    record_write(backend, session, "item_added", item.id, "add")
    print(f"Added {visible_text(item.title)!r} (id:{item.id}).", file=sys.stderr)
    return DONE


def edit(args: argparse.Namespace, backend: Backend) -> int:
    from dataclasses import replace

    from app.core.errors import EditConflict

    session, item = open_item(args, backend)
    draft = item.draft()
    changes: dict[str, object] = {}
    if args.title is not None:
        changes["title"] = args.title
    if args.username is not None:
        changes["username"] = args.username
    if args.url is not None:
        changes["urls"] = tuple(args.url)
    if args.tag is not None:
        changes["tags"] = tuple(args.tag)
    if args.password or args.generate is not None or args.words is not None:
        changes["password"] = new_password(args, item.title)
    if not changes:
        raise Exit(USAGE, "Nothing to change: name what to change (see strongroom edit -h).")
    try:
        saved = backend.vault().update(session, item.id, item.version, replace(draft, **changes))  # type: ignore[arg-type]
    except EditConflict:
        raise Exit(NOT_FOUND, "The item changed meanwhile on another device; try again.") from None
    record_write(backend, session, "item_changed", saved.id, "edit")
    print(f"Saved {visible_text(saved.title)!r} (id:{saved.id}).", file=sys.stderr)
    return DONE


def rm(args: argparse.Namespace, backend: Backend) -> int:
    session, item = open_item(args, backend)
    backend.vault().trash(session, item.id)
    record_write(backend, session, "item_trashed", item.id, "rm")
    print(f"Moved {visible_text(item.title)!r} to the trash (id:{item.id}).", file=sys.stderr)
    return DONE


def record_write(
    backend: Backend, session: ActiveSession, event: str, item_id: int, command: str
) -> None:
    """A change made from the command line, in the security log: by item id, never by title."""
    backend.security_log().record(event, session.username, f"item {item_id}, {command}")


def generate(args: argparse.Namespace) -> int:
    print(generated(length=args.length, words=args.words, symbols=not args.no_symbols))
    return DONE


def export(args: argparse.Namespace, backend: Backend) -> int:
    """The whole vault (trash and password history too) in another manager's format."""
    from pathlib import Path

    from app.core.exports import ENCRYPTED_FORMATS, written_note
    from app.services.transfer import export_text

    if args.output is None and sys.stdout.isatty():
        raise Exit(
            USAGE,
            "Not writing every password to the terminal: name a file with -o, or redirect "
            "standard output.",
        )
    session = open_session(args, backend)
    if _remembered_unlocked:  # the vault was open: the master password is asked all the same
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
    where = "standard output"
    if args.output is None:
        sys.stdout.write(result.text)
    else:
        where = args.output
        write_private(Path(args.output), result.text, replace=args.force)
    detail = f"{result.count} items, {args.format}"
    backend.security_log().record("vault_exported", session.username, detail)
    left = f" ({result.damaged} damaged items left out)" if result.damaged else ""
    note = written_note(args.format)
    print(f"Exported {result.count} items to {visible_text(where)}{left}. {note}", file=sys.stderr)
    return DONE


def import_file(args: argparse.Namespace, backend: Backend) -> int:
    """Another manager's export into the vault: read it all, say what it holds, then write
    every item in one transaction (or none)."""
    from pathlib import Path

    from app.core.formats import FileMissing, ImportFailed, WrongFilePassword
    from app.services.transfer import import_parsed, read_file

    session = open_session(args, backend)

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
    for skipped in parsed.skipped:
        where, reason = visible_text(skipped.where), visible_text(skipped.reason)
        print(f"Skipped {where}: {reason}", file=sys.stderr)
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

    added, already = import_parsed(
        backend.vault(), backend.security_log(), session, parsed, progress
    )
    if sys.stderr.isatty() and added:
        print(file=sys.stderr)
    there = f"; {already} were already in the vault" if already else ""
    print(f"Imported {added} items{there}.", file=sys.stderr)
    return DONE


def write_private(path: Path, text: str, *, replace: bool) -> None:
    """Create ``path`` readable by its owner alone; an existing file only with ``replace``."""
    from app.core.files import write_new_private_file

    try:
        write_new_private_file(path, text, replace=replace)
    except FileExistsError:
        raise Exit(USAGE, f"{path} exists; --force replaces it.") from None
    except OSError as error:
        raise Exit(USAGE, f"{path} cannot be written: {error.strerror}.") from None


def git_credential(args: argparse.Namespace, backend: Backend) -> int:
    """git's credential helper: standard input is git's request (git-credential(1))."""
    from app.core.credential import CredentialError, parse_request, reply, serves

    try:
        request = parse_request(sys.stdin.read() if sys.stdin is not None else "")
    except CredentialError as error:
        raise Exit(USAGE, str(error)) from None
    session = open_session(args, backend, stdin=False)  # stdin was git's
    vault = backend.vault()
    listed = [item for item in vault_items(backend, session) if not item.damage]
    matches = [item for item in listed if serves(item, request) and not item.error]
    where = visible_text(request.host)
    if len(matches) > 1 and args.action != "erase":
        lines = [f"{len(matches)} items are for {where}; git's username picks one:"]
        lines += [f"  id:{item.id}\t{visible_text(item.title)}" for item in matches]
        raise Exit(AMBIGUOUS, "\n".join(lines))
    log = backend.security_log()
    if args.action == "get":
        if not matches:
            raise Exit(NOT_FOUND, f"No item is for {where}.")
        item = matches[0]
        try:
            answer = reply(item.username, item.password)
        except CredentialError as error:
            raise Exit(NOT_FOUND, str(error)) from None
        log.record("item_read", session.username, f"item {item.id}, git credential")
        sys.stdout.write(answer)
        return DONE
    if args.action == "store":
        if not request.password:
            return DONE
        if not matches:
            from app.core.items import ItemDraft

            draft = ItemDraft(request.host, request.username, request.password, urls=(request.url,))
            item = vault.add(session, draft)
            record_write(backend, session, "item_added", item.id, "git credential")
            print(f"Saved git's login for {where} as id:{item.id}.", file=sys.stderr)
        elif matches[0].password != request.password:
            from dataclasses import replace

            item = matches[0]
            vault.update(
                session, item.id, item.version, replace(item.draft(), password=request.password)
            )
            record_write(backend, session, "item_changed", item.id, "git credential")
            print(f"Saved git's new password for {where} (id:{item.id}).", file=sys.stderr)
        return DONE
    # erase: git was refused with this password; the items holding it go to the trash (30
    # days restorable), never one with another password.
    for item in matches:
        if request.password and item.password == request.password:
            vault.trash(session, item.id)
            record_write(backend, session, "item_trashed", item.id, "git credential")
            print(f"git was refused: moved id:{item.id} to the trash.", file=sys.stderr)
    return DONE


def upgrade_database(settings: Settings) -> int:
    """`strongroom db upgrade`: safe to run from several places at once (see upgrade_schema)."""
    from app.services.database import (
        create_database_engine,
        database_errors,
        describe_url,
        upgrade_schema,
    )

    target = describe_url(settings.database_url)
    with database_errors(target):
        engine = create_database_engine(settings.database_url)
        try:
            before, after = upgrade_schema(engine)
        finally:
            engine.dispose()
    if before == after:
        print(f"The schema of {visible_text(target)} is up to date ({after}).")
    else:
        print(
            f"Upgraded the schema of {visible_text(target)} from {before or 'nothing'} to {after}."
        )
    return DONE


def status(args: argparse.Namespace, backend: Backend) -> int:
    from app.services.database import describe_url

    print(f"database: {describe_url(backend.settings.database_url)}")
    session = this_device(backend)
    if session is None:
        hint = backend.login_hint()
        print(f"not logged in{f' (last: {visible_text(hint)})' if hint else ''}")
        return LOCKED
    state = "unlocked" if session.vault_key else "locked"
    count = backend.vault().fingerprint(session)[0]
    print(f"user: {visible_text(session.username)}, {state}")
    print(f"items: {count}")
    return DONE


def lock(args: argparse.Namespace, backend: Backend) -> int:
    session = this_device(backend)
    if session is None:
        raise Exit(LOCKED, "Not logged in on this device.")
    if session.vault_key:
        backend.accounts().lock(session)
    print("Locked.", file=sys.stderr)
    return DONE


def unlock(args: argparse.Namespace, backend: Backend) -> int:
    session = this_device(backend)
    if session is None:
        raise Exit(LOCKED, "Not logged in on this device: run strongroom to log in.")
    if session.vault_key:
        print("Already unlocked.", file=sys.stderr)
        return DONE
    unlock_with_password(args, backend, session, keep_unlocked=True)
    print("Unlocked.", file=sys.stderr)
    return DONE


def logout(args: argparse.Namespace, backend: Backend) -> int:
    session = this_device(backend)
    if session is None:
        raise Exit(LOCKED, "Not logged in on this device.")
    backend.accounts().logout(session)
    print("Logged out.", file=sys.stderr)
    return DONE


COMMANDS: dict[str, Callable[[argparse.Namespace, Backend], int]] = {
    "export": export,
    "import": import_file,
    "git-credential": git_credential,
    "get": get,
    "ls": ls,
    "totp": totp,
    "add": add,
    "edit": edit,
    "rm": rm,
    "status": status,
    "lock": lock,
    "unlock": unlock,
    "logout": logout,
}

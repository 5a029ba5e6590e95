"""`strongroom`'s parser: the app's options and every command's.

Commands, options and their help live here alone; completion (:mod:`app.cli.completion`) and
the agent read them from this parser, so they never drift from it.
"""

from __future__ import annotations

import argparse

from app.core.format_names import EXPORT_FORMATS, IMPORT_FORMATS

FIELDS = ("password", "username", "url", "notes", "totp", "title")


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
    get.add_argument(
        "-c",
        "--clip",
        action="store_true",
        help="copy the field to the clipboard instead of printing it, and clear it after "
        "clipboard_clear_seconds (wl-copy, xclip, or the terminal's OSC 52)",
    )

    show = command("show", "print a whole item (secrets and notes masked unless --reveal)")
    show.add_argument("query", help="a title, words to search for, or id:N")
    show.add_argument(
        "--reveal",
        action="store_true",
        help="print the password, TOTP, secret fields and notes too",
    )
    show.add_argument(
        "--field-names",
        action="store_true",
        help="print only the names of its custom fields, a line each (for shell completion)",
    )

    ls = command("ls", "list titles, usernames and URLs (never a password)")
    ls.add_argument("query", nargs="?", default="", help="only items matching this search")
    ls.add_argument("--tag", action="append", default=[], help="only items with this tag")
    ls.add_argument("--json", action="store_true", help="as JSON")

    totp = command("totp", "print an item's current TOTP code (seconds left on stderr)")
    totp.add_argument("query", help="a title, words to search for, or id:N")

    add = command("add", "add an item; its password is asked for, or generated")
    add.add_argument("title")
    item_options(add, editing=False)

    edit = command("edit", "change an item: only what the options name")
    edit.add_argument("query", help="a title, words to search for, or id:N")
    edit.add_argument("--title", help="a new title")
    edit.add_argument("--password", action="store_true", help="ask for a new password")
    item_options(edit, editing=True)

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
        "JSON, KeePass 2 XML (keepassxc-cli import) or KeePassXC CSV. A CSV opened in a "
        "spreadsheet can run a value as a formula: values starting with = + - @ get a ' in "
        "front (Strongroom's import takes it away, KeePassXC keeps it); KeePass XML is the "
        "safe choice",
    )
    exporting.add_argument(
        "-o",
        "--output",
        help="the file to write, created owner-only (standard output when it is not a terminal)",
    )
    exporting.add_argument("--force", action="store_true", help="replace the file if it exists")

    health = command(
        "health",
        "which passwords to change first: breached, reused, weak, common, unsecured, no 2FA, "
        "old (never prints a password; exit 7 when something is found)",
    )
    health.add_argument(
        "--breach-list",
        metavar="PATH",
        help="Have I Been Pwned's SHA-1 list: the sorted file or the folder of range files "
        "haveibeenpwned-downloader writes (default: breach_list in config.toml)",
    )
    health.add_argument(
        "--2fa-list",
        dest="two_factor_list",
        metavar="TOTP_JSON",
        help="2fa.directory's totp.json (https://api.2fa.directory/v3/totp.json): flag items "
        "without a TOTP secret on sites that offer one",
    )
    health.add_argument(
        "--only",
        type=health_kinds,
        metavar="KINDS",
        help="only these kinds, comma-separated: breached, reused, weak, common, unsecured, "
        "no-2fa, old",
    )
    health.add_argument(
        "--json", action="store_true", help="an object per item with findings, by id"
    )
    health.add_argument(
        "--csv",
        metavar="FILE",
        help="also write the report (id, title, findings; no password) to FILE, owner-only",
    )
    health.add_argument("--force", action="store_true", help="replace the CSV file if it exists")
    health.add_argument(
        "action",
        nargs="?",
        choices=["build-index"],
        help="build-index: write a compact index of the sorted breach list (--breach-list, or "
        "breach_list in config.toml) to -o FILE; --breach-list and breach_list then take it",
    )
    health.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="build-index: the index to write, owner-only (default: the list's path + .idx)",
    )

    helper = command(
        "git-credential",
        "git's credential helper (git config --global credential.helper strongroom, which "
        "runs git-credential-strongroom)",
    )
    helper.add_argument(
        "action",
        choices=["get", "store", "erase"],
        help="get: answer from the item whose URL has git's protocol, host and port; store: "
        "save what git used (an item of git's, or its new password); erase: move a refused "
        "one that git stored to the trash (never an item you made)",
    )

    run = command(
        "run",
        "run a program with the sr://ITEM/FIELD references in its environment read from the "
        "vault, its output masked",
    )
    run.add_argument(
        "--env-file",
        action="append",
        default=[],
        metavar="FILE",
        help="also these NAME=VALUE lines (repeat for several: a later file wins, and every "
        "file wins over the environment)",
    )
    run.add_argument(
        "--no-masking",
        action="store_true",
        help="pass the program's output on untouched (secrets it prints are shown)",
    )
    run.add_argument(
        "program",
        nargs=argparse.REMAINDER,
        metavar="-- COMMAND ARGS",
        help="the program and its arguments, after --",
    )

    inject = command(
        "inject",
        "fill each {{ sr://ITEM/FIELD }} of a template from the vault",
    )
    inject.add_argument(
        "-i", "--input", metavar="TEMPLATE", help="the template (default: standard input)"
    )
    inject.add_argument(
        "-o",
        "--output",
        help="the file to write, created owner-only (standard output when it is not a terminal)",
    )
    inject.add_argument("--force", action="store_true", help="replace the file if it exists")

    ssh_commands(commands.add_parser("ssh", help="SSH keys in the vault, and their SSH agent"))

    log = commands.add_parser(
        "log",
        help="this device's security log, newest first (no account needed)",
        description="This device's security log, newest first: a warning (tampering, rollback, "
        "an accepted restore) starts with !!, a failed login with !, an unreadable line with ?.",
    )
    log.add_argument("-n", "--limit", type=int, default=20, help="entries shown (at most 5000)")
    log.add_argument("--json", action="store_true", help="a JSON object an entry")

    shells = commands.add_parser(
        "completion",
        help="print the shell completion script for bash, zsh or fish (see the README)",
        description="Print the completion script for a shell.",
    )
    shells.add_argument("shell", choices=["bash", "zsh", "fish"])
    shells.set_defaults(root=parser)

    schema = commands.add_parser("db", help="the database's schema; a restored database")
    schema.add_argument(
        "action",
        choices=["upgrade", "accept-restore"],
        help="upgrade: bring the schema to this version's (for clusters that upgrade it as a "
        "deploy step, with migrate_on_start = false); accept-restore: take a restored database "
        "as it is now (asks for the master password)",
    )

    agent = commands.add_parser(
        "agent",
        help="keep the services warm for the read commands (started by them; see the README)",
        description="Answer get, ls, totp and status from a warm process until idle or locked.",
    )
    # A session opened with the master password, handed over on standard input (app.cli.agent).
    agent.add_argument("--held", action="store_true", help=argparse.SUPPRESS)

    about = "create an account (asks for a username and a password)"
    register = commands.add_parser("register", help=about, description=about)
    register.add_argument("username", nargs="?", help="the new username (asked when missing)")
    register.add_argument(
        "--secret-key",
        action="store_true",
        help="protect it with a Secret Key as well (recommended for a shared database)",
    )

    login = commands.add_parser(
        "login",
        help="log in on this device (asks for your username and password)",
        description="Log in, as the app's login form does. Without --remember, nothing is "
        "kept on disk: a command asks for the master password (then the agent holds the key "
        "until auto_lock_minutes pass without a command).",
    )
    login.add_argument("username", nargs="?", help="your username (asked when missing)")
    login.add_argument(
        "--remember",
        action="store_true",
        help="keep this device logged in (and the vault unlocked) until strongroom logout, "
        "like the app's Remember me",
    )

    command("status", "who is logged in on this device, locked or not, which database")
    command("lock", "lock the vault on this device (the session stays)")
    command("unlock", "unlock the vault on this device with the master password")
    command("logout", "end this device's session")
    command("secret-key", "give the account a Secret Key (the vault key is replaced too)")


def health_kinds(text: str) -> frozenset[str]:
    """``--only``'s comma-separated kinds, or the usage error naming the unknown ones."""
    from app.core.health import parse_kinds

    try:
        return parse_kinds(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def item_options(parser: argparse.ArgumentParser, *, editing: bool) -> None:
    """What add and edit set. Secrets (the password, the TOTP secret, custom fields' values)
    and the notes are asked for, never taken from the command line."""
    parser.add_argument("--username", "-u", help="the item's username")
    parser.add_argument(
        "--url",
        action="append",
        help="a URL (repeat for several)" + ("; replaces the item's URLs" if editing else ""),
    )
    parser.add_argument(
        "--tag", action="append", help="add this tag (repeat for several)" if editing else
        "a tag (repeat for several)"
    )  # fmt: skip
    if editing:
        parser.add_argument(
            "--untag", action="append", metavar="TAG", help="remove this tag (repeat for several)"
        )
    parser.add_argument(
        "--notes",
        action="store_true",
        help="read the notes: the rest of standard input, or lines typed until Ctrl+D"
        + (" (none: removes them)" if editing else ""),
    )
    parser.add_argument(
        "--totp",
        action="store_true",
        help="ask for a TOTP secret or otpauth:// link, as for a password"
        + (" (empty: removes it)" if editing else ""),
    )
    parser.add_argument(
        "--field",
        action="append",
        metavar="NAME",
        help="a secret custom field: its value is asked for, as a password is (repeat for "
        "several)" + ("; an empty value removes it" if editing else ""),
    )
    parser.add_argument(
        "--favourite",
        action=argparse.BooleanOptionalAction,
        help="mark the item a favourite (or --no-favourite: not)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="save an empty password, or a title another item has",
    )
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


def ssh_commands(ssh: argparse.ArgumentParser) -> None:
    """`strongroom ssh ACTION`: key items and the SSH agent (app.cli.commands.ssh)."""
    actions = ssh.add_subparsers(dest="ssh_command", metavar="ACTION", required=True)
    generate = actions.add_parser("generate", help="make a new SSH key item; Ed25519 by default")
    generate.add_argument("title")
    generate.add_argument("--type", choices=("ed25519", "rsa", "ecdsa"), dest="key_type")
    importing = actions.add_parser("import", help="keep a private key file as an item")
    importing.add_argument("path", help="asks the key's passphrase when it has one")
    importing.add_argument("--title", help="the item's title (default: the file's name)")
    for sub in (generate, importing):
        sub.add_argument("--host", action="append", default=[], help="HOST[:PORT] it is for")
        sub.add_argument("--force", action="store_true", help="even if the title is taken")
    actions.add_parser("pubkey", help="print its authorized_keys line").add_argument("query")
    actions.add_parser("keys", help="list key items: bits, SHA256 fingerprint, title, type, hosts")
    agent = actions.add_parser("agent", help="start the SSH agent; print SSH_AUTH_SOCK=...")
    agent.add_argument("--foreground", action="store_true", help="serve here until stopped")
    actions.add_parser("approve", help="answer the SSH agent's waiting requests to use a key")
    for action in actions.choices.values():
        action.add_argument("--no-input", action="store_true", help="fail (exit 4), never ask")

"""``register`` and ``login``: an account from a terminal where the full-screen app cannot run
(a plain SSH session, a script), with the app's prompts, rules, throttle and messages.

Usernames are read as typed; passwords without echo from the terminal, or as lines of standard
input when it is not one (the password, then its confirmation). The services decide everything
else, exactly as for the app's forms: the strength check, a taken name, the login throttle, the
one message for a wrong name or password.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from app.cli.access import open_session
from app.cli.exits import DONE, USAGE, Exit
from app.cli.prompts import (
    asking_secret_key,
    interactive,
    read_line,
    read_master_password,
    read_secret,
)
from app.core.accounts import secret_key_by_default
from app.core.errors import ValidationError
from app.core.text import visible_text

if TYPE_CHECKING:
    import argparse

    from app.cli.context import Context
    from app.core.accounts import EmergencyKit

TRIES = 3  # on a terminal, a refused password is asked again (as passwd(1) does)


def register(args: argparse.Namespace, ctx: Context) -> int:
    # The database opens first: opened between the name and the password, it would leave a
    # password typed ahead echoed on the screen until the password prompt turned echo off.
    accounts = ctx.backend.accounts()
    username = args.username
    if username is None:
        username = read_line("Please enter a username: ", Exit(USAGE, "No username given."))
    for attempt in range(1, TRIES + 1):
        password = read_secret("Please enter a password: ", Exit(USAGE, "No password given."))
        confirm = read_secret(
            "Please confirm the password: ", Exit(USAGE, "The password was not confirmed.")
        )
        try:
            created = accounts.register(username, password, confirm, secret_key=args.secret_key)
        except ValidationError as refused:
            # The name is kept: only a refused password is asked again, and only of a person.
            if refused.field not in ("password", "confirm") or not interactive():
                raise
            if attempt == TRIES:
                raise
            print(visible_text(refused.message), file=sys.stderr)
            continue
        name = visible_text(created.username)
        print(f"Account {name} created.", file=sys.stderr)
        if created.kit is not None:
            show_kit(created.kit)
        elif secret_key_by_default(ctx.backend.settings.database_url):
            print("On a shared database, strongroom secret-key adds a Secret Key.", file=sys.stderr)
        print("Log in with your new password: strongroom login", file=sys.stderr)
        return DONE
    raise AssertionError("unreachable")  # pragma: no cover


def login(args: argparse.Namespace, ctx: Context) -> int:
    username = args.username
    if username is None:
        username = read_line("Please enter your username: ", Exit(USAGE, "No username given."))
    if not username.strip():
        raise Exit(USAGE, "Please enter your username.")
    password = read_secret("Please enter your password: ", Exit(USAGE, "No password given."))
    if not password:
        raise Exit(USAGE, "Please enter your password.")
    accounts = ctx.backend.accounts()
    kept = None if args.remember else accounts.startup().session
    session = asking_secret_key(
        lambda typed: accounts.login(username, password, remember=args.remember, secret_key=typed)
    )
    print(f"Welcome, {visible_text(session.username)}!", file=sys.stderr)
    if session.notice:
        print(visible_text(session.notice), file=sys.stderr)
    if args.remember:
        print("This device keeps you logged in until strongroom logout.", file=sys.stderr)
        if ctx.warm is not None:
            ctx.warm(ready=True)  # unlocked on this device: the first read is answered warm
    elif kept is not None:
        print(
            f"This device stays logged in as {visible_text(kept.username)}: commands use "
            "that session (strongroom login --remember replaces it).",
            file=sys.stderr,
        )
    else:
        print(
            "This device does not keep the session: a command asks for your master "
            "password, then not again until auto_lock_minutes pass without one (strongroom "
            "login --remember keeps it).",
            file=sys.stderr,
        )
    return DONE


def show_kit(kit: EmergencyKit) -> None:
    """The new Secret Key, once: the key alone on standard output (a secret goes nowhere else),
    what it is for and where its kit is on standard error."""
    where = f"Its Emergency Kit, to print: {kit.path}" if kit.path else "No kit file was written."
    print(
        f"This account has a Secret Key. Logging in on a new device needs it as well as the "
        f"master password, and a copy of the database ({visible_text(kit.database)}) alone "
        "cannot be guessed against. Write it down or print the kit: if you lose the key and "
        "its kit (and no device holds it), your vault is lost: Strongroom cannot recover it. "
        f"{visible_text(where)}\nSecret Key:",
        file=sys.stderr,
    )
    print(kit.secret_key, flush=True)


def secret_key(args: argparse.Namespace, ctx: Context) -> int:
    """Give the account a Secret Key: the master password asked for again, the kit shown."""
    active = open_session(args, ctx)
    password = read_master_password(active.username)
    _, kit = ctx.backend.accounts().add_secret_key(active, password)
    show_kit(kit)
    print(
        "The vault key was replaced with it (every item re-sealed, as a key rotation does), "
        "so a copy of the database made before cannot open what is written now. Other "
        "devices' sessions ended: they log in again, with the key.",
        file=sys.stderr,
    )
    return DONE

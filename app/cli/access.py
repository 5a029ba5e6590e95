"""Vault access for the commands: unlock the way the app does, and find the item a query names.

A command unlocks with this device's remembered session, or, when that is locked or missing,
with the master password (see :mod:`app.cli.prompts`), counted by the same throttle as the
app's logins. A locked session stays locked: the password opens the vault for this command, and
the agent may then hold that key for the commands that follow (:mod:`app.cli.agent`), which
borrow it instead of asking again while this device's session stays as it was.

Reading many items' secrets one at a time (the rule SECURITY.md states, as Bitwarden's and
1Password's command lines have it): an unlocked session reads one item at a time (``get``,
``show --reveal``, ``totp``, git's credential helper) without the master password; ``ls`` prints
no secret; a bulk read (``export``) asks for the master password. Reading every item one ``get``
at a time is that same bulk read, so it is made visible and slowed down: every read is in the
security log by item id (never a title or a secret), and once READS different items' secrets
were read within WINDOW from the command line (the agent's answers and the commands' own
alike, counted from that log), the next different item asks for the master password again
(:func:`reveal`). Typed, the count starts from zero. ``--no-input`` and the agent never ask:
they say so and exit 4.
This is a speed bump and an alarm, not a wall: a process of the same user can read the token
file and the database, or delete the log. Strongroom does not pretend otherwise.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from app.cli import quick
from app.cli.exits import AMBIGUOUS, LOCKED, NOT_FOUND, REFUSED, Exit
from app.cli.prompts import asking_secret_key, has_terminal, read_master_password
from app.core.errors import UserError
from app.core.text import visible_text

if TYPE_CHECKING:
    import argparse
    from pathlib import Path

    from app.cli.context import Context
    from app.core.accounts import ActiveSession, StartupState
    from app.core.items import Item


def open_session(args: argparse.Namespace, ctx: Context, *, stdin: bool = True) -> ActiveSession:
    """This device's session, unlocked: remembered, or opened with the master password for
    this command only (a locked session stays locked). ``stdin``: see read_master_password."""
    backend = ctx.backend
    accounts = backend.accounts()
    state = accounts.startup()
    if ctx.held is not None:
        return still_held(ctx, state)  # the agent, on the key a password opened
    session = state.session
    if session is not None and session.vault_key:
        ctx.remembered_unlocked = True
        return session
    if not state.has_accounts:
        raise Exit(LOCKED, "No account yet: run strongroom register (or strongroom) to create one.")
    if session is None:
        username = backend.login_hint()
        if username is None:
            raise Exit(LOCKED, "Not logged in on this device: run strongroom login to log in.")
        lent = borrow(ctx, username, None, None)
        if lent is not None:
            return lent
        if args.no_input:
            raise Exit(LOCKED, f"Not logged in as {username} on this device (--no-input).")
        password = read_master_password(username, stdin=stdin)
        ctx.opened = asking_secret_key(
            lambda typed: accounts.login(username, password, remember=False, secret_key=typed)
        )
        return ctx.opened
    lent = borrow(ctx, session.username, session.user_id, session.session_id)
    if lent is not None:
        return lent
    from dataclasses import replace

    opened = unlock_with_password(args, ctx, session, keep_unlocked=False, stdin=stdin)
    # The agent holds it for this device's session (which stays locked), named by its id.
    ctx.opened = replace(opened, session_id=session.session_id)
    return opened


def held_for(username: str, user_id: int | None, session_id: int | None) -> list[str]:
    """What a command asks the agent's key for, and what the agent compares it with: this
    device's session (account and session), or, logged out, the last username alone."""
    if session_id is None:
        return [username, "", ""]
    return [username, str(user_id), str(session_id)]


def borrow(
    ctx: Context, username: str, user_id: int | None, session_id: int | None
) -> ActiveSession | None:
    """The session the agent holds for exactly this device's state (a master password typed
    for an earlier command opened it), or None: then the password is asked for."""
    if not ctx.settings.command_line_agent:
        return None
    from app.core.accounts import ActiveSession

    parts = quick.profile(str(ctx.settings.config_dir), str(ctx.settings.data_dir))
    lent = quick.borrow(parts, held_for(username, user_id, session_id))
    if lent is None:
        return None
    ctx.borrowed = True
    return ActiveSession(lent[0], username, lent[1])  # as the password opens it: for this command


def still_held(ctx: Context, state: StartupState) -> ActiveSession:
    """In the agent: its held session while this device is as it was when the password opened
    it (the same account's session, still locked; or still nobody logged in, the same last
    username); else Exit(LOCKED), and the agent exits. An unlock counts as a change: the
    remembered session serves from then on."""
    held = ctx.held
    assert held is not None
    session = state.session
    if session is None:
        now = held_for(ctx.backend.login_hint() or "", None, None)
    else:
        now = held_for(session.username, session.user_id, session.session_id)
        if session.vault_key:
            now = []  # unlocked since
    if now != held_for(held.username, held.user_id, held.session_id):
        raise Exit(LOCKED, "This device's session changed (locked, unlocked or logged out).")
    return held


def unlock_with_password(
    args: argparse.Namespace,
    ctx: Context,
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
        return asking_secret_key(
            lambda typed: ctx.backend.accounts().unlock(
                session.user_id, session_id, password, typed
            )
        )
    except UserError as error:  # a wrong password on unlock is a refusal, as at the login
        raise Exit(REFUSED, error.message) from None


def this_device(ctx: Context) -> ActiveSession | None:
    """This device's remembered session, locked or not (None when logged out)."""
    return ctx.backend.accounts().startup().session


def vault_items(ctx: Context, session: ActiveSession) -> list[Item]:
    """The live items (see ItemCache: listed again only after a change)."""
    return ctx.cache.items(ctx.backend, session)


# An ambiguous query lists at most this many of its items, one a line.
LISTED = 20


def find(items: list[Item], query: str) -> Item:
    """The one item ``query`` names: ``id:N``; else an exact title (then one that differs only
    in case); else the items whose title, username or URLs hold every word of the query, in any
    case (KeePassXC's and Bitwarden's way); and only when none does, the app's fuzzy search.
    Several are listed as the app's search ranks them (see core.search).

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

            match = containing(live, query)
            ranked = Index(match).search(query) if len(match) > 1 else match
            match = ranked if len(ranked) == len(match) else match
        if not match:
            match = Index(live).search(query)
    match = [item for item in match if not item.error]
    if not match:
        raise Exit(NOT_FOUND, f"No item matches {query!r}.")
    if len(match) > 1:
        raise ambiguous(f"{len(match)} items match {query!r}; name one with id:N:", match)
    return match[0]


def containing(items: list[Item], query: str) -> list[Item]:
    """The items whose title, username or URLs hold every word of ``query`` (case-folded).
    The title is tried first: the other fields open only for an item it does not answer."""
    words = query.casefold().split()
    if not words:
        return []
    found = []
    for item in items:
        title = item.title.casefold()
        if all(word in title for word in words):
            found.append(item)
            continue
        if item.shown.error:
            continue
        text = "\x1f".join([title, item.username.casefold(), *(u.casefold() for u in item.urls)])
        if all(word in text for word in words):
            found.append(item)
    return found


def ambiguous(message: str, items: list[Item]) -> Exit:
    """Exit 3: ``message``, then at most LISTED of ``items`` a line each (``id:N  title
    username``) and how many more there are."""
    lines = [
        f"  id:{item.id}  {visible_text(item.title)}  {visible_text(item.username)}".rstrip()
        for item in items[:LISTED]
    ]
    if len(items) > LISTED:
        lines.append(f"  and {len(items) - LISTED} more: add a word, or name one with id:N")
    return Exit(AMBIGUOUS, message, tuple(lines))


def open_item(args: argparse.Namespace, ctx: Context) -> tuple[ActiveSession, Item]:
    """The unlocked session and the one item ``args.query`` names."""
    session = open_session(args, ctx)
    return session, ctx.cache.find(ctx.backend, session, lambda items: find(items, args.query))


READS = 20  # different items whose secrets may be read within WINDOW before the password
WINDOW = timedelta(minutes=10)
TYPED = "master password typed"  # in a read's log entry: the count starts again from it
TAIL = 256 * 1024  # the log's last bytes looked at: thousands of entries
NOT_SECRET = ("username", "url", "title", "shown with secrets masked", "field names")


def recent_reads(log: Path, username: str, now: datetime) -> set[str]:
    """The ids of the items whose secrets ``username`` read within WINDOW before ``now``, since
    the master password was last typed for a read (that read included)."""
    try:
        with log.open("rb") as file:
            size = file.seek(0, os.SEEK_END)
            file.seek(max(size - TAIL, 0))
            lines = file.read().splitlines()
    except OSError:
        return set()
    since = now - WINDOW
    items: set[str] = set()
    for line in reversed(lines):
        try:
            entry = json.loads(line)
            when = datetime.fromisoformat(entry["time"])
        except (ValueError, KeyError, TypeError):
            continue  # the first line, cut by TAIL, or a line that is not the log's
        if when < since:
            break
        if entry.get("event") != "item_read" or entry.get("username") != username:
            continue
        item, _, how = str(entry.get("detail", "")).partition(", ")
        if not item.startswith("item ") or how.startswith(NOT_SECRET):
            continue
        items.add(item.removeprefix("item "))
        if TYPED in how:
            break
    return items


def asks_again(log: Path, username: str, item_id: int, now: datetime | None = None) -> bool:
    """Whether reading ``item_id``'s secrets now needs the master password again."""
    items = recent_reads(log, username, now or datetime.now(UTC))
    return str(item_id) not in items and len(items) >= READS


def reveal(
    args: argparse.Namespace,
    ctx: Context,
    session: ActiveSession,
    item: Item,
    *,
    stdin: bool = True,
) -> str:
    """Before an item's secret is printed: the master password again when this is one read too
    many (see the module); what the read's log entry adds (", master password typed" when
    it was typed for this command, which starts the count again). ``stdin``: see
    read_master_password."""
    typed = f", {TYPED}"
    if ctx.opened is not None and not ctx.borrowed:
        return typed  # this command opened the vault with it
    if not asks_again(ctx.settings.security_log_path, session.username, item.id):
        return ""
    minutes = int(WINDOW.total_seconds() // 60)
    said = f"{READS} different items' secrets read in {minutes} minutes"
    if args.no_input:
        raise Exit(LOCKED, f"{said}: the next one asks for the master password (--no-input).")
    if not stdin and not has_terminal():
        raise Exit(LOCKED, f"{said}: the next one asks for the master password on a terminal.")
    from app.core.errors import LoginFailed

    print(f"{said}: the master password to go on.", file=sys.stderr)
    try:
        ctx.backend.accounts().check_master_password(
            session, read_master_password(session.username, stdin=stdin)
        )
    except LoginFailed as refusal:
        raise Exit(REFUSED, refusal.message) from None
    return typed


def record_write(ctx: Context, session: ActiveSession, event: str, item_id: int, how: str) -> None:
    """A change made from the command line, in the security log: by item id, never by title."""
    ctx.backend.security_log().record(event, session.username, f"item {item_id}, {how}")

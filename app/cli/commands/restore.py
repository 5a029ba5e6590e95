"""``strongroom db accept-restore``: take the database as it is now as the vault's state.

After a backup was restored on purpose, every device that saw a newer state of the vault says
the database is older than what it saw (exit 8), and a row changed outside Strongroom is shown
as damaged. With the master password typed (never from the agent, never with ``--no-input``),
this begins the vault's integrity record again from the rows as they stand and sets this
device's memory to it; fields that do not open stay damaged. The acceptance is in the security
log. Other devices that saw a newer state than the one accepted say so until they accept too.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from app.cli.exits import DONE, LOCKED, REFUSED, Exit
from app.cli.prompts import read_master_password
from app.core.errors import LoginFailed
from app.core.text import visible_text

if TYPE_CHECKING:
    from app.cli.context import Context


def accept_restore(args: argparse.Namespace, ctx: Context) -> int:
    backend = ctx.backend
    accounts = backend.accounts()
    session = accounts.startup().session
    username = session.username if session is not None else backend.login_hint()
    if username is None:
        raise Exit(LOCKED, "Not logged in on this device: run strongroom login to log in.")
    if getattr(args, "no_input", False):
        raise Exit(LOCKED, "Accepting a restored database asks for the master password.")
    password = read_master_password(username)
    try:
        if session is not None:  # this device's session stays as it was (locked or not)
            active = accounts.unlock(session.user_id, None, password)
        else:
            active = accounts.login(username, password, remember=False)
    except LoginFailed as refusal:
        raise Exit(REFUSED, refusal.message) from None
    count = backend.vault().accept_restore(active)
    backend.security_log().record("restore_accepted", active.username, f"{count} items")
    print(
        f"The database as it is now is {visible_text(active.username)}'s vault ({count} items) "
        "on this device. Items whose fields do not open stay shown as damaged."
    )
    return DONE

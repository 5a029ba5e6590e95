"""This device's session: ``status``, ``lock``, ``unlock`` and ``logout``.

``lock`` and ``logout`` also end this profile's agent at once, whatever the database says: one
that holds a key the master password opened is not stopped by a session already locked. They
first move the lock generation on (app.cli.quick), which every agent compares before it
answers, then tell each agent to stop; "Locked." is said only when one of the two is sure.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from app.cli import quick
from app.cli.access import this_device, unlock_with_password
from app.cli.exits import DONE, LOCKED, TAMPERED, UNAVAILABLE, Exit
from app.core.text import visible_text

if TYPE_CHECKING:
    import argparse

    from app.cli.context import Context


def status(args: argparse.Namespace, ctx: Context) -> int:
    from app.services.database import describe_url

    backend = ctx.backend
    print(f"database: {describe_url(backend.settings.database_url)}")
    session = this_device(ctx)
    if session is None:
        hint = backend.login_hint()
        print(f"not logged in{f' (last: {visible_text(hint)})' if hint else ''}")
        return LOCKED
    state = "unlocked" if session.vault_key else "locked"
    count = backend.vault().fingerprint(session)[0]
    print(f"user: {visible_text(session.username)}, {state}")
    print(f"items: {count}")
    return DONE


def stop_agent(ctx: Context) -> bool:
    """End every agent of this profile: the lock generation moved on first (an agent that
    cannot be reached now exits when it next looks), then each told to stop. Whether either
    is certain (else an agent may still hold a key: see agent_stopped)."""
    moved = quick.next_generation(str(ctx.settings.data_dir))
    stopped = quick.stop(quick.profile(str(ctx.settings.config_dir), str(ctx.settings.data_dir)))
    return moved or stopped


def agent_stopped(ctx: Context, sure: bool) -> None:
    """Exit, once ``lock`` or ``logout`` did the rest, when no agent is sure to have gone."""
    if not sure:
        folder = visible_text(str(ctx.settings.data_dir))
        raise Exit(
            UNAVAILABLE,
            f"An agent did not answer and {quick.GENERATION_FILE} could not be written in "
            f"{folder}: it may still hold the key. Try again.",
        )


def lock(args: argparse.Namespace, ctx: Context) -> int:
    sure = stop_agent(ctx)
    session = this_device(ctx)
    if session is None:
        agent_stopped(ctx, sure)
        raise Exit(LOCKED, "Not logged in on this device.")
    if session.vault_key:
        ctx.backend.accounts().lock(session)
    agent_stopped(ctx, sure)
    print("Locked.", file=sys.stderr)
    return DONE


def unlock(args: argparse.Namespace, ctx: Context) -> int:
    session = this_device(ctx)
    if session is None:
        raise Exit(LOCKED, "Not logged in on this device: run strongroom login to log in.")
    if session.vault_key:
        print("Already unlocked.", file=sys.stderr)
        return DONE
    unlock_with_password(args, ctx, session, keep_unlocked=True)
    print("Unlocked.", file=sys.stderr)
    return DONE


def logout(args: argparse.Namespace, ctx: Context) -> int:
    from app.core.errors import VaultTampered

    sure = stop_agent(ctx)
    try:
        session = this_device(ctx)
    except VaultTampered as error:  # logging out never waits on a database that lies
        ctx.backend.accounts().forget_saved_login()
        agent_stopped(ctx, sure)
        raise Exit(TAMPERED, f"{error.message} This device no longer remembers you.") from None
    if session is None:
        agent_stopped(ctx, sure)
        raise Exit(LOCKED, "Not logged in on this device.")
    ctx.backend.accounts().logout(session)
    agent_stopped(ctx, sure)
    print("Logged out.", file=sys.stderr)
    if ctx.backend.accounts().keeps_secret_key(session.user_id):
        print(
            "This device keeps its copy of your Secret Key (deleting the account removes it).",
            file=sys.stderr,
        )
    return DONE

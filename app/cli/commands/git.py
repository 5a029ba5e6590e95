"""``git-credential``: git's credential helper (git-credential(1)), answered from the vault.

``get`` answers from an item whose URL has git's protocol, host and port (app.core.credential's
``serves``: an https item never answers http, a ``:8443`` item never the default port; one that
git stored first, when there are several); ``store`` and ``erase`` change only the item that
git stored (GIT_MARK) for exactly that place and username, never one the person made: a login
for the web that git found refused stays as it is, and what git stores beside it, or for
another protocol or port, is a new item of git's own.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from app.cli.access import ambiguous, open_session, record_write, reveal, vault_items
from app.cli.exits import DONE, NOT_FOUND, USAGE, Exit
from app.core.text import visible_text

if TYPE_CHECKING:
    import argparse

    from app.cli.context import Context
    from app.core.accounts import ActiveSession
    from app.core.credential import Request
    from app.core.items import Item


def git_credential(args: argparse.Namespace, ctx: Context) -> int:
    """Standard input is git's request; the answer, if any, goes to standard output."""
    from app.core.credential import (
        LONGEST,
        CredentialError,
        exact,
        parse_request,
        serves,
        stored_by_git,
    )

    try:  # all of it read and checked before the vault is opened: a bad request changes nothing
        request = parse_request(sys.stdin.buffer.read(LONGEST + 1) if sys.stdin else b"")
    except CredentialError as error:
        raise Exit(USAGE, str(error)) from None
    session = open_session(args, ctx, stdin=False)  # stdin was git's
    listed = [item for item in vault_items(ctx, session) if not item.damage]
    matches = [item for item in listed if serves(item, request) and not item.error]
    if args.action == "get":
        gits = [item for item in matches if stored_by_git(item)]
        return answer(args, ctx, session, request, gits or matches)
    # store and erase: only the item for exactly this place and username
    matches = [item for item in matches if exact(item, request)]
    gits = [item for item in matches if stored_by_git(item)]
    if args.action == "store":
        return store(ctx, session, request, gits, matches)
    return erase(ctx, session, request, gits, matches)


def shown(request: Request) -> str:
    """Where git asked for, as a message names it: ``git.corp.test:8443 over https``."""
    path = f"/{request.path}" if request.path else ""
    return f"{visible_text(request.host + path)} over {visible_text(request.protocol)}"


def one(request: Request, matches: list[Item]) -> Item | None:
    """The item for git's request (None when there is none); exit 3 when several are."""
    if len(matches) > 1:
        where = shown(request)
        raise ambiguous(f"{len(matches)} items are for {where}; git's username picks one:", matches)
    return matches[0] if matches else None


def answer(
    args: argparse.Namespace,
    ctx: Context,
    session: ActiveSession,
    request: Request,
    matches: list[Item],
) -> int:
    """The item's username and password, counted as any read of a secret is: past the bulk-read
    limit the master password is asked for on the terminal (standard input was git's)."""
    from app.core.credential import CredentialError, reply

    item = one(request, matches)
    if item is None:
        raise Exit(NOT_FOUND, f"No item is for {shown(request)}.")
    try:
        text = reply(item.username, item.password)
    except CredentialError as error:
        raise Exit(NOT_FOUND, str(error)) from None
    typed = reveal(args, ctx, session, item, stdin=False)
    ctx.backend.security_log().record(
        "item_read", session.username, f"item {item.id}, git credential{typed}{ctx.answered_by}"
    )
    sys.stdout.write(text)
    return DONE


def store(
    ctx: Context, session: ActiveSession, request: Request, gits: list[Item], matches: list[Item]
) -> int:
    """What git used and the server took: the new password of the item git stored before, or
    a new item of git's (never a change to one the person made)."""
    from dataclasses import replace

    from app.core.credential import GIT_MARK
    from app.core.items import ItemDraft

    where = shown(request)
    if not request.password:
        return DONE
    mine = one(request, gits)
    if mine is not None:
        if mine.password != request.password:
            draft = replace(mine.draft(), password=request.password)
            ctx.backend.vault().update(session, mine.id, mine.version, draft)
            record_write(ctx, session, "item_changed", mine.id, "git credential")
            print(f"Saved git's new password for {where} (id:{mine.id}).", file=sys.stderr)
        return DONE
    if any(item.password == request.password for item in matches):
        return DONE  # the person's own item holds it already
    draft = ItemDraft(
        request.host,
        request.username,
        request.password,
        urls=(request.where,),
        fields=(GIT_MARK,),
    )
    item = ctx.backend.vault().add(session, draft)
    record_write(ctx, session, "item_added", item.id, "git credential")
    print(f"Saved git's login for {where} as id:{item.id}.", file=sys.stderr)
    return DONE


def erase(
    ctx: Context, session: ActiveSession, request: Request, gits: list[Item], matches: list[Item]
) -> int:
    """git was refused with this password: the item git stored for exactly this place and
    username, holding it, goes to the trash (30 days restorable); an item the person made
    stays, and standard error says what was done."""
    where = shown(request)
    refused = [item for item in matches if request.password and item.password == request.password]
    ours = {item.id for item in gits}
    moved = [item for item in refused if item.id in ours]
    for item in moved:
        ctx.backend.vault().trash(session, item.id)
        record_write(ctx, session, "item_trashed", item.id, "git credential")
        print(f"git was refused for {where}: moved id:{item.id}, which git stored, to the "
              "trash.", file=sys.stderr)  # fmt: skip
    for item in refused:
        if item.id not in ours:
            print(f"git was refused for {where} with the password of id:{item.id}, which is "
                  f"yours, so it stays (strongroom edit id:{item.id} --password changes it).",
                  file=sys.stderr)  # fmt: skip
    if not refused:
        print(f"git was refused for {where}; no item for exactly that place and username "
              "holds that password, so nothing was moved.", file=sys.stderr)  # fmt: skip
    return DONE

"""``git-credential``: git's credential helper (git-credential(1)), answered from the vault."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from app.cli.access import open_session, record_write, vault_items
from app.cli.exits import AMBIGUOUS, DONE, NOT_FOUND, USAGE, Exit
from app.core.text import visible_text

if TYPE_CHECKING:
    import argparse

    from app.cli.context import Context


def git_credential(args: argparse.Namespace, ctx: Context) -> int:
    """Standard input is git's request; the answer, if any, goes to standard output."""
    from app.core.credential import CredentialError, parse_request, reply, serves

    try:
        request = parse_request(sys.stdin.read() if sys.stdin is not None else "")
    except CredentialError as error:
        raise Exit(USAGE, str(error)) from None
    session = open_session(args, ctx, stdin=False)  # stdin was git's
    vault = ctx.backend.vault()
    listed = [item for item in vault_items(ctx, session) if not item.damage]
    matches = [item for item in listed if serves(item, request) and not item.error]
    where = visible_text(request.host)
    if len(matches) > 1 and args.action != "erase":
        lines = [f"{len(matches)} items are for {where}; git's username picks one:"]
        lines += [f"  id:{item.id}\t{visible_text(item.title)}" for item in matches]
        raise Exit(AMBIGUOUS, "\n".join(lines))
    if args.action == "get":
        if not matches:
            raise Exit(NOT_FOUND, f"No item is for {where}.")
        item = matches[0]
        try:
            answer = reply(item.username, item.password)
        except CredentialError as error:
            raise Exit(NOT_FOUND, str(error)) from None
        ctx.backend.security_log().record(
            "item_read", session.username, f"item {item.id}, git credential"
        )
        sys.stdout.write(answer)
        return DONE
    if args.action == "store":
        if not request.password:
            return DONE
        if not matches:
            from app.core.items import ItemDraft

            draft = ItemDraft(request.host, request.username, request.password, urls=(request.url,))
            item = vault.add(session, draft)
            record_write(ctx, session, "item_added", item.id, "git credential")
            print(f"Saved git's login for {where} as id:{item.id}.", file=sys.stderr)
        elif matches[0].password != request.password:
            from dataclasses import replace

            item = matches[0]
            vault.update(
                session, item.id, item.version, replace(item.draft(), password=request.password)
            )
            record_write(ctx, session, "item_changed", item.id, "git credential")
            print(f"Saved git's new password for {where} (id:{item.id}).", file=sys.stderr)
        return DONE
    # erase: git was refused with this password; the items holding it go to the trash (30
    # days restorable), never one with another password.
    for item in matches:
        if request.password and item.password == request.password:
            vault.trash(session, item.id)
            record_write(ctx, session, "item_trashed", item.id, "git credential")
            print(f"git was refused: moved id:{item.id} to the trash.", file=sys.stderr)
    return DONE

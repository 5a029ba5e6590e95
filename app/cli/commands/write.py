"""Changing the vault: ``add``, ``edit`` and ``rm``, and the passwords they take or generate."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from app.cli.access import open_item, open_session, record_write
from app.cli.exits import DONE, NOT_FOUND, USAGE, Exit
from app.cli.prompts import read_secret
from app.core.text import visible_text

if TYPE_CHECKING:
    import argparse

    from app.cli.context import Context


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


def add(args: argparse.Namespace, ctx: Context) -> int:
    from app.core.items import ItemDraft

    session = open_session(args, ctx)  # the master password, when asked, comes first
    draft = ItemDraft(
        title=args.title,
        username=args.username or "",
        password=new_password(args, args.title),
        urls=tuple(args.url or ()),
        tags=tuple(args.tag or ()),
    )
    item = ctx.backend.vault().add(session, draft)
    record_write(ctx, session, "item_added", item.id, "add")
    print(f"Added {visible_text(item.title)!r} (id:{item.id}).", file=sys.stderr)
    return DONE


def edit(args: argparse.Namespace, ctx: Context) -> int:
    from dataclasses import replace

    from app.core.errors import EditConflict

    session, item = open_item(args, ctx)
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
        saved = ctx.backend.vault().update(
            session,
            item.id,
            item.version,
            replace(draft, **changes),  # type: ignore[arg-type]
        )
    except EditConflict:
        raise Exit(NOT_FOUND, "The item changed meanwhile on another device; try again.") from None
    record_write(ctx, session, "item_changed", saved.id, "edit")
    print(f"Saved {visible_text(saved.title)!r} (id:{saved.id}).", file=sys.stderr)
    return DONE


def rm(args: argparse.Namespace, ctx: Context) -> int:
    session, item = open_item(args, ctx)
    ctx.backend.vault().trash(session, item.id)
    record_write(ctx, session, "item_trashed", item.id, "rm")
    print(f"Moved {visible_text(item.title)!r} to the trash (id:{item.id}).", file=sys.stderr)
    return DONE

"""Changing the vault: ``add``, ``edit`` and ``rm``, and what they ask for or generate.

Secrets are never taken from the command line. After the master password (when it is asked
for), a command reads, in this order: the item's password, its TOTP secret (``--totp``), each
``--field``'s value, and the notes (``--notes``: the rest of standard input). On a terminal each
is asked for, without echo (the notes are typed, shown, until Ctrl+D); from a pipe each is the
next line, and the notes are every line left.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from app.cli.access import open_item, open_session, record_write, vault_items
from app.cli.exits import DONE, NOT_FOUND, USAGE, Exit
from app.cli.prompts import read_rest, read_secret
from app.core.text import visible_text

if TYPE_CHECKING:
    import argparse

    from app.cli.context import Context
    from app.core.items import Item, ItemDraft


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
    """An item's new password: generated when asked for, else read (see read_secret); an
    empty one only with ``--force``."""
    if args.words is not None or args.generate is not None:
        return generated(length=args.generate or 0, words=args.words)
    missing = Exit(USAGE, "No password on standard input (or use --generate).")
    password = read_secret(
        f"Password for {visible_text(title)}: ", missing, confirm="Again, to confirm: "
    )
    if not password and not args.force:
        raise Exit(USAGE, "The password is empty; nothing was saved (--force saves it empty).")
    return password


def asked(args: argparse.Namespace, title: str, draft: ItemDraft) -> dict[str, object]:
    """What ``--totp``, ``--field``, ``--notes`` and ``--favourite`` change in ``draft``, read
    in that order (see the module). An empty TOTP secret or field value removes it."""
    from dataclasses import replace

    from app.core.items import CustomField
    from app.core.rules import LIMITS

    shown = visible_text(title)
    changes: dict[str, object] = {}
    if args.totp:
        missing = Exit(USAGE, "No TOTP secret on standard input.")
        changes["totp"] = read_secret(f"TOTP secret or otpauth:// link for {shown}: ", missing)
    if args.field:
        fields = list(draft.fields)
        for name in args.field:
            missing = Exit(USAGE, f"No value for the field {name!r} on standard input.")
            value = read_secret(f"{visible_text(name)} for {shown}: ", missing)
            at = next((n for n, field in enumerate(fields) if field.name == name), None)
            if at is None:
                fields += [CustomField(name, value, secret=True)] if value else []
            elif value:
                fields[at] = replace(fields[at], value=value)
            else:
                del fields[at]
        changes["fields"] = tuple(fields)
    if args.notes:
        changes["notes"] = read_rest(f"Notes for {shown} (end with Ctrl+D):\n", LIMITS["notes"])
    if args.favourite is not None:
        changes["favourite"] = args.favourite
    return changes


def refuse_taken_title(
    args: argparse.Namespace, items: list[Item], itself: int | None, nothing: str
) -> None:
    """Exit 2 when another item than ``itself`` has the title ``args.title`` (in any case),
    unless ``--force``."""
    folded = args.title.casefold()
    taken = [item for item in items if item.title.casefold() == folded and item.id != itself]
    if taken and not args.force:
        raise Exit(
            USAGE,
            f"An item titled {visible_text(taken[0].title)!r} exists already (id:{taken[0].id}); "
            f"nothing was {nothing}.",
        )


def add(args: argparse.Namespace, ctx: Context) -> int:
    from dataclasses import replace

    from app.core.items import ItemDraft

    session = open_session(args, ctx)  # the master password, when asked, comes first
    refuse_taken_title(args, vault_items(ctx, session), None, "added (--force adds another)")
    draft = ItemDraft(
        title=args.title,
        username=args.username or "",
        password=new_password(args, args.title),
        urls=tuple(args.url or ()),
        tags=tuple(args.tag or ()),
    )
    draft = replace(draft, **asked(args, args.title, draft))  # type: ignore[arg-type]
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
        listed = vault_items(ctx, session)
        refuse_taken_title(args, listed, item.id, "changed (--force gives it that title)")
        changes["title"] = args.title
    if args.username is not None:
        changes["username"] = args.username
    if args.url is not None:
        changes["urls"] = tuple(args.url)
    absent = untagged_absent(draft.tags, args.untag or [])
    if args.tag or args.untag:
        tags = retagged(draft.tags, args.tag or [], args.untag or [])
        if tags != draft.tags or not absent:
            changes["tags"] = tags
    if args.password or args.generate is not None or args.words is not None:
        changes["password"] = new_password(args, item.title)
    changes |= asked(args, item.title, draft)
    shown = visible_text(item.title)
    if not changes and absent:
        # As rm of a missing file: the one thing asked for cannot be done, and nothing is saved.
        raise Exit(NOT_FOUND, f"{shown!r} has no tag {absent_list(absent)}; nothing was changed.")
    if not changes:
        raise Exit(USAGE, "Nothing to change: name what to change (see strongroom edit -h).")
    if absent:
        print(f"strongroom: {shown!r} has no tag {absent_list(absent)}.", file=sys.stderr)
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


def retagged(tags: tuple[str, ...], added: list[str], removed: list[str]) -> tuple[str, ...]:
    """``tags`` with ``added`` (unless there in another case) and without ``removed`` (in
    any case)."""
    kept = list(tags)
    for tag in added:
        if tag.casefold() not in {t.casefold() for t in kept}:
            kept.append(tag)
    gone = {tag.casefold() for tag in removed}
    return tuple(tag for tag in kept if tag.casefold() not in gone)


def untagged_absent(tags: tuple[str, ...], removed: list[str]) -> list[str]:
    """The tags of ``removed`` that ``tags`` does not have (in any case), each once."""
    have = {tag.casefold() for tag in tags}
    absent: list[str] = []
    for tag in removed:
        if tag.casefold() not in have and tag.casefold() not in {t.casefold() for t in absent}:
            absent.append(tag)
    return absent


def absent_list(tags: list[str]) -> str:
    """'a', 'a' or 'b', 'a', 'b' or 'c': the tags an item lacks, as a sentence names them."""
    named = [repr(visible_text(tag)) for tag in tags]
    return named[0] if len(named) == 1 else f"{', '.join(named[:-1])} or {named[-1]}"


def rm(args: argparse.Namespace, ctx: Context) -> int:
    session, item = open_item(args, ctx)
    ctx.backend.vault().trash(session, item.id)
    record_write(ctx, session, "item_trashed", item.id, "rm")
    print(f"Moved {visible_text(item.title)!r} to the trash (id:{item.id}).", file=sys.stderr)
    return DONE

"""Reading the vault: ``get``, ``ls`` and ``totp``, the commands the agent may answer warm
(all but ``get --clip``, which copies from the command's own process), and ``show``."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

from app.cli.access import open_item, open_session, reveal, vault_items
from app.cli.exits import DONE, NOT_FOUND, USAGE, Exit
from app.cli.parser import FIELDS
from app.core.text import visible_text

if TYPE_CHECKING:
    import argparse

    from app.cli.context import Context
    from app.core.items import CustomField, Item


def get(args: argparse.Namespace, ctx: Context) -> int:
    if args.clip and args.json:
        raise Exit(USAGE, "--clip copies one field; --json prints them all: choose one.")
    session, item = open_item(args, ctx)
    custom = None if args.json else custom_field(item, args.field)
    field = "all fields" if args.json else logged_field(args.field, custom)
    secret = args.json or is_secret(args.field, custom)
    typed = reveal(args, ctx, session, item) if secret else ""

    def log(how: str = "") -> None:
        ctx.backend.security_log().record(
            "item_read",
            session.username,
            f"item {item.id}, {field}{how}{typed}{ctx.answered_by}",
        )

    if args.json:
        log()
        # ensure_ascii: an escape sequence in a field is printed as \\u001b, never raw.
        print(json.dumps(as_json(item), ensure_ascii=True, indent=2))
        return DONE
    value = field_value(item, args.field, custom)
    if args.clip:
        from app.cli.commands.clip import copy

        seconds = ctx.settings.security.clipboard_clear_seconds
        where = copy(value, seconds)
        log(", copied to the clipboard")
        what = visible_text(args.field if custom is None else custom.name)
        print(
            f"Copied the {what} of {visible_text(item.title)!r} to {where}; it is cleared in "
            f"{seconds} s.",
            file=sys.stderr,
        )
        return DONE
    log()
    sys.stdout.write(value if args.n else value + "\n")  # exactly as stored
    return DONE


def custom_field(item: Item, name: str) -> CustomField | None:
    """The custom field ``name`` names (None for a built-in field); NOT_FOUND, naming the
    fields there are, when the item has neither."""
    if name in FIELDS:
        return None
    custom = item.field_named(name)
    if custom is None:
        names = ", ".join([*FIELDS, *(repr(f.name) for f in item.fields)])
        raise Exit(NOT_FOUND, f"{item.title!r} has no field {name!r}; it has {names}.")
    return custom


def logged_field(name: str, custom: CustomField | None) -> str:
    """The field as the security log names it: a custom field's name is the item's own text,
    so the log says only that one was read."""
    return "a custom field" if custom else name


def is_secret(name: str, custom: CustomField | None) -> bool:
    """Whether reading the field counts as reading a secret (see app.cli.access.reveal)."""
    return custom is not None or name in ("password", "notes", "totp")


def field_value(item: Item, name: str, custom: CustomField | None) -> str:
    """The field's value exactly as stored (a TOTP field: its current code; url: the first)."""
    if custom is not None:
        return custom.value
    if name == "totp":
        return totp_code(item)[0]
    if name == "url":
        return item.urls[0] if item.urls else ""
    return str(getattr(item, name))


MASK = "********"


def show(args: argparse.Namespace, ctx: Context) -> int:
    """The whole item, a field a line: the password, TOTP secret, secret custom fields and
    notes masked unless ``--reveal`` (notes are a secret, as to ``get --field notes``); every
    value printed as visible text (``get`` prints one exactly). ``--field-names``: its custom
    fields' names alone (for completion)."""
    session, item = open_item(args, ctx)
    if args.field_names:
        ctx.backend.security_log().record(
            "item_read", session.username, f"item {item.id}, field names{ctx.answered_by}"
        )
        sys.stdout.write("".join(visible_text(f.name) + "\n" for f in item.fields))
        return DONE
    shown = "all fields" if args.reveal else "shown with secrets masked"
    typed = reveal(args, ctx, session, item) if args.reveal else ""
    ctx.backend.security_log().record(
        "item_read", session.username, f"item {item.id}, {shown}{typed}{ctx.answered_by}"
    )

    def secret(value: str) -> str:
        return value if args.reveal or not value else MASK

    rows = [("Title", item.title), ("Username", item.username)]
    rows += [("Password", secret(item.password))]
    rows += [("URL", url) for url in item.urls]
    rows += [("Tags", ", ".join(item.tags))] if item.tags else []
    rows += [("TOTP", secret(item.totp))] if item.totp else []
    rows += [(f.name, secret(f.value) if f.secret else f.value) for f in item.fields]
    rows += [("Favourite", "yes" if item.favourite else "no"), ("Id", f"id:{item.id}")]
    if item.updated_at is not None:
        rows.append(("Updated", item.updated_at.strftime("%Y-%m-%d %H:%M")))
    names = [visible_text(name) + ":" for name, _ in rows]
    width = min(max(len(name) for name in names), 16)
    lines = [
        f"{name:<{width}} {visible_text(value)}"
        for name, (_, value) in zip(names, rows, strict=True)
    ]
    if item.notes and not args.reveal:
        lines.append(f"{'Notes:':<{width}} {MASK}")
    elif item.notes:
        lines += ["Notes:", *("  " + visible_text(line) for line in item.notes.split("\n"))]
    sys.stdout.write("".join(line.rstrip() + "\n" for line in lines))
    return DONE


def ls(args: argparse.Namespace, ctx: Context) -> int:
    session = open_session(args, ctx)
    # What ls prints, and nothing secret: an item whose secrets are damaged is still listed.
    items = [item for item in vault_items(ctx, session) if not (item.damage or item.shown.error)]
    if args.query:
        from app.core.search import Index

        items = Index(items).search(args.query)
    for tag in args.tag:
        items = [item for item in items if tag.casefold() in (t.casefold() for t in item.tags)]
    ctx.backend.security_log().record(
        "items_listed", session.username, f"{len(items)} items{ctx.answered_by}"
    )
    if args.json:
        rows = [
            {"id": i.id, "title": i.title, "username": i.username, "urls": list(i.urls)}
            for i in items
        ]
        print(json.dumps(rows, ensure_ascii=True, indent=2))
        return DONE
    # The agent answers a repeated ls from what it printed last time.
    key = ("ls", args.query, tuple(args.tag))
    text = ctx.cache.rendered.get(key)
    if text is None:
        lines = []
        for item in items:
            url = item.urls[0] if item.urls else ""
            lines.append("\t".join(visible_text(part) for part in (item.title, item.username, url)))
        text = ctx.cache.rendered[key] = "".join(line + "\n" for line in lines)
    sys.stdout.write(text)
    return DONE


def totp(args: argparse.Namespace, ctx: Context) -> int:
    session, item = open_item(args, ctx)
    code, remaining = totp_code(item)
    typed = reveal(args, ctx, session, item)
    ctx.backend.security_log().record(
        "item_read", session.username, f"item {item.id}, totp{typed}{ctx.answered_by}"
    )
    print(code)
    print(f"{remaining} s left", file=sys.stderr)
    return DONE


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

    from app.core.totp import TotpError, problem, totp_now

    # By id: a title may name another item (`id:5`) or several ("2 items match").
    fix = f"strongroom edit id:{item.id} --totp"
    if not item.totp:
        raise Exit(NOT_FOUND, f"{problem(item.title)} Add one with: {fix}")
    try:
        return totp_now(item.totp, time.time())
    except TotpError as error:
        raise Exit(NOT_FOUND, f"{problem(item.title, error)} Replace it with: {fix}") from None

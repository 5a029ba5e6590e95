"""Commands that need no account: ``generate``, ``completion`` and ``db upgrade`` (and the
door to ``db accept-restore``, which does)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from app.cli.commands.write import generated
from app.cli.exits import DONE
from app.cli.parser import FIELDS
from app.core.text import visible_text

if TYPE_CHECKING:
    import argparse

    from app.cli.context import Context


def generate(args: argparse.Namespace, ctx: Context) -> int:
    print(generated(length=args.length, words=args.words, symbols=not args.no_symbols))
    return DONE


def completion(args: argparse.Namespace, ctx: Context) -> int:
    from app.cli.completion import script

    sys.stdout.write(script(args.shell, args.root, FIELDS))
    return DONE


def upgrade_database(args: argparse.Namespace, ctx: Context) -> int:
    """`strongroom db upgrade`: safe to run from several places at once (see upgrade_schema).
    `strongroom db accept-restore`: see app.cli.commands.restore."""
    if args.action == "accept-restore":
        from app.cli.commands.restore import accept_restore

        return accept_restore(args, ctx)
    from app.services.database import (
        create_database_engine,
        database_errors,
        describe_url,
        upgrade_schema,
    )

    url = ctx.settings.database_url
    target = describe_url(url)
    with database_errors(target):
        engine = create_database_engine(url)
        try:
            before, after = upgrade_schema(engine)
        finally:
            engine.dispose()
    if before == after:
        print(f"The schema of {visible_text(target)} is up to date ({after}).")
    else:
        print(
            f"Upgraded the schema of {visible_text(target)} from {before or 'nothing'} to {after}."
        )
    return DONE

"""``strongroom health``: which passwords to change first, and why.

A table of the items with findings (id, title, every finding, worst first; the items that share
a password next to each other), ``--json`` an object per item, ``--csv`` an owner-only file.
None of them holds a password, a hash of one, or anything that says which items share one
beyond the table's order: the JSON and the CSV list items by id. The first lines name each
source and its state. Exit 0 when nothing was found, 7 when something was.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from app.cli.access import open_session
from app.cli.exits import DONE, FINDINGS, USAGE, Exit
from app.core.text import visible_text

if TYPE_CHECKING:
    import argparse

    from app.cli.context import Context
    from app.core.health import ItemHealth, Report

TITLE_WIDTH = 32
# What a spreadsheet reads as the start of a formula (OWASP's list), and the quote itself.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")


def health(args: argparse.Namespace, ctx: Context) -> int:
    from app.core.health import KINDS
    from app.services.health import health_report

    if args.action == "build-index":
        return build_index(args, ctx)
    csv_path = Path(args.csv) if args.csv else None
    if csv_path is not None and csv_path.exists() and not args.force:
        raise Exit(USAGE, f"{args.csv} exists. --force replaces it.")
    session = open_session(args, ctx)
    backend = ctx.backend

    def progress(done: int, total: int) -> None:
        if sys.stderr.isatty():
            print(f"\rChecking {done}/{total}…", end="", file=sys.stderr, flush=True)

    result = health_report(
        backend.vault(),
        session,
        backend.settings,
        breach_list=Path(args.breach_list).expanduser() if args.breach_list else None,
        two_factor_list=Path(args.two_factor_list).expanduser() if args.two_factor_list else None,
        kinds=args.only or frozenset(KINDS),
        progress=progress,
    )
    if sys.stderr.isatty():
        print("\r\x1b[K", end="", file=sys.stderr, flush=True)
    report = result.report
    backend.security_log().record(
        "items_listed",
        session.username,
        f"{report.checked} items, health report{ctx.answered_by}",
    )
    summary = (
        f"{report.checked} items checked, {len(report.items)} with findings"
        + (f", {report.ignored} left out (tag health:ignore)" if report.ignored else "")
        + "."
    )
    header = [*result.sources, summary]
    if csv_path is not None:
        write_csv(csv_path, report, replace=args.force)
    if args.json:
        print("\n".join(header), file=sys.stderr)
        # ensure_ascii: an escape sequence in a title is printed as \\u001b, never raw.
        objects = [json.dumps(as_json(item), ensure_ascii=True) for item in by_id(report)]
        print("[\n" + ",\n".join(objects) + "\n]" if objects else "[]")
    else:
        sys.stdout.write("".join(line + "\n" for line in [*header, *table(report)]))
    if csv_path is not None:
        print(f"Wrote the report to {visible_text(args.csv)} (owner-only).", file=sys.stderr)
    return FINDINGS if report.items else DONE


def table(report: Report) -> list[str]:
    """The items with findings, a line each: ``id:N  title  finding, finding``."""
    if not report.items:
        return ["No findings."]
    titles = [visible_text(item.title) for item in report.items]
    width = min(TITLE_WIDTH, max(len(title) for title in titles))
    ids = [f"id:{item.id}" for item in report.items]
    id_width = max(len(text) for text in ids)
    lines = [f"{'ID':<{id_width}}  {'TITLE':<{width}}  FINDINGS"]
    for shown, title, item in zip(ids, titles, report.items, strict=True):
        if len(title) > width:
            title = title[: width - 1] + "…"
        lines.append(f"{shown:<{id_width}}  {title:<{width}}  {', '.join(item.labels)}")
    return lines


def by_id(report: Report) -> list[ItemHealth]:
    """The items in id order: a file's order says nothing of which share a password."""
    return sorted(report.items, key=lambda item: item.id)


def as_json(item: ItemHealth) -> dict[str, object]:
    findings: list[dict[str, object]] = (
        [{"kind": "could-not-check"}]
        if item.damaged
        else [
            {"kind": finding.kind, **({"count": finding.count} if finding.count else {})}
            for finding in item.findings
        ]
    )
    return {"id": item.id, "title": item.title, "findings": findings, "labels": item.labels}


def write_csv(path: Path, report: Report, *, replace: bool) -> None:
    """``id,title,findings``, written as an export is (owner-only, never through a link, never
    into a device or another user's file); no password, no hash."""
    from app.services.transfer import ExportTarget, write_private_file

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["id", "title", "findings"])
    for item in by_id(report):
        writer.writerow([item.id, as_text(item.title), as_text("; ".join(item.labels))])
    try:
        write_private_file(path, out.getvalue(), replace=replace)
    except ExportTarget as refused:
        more = " --force replaces it." if refused.exists else ""
        raise Exit(USAGE, refused.message + more) from None


def as_text(value: str) -> str:
    """A cell a spreadsheet shows as text and never runs: a ' before a formula's start."""
    return "'" + value if value.startswith(FORMULA_START) else value


def build_index(args: argparse.Namespace, ctx: Context) -> int:
    """``health build-index``: the compact index of the sorted breach list (no vault opened)."""
    from app.core.breach_index import build_index as write_index
    from app.core.breach_index import is_index

    named = args.breach_list or ctx.settings.breach_list
    if not named:
        raise Exit(USAGE, "build-index needs the sorted list: --breach-list PATH.")
    source = Path(named).expanduser()
    target = Path(args.output).expanduser() if args.output else Path(f"{source}.idx")
    if source.is_dir():
        raise Exit(USAGE, "build-index takes the single sorted file, not a folder of ranges.")
    if is_index(source):
        raise Exit(USAGE, f"{visible_text(str(source))} is already an index.")
    if target.resolve() == source.resolve():
        raise Exit(USAGE, "The index cannot replace the list it is built from: -o FILE.")
    exists = target.exists() or target.is_symlink()
    if exists and (not args.force or target.is_symlink() or not target.is_file()):
        raise Exit(USAGE, f"{visible_text(str(target))} exists. --force replaces it.")

    def progress(done: int, total: int) -> None:
        if sys.stderr.isatty():
            print(f"\rIndexing {done * 100 // max(1, total)}%…", end="", file=sys.stderr)

    hashes = write_index(source, target, progress)
    if sys.stderr.isatty():
        print("\r\x1b[K", end="", file=sys.stderr, flush=True)
    size, was = target.stat().st_size, source.stat().st_size
    print(
        f"Indexed {hashes:,} hashes into {visible_text(str(target))} ({size:,} bytes, "
        f"{size / max(1, was):.2f}x the list's {was:,}): point breach_list or --breach-list at it."
    )
    return DONE

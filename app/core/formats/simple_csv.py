"""The CSV exports: KeePassXC, LastPass, 1Password, Chrome (Chromium, Edge, Brave) and Firefox.

Each is told apart by its header row. Quoted values may hold commas, quotes and line breaks;
a line number in a message is the line where that record starts.

What a CSV can carry is less than the JSON and XML exports: no history and (but for
KeePassXC's group column) no folders; LastPass marks a secure note with the URL ``http://sn``;
Firefox has no titles, so the site's host becomes one.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from app.core.formats import (
    Ask,
    Format,
    ImportFailed,
    Parsed,
    add,
    decode,
    read_bytes,
    split_tags,
    when,
)
from app.core.items import ImportedItem, ItemDraft

MAX_COLUMNS = 1_000

_NOW = partial(datetime.now, UTC)
csv.field_size_limit(16 * 1024 * 1024)  # notes may be long; the file's size is capped anyway

KEEPASSXC = ("group", "title", "username", "password", "url", "notes")
KEEPASSXC_NEW = (*KEEPASSXC, "totp", "icon", "last modified", "created")
LASTPASS = ("url", "username", "password", "totp", "extra", "name", "grouping", "fav")
CHROME = ("name", "url", "username", "password")
FIREFOX = ("url", "username", "password", "httprealm", "formactionorigin", "guid")
ONEPASSWORD = ("title", "url", "username", "password")
STRONGROOM_MARK = "strongroom"  # the start of the column Strongroom's CSV export adds
BITWARDEN = ("folder", "favorite", "type", "name", "login_uri", "login_username")


def _header(text: str) -> list[str]:
    first = next(csv.reader(io.StringIO(text, newline="")), [])
    return [column.strip().casefold() for column in first]


def detect_csv(start: str) -> str | None:
    columns = _header(start)
    found = set(columns)
    if set(BITWARDEN) <= found:
        return "bitwarden-csv"
    if set(KEEPASSXC) <= found:
        return "keepassxc-csv"
    if set(LASTPASS) <= found:
        return "lastpass-csv"
    if set(FIREFOX) <= found:
        return "firefox-csv"
    if set(ONEPASSWORD) <= found or {"title", "website", "username", "password"} <= found:
        return "1password-csv"
    if set(CHROME) <= found:
        return "chrome-csv"
    return None


def rows(path: Path, *, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, row by lower-cased column name) for every record after the header."""
    text = decode(read_bytes(path), path.name)
    lines = io.StringIO(text, newline="")
    reader = csv.reader(lines, strict=True)
    try:
        header = [column.strip().casefold() for column in next(reader, [])]
    except csv.Error as error:
        raise ImportFailed(f"{path.name}, line 1: {error}.") from None
    if len(header) > MAX_COLUMNS:  # each row is a dict over every column the header names
        raise ImportFailed(
            f"{path.name} names {len(header):,} columns in its first line; a password manager's "
            f"CSV has a few dozen, at most {MAX_COLUMNS:,} are read. Is this the right file?"
        )
    missing = [name for name in required if name not in header]
    if missing:
        raise ImportFailed(f"{path.name} has no column {', '.join(missing)} in its first line.")
    start = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise ImportFailed(f"{path.name}, line {start}: {error}.") from None
        if row and any(cell.strip() for cell in row):
            if len(row) > len(header):
                raise ImportFailed(
                    f"{path.name}, line {start}: {len(row)} values, but the header names "
                    f"{len(header)} columns (a quote left open?)."
                )
            yield start, dict(zip(header, [*row, *[""] * (len(header) - len(row))], strict=True))
        start = reader.line_num + 1


def _strongroom_marked(row: dict[str, str]) -> bool:
    """Whether the file is Strongroom's own KeePassXC CSV (its eleventh column says so)."""
    return any(column.startswith(STRONGROOM_MARK) for column in row)


def read_keepassxc(path: Path, ask: Ask) -> Parsed:
    """KeePassXC's CSV: ten columns, or the six of older versions. The first part of the group
    is the database's root group, so ``Root/Work`` is the tag ``Work``.

    Strongroom's own export (marked by an eleventh column) put a ``'`` before every value that
    starts with one, or with what a spreadsheet runs as a formula: exactly that ``'`` is taken
    away. Any other file's values are kept as they are, a leading ``'`` too."""
    parsed = Parsed("keepassxc-csv")
    for line, row in rows(path, required=KEEPASSXC):
        if _strongroom_marked(row):
            row = {column: value.removeprefix("'") for column, value in row.items()}
        group = row["group"].split("/")[1:]
        trashed = bool(group) and group[0] == "Recycle Bin"
        draft = ItemDraft(
            title=row["title"],
            username=row["username"],
            password=row["password"],
            urls=(row["url"],),
            notes=row["notes"],
            tags=() if trashed else split_tags("/".join(group)),
            totp=row.get("totp", ""),
        )
        modified = when(row.get("last modified"))
        item = ImportedItem(
            draft,
            created_at=when(row.get("created")),
            updated_at=modified,
            trashed_at=(modified or _NOW()) if trashed else None,
        )
        add(parsed, item, f"line {line}")
    return parsed


def read_lastpass(path: Path, ask: Ask) -> Parsed:
    parsed = Parsed("lastpass-csv")
    for line, row in rows(path, required=LASTPASS):
        url = row["url"].strip()
        draft = ItemDraft(
            title=row["name"],
            username=row["username"],
            password=row["password"],
            urls=() if url in ("http://sn", "") else (url,),
            notes=row["extra"],
            tags=split_tags(row["grouping"].replace("\\", "/")),  # LastPass writes a\\b
            totp=row["totp"],
            favourite=row["fav"].strip() == "1",
        )
        add(parsed, ImportedItem(draft), f"line {line}")
    return parsed


def read_chrome(path: Path, ask: Ask) -> Parsed:
    """Chrome, Chromium, Edge and Brave: name, url, username, password (and note, lately)."""
    parsed = Parsed("chrome-csv")
    for line, row in rows(path, required=CHROME):
        draft = ItemDraft(
            title=row["name"],
            username=row["username"],
            password=row["password"],
            urls=(row["url"],),
            notes=row.get("note", "") or row.get("notes", ""),
        )
        add(parsed, ImportedItem(draft), f"line {line}")
    return parsed


def read_firefox(path: Path, ask: Ask) -> Parsed:
    """Firefox: no titles (the host is used); its times are milliseconds since 1970."""
    parsed = Parsed("firefox-csv")
    for line, row in rows(path, required=("url", "username", "password")):
        urls = [row["url"]]
        if row.get("formactionorigin") and row["formactionorigin"] not in urls:
            urls.append(row["formactionorigin"])
        draft = ItemDraft(
            title="", username=row["username"], password=row["password"], urls=tuple(urls)
        )
        item = ImportedItem(
            draft,
            created_at=when(row.get("timecreated")),
            updated_at=when(row.get("timepasswordchanged")),
        )
        add(parsed, item, f"line {line}")
    return parsed


def read_onepassword(path: Path, ask: Ask) -> Parsed:
    """1Password 8's CSV: Title, Url, Username, Password, OTPAuth, Favorite, Archived, Tags,
    Notes (older versions name the URL column Website)."""
    parsed = Parsed("1password-csv")
    for line, row in rows(path, required=("title", "username", "password")):
        tags = row.get("tags", "").replace(";", ",").split(",")
        if row.get("archived", "").strip().casefold() in ("true", "1", "yes"):
            tags.append("Archived")  # 1Password's archive keeps items, unlike a trash
        draft = ItemDraft(
            title=row["title"],
            username=row["username"],
            password=row["password"],
            urls=(row.get("url") or row.get("website") or "",),
            notes=row.get("notes", ""),
            tags=tuple(tag.strip() for tag in tags if tag.strip()),
            totp=row.get("otpauth") or row.get("one-time password") or "",
            favourite=row.get("favorite", "").strip().casefold() in ("true", "1", "yes"),
        )
        add(parsed, ImportedItem(draft), f"line {line}")
    return parsed


FORMATS = (
    Format("keepassxc-csv", "KeePassXC CSV", read_keepassxc),
    Format("lastpass-csv", "LastPass CSV", read_lastpass),
    Format("chrome-csv", "Chrome, Chromium, Edge or Brave CSV", read_chrome),
    Format("firefox-csv", "Firefox CSV", read_firefox),
    Format("1password-csv", "1Password CSV", read_onepassword),
)

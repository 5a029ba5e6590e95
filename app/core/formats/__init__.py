"""Other managers' files, read into vault items: one reader per format, one way in.

:func:`read` takes a path (and a format name, or finds the format from the file) and returns a
:class:`Parsed`: the items, what was skipped and why. It writes nothing: the caller shows the
summary, then hands the items to the vault in one transaction. A file that cannot be read as its
format raises :class:`ImportFailed` naming the line or entry and the reason; nothing is imported.

Everything here treats the file as hostile data: sizes are capped before reading, a zip's
expanded size before expanding, and text is never interpreted beyond its format.
"""

from __future__ import annotations

import codecs
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from app.core.errors import UserError, ValidationError
from app.core.items import CustomField, ImportedItem, ItemDraft
from app.core.rules import LIMITS, MAX_FIELDS, MAX_TAGS, MAX_URLS, normalize_totp, validate

# A 10,000-item export is a few megabytes, a 50,000-item one some tens. The file is held in
# memory as it is parsed, at several times its size: these bound what a hostile one can cost.
MAX_FILE_BYTES = 64 * 1024 * 1024  # a file, a .1pux's export.data expanded, gpg's output
MAX_EXPANDED_BYTES = MAX_FILE_BYTES  # what a zip's member may expand to
MAX_ENTRIES = 50_000  # five times the largest vaults; each one read is held until written

Ask = Callable[[str], str]  # asks for a file's password with this prompt; "" when none given


class ImportFailed(UserError):
    """The file cannot be imported; the message says where and why. Nothing was written."""

    def __init__(self, message: str, field: str = "file") -> None:
        super().__init__(message, field)


class UnknownFormat(ImportFailed):
    """The file's format could not be told from its contents; it must be named. The message
    speaks of the command line's option; the app says where its own format selector is."""

    def __init__(self, file_name: str) -> None:
        super().__init__(
            f"{file_name} is not a format this knows. Give --format (see --help for the list), "
            "or export again as CSV or JSON."
        )
        self.file_name = file_name


class FileMissing(ImportFailed):
    """There is no such file."""


class ReaderFailed(ImportFailed):
    """A reader met what it did not expect: one line naming the format, not a traceback."""


class WrongFilePassword(ImportFailed):
    """The password given does not open the (encrypted) file."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "password")


@dataclass(frozen=True)
class Skipped:
    where: str  # "line 12", "entry 'GitHub'"
    reason: str


@dataclass
class Parsed:
    format: str
    items: list[ImportedItem] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    adjusted: int = 0  # control characters shown as symbols, overlong values moved to notes

    @property
    def custom_fields(self) -> int:
        return sum(len(item.draft.fields) for item in self.items)

    def counts(self) -> str:
        """'N items, M custom fields, K skipped': the summary shown before anything is written."""
        fields = f", {self.custom_fields} custom fields" if self.custom_fields else ""
        return f"{len(self.items)} items{fields}, {len(self.skipped)} skipped"

    def adjusted_note(self) -> str:
        """What was changed to fit the vault, in a sentence ("" when nothing was)."""
        if not self.adjusted:
            return ""
        return (
            f"{self.adjusted} items held control characters or overlong values: they are kept "
            "as visible symbols (␛) or in the notes."
        )


Reader = Callable[[Path, Ask], Parsed]


@dataclass(frozen=True)
class Format:
    name: str
    label: str  # "Bitwarden JSON"
    reader: Reader


# -- reading the file -------------------------------------------------------------------------


def read_bytes(path: Path, limit: int = MAX_FILE_BYTES, *, head: int | None = None) -> bytes:
    """The file's bytes, once its size is known to be within ``limit``; only its first
    ``head`` bytes when that is all the caller needs. A named pipe is refused, not waited on."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
        with open(fd, "rb") as handle:  # a folder raises IsADirectoryError here
            if not stat.S_ISREG((status := os.fstat(fd)).st_mode):
                raise ImportFailed(f"{str(path)!r} is not a regular file, so not an export.")
            if (size := status.st_size) > limit:
                raise ImportFailed(
                    f"{path.name} is {size // (1024 * 1024)} MB; an export to import is at most "
                    f"{limit // (1024 * 1024)} MB. Is this the right file?"
                )
            if head is not None:
                return handle.read(head)
            data = handle.read(size + 1)  # a buffer of the size stated, not of the limit
            if len(data) > size:  # it grew since: read on, as far as the limit
                data += handle.read(limit + 1 - len(data))
            return data[:limit]
    except FileNotFoundError:
        raise FileMissing(f"There is no file {str(path)!r}.") from None
    except IsADirectoryError:
        raise ImportFailed(f"{str(path)!r} is a folder, not an export file.") from None
    except OSError as error:
        raise ImportFailed(f"{str(path)!r} cannot be read: {error.strerror}.") from None


def decode(data: bytes, name: str) -> str:
    """Text from a file: UTF-8 (with or without a BOM) or UTF-16 with its BOM, as spreadsheets
    save it. Anything else is refused with a line that says what to do."""
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if data.startswith(bom):
            data, chosen = data[len(bom) :], encoding
            break
    else:
        chosen = "utf-8"
    try:
        text = data.decode(chosen)
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ImportFailed(
            f"{name} is not UTF-8 text (line {line}): is it the export file? "
            "Save a spreadsheet as 'CSV UTF-8'."
        ) from None
    if "\x00" in text:
        raise ImportFailed(f"{name} holds binary data, not an export this can read.")
    return text


# -- what every reader shares ------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROL_SINGLE_LINE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def _pictured(match: re.Match[str]) -> str:
    code = ord(match.group())
    return chr(0x2400 + code) if code < 0x20 else "\u2421" if code == 0x7F else "\ufffd"


def when(value: object) -> datetime | None:
    """A date as the formats write them: ISO 8601 (with Z or an offset), or seconds or
    milliseconds since 1970. None for anything else."""
    if value in (None, ""):
        return None
    try:
        if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
            number = float(value)
            if number > 10**11:  # milliseconds
                number /= 1000
            return datetime.fromtimestamp(number, UTC)
        if isinstance(value, str):
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):
        return None
    return None


def split_tags(path: str) -> tuple[str, ...]:
    """A folder or group path as a tag ("Work/Servers"); none for the top level."""
    parts = [part.strip() for part in path.split("/") if part.strip()]
    return ("/".join(parts),) if parts else ()


def fitted(item: ImportedItem, where: str, parsed: Parsed) -> ImportedItem | None:
    """The item as the vault can hold it, or None (and a Skipped line) if it cannot.

    What the form refuses but a file may hold is kept, changed as little as possible: control
    characters in a one-line field become their visible symbols (ESC as ␛), a title that is
    too long is cut (the whole one goes to the notes), URLs, tags and fields past the limits go
    to the notes. A TOTP secret that makes no codes is kept as a secret custom field.
    """
    draft = item.draft
    if not any((draft.title.strip(), draft.username, draft.password, draft.notes.strip(),
                draft.totp, *draft.urls, *(f.value for f in draft.fields))):  # fmt: skip
        parsed.skipped.append(Skipped(where, "it holds nothing (no title, login or notes)"))
        return None
    notes_extra: list[str] = []
    adjusted = False

    def one_line(text: str) -> str:
        nonlocal adjusted
        if text.isprintable():  # the common case, answered in C
            return text
        cleaned = _CONTROL_SINGLE_LINE.sub(_pictured, text)
        adjusted |= cleaned != text
        return cleaned

    def multi_line(text: str) -> str:
        nonlocal adjusted
        text = text.replace("\r\n", "\n").replace("\r", "\n")  # line endings are not data
        if text.replace("\n", "").replace("\t", "").isprintable():
            return text
        cleaned = _CONTROL.sub(_pictured, text)
        adjusted |= cleaned != text
        return cleaned

    title = one_line(draft.title.strip() or _fallback_title(draft))
    if len(title) > LIMITS["title"]:
        notes_extra.append(f"Title: {title}")
        title = title[: LIMITS["title"] - 1] + "…"
    username = one_line(draft.username)
    if len(username) > LIMITS["username"]:
        notes_extra.append(f"Username: {username}")
        username = ""
    password = one_line(draft.password)
    urls = [one_line(url).strip() for url in draft.urls if url.strip()]
    keep_urls = [url for url in urls if len(url) <= LIMITS["url"]][:MAX_URLS]
    notes_extra += [f"URL: {url}" for url in urls if url not in keep_urls]
    tags = list(dict.fromkeys(one_line(tag).strip()[: LIMITS["tag"]] for tag in draft.tags))
    tags = [tag for tag in tags if tag][:MAX_TAGS]
    fields: list[CustomField] = []
    names: set[str] = set()
    for custom in draft.fields:
        name = one_line(custom.name.strip())[: LIMITS["field name"]] or "Field"
        value = multi_line(custom.value)
        if len(fields) >= MAX_FIELDS or len(value) > LIMITS["field value"]:
            notes_extra.append(f"{name}: {value}")
            continue
        name = _free_name(name, names)  # Bitwarden allows two fields of one name; the vault not
        fields.append(CustomField(name, value, custom.secret))
    totp = one_line(draft.totp.strip())
    if totp:
        try:
            normalize_totp(totp)
        except ValidationError:
            fields.append(CustomField(_free_name("TOTP (makes no codes)", names), totp, True))
            totp = ""
    notes = multi_line(draft.notes)
    if notes_extra:
        adjusted = True
        notes = "\n".join([notes, *notes_extra]) if notes else "\n".join(notes_extra)
    notes = notes[: LIMITS["notes"]]
    clean = ItemDraft(
        title, username, password, tuple(keep_urls), notes, tuple(tags), totp,
        draft.favourite, tuple(fields),
    )  # fmt: skip
    try:
        clean = validate(clean)
    except ValidationError as error:
        parsed.skipped.append(Skipped(where, error.message))
        return None
    parsed.adjusted += adjusted
    history = tuple(entry for entry in item.history if entry.password)
    return ImportedItem(clean, history, item.created_at, item.updated_at, item.trashed_at)


def _free_name(name: str, taken: set[str]) -> str:
    """``name``, or ``name (2)``, ``name (3)``… if it is taken; the one returned is taken now."""
    base, number = name, 2
    while name in taken:
        name, number = f"{base} ({number})", number + 1
    taken.add(name)
    return name


def _fallback_title(draft: ItemDraft) -> str:
    """Some managers allow an item without a name; the vault does not."""
    for url in draft.urls:
        host = re.sub(r"^[a-z][a-z0-9+.-]*://", "", url.strip(), flags=re.I).split("/")[0]
        if host:
            return host
    return draft.username.strip() or "Untitled"


def too_many(count: int) -> ImportFailed:
    return ImportFailed(f"The file holds {count:,} entries; at most {MAX_ENTRIES:,} at once.")


def add(parsed: Parsed, item: ImportedItem, where: str) -> None:
    if len(parsed.items) + len(parsed.skipped) >= MAX_ENTRIES:
        raise too_many(MAX_ENTRIES + 1)
    kept = fitted(item, where, parsed)
    if kept is not None:
        parsed.items.append(kept)


def identity(draft: ItemDraft) -> tuple[object, ...]:
    """What makes two items the same one: importing a file twice adds nothing the second time."""
    return (draft.title, draft.username, draft.password, draft.urls, draft.notes, draft.totp,
            draft.fields)  # fmt: skip


# -- choosing the reader ------------------------------------------------------------------------


def formats() -> dict[str, Format]:
    from app.core.formats import bitwarden, keepass, onepassword, pass_store, simple_csv

    every = [
        *bitwarden.FORMATS,
        *keepass.FORMATS,
        *onepassword.FORMATS,
        *simple_csv.FORMATS,
        *pass_store.FORMATS,
    ]
    return {entry.name: entry for entry in every}


def detect(path: Path) -> str:
    """The format of a file, from what it holds (never from its name alone)."""
    from app.core.formats import simple_csv

    if path.is_dir():  # a missing file is read_bytes' FileMissing
        if (path / ".gpg-id").exists():
            return "pass"
        raise ImportFailed(
            f"{str(path)!r} is a folder but not a pass password store (it has no .gpg-id)."
        )
    head = read_bytes(path, head=4096)  # the reader reads the whole file, once
    if head.startswith(b"\x03\xd9\xa2\x9a"):
        return "kdbx"
    if head.startswith(b"PK\x03\x04"):
        return "1pux"
    try:
        start = decode(head, path.name).lstrip()
    except ImportFailed:
        if len(head) == 4096:  # the cut may have split a character: judge the whole file
            start = decode(read_bytes(path), path.name)[:4096].lstrip()
        else:
            raise
    if start.startswith("{"):
        return "bitwarden-json"
    if start.startswith("<"):
        return "keepass-xml"
    found = simple_csv.detect_csv(start)
    if found is None:
        raise UnknownFormat(path.name)
    return found


def read(path: Path, ask: Ask, format_name: str | None = None) -> Parsed:
    """What the file holds, or ImportFailed: a reader's own (naming the entry and field), or
    for anything else a reader meets, ReaderFailed naming the format. Only ``ask``'s own
    exceptions (the caller's) pass through as they are."""
    known = formats()
    label = known[format_name].label if format_name in known else "an export"
    asked: list[BaseException] = []

    def asking(prompt: str) -> str:
        try:
            return ask(prompt)
        except BaseException as error:
            asked.append(error)
            raise

    try:
        name = format_name or detect(path)
        if name not in known:
            raise ImportFailed(f"No import format {name!r}; the formats are {', '.join(known)}.")
        label = known[name].label
        return known[name].reader(path, asking)
    except ImportFailed:
        raise
    except Exception as error:  # RecursionError and MemoryError too
        if error in asked:
            raise
        raise ReaderFailed(
            f"{path.name} cannot be read as {label}: it is damaged, too large or not such an "
            f"export ({type(error).__name__})."
        ) from None

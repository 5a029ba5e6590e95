"""KeePass 2 XML (as ``keepassxc-cli export --format xml`` writes it) and ``.kdbx`` databases,
opened by the installed ``keepassxc-cli`` with its own password prompt.

What arrives: every string of an entry (title, username, password, URL, notes; extra URLs as
``KP2A_URL_n``; the TOTP as KeePassXC's ``otp``; any other attribute as a custom field, secret
when KeePass protects it), the group path as a tag and the entry's tags, earlier passwords from
the entry's history with their dates, creation and modification times, and entries of the
recycle bin into the trash. Attachments and icons are not carried.
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.core.formats import (
    MAX_FILE_BYTES,
    Ask,
    Format,
    ImportFailed,
    Parsed,
    WrongFilePassword,
    add,
    decode,
    read_bytes,
    split_tags,
    when,
)
from app.core.items import CustomField, HistoryEntry, ImportedItem, ItemDraft
from app.core.programs import find_program, not_found

STANDARD = {"Title", "UserName", "Password", "URL", "Notes", "otp"}
_EXTRA_URL = re.compile(r"^(KP2A_URL(_\d+)?|URL_\d+)$")
_KEEPASS_EPOCH = datetime(1, 1, 1, tzinfo=UTC)
# Groups below the root group, at most: real databases nest ten or twenty levels. Each group
# carries its whole path (its entries' tag), so a file nesting 200,000 deep took half a minute.
MAX_GROUP_DEPTH = 100


def _time(text: str | None) -> datetime | None:
    """ISO 8601, or KDBX 4's base64 of seconds since the year 1."""
    if not text:
        return None
    moment = when(text)
    if moment is not None:
        return moment
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError:  # binascii.Error is one
        return None
    if len(raw) != 8:
        return None
    try:
        return _KEEPASS_EPOCH + timedelta(seconds=int.from_bytes(raw, "little"))
    except OverflowError:
        return None


def _strings(entry: ET.Element) -> dict[str, tuple[str, bool]]:
    strings: dict[str, tuple[str, bool]] = {}
    for string in entry.findall("String"):
        key = string.findtext("Key") or ""
        value = string.find("Value")
        if value is None:
            continue
        if value.get("Protected", "").casefold() == "true":
            raise ImportFailed(
                'The XML holds values still encrypted by KeePass (Protected="True"): export it '
                "again with KeePassXC's 'Export to XML', or import the .kdbx file itself."
            )
        secret = value.get("ProtectInMemory", "").casefold() == "true"
        strings[key] = (value.text or "", secret)
    return strings


def _entry(element: ET.Element, path: list[str], trashed: bool) -> ImportedItem:
    strings = _strings(element)

    def text(key: str) -> str:
        return strings.get(key, ("", False))[0]

    urls = [text("URL")]
    fields = []
    totp = text("otp")
    for key, (value, secret) in strings.items():
        if key in STANDARD:
            continue
        if _EXTRA_URL.match(key):
            urls.append(value)
        elif key == "TOTP Seed" and not totp:
            totp = value  # KeePass 2 plugins and older KeePassXC
        elif key != "TOTP Settings" or not text("TOTP Seed"):
            fields.append(CustomField(key, value, secret))
    # In the recycle bin the group is the bin, not the entry's own: only its tags are kept.
    tags = [] if trashed else list(split_tags("/".join(path)))
    tags += [
        tag.strip() for tag in re.split(r"[;,]", element.findtext("Tags") or "") if tag.strip()
    ]
    times = element.find("Times")
    created = _time(times.findtext("CreationTime")) if times is not None else None
    modified = _time(times.findtext("LastModificationTime")) if times is not None else None
    password = text("Password")
    history: list[HistoryEntry] = []
    older = element.find("History")
    if older is not None:
        # Each snapshot is the whole entry: a password counts as an earlier one where it
        # differs from the snapshot after it (other edits leave it the same).
        newer = password
        for previous in reversed(older.findall("Entry")):  # KeePass keeps oldest first
            old = _strings(previous).get("Password", ("", False))[0]
            if old and old != newer:
                stamp = previous.find("Times")
                at = _time(stamp.findtext("LastModificationTime")) if stamp is not None else None
                history.append(HistoryEntry(old, at or modified or datetime.now(UTC)))
            newer = old or newer
    draft = ItemDraft(
        title=text("Title"),
        username=text("UserName"),
        password=password,
        urls=tuple(urls),
        notes=text("Notes"),
        tags=tuple(tags),
        totp=totp,
        fields=tuple(fields),
    )
    return ImportedItem(
        draft,
        tuple(history),
        created_at=created,
        updated_at=modified,
        trashed_at=(modified or datetime.now(UTC)) if trashed else None,
    )


def parse_xml(text: str, name: str, format_name: str = "keepass-xml") -> Parsed:
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    from app.core.formats.shapes import check_markup

    check_markup(text, name)  # the tags counted before any is parsed
    try:
        # KeePass never writes a DTD: one is a bomb, which defusedxml refuses. Without one no
        # entity can be declared (expat reads this string as UTF-8, whatever the file says, so
        # no other encoding spells one), and the C parser reads the file a quarter faster.
        dtd = "<!DOCTYPE" in text
        root = fromstring(text, forbid_dtd=True) if dtd else ET.fromstring(text)  # noqa: S314
    except DefusedXmlException:
        raise ImportFailed(
            f"{name} declares a DTD or entities; a KeePass export never does."
        ) from None
    except ET.ParseError as error:
        line = error.position[0]
        raise ImportFailed(f"{name} is not valid XML (line {line}): {error.msg}.") from None
    if root.tag != "KeePassFile":
        raise ImportFailed(f"{name} is XML, but not a KeePass export (no <KeePassFile>).")
    top = root.find("Root/Group")
    if top is None:
        raise ImportFailed(f"{name} has no groups: it is not a KeePass database export.")
    recycle_bin = root.findtext("Meta/RecycleBinUUID") or ""
    parsed = Parsed(format_name)

    # Depth first, in the file's order, with a stack of its own (never Python's recursion);
    # deeper than MAX_GROUP_DEPTH is refused before any path gets that long.
    pending: list[tuple[ET.Element, list[str], bool]] = [(top, [], False)]
    while pending:
        group, path, trashed = pending.pop()
        for entry in group.findall("Entry"):
            title = next(
                (
                    s.findtext("Value")
                    for s in entry.findall("String")
                    if s.findtext("Key") == "Title"
                ),
                None,
            )
            where = (
                f"entry {title!r}"
                if title
                else f"an untitled entry in {'/'.join(path) or 'the root group'}"
            )
            add(parsed, _entry(entry, path, trashed), where)
        children = []
        for child in group.findall("Group"):
            if len(path) == MAX_GROUP_DEPTH:
                raise ImportFailed(
                    f"{name} nests its groups more than {MAX_GROUP_DEPTH} levels deep; "
                    "a KeePass database nests far fewer. Is this the right file?"
                )
            is_bin = bool(recycle_bin) and child.findtext("UUID") == recycle_bin
            children.append((child, [*path, child.findtext("Name") or ""], trashed or is_bin))
        pending.extend(reversed(children))
    return parsed


def read_xml(path: Path, ask: Ask) -> Parsed:
    return parse_xml(decode(read_bytes(path), path.name), path.name)


def read_kdbx(path: Path, ask: Ask) -> Parsed:
    """A KeePass database, opened by ``keepassxc-cli export``; the password goes to it on its
    standard input (never its arguments or environment)."""
    program = find_program("keepassxc-cli")
    if program is None:
        raise ImportFailed(
            f"Importing a .kdbx file needs keepassxc-cli: {not_found('keepassxc-cli')}. Install "
            "it (the keepassxc package), or export from KeePassXC as XML (Database > Export > "
            "XML File) and import that."
        )
    read_bytes(path)  # the size check, and a clear message for a missing file
    password = ask(f"Password of the KeePass database {path.name}: ")
    try:
        done = subprocess.run(  # noqa: S603 (our arguments; the password on stdin)
            [program, "export", "--format", "xml", os.fspath(path)],
            input=(password + "\n").encode(),
            capture_output=True,
            timeout=600,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ImportFailed(f"keepassxc-cli could not open {path.name}: {error}.") from None
    if done.returncode != 0:
        lines = decode(done.stderr[-4000:], "keepassxc-cli").splitlines()
        # Its password prompt goes to standard error too: the reason is the line after it.
        reasons = [line.strip() for line in lines if line.strip() and "Enter password" not in line]
        said = reasons[0] if reasons else f"exit status {done.returncode}"
        if "credentials" in said.casefold():
            raise WrongFilePassword(f"That is not the password of {path.name}.")
        raise ImportFailed(f"keepassxc-cli could not open {path.name}: {said}")
    if len(done.stdout) > MAX_FILE_BYTES:
        raise ImportFailed(f"{path.name} holds more than an import takes at once.")
    return parse_xml(decode(done.stdout, path.name), path.name, "kdbx")


FORMATS = (
    Format("keepass-xml", "KeePass 2 XML (KeePassXC, KeePass)", read_xml),
    Format("kdbx", "KeePass database (.kdbx, through keepassxc-cli)", read_kdbx),
)

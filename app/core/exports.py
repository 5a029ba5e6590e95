"""A vault written out in formats other managers read: KeePass 2 XML, KeePassXC CSV and
Bitwarden's unencrypted JSON.

Plain Python: the items come in decrypted (the caller has checked the master password), the
text goes out. What each format can hold of an item:

- KeePass 2 XML (what ``keepassxc-cli import`` reads): every field; the first tag as the group
  path (``Work/Servers`` as nested groups) and every tag in ``Tags``; extra URLs as
  ``KP2A_URL_n``; the TOTP secret as KeePassXC's ``otp``; custom fields as attributes (secret
  ones protected); earlier passwords as the entry's history; trashed items in the recycle bin.
  Not the favourite mark, which KeePass has no place for.
- KeePassXC CSV: KeePassXC's ten columns (group, title, username, password, URL, notes, TOTP,
  icon, last modified, created), and an eleventh that marks the file as Strongroom's; one URL;
  no custom fields, history, favourites or trash. A spreadsheet runs a cell that starts with
  ``=``, ``+``, ``-``, ``@``, a tab or a carriage return as a formula, so every such cell (and
  one that starts with ``'``) is written with a ``'`` in front, as OWASP advises: a spreadsheet
  then shows it as text. Strongroom's import knows its own file by the eleventh column and
  takes exactly that ``'`` away again; any other reader (KeePassXC's CSV import among them)
  keeps it as part of the value. KeePass XML is the export that carries every value as it is.
- KeePass 2 XML cannot hold some characters at all (most C0 controls, U+FFFE, U+FFFF): an
  item holding one is named and the export refused, rather than written unreadable or changed.
- Bitwarden JSON: logins with every URL, TOTP, favourite, custom fields (secret ones hidden),
  password history and trash (``deletedDate``); the first tag as the folder. The
  password-protected form is the same document, encrypted (see formats.bitwarden).
"""

from __future__ import annotations

import base64
import csv
import io
import json
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from app.core.errors import ValidationError
from app.core.formats.bitwarden import TAGS_FIELD, Kdf, encrypt_export
from app.core.items import HistoryEntry, Item

PLAINTEXT_WARNING = (
    "This file holds your passwords unencrypted: anyone who gets it can read them all. "
    "Import it, then delete it."
)
ENCRYPTED_NOTE = "It opens only with the password you gave it: keep that password safe."
CSV_WARNING = (
    "A CSV opened in a spreadsheet can run a value as a formula: a value starting with "
    "= + - @ gets a ' in front (Strongroom's import takes it away; KeePassXC keeps it). "
    "KeePass XML is the safe choice."
)


@dataclass(frozen=True)
class Exported:
    item: Item
    history: list[HistoryEntry] = field(default_factory=list)
    created_at: datetime | None = None

    @property
    def trashed(self) -> bool:
        return self.item.deleted_at is not None


def _iso(moment: datetime | None) -> str:
    return (moment or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _otp(secret: str) -> str:
    """KeePassXC and Bitwarden take an otpauth link; a bare secret becomes one."""
    if not secret or secret.startswith("otpauth://"):
        return secret
    return f"otpauth://totp/Strongroom?secret={secret}&period=30&digits=6"


def _uuid(seed: str) -> str:
    """A stable KeePass UUID (base64 of 16 bytes) for an item or a group."""
    return base64.b64encode(uuid.uuid5(uuid.NAMESPACE_URL, seed).bytes).decode()


# -- KeePass 2 XML ----------------------------------------------------------------------------


# What XML 1.0 has no place for (its Char production): C0 controls but TAB, LF and CR, lone
# surrogates, U+FFFE and U+FFFF. Neither KeePassXC nor any XML reader opens a file holding one.
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
SHOWN_ITEMS = 5  # items named in a refusal; past that, counted


def _item_texts(entry: Exported) -> list[tuple[str, str]]:
    """(what it is, text) for every piece of an item an export writes."""
    item = entry.item
    return [
        ("title", item.title),
        ("username", item.username),
        ("password", item.password),
        ("notes", item.notes),
        ("TOTP", item.totp),
        *(("URL", url) for url in item.urls),
        *(("tag", tag) for tag in item.tags),
        *((f"field {custom.name!r}", custom.name + custom.value) for custom in item.fields),
        *(("an earlier password", old.password) for old in entry.history),
    ]


def xml_problems(entries: list[Exported]) -> list[str]:
    """Each item that holds a character XML cannot carry, as "'Title' (title, notes: U+FFFF)"."""
    found = []
    for entry in entries:
        where: dict[str, None] = {}
        codes: set[str] = set()
        for what, text in _item_texts(entry):
            for character in XML_ILLEGAL.findall(text):
                where[what] = None
                codes.add(f"U+{ord(character):04X}")
        if where:
            title = XML_ILLEGAL.sub("\N{REPLACEMENT CHARACTER}", entry.item.title)
            found.append(f"{title!r} ({', '.join(where)}: {', '.join(sorted(codes))})")
    return found


def keepass_xml(entries: list[Exported]) -> str:
    """The KeePass 2 XML; ValidationError (nothing written) naming every item that holds a
    character XML 1.0 cannot carry: written, it would make the whole file unreadable."""
    problems = xml_problems(entries)
    if problems:
        more = len(problems) - SHOWN_ITEMS
        named = "; ".join(problems[:SHOWN_ITEMS]) + (f"; and {more} more" if more > 0 else "")
        raise ValidationError(
            f"Not exported: KeePass XML cannot hold a character found in {len(problems)} "
            f"item{'s' if len(problems) > 1 else ''}: {named}. Remove it from the item, or "
            "choose Bitwarden JSON, which carries it.",
            "format",
        )
    root = ET.Element("KeePassFile")
    meta = ET.SubElement(root, "Meta")
    ET.SubElement(meta, "Generator").text = "Strongroom"
    recycle_bin = _uuid("strongroom:recycle-bin")
    top = ET.SubElement(ET.SubElement(root, "Root"), "Group")
    ET.SubElement(top, "UUID").text = _uuid("strongroom:root")
    ET.SubElement(top, "Name").text = "Root"
    groups: dict[str, ET.Element] = {"": top}

    def group(path: str) -> ET.Element:
        if path not in groups:
            parent_path, _, name = path.rpartition("/")
            element = ET.SubElement(group(parent_path), "Group")
            ET.SubElement(element, "UUID").text = _uuid(f"strongroom:group:{path}")
            ET.SubElement(element, "Name").text = name
            groups[path] = element
        return groups[path]

    bin_group: ET.Element | None = None
    for entry in entries:
        item = entry.item
        if entry.trashed:
            if bin_group is None:
                ET.SubElement(meta, "RecycleBinEnabled").text = "True"
                ET.SubElement(meta, "RecycleBinUUID").text = recycle_bin
                bin_group = ET.SubElement(top, "Group")
                ET.SubElement(bin_group, "UUID").text = recycle_bin
                ET.SubElement(bin_group, "Name").text = "Recycle Bin"
            parent = bin_group
        else:
            path = "/".join(part for part in (item.tags[0] if item.tags else "").split("/") if part)
            parent = group(path)
        element = ET.SubElement(parent, "Entry")
        _keepass_entry(element, entry, item.password)
        if entry.history:
            history = ET.SubElement(element, "History")
            for old in reversed(entry.history):  # oldest first, as KeePass keeps it
                previous = ET.SubElement(history, "Entry")
                _keepass_entry(previous, entry, old.password, old.replaced_at)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


# Strings KeePass (and its TOTP) reads as its own: a custom field is never written as one.
_KEEPASS_OWN = {
    "Title",
    "UserName",
    "Password",
    "URL",
    "Notes",
    "otp",
    "TOTP Seed",
    "TOTP Settings",
}


def _keepass_entry(
    element: ET.Element, entry: Exported, password: str, when: datetime | None = None
) -> None:
    item = entry.item
    ET.SubElement(element, "UUID").text = _uuid(f"strongroom:item:{item.id}")
    times = ET.SubElement(element, "Times")
    ET.SubElement(times, "LastModificationTime").text = _iso(when or item.updated_at)
    ET.SubElement(times, "CreationTime").text = _iso(entry.created_at or item.updated_at)
    if item.tags:
        ET.SubElement(element, "Tags").text = ";".join(item.tags)
    strings = {
        "Title": item.title,
        "UserName": item.username,
        "Password": password,
        "URL": item.urls[0] if item.urls else "",
        "Notes": item.notes,
    }
    for number, url in enumerate(item.urls[1:], 1):
        strings[f"KP2A_URL_{number}"] = url
    if item.totp:
        strings["otp"] = _otp(item.totp)
    protected = {"Password", "otp"}
    for custom in item.fields:
        name = custom.name
        while name in strings or name in _KEEPASS_OWN:  # "Title" is KeePass's own: renamed
            name = f"{name} (field)"
        strings[name] = custom.value
        if custom.secret:
            protected.add(name)
    for key, value in strings.items():
        string = ET.SubElement(element, "String")
        ET.SubElement(string, "Key").text = key
        shown = ET.SubElement(string, "Value")
        shown.text = value
        if key in protected:
            shown.set("ProtectInMemory", "True")


# -- KeePassXC CSV ----------------------------------------------------------------------------

CSV_COLUMNS = (
    "Group", "Title", "Username", "Password", "URL", "Notes", "TOTP", "Icon", "Last Modified",
    "Created",
)  # fmt: skip
# The eleventh column: other readers ignore a column they do not know; Strongroom's import
# knows its own file by it, and takes away the ' it put in front of a value (see below).
CSV_MARKER = "Strongroom: a ' was put before each value starting with = + - @ ' tab or CR"
# What a spreadsheet reads as the start of a formula (OWASP's list), and the quote itself, so
# that taking one quote away again is exact: "'abc" is written "''abc".
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")


def spreadsheet_safe(value: str) -> str:
    """``value`` as a spreadsheet shows it as text, never runs it: a ' in front of a formula."""
    return "'" + value if value.startswith(FORMULA_START) else value


def keepassxc_csv(entries: list[Exported]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow((*CSV_COLUMNS, CSV_MARKER))
    for entry in entries:
        if entry.trashed:
            continue  # KeePassXC's CSV has no trash
        item = entry.item
        group = "/".join(
            ["Root", *(part for part in (item.tags[:1] or [""])[0].split("/") if part)]
        )
        moment = _iso(item.updated_at)
        cells = (
            group,
            item.title,
            item.username,
            item.password,
            item.urls[0] if item.urls else "",
            item.notes,
            _otp(item.totp),
            "0",
            moment,
            _iso(entry.created_at or item.updated_at),
            "",
        )
        writer.writerow([spreadsheet_safe(cell) for cell in cells])
    return out.getvalue()


# -- Bitwarden JSON ---------------------------------------------------------------------------


def bitwarden_json(entries: list[Exported]) -> str:
    folders: dict[str, str] = {}
    items = []
    for entry in entries:
        item = entry.item
        folder = item.tags[0] if item.tags else None
        if folder is not None and folder not in folders:
            folders[folder] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"strongroom:folder:{folder}"))
        items.append(
            {
                "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"strongroom:item:{item.id}")),
                "organizationId": None,
                "folderId": folders[folder] if folder is not None else None,
                "type": 1,
                "reprompt": 0,
                "name": item.title,
                "notes": item.notes or None,
                "favorite": item.favourite,
                "login": {
                    "uris": [{"match": None, "uri": url} for url in item.urls],
                    "username": item.username or None,
                    "password": item.password or None,
                    "totp": _otp(item.totp) or None,
                },
                "fields": [
                    {
                        "name": f.name,
                        "value": f.value,
                        "type": 1 if f.secret else 0,
                        "linkedId": None,
                    }
                    for f in item.fields
                ]
                + _more_tags(item)
                or None,
                "collectionIds": None,
                "passwordHistory": [
                    {"lastUsedDate": _iso(old.replaced_at), "password": old.password}
                    for old in entry.history
                ]
                or None,
                "revisionDate": _iso(item.updated_at),
                "creationDate": _iso(entry.created_at or item.updated_at),
                "deletedDate": _iso(item.deleted_at) if entry.trashed else None,
            }
        )
    document = {
        "encrypted": False,
        "folders": [{"id": folder_id, "name": name} for name, folder_id in folders.items()],
        "items": items,
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _more_tags(item: Item) -> list[dict[str, object]]:
    if len(item.tags) < 2:
        return []
    text = ", ".join(item.tags[1:])
    return [{"name": TAGS_FIELD, "value": text, "type": 0, "linkedId": None}]


FORMATS: dict[str, Callable[[list[Exported]], str]] = {
    "keepass-xml": keepass_xml,
    "keepassxc-csv": keepassxc_csv,
    "bitwarden-json": bitwarden_json,
}
ENCRYPTED_FORMATS = ("bitwarden-encrypted-json",)


def written_note(format_name: str) -> str:
    """What to say of a file just written in ``format_name``: how it is protected."""
    return ENCRYPTED_NOTE if format_name in ENCRYPTED_FORMATS else PLAINTEXT_WARNING


LABELS = {
    "bitwarden-encrypted-json": "Bitwarden JSON, password-protected (encrypted)",
    "bitwarden-json": "Bitwarden JSON (unencrypted)",
    "keepass-xml": "KeePass 2 XML, for keepassxc-cli import (unencrypted)",
    "keepassxc-csv": "KeePassXC CSV (unencrypted)",
}


def bitwarden_encrypted_json(entries: list[Exported], password: str, kdf: Kdf) -> str:
    """Bitwarden's password-protected export, which Bitwarden (and Strongroom) import."""
    return encrypt_export(bitwarden_json(entries), password, kdf)

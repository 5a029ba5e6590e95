"""1Password's ``.1pux`` export: a zip whose ``export.data`` is JSON (accounts > vaults > items).

What arrives: the title, every URL, the username and password (the login fields so
designated), notes, tags, the vault's name as a tag, favourites, every section field as a custom
field (concealed ones, card numbers and codes secret; a one-time password as the item's TOTP),
password history with dates, creation and modification times, trashed items into the trash and
archived ones tagged "Archived". Attachments (documents) are not carried.
"""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.core.formats import (
    MAX_EXPANDED_BYTES,
    Ask,
    Format,
    ImportFailed,
    Parsed,
    add,
    read_bytes,
    split_tags,
    when,
)
from app.core.items import CustomField, HistoryEntry, ImportedItem, ItemDraft

CATEGORIES = {
    "002": "Credit card", "003": "Secure note", "004": "Identity", "006": "Document",
    "100": "Software licence", "101": "Bank account", "102": "Database", "103": "Driver licence",
    "105": "Membership", "106": "Passport", "108": "Social security number",
    "109": "Wireless router", "110": "Server", "111": "Email account", "112": "API credential",
    "114": "SSH key", "115": "Crypto wallet",
}  # fmt: skip
_SECRET_KINDS = {"concealed", "creditCardNumber", "sshKey"}


def _value(value: dict[str, Any]) -> tuple[str, str] | None:
    """(kind, text) of a section field's value; None when it holds nothing to keep."""
    for kind, raw in value.items():
        if raw in (None, "", {}):
            continue
        if kind in ("date", "monthYear") and isinstance(raw, int):
            if kind == "monthYear":  # 202612
                return kind, f"{raw % 100:02d}/{raw // 100}"
            return kind, datetime.fromtimestamp(raw, UTC).date().isoformat()
        if kind == "sshKey" and isinstance(raw, dict):
            return kind, str(raw.get("privateKey") or "")
        if kind == "address" and isinstance(raw, dict):
            parts = ("street", "city", "state", "zip", "country")
            return kind, ", ".join(str(raw[p]) for p in parts if raw.get(p))
        if kind == "email" and isinstance(raw, dict):
            return kind, str(raw.get("email_address") or "")
        if isinstance(raw, str | int | float | bool):
            return kind, str(raw)
    return None


def _item(raw: dict[str, Any], vault: str) -> ImportedItem:
    overview = raw.get("overview") or {}
    details = raw.get("details") or {}
    username = password = ""
    fields: list[CustomField] = []
    for login in details.get("loginFields") or []:
        designation = login.get("designation")
        value = str(login.get("value") or "")
        if designation == "username" and not username:
            username = value
        elif designation == "password" and not password:
            password = value
        elif value and login.get("fieldType") in ("T", "P", "E", "U", "N", "I"):
            name = str(login.get("name") or login.get("id") or "Field")
            fields.append(CustomField(name, value, login.get("fieldType") == "P"))
    if not password and details.get("password"):
        password = str(details["password"])  # the Password category
    totp = ""
    for section in details.get("sections") or []:
        heading = str(section.get("title") or "")
        for custom in section.get("fields") or []:
            found = _value(custom.get("value") or {})
            if found is None:
                continue
            kind, text = found
            if kind == "totp" and not totp:
                totp = text
                continue
            name = str(custom.get("title") or custom.get("id") or "Field")
            if heading and heading != name:
                name = f"{heading}: {name}"
            fields.append(CustomField(name, text, kind in _SECRET_KINDS))
    urls = [str(u.get("url") or "") for u in overview.get("urls") or [] if isinstance(u, dict)]
    if overview.get("url") and overview["url"] not in urls:
        urls.insert(0, str(overview["url"]))
    tags = [*split_tags(vault), *(str(tag) for tag in overview.get("tags") or [])]
    category = CATEGORIES.get(str(raw.get("categoryUuid") or ""))
    if category:
        tags.append(category)
    if raw.get("state") == "archived":
        tags.append("Archived")
    history = tuple(
        HistoryEntry(str(old.get("value") or ""), when(old.get("time")) or datetime.now(UTC))
        for old in details.get("passwordHistory") or []
        if isinstance(old, dict)
    )
    modified = when(raw.get("updatedAt"))
    draft = ItemDraft(
        title=str(overview.get("title") or ""),
        username=username,
        password=password,
        urls=tuple(urls),
        notes=str(details.get("notesPlain") or ""),
        tags=tuple(tags),
        totp=totp,
        favourite=bool(raw.get("favIndex")),
        fields=tuple(fields),
    )
    trashed = raw.get("trashed") is True or raw.get("state") == "deleted"
    return ImportedItem(
        draft,
        tuple(sorted(history, key=lambda entry: entry.replaced_at, reverse=True)),
        created_at=when(raw.get("createdAt")),
        updated_at=modified,
        trashed_at=(modified or datetime.now(UTC)) if trashed else None,
    )


def read_1pux(path: Path, ask: Ask) -> Parsed:
    read_bytes(path)  # the size check
    try:
        with zipfile.ZipFile(path) as archive:
            try:
                info = archive.getinfo("export.data")
            except KeyError:
                raise ImportFailed(
                    f"{path.name} is a zip without export.data: not a .1pux."
                ) from None
            if info.file_size > MAX_EXPANDED_BYTES:
                raise ImportFailed(f"{path.name} expands to more than an import takes at once.")
            with archive.open(info) as member:
                data = member.read(MAX_EXPANDED_BYTES + 1)
            if len(data) > MAX_EXPANDED_BYTES:  # the stated size was a lie
                raise ImportFailed(f"{path.name} expands to more than an import takes at once.")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as error:
        raise ImportFailed(f"{path.name} is not a readable zip: {error}.") from None
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ImportFailed(f"The export.data in {path.name} is not JSON.") from None
    if not isinstance(document, dict) or not isinstance(document.get("accounts"), list):
        raise ImportFailed(
            f"The export.data in {path.name} has no accounts: not a 1Password export."
        )
    parsed = Parsed("1pux")
    for account in document["accounts"]:
        for vault in (account or {}).get("vaults") or []:
            name = str(((vault or {}).get("attrs") or {}).get("name") or "")
            for number, entry in enumerate(vault.get("items") or [], 1):
                raw = entry.get("item", entry) if isinstance(entry, dict) else None
                title = (
                    ((raw or {}).get("overview") or {}).get("title")
                    if isinstance(raw, dict)
                    else None
                )
                where = f"item {number} of vault {name!r}" + (f" ({title!r})" if title else "")
                try:
                    if not isinstance(raw, dict):
                        raise TypeError
                    item = _item(raw, name)
                except (TypeError, AttributeError, ValueError, OverflowError, OSError):
                    raise ImportFailed(f"{where} is not a 1Password item.") from None
                add(parsed, item, where)
    return parsed


FORMATS = (Format("1pux", "1Password (.1pux)", read_1pux),)

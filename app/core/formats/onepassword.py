"""1Password's ``.1pux`` export: a zip whose ``export.data`` is JSON (accounts > vaults > items).

What arrives: the title, every URL, the username and password (the login fields so
designated), notes, tags, the vault's name as a tag, favourites, every section field as a custom
field (concealed ones, card numbers and codes secret; a one-time password as the item's TOTP),
password history with dates, creation and modification times, trashed items into the trash and
archived ones tagged "Archived". Attachments (documents) are not carried.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from app.core.formats import (
    MAX_ENTRIES,
    MAX_EXPANDED_BYTES,
    Ask,
    Format,
    ImportFailed,
    Parsed,
    add,
    read_bytes,
    split_tags,
    too_many,
    when,
)
from app.core.formats.shapes import Node, load_json, quoted, zip_member
from app.core.items import CustomField, HistoryEntry, ImportedItem, ItemDraft

CATEGORIES = {
    "002": "Credit card", "003": "Secure note", "004": "Identity", "006": "Document",
    "100": "Software licence", "101": "Bank account", "102": "Database", "103": "Driver licence",
    "105": "Membership", "106": "Passport", "108": "Social security number",
    "109": "Wireless router", "110": "Server", "111": "Email account", "112": "API credential",
    "114": "SSH key", "115": "Crypto wallet",
}  # fmt: skip
_SECRET_KINDS = {"concealed", "creditCardNumber", "sshKey"}


def _value(value: Node) -> tuple[str, str] | None:
    """(kind, text) of a section field's value; None when it holds nothing to keep."""
    for kind, raw in value.raw.items():
        if raw in (None, "", {}):
            continue
        if kind in ("date", "monthYear") and isinstance(raw, int) and not isinstance(raw, bool):
            if kind == "monthYear":  # 202612
                return kind, f"{raw % 100:02d}/{raw // 100}"
            try:
                return kind, datetime.fromtimestamp(raw, UTC).date().isoformat()
            except (OverflowError, OSError, ValueError):
                return kind, str(raw)  # a date no calendar holds: kept as it was written
        if kind == "sshKey" and isinstance(raw, dict):
            return kind, value.node(kind).text("privateKey")
        if kind == "address" and isinstance(raw, dict):
            address = value.node(kind)
            parts = ("street", "city", "state", "zip", "country")
            return kind, ", ".join(address.text(p) for p in parts if address.text(p))
        if kind == "email" and isinstance(raw, dict):
            return kind, value.node(kind).text("email_address")
        if isinstance(raw, str | int | float | bool):
            return kind, value.text(kind)
    return None


def _item(raw: Node, vault: str) -> ImportedItem:
    overview = raw.node("overview")
    details = raw.node("details")
    username = password = ""
    fields: list[CustomField] = []
    for login in details.nodes("loginFields"):
        designation = login.get("designation")
        value = login.text("value")
        if designation == "username" and not username:
            username = value
        elif designation == "password" and not password:
            password = value
        elif value and login.get("fieldType") in ("T", "P", "E", "U", "N", "I"):
            name = login.text("name") or login.text("id") or "Field"
            fields.append(CustomField(name, value, login.get("fieldType") == "P"))
    if not password and details.text("password"):
        password = details.text("password")  # the Password category
    totp = ""
    for section in details.nodes("sections"):
        heading = section.text("title")
        for custom in section.nodes("fields"):
            found = _value(custom.node("value"))
            if found is None:
                continue
            kind, text = found
            if kind == "totp" and not totp:
                totp = text
                continue
            name = custom.text("title") or custom.text("id") or "Field"
            if heading and heading != name:
                name = f"{heading}: {name}"
            fields.append(CustomField(name, text, kind in _SECRET_KINDS))
    urls = [url.text("url") for url in overview.nodes("urls")]
    if overview.text("url") and overview.text("url") not in urls:
        urls.insert(0, overview.text("url"))
    tags = [*split_tags(vault), *overview.texts("tags")]
    category = CATEGORIES.get(raw.text("categoryUuid"))
    if category:
        tags.append(category)
    if raw.get("state") == "archived":
        tags.append("Archived")
    history = tuple(
        HistoryEntry(old.text("value"), when(old.get("time")) or datetime.now(UTC))
        for old in details.nodes("passwordHistory")
    )
    modified = when(raw.get("updatedAt"))
    draft = ItemDraft(
        title=overview.text("title"),
        username=username,
        password=password,
        urls=tuple(urls),
        notes=details.text("notesPlain"),
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
    data = zip_member(read_bytes(path), "export.data", path.name, MAX_EXPANDED_BYTES)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFailed(f"The export.data in {path.name} is not UTF-8 JSON.") from None
    document = load_json(text, f"The export.data in {path.name}")
    if not isinstance(document, dict) or not isinstance(document.get("accounts"), list):
        raise ImportFailed(
            f"The export.data in {path.name} has no accounts: not a 1Password export."
        )
    export = Node(document, f"The export.data in {path.name}")
    vaults = [
        (vault.node("attrs").text("name"), vault)
        for number, account in enumerate(export.nodes("accounts"), 1)
        for vault in Node(account.raw, f"account {number} of {path.name}").nodes("vaults")
    ]
    count = sum(len(vault.listed("items")) for _, vault in vaults)
    if count > MAX_ENTRIES:
        raise too_many(count)
    parsed = Parsed("1pux")
    for name, vault in vaults:
        for number, entry in enumerate(vault.listed("items"), 1):
            where = f"item {number} of vault {quoted(name)}"
            raw = entry.get("item", entry) if isinstance(entry, dict) else None
            if not isinstance(raw, dict):
                raise ImportFailed(f"{where} is not a 1Password item.")
            title = Node(raw, where).node("overview").get("title")
            if isinstance(title, str) and title:
                where += f" ({quoted(title)})"
            add(parsed, _item(Node(raw, where), name), where)
    return parsed


FORMATS = (Format("1pux", "1Password (.1pux)", read_1pux),)

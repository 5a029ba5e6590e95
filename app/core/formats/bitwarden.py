"""Bitwarden's exports: JSON, password-protected encrypted JSON, and CSV.

The encrypted JSON is Bitwarden's own scheme, built here from `cryptography` and `argon2-cffi`
primitives exactly as Bitwarden specifies it: a key from the password (PBKDF2-SHA256, or
Argon2id over the SHA-256 of the salt), stretched by HKDF-Expand into an encryption key ("enc")
and a MAC key ("mac"); every value is AES-256-CBC with HMAC-SHA256 over IV and ciphertext,
written ``2.<iv>|<ciphertext>|<mac>``. The MAC is checked before anything is decrypted.

What Bitwarden's items carry arrives: logins (every URI, TOTP), secure notes, cards and
identities (their values as custom fields, the card number and code secret), SSH keys (the
private key secret), custom fields (hidden ones secret), favourites, the folder as a tag,
password history with dates, creation and revision dates, and trashed items into the trash.
"""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.core.formats import (
    MAX_ENTRIES,
    Ask,
    Format,
    ImportFailed,
    Parsed,
    WrongFilePassword,
    add,
    decode,
    read_bytes,
    split_tags,
    too_many,
    when,
)
from app.core.formats.shapes import Node, load_json, quoted
from app.core.items import CustomField, HistoryEntry, ImportedItem, ItemDraft

PBKDF2, ARGON2ID = 0, 1
# Bitwarden has one folder per item and no tags: Strongroom's export writes the others into a
# field of this name (Bitwarden shows it as a plain field), which its import turns back into tags.
TAGS_FIELD = "Strongroom tags"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # an earlier password that came without its date
# What a file may ask of the key derivation: enough for any real export, not enough for a
# crafted file to hold the machine (Bitwarden's own limits).
PBKDF2_ITERATIONS = range(5_000, 2_000_001)
ARGON2_MEMORY_MIB = range(16, 1025)
ARGON2_ITERATIONS = range(2, 11)
ARGON2_PARALLELISM = range(1, 17)


class WrongPassword(WrongFilePassword):
    def __init__(self) -> None:
        super().__init__("That is not the password of this encrypted export.")


# -- Bitwarden's encryption ----------------------------------------------------------------------


@dataclass(frozen=True)
class Kdf:
    type: int
    iterations: int
    memory_mib: int = 64
    parallelism: int = 4

    def check(self) -> None:
        if self.type == PBKDF2:
            if self.iterations not in PBKDF2_ITERATIONS:
                raise ImportFailed(f"The export asks for {self.iterations} PBKDF2 iterations.")
        elif self.type == ARGON2ID:
            if (
                self.iterations not in ARGON2_ITERATIONS
                or self.memory_mib not in ARGON2_MEMORY_MIB
                or self.parallelism not in ARGON2_PARALLELISM
            ):
                raise ImportFailed("The export's Argon2id settings are outside Bitwarden's range.")
        else:
            raise ImportFailed(
                f"The export uses a key derivation this does not know ({self.type})."
            )


def _keys(password: str, salt: str, kdf: Kdf) -> tuple[bytes, bytes]:
    from app.core import crypto

    kdf.check()
    return crypto.bitwarden_keys(
        password,
        salt,
        argon2=kdf.type == ARGON2ID,
        iterations=kdf.iterations,
        memory_mib=kdf.memory_mib,
        parallelism=kdf.parallelism,
    )


def _encrypt(text: str, keys: tuple[bytes, bytes]) -> str:
    from app.core import crypto

    parts = crypto.cbc_hmac_seal(text.encode("utf-8"), keys)
    return "2." + "|".join(base64.b64encode(part).decode() for part in parts)


def _decrypt(value: object, keys: tuple[bytes, bytes]) -> str:
    from app.core import crypto

    if not isinstance(value, str) or not value.startswith("2."):
        raise ImportFailed("The export's encrypted data is not in Bitwarden's format (type 2).")
    try:
        iv, body, mac = (base64.b64decode(part, validate=True) for part in value[2:].split("|"))
    except ValueError:
        raise ImportFailed("The export's encrypted data is damaged.") from None
    try:
        plain = crypto.cbc_hmac_open(iv, body, mac, keys)
    except crypto.MacMismatch:
        raise WrongPassword from None
    except crypto.CryptoError:
        raise ImportFailed("The export's encrypted data is damaged.") from None
    try:
        return plain.decode("utf-8")
    except UnicodeDecodeError:
        raise ImportFailed("The export's encrypted data is damaged.") from None


def encrypt_export(document: str, password: str, kdf: Kdf) -> str:
    """A Bitwarden password-protected export of ``document`` (an unencrypted export's JSON)."""
    salt = base64.b64encode(secrets.token_bytes(16)).decode()
    keys = _keys(password, salt, kdf)
    wrapper: dict[str, Any] = {
        "encrypted": True,
        "passwordProtected": True,
        "salt": salt,
        "kdfType": kdf.type,
        "kdfIterations": kdf.iterations,
    }
    if kdf.type == ARGON2ID:
        wrapper["kdfMemory"] = kdf.memory_mib
        wrapper["kdfParallelism"] = kdf.parallelism
    wrapper["encKeyValidation_DO_NOT_EDIT"] = _encrypt(str(uuid.uuid4()), keys)
    wrapper["data"] = _encrypt(document, keys)
    return json.dumps(wrapper, indent=2) + "\n"


def _decrypt_export(wrapper: dict[str, Any], ask: Ask) -> dict[str, Any]:
    if not wrapper.get("passwordProtected"):  # encrypted under the account's own key
        raise ImportFailed(
            "This Bitwarden export is locked to the Bitwarden account that made it. In "
            "Bitwarden, export again with the file type 'Password protected' (or as JSON)."
        )
    try:
        kdf = Kdf(
            int(wrapper.get("kdfType", PBKDF2)),
            int(wrapper.get("kdfIterations", 0)),
            int(wrapper.get("kdfMemory") or 64),
            int(wrapper.get("kdfParallelism") or 4),
        )
        salt = wrapper["salt"]
        if not isinstance(salt, str):
            raise TypeError
    except (KeyError, TypeError, ValueError, OverflowError):
        raise ImportFailed("The encrypted export is missing its salt or key settings.") from None
    kdf.check()
    password = ask("Password of the Bitwarden export: ")
    if not password:
        raise ImportFailed("The export is encrypted; its password is needed to import it.")
    keys = _keys(password, salt, kdf)
    _decrypt(wrapper.get("encKeyValidation_DO_NOT_EDIT"), keys)  # the password, checked
    try:
        document = load_json(_decrypt(wrapper.get("data"), keys), "The decrypted export")
    except WrongPassword:  # the password opened the check value: the data itself was changed
        raise ImportFailed("The export's data was changed after it was written.") from None
    if not isinstance(document, dict):
        raise ImportFailed("The decrypted export is not a Bitwarden export.")
    return document


# -- JSON ----------------------------------------------------------------------------------------

_CARD = (
    ("cardholderName", "Cardholder", False),
    ("brand", "Brand", False),
    ("number", "Number", True),
    ("expMonth", "Expiry month", False),
    ("expYear", "Expiry year", False),
    ("code", "Security code", True),
)
_IDENTITY = (
    ("title", "Title"),
    ("firstName", "First name"),
    ("middleName", "Middle name"),
    ("lastName", "Last name"),
    ("company", "Company"),
    ("email", "Email"),
    ("phone", "Phone"),
    ("address1", "Address 1"),
    ("address2", "Address 2"),
    ("address3", "Address 3"),
    ("city", "City"),
    ("state", "State"),
    ("postalCode", "Postal code"),
    ("country", "Country"),
    ("ssn", "Social security number"),
    ("passportNumber", "Passport number"),
    ("licenseNumber", "Licence number"),
)
_SECRET_IDENTITY = {"ssn", "passportNumber", "licenseNumber"}
TYPE_TAGS = {3: "Card", 4: "Identity", 5: "SSH key"}


def _item(raw: Node, folders: dict[str, str]) -> ImportedItem:
    fields: list[CustomField] = []
    more_tags: list[str] = []
    for custom in raw.nodes("fields"):
        kind = custom.get("type")
        if kind == 3:  # linked to another field: nothing of its own
            continue
        if custom.text("name") == TAGS_FIELD and kind == 0:
            more_tags += [tag.strip() for tag in custom.text("value").split(",")]
            continue
        fields.append(CustomField(custom.text("name"), custom.text("value"), kind == 1))
    login = raw.node("login")
    kind = raw.get("type", 1)
    tags = [*split_tags(folders.get(raw.text("folderId"), "")), *more_tags]
    username = login.text("username")
    if kind == 3:
        card = raw.node("card")
        fields += [
            CustomField(label, card.text(key), secret)
            for key, label, secret in _CARD
            if card.text(key)
        ]
    elif kind == 4:
        identity = raw.node("identity")
        username = identity.text("username")
        fields += [
            CustomField(label, identity.text(key), key in _SECRET_IDENTITY)
            for key, label in _IDENTITY
            if identity.text(key)
        ]
    elif kind == 5:
        key = raw.node("sshKey")
        fields += [
            CustomField(label, key.text(name), name == "privateKey")
            for name, label in (
                ("privateKey", "Private key"),
                ("publicKey", "Public key"),
                ("keyFingerprint", "Fingerprint"),
            )
            if key.text(name)
        ]
    if isinstance(kind, int) and kind in TYPE_TAGS:
        tags.append(TYPE_TAGS[kind])
    draft = ItemDraft(
        title=raw.text("name"),
        username=username,
        password=login.text("password"),
        urls=tuple(uri.text("uri") for uri in login.nodes("uris") if uri.text("uri")),
        notes=raw.text("notes"),
        tags=tuple(tags),
        totp=login.text("totp"),
        favourite=bool(raw.get("favorite")),
        fields=tuple(fields),
    )
    history = tuple(
        HistoryEntry(old.text("password"), when(old.get("lastUsedDate")) or _EPOCH)
        for old in raw.nodes("passwordHistory")
    )
    return ImportedItem(
        draft,
        tuple(sorted(history, key=lambda entry: entry.replaced_at, reverse=True)),
        created_at=when(raw.get("creationDate")),
        updated_at=when(raw.get("revisionDate")),
        trashed_at=when(raw.get("deletedDate")),
    )


def read_json(path: Path, ask: Ask) -> Parsed:
    document = load_json(decode(read_bytes(path), path.name), path.name)
    if not isinstance(document, dict) or not ("items" in document or "encrypted" in document):
        raise ImportFailed(f"{path.name} is JSON, but not a Bitwarden export (it has no items).")
    parsed = Parsed("bitwarden-json")
    if document.get("encrypted"):
        document = _decrypt_export(document, ask)
        parsed.format = "bitwarden-encrypted-json"
    items = document.get("items")
    if not isinstance(items, list):
        raise ImportFailed("The Bitwarden export has no list of items.")
    if len(items) > MAX_ENTRIES:
        raise too_many(len(items))
    export = Node(document, "The Bitwarden export")
    folders = {folder.text("id"): folder.text("name") for folder in export.nodes("folders")}
    for number, raw in enumerate(items, 1):
        name = raw.get("name") if isinstance(raw, dict) else None
        where = f"item {number}" + (f" ({quoted(name)})" if isinstance(name, str) else "")
        if not isinstance(raw, dict):
            raise ImportFailed(f"{where} of the Bitwarden export is not a Bitwarden item.")
        add(parsed, _item(Node(raw, where), folders), where)
    return parsed


# -- CSV -----------------------------------------------------------------------------------------

CSV_HEADER = (
    "folder", "favorite", "type", "name", "notes", "fields", "reprompt", "login_uri",
    "login_username", "login_password", "login_totp",
)  # fmt: skip


def read_csv(path: Path, ask: Ask) -> Parsed:
    from app.core.formats.simple_csv import rows

    parsed = Parsed("bitwarden-csv")
    for line, row in rows(path, required=("name",)):
        fields = []
        for text in row.get("fields", "").split("\n"):
            if text.strip():
                name, _, value = text.partition(": ")
                fields.append(CustomField(name, value))
        draft = ItemDraft(
            title=row.get("name", ""),
            username=row.get("login_username", ""),
            password=row.get("login_password", ""),
            urls=tuple(u.strip() for u in row.get("login_uri", "").split(",") if u.strip()),
            notes=row.get("notes", ""),
            tags=split_tags(row.get("folder", "")),
            totp=row.get("login_totp", ""),
            favourite=row.get("favorite", "") in ("1", "true"),
            fields=tuple(fields),
        )
        add(parsed, ImportedItem(draft), f"line {line}")
    return parsed


FORMATS = (
    Format("bitwarden-json", "Bitwarden JSON (encrypted too)", read_json),
    Format("bitwarden-csv", "Bitwarden CSV", read_csv),
)

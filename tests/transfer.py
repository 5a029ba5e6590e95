"""Moving a vault in and out: the installed command's export and import, KeePassXC's own command
line on the other side, a second person to import into, every field of a vault read back, and
a Bitwarden export as Bitwarden writes it."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

from app.core.config import Settings
from app.core.items import Item
from app.services.backend import Backend
from tests.command_line import strongroom
from tests.helpers import STRONG_PASSWORD, make_settings

KDBX_PASSWORD = "another long passphrase"
EXPORT_PASSWORD = "correct horse battery staple orbit"


def export(
    vault: Settings, *args: str, password: str = STRONG_PASSWORD, file_password: str = ""
) -> subprocess.CompletedProcess[str]:
    """The installed command's export; ``file_password``, for an encrypted one, typed twice."""
    typed = [password, *([file_password] * 2 if file_password else [])]
    return strongroom(vault, "export", *args, stdin="".join(f"{line}\n" for line in typed))


def keepassxc(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """KeePassXC's own command line, which must succeed; passwords on its standard input."""
    done = subprocess.run(
        ["keepassxc-cli", *args], input=stdin, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done


def second_account(settings: Settings, tmp_path: Path, name: str = "bob") -> Settings:
    """Another person on the same database, remembered on a device of their own."""
    other = replace(
        make_settings(tmp_path / name, settings.database_url), security=settings.security
    )
    backend = Backend(other, device_label=name)
    backend.accounts().register(name, STRONG_PASSWORD, STRONG_PASSWORD)
    backend.accounts().login(name, STRONG_PASSWORD, remember=True)
    backend.close()
    return other


def everything(settings: Settings, username: str) -> dict[str, tuple[object, ...]]:
    """Every field of every item (the trash too) and its password history, by title."""
    backend = Backend(settings, device_label="reader")
    active = backend.accounts().login(username, STRONG_PASSWORD, remember=False)
    vault = backend.vault()
    items: list[Item] = vault.list_items(active) + vault.list_items(active, trash=True)
    history = vault.all_history(active)
    found: dict[str, tuple[object, ...]] = {
        item.title: (
            item.username,
            item.password,
            item.urls,
            item.notes,
            item.tags,
            item.totp,
            item.fields,
            item.favourite,
            item.deleted_at is not None,
            [entry.password for entry in history.get(item.id, [])],
        )
        for item in items
    }
    backend.close()
    return found


def import_file(
    settings: Settings,
    *args: str,
    passwords: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """The vault is open (a remembered session): standard input holds the file's password."""
    stdin = "".join(f"{line}\n" for line in passwords)
    return strongroom(settings, "import", *args, stdin=stdin, env=env)


BITWARDEN_JSON = {
    "encrypted": False,
    "folders": [{"id": "f1", "name": "Work/Servers"}],
    "items": [
        {
            "id": "i1",
            "organizationId": None,
            "folderId": "f1",
            "type": 1,
            "reprompt": 0,
            "name": "Router",
            "notes": "line one\nline two",
            "favorite": True,
            "fields": [
                {"name": "PIN", "value": "1234", "type": 1, "linkedId": None},
                {"name": "Colour", "value": "blue", "type": 0, "linkedId": None},
                {"name": "Colour", "value": "red", "type": 0, "linkedId": None},
                {"name": "Linked", "value": None, "type": 3, "linkedId": 100},
            ],
            "login": {
                "uris": [{"match": None, "uri": "https://r.example"}, {"uri": "http://10.0.0.1"}],
                "username": "admin",
                "password": "now",
                "totp": "otpauth://totp/R?secret=JBSWY3DPEHPK3PXP&digits=8&period=60",
            },
            "passwordHistory": [
                {"lastUsedDate": "2024-01-02T03:04:05.000Z", "password": "older"},
                {"lastUsedDate": "2025-01-02T03:04:05.000Z", "password": "old"},
            ],
            "revisionDate": "2025-06-01T10:00:00.000Z",
            "creationDate": "2020-06-01T10:00:00.000Z",
            "deletedDate": None,
        },
        {
            "type": 3,
            "name": "Visa",
            "favorite": False,
            "card": {
                "cardholderName": "A Smith",
                "brand": "Visa",
                "number": "4111111111111111",
                "expMonth": "12",
                "expYear": "2030",
                "code": "123",
            },
            "deletedDate": "2026-11-20T00:00:00.000Z",
        },
        {
            "type": 4,
            "name": "Me",
            "identity": {"firstName": "Alice", "email": "a@example.com", "ssn": "123-45"},
        },
        {"type": 2, "name": "Note", "notes": "just text", "secureNote": {"type": 0}},
        {"type": 1, "name": "", "login": {"username": "", "password": ""}},
        {
            "type": 5,
            "name": "Key",
            "sshKey": {"privateKey": "-----BEGIN", "publicKey": "ssh-ed25519 AAA"},
        },
    ],
}

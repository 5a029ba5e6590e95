"""An SSH key imported with its private key alone (as 1Password's export gives it) is shown
with its public key and fingerprint, as OpenSSH's ssh-keygen prints them."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from app.core import ssh
from app.core.config import Settings
from app.core.items import CustomField, ItemDraft
from tests.command_line import strongroom
from tests.helpers import need
from tests.pilot import seed


def keygen(*args: str) -> str:
    need("ssh-keygen")
    return subprocess.run(["ssh-keygen", *args], capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize("kind", ["ed25519", "rsa"])
def test_a_private_key_alone_gets_its_public_key_and_fingerprint(
    sqlite_settings: Settings, tmp_path: Path, kind: str
) -> None:
    seed(sqlite_settings)
    key = tmp_path / "id_key"
    keygen("-q", "-t", kind, "-N", "", "-f", str(key))
    public = (tmp_path / "id_key.pub").read_text().split()[:2]
    fingerprint = keygen("-lf", f"{key}.pub").split()[1]
    export = {
        "encrypted": False,
        "folders": [],
        "items": [{"type": 5, "name": "Deploy key", "sshKey": {"privateKey": key.read_text()}}],
    }
    file = tmp_path / "bitwarden.json"
    file.write_text(json.dumps(export))
    imported = strongroom(sqlite_settings, "import", str(file))
    assert imported.returncode == 0, imported.stderr
    shown = strongroom(sqlite_settings, "get", "Deploy key", "--field", "Public key")
    assert shown.stdout.split()[:2] == public
    printed = strongroom(sqlite_settings, "get", "Deploy key", "--field", "Fingerprint")
    assert printed.stdout.strip() == fingerprint


def test_other_items_and_keys_that_need_a_passphrase_are_left_as_they_are(
    tmp_path: Path,
) -> None:
    plain = ItemDraft("Mail", fields=(CustomField("Note", "-----BEGIN OPENSSH PRIVATE KEY-----"),))
    assert ssh.with_public_fields(plain) is plain
    key = tmp_path / "id_locked"
    keygen("-q", "-t", "ed25519", "-N", "a passphrase", "-f", str(key))
    locked = ItemDraft(
        "Locked", tags=(ssh.KEY_TAG,), fields=(CustomField("Private key", key.read_text()),)
    )
    assert ssh.with_public_fields(locked) is locked

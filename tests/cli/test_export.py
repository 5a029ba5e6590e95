"""`strongroom export`: the installed command writes the vault in formats other managers read,
checked by reading it back the way they do (KeePassXC's own command line for its XML), after
asking for the master password, into an owner-only file that it never overwrites unasked."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from app.core.config import Settings
from app.core.items import ItemDraft
from app.services.backend import Backend
from tests.command_line import strongroom
from tests.helpers import STRONG_PASSWORD, need
from tests.pilot import seed
from tests.terminal import STRONGROOM
from tests.transfer import KDBX_PASSWORD, export, keepassxc

TOTP_SECRET = "JBSWY3DPEHPK3PXP"


@pytest.fixture
def export_vault(settings: Settings) -> Settings:
    """Items with every field, a group path, several URLs, a changed password, a trashed item
    and text that CSV and XML must quote."""
    seed(
        settings,
        ItemDraft(
            "GitHub",
            "alice",
            "first-password",
            ("https://github.com", "https://gist.github.com"),
            'Recovery codes: "a,b"\nsecond line',
            ("Work/Code", "dev"),
            TOTP_SECRET,
            True,
        ),
        ItemDraft("Bank <&>", "a.smith", "bank-secret"),
        ItemDraft("Old forum", "al", "forum-secret"),
    )
    backend = Backend(settings, device_label="test")
    active = backend.accounts().login("alice", STRONG_PASSWORD, remember=False)
    items = {item.title: item for item in backend.vault().list_items(active)}
    github = items["GitHub"]
    draft = replace(github.draft(), password="gh-now")
    backend.vault().update(active, github.id, github.version, draft)
    backend.vault().trash(active, items["Old forum"].id)
    backend.close()
    return settings


def test_keepass_xml_imports_into_keepassxc_with_every_field(
    export_vault: Settings, tmp_path: Path
) -> None:
    need("keepassxc-cli")
    out = tmp_path / "vault.xml"
    done = export(export_vault, "--format", "keepass-xml", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert "unencrypted" in done.stderr
    kdbx = tmp_path / "vault.kdbx"
    imported = keepassxc(
        "import", "-q", "-p", str(out), str(kdbx), stdin=f"{KDBX_PASSWORD}\n{KDBX_PASSWORD}\n"
    )
    assert "invalid" not in imported.stderr

    def show(entry: str, *attributes: str) -> list[str]:
        flags = [flag for name in attributes for flag in ("-a", name)]
        shown = keepassxc("show", "-q", "-s", *flags, str(kdbx), entry, stdin=f"{KDBX_PASSWORD}\n")
        return shown.stdout.splitlines()

    assert show(
        "Work/Code/GitHub", "Title", "UserName", "Password", "URL", "KP2A_URL_1", "Tags"
    ) == ["GitHub", "alice", "gh-now", "https://github.com", "https://gist.github.com",
          "Work/Code,dev"]  # fmt: skip
    notes = show("Work/Code/GitHub", "Notes")
    assert notes == ['Recovery codes: "a,b"', "second line"]
    assert TOTP_SECRET in show("Work/Code/GitHub", "otp")[0]
    assert show("Bank <&>", "Password") == ["bank-secret"]
    assert show("Recycle Bin/Old forum", "Password") == ["forum-secret"]


def test_keepassxc_csv_has_its_ten_columns_and_survives_quotes_and_newlines(
    export_vault: Settings, tmp_path: Path
) -> None:
    out = tmp_path / "vault.csv"
    assert export(export_vault, "--format", "keepassxc-csv", "-o", str(out)).returncode == 0
    rows = list(csv.reader(io.StringIO(out.read_text())))
    assert rows[0][:10] == [
        "Group", "Title", "Username", "Password", "URL", "Notes", "TOTP", "Icon",
        "Last Modified", "Created",
    ]  # fmt: skip
    assert rows[0][10].startswith("Strongroom")  # the mark Strongroom's import knows
    by_title = {row[1]: row for row in rows[1:]}
    assert set(by_title) == {"GitHub", "Bank <&>"}  # the CSV format has no trash
    github = by_title["GitHub"]
    assert github[0] == "Root/Work/Code"
    assert github[2:6] == [
        "alice",
        "gh-now",
        "https://github.com",
        'Recovery codes: "a,b"\nsecond line',
    ]
    assert TOTP_SECRET in github[6]


def test_bitwarden_json_carries_history_trash_folders_and_favourites(
    export_vault: Settings, tmp_path: Path
) -> None:
    out = tmp_path / "vault.json"
    assert export(export_vault, "--format", "bitwarden-json", "-o", str(out)).returncode == 0
    document = json.loads(out.read_text())
    assert document["encrypted"] is False
    items = {item["name"]: item for item in document["items"]}
    github = items["GitHub"]
    assert github["login"]["password"] == "gh-now"
    assert [uri["uri"] for uri in github["login"]["uris"]] == [
        "https://github.com",
        "https://gist.github.com",
    ]
    assert [old["password"] for old in github["passwordHistory"]] == ["first-password"]
    assert github["favorite"] is True
    assert TOTP_SECRET in github["login"]["totp"]
    folders = {folder["id"]: folder["name"] for folder in document["folders"]}
    assert folders[github["folderId"]] == "Work/Code"
    assert items["Old forum"]["deletedDate"] is not None
    assert items["Bank <&>"]["deletedDate"] is None


def test_export_asks_first_and_never_leaves_a_readable_or_overwritten_file(
    export_vault: Settings, tmp_path: Path
) -> None:
    out = tmp_path / "vault.json"
    refused = export(
        export_vault, "--format", "bitwarden-json", "-o", str(out), password="wrong one"
    )
    assert refused.returncode == 6
    assert not out.exists()
    assert export(export_vault, "--format", "bitwarden-json", "-o", str(out)).returncode == 0
    assert out.stat().st_mode & 0o777 == 0o600
    first = out.read_text()
    again = export(export_vault, "--format", "keepassxc-csv", "-o", str(out))
    assert again.returncode == 2
    assert "--force" in again.stderr
    assert out.read_text() == first
    out.chmod(0o644)
    assert (
        export(export_vault, "--format", "keepassxc-csv", "-o", str(out), "--force").returncode == 0
    )
    assert out.read_text().startswith('"Group"')
    assert out.stat().st_mode & 0o777 == 0o600
    # To standard output only when that is not a terminal.
    piped = export(export_vault, "--format", "bitwarden-json")
    assert json.loads(piped.stdout)["encrypted"] is False
    log = export_vault.security_log_path.read_text()
    assert "vault_exported" in log
    assert "gh-now" not in log


def test_export_refuses_to_print_passwords_to_a_terminal(export_vault: Settings) -> None:
    strongroom(export_vault, "status")  # writes the test's config file
    controller, terminal = pty.openpty()
    done = subprocess.run(
        [
            str(STRONGROOM),
            "--config-dir",
            str(export_vault.config_dir),
            "--data-dir",
            str(export_vault.data_dir),
            "export",
            "--format",
            "bitwarden-json",
        ],
        stdin=subprocess.DEVNULL,
        stdout=terminal,
        stderr=subprocess.PIPE,
        env={"STRONGROOM_DATABASE_URL": export_vault.database_url, "PATH": "/usr/bin:/bin"},
        text=True,
        timeout=60,
    )
    os.close(terminal)
    os.close(controller)
    assert done.returncode == 2
    assert "Not writing every password to the terminal" in done.stderr

"""A pipe or a folder put where Strongroom keeps a file of its own (this device's memory of the
vault, the saved login) or where a breach list is named: refused unread, at once, in at most
one line; never a hang (a named pipe nobody writes to blocks a plain open) nor a traceback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.core.config import Settings
from app.core.items import ItemDraft
from tests.command_line import one_clean_line, strongroom
from tests.pilot import seed


def plant(path: Path, kind: str) -> None:
    path.unlink(missing_ok=True)
    if kind == "pipe":
        os.mkfifo(path, 0o600)
    else:
        path.mkdir(mode=0o700)


@pytest.mark.parametrize("kind", ["pipe", "folder"])
def test_in_place_of_this_devices_memory_the_vault_still_opens(
    sqlite_settings: Settings, kind: str
) -> None:
    settings = sqlite_settings
    seed(settings, ItemDraft("Mail", "alice", "mail-secret"))
    plant(settings.config_dir / "vault-seen.json", kind)
    listed = strongroom(settings, "ls")
    assert listed.returncode == 0, listed.stderr
    assert "Mail" in listed.stdout
    added = strongroom(settings, "add", "Later", stdin="later-pw\n")
    assert added.returncode == 0, added.stderr
    assert "Traceback" not in added.stderr + listed.stderr


def test_a_pipe_in_place_of_the_saved_login_is_one_line(sqlite_settings: Settings) -> None:
    settings = sqlite_settings
    seed(settings, ItemDraft("Mail", "alice", "mail-secret"))
    plant(settings.token_path, "pipe")
    listed = strongroom(settings, "ls", "--no-input")  # (a plain open would wait forever)
    assert listed.returncode != 0
    one_clean_line(listed.stderr)
    assert "mail-secret" not in listed.stdout


def test_a_pipe_named_as_the_breach_list_is_one_line(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    settings = sqlite_settings
    seed(settings, ItemDraft("Mail", "alice", "mail-secret"))
    pipe = tmp_path / "pwned.txt"
    plant(pipe, "pipe")
    checked = strongroom(settings, "health", "--breach-list", str(pipe))
    assert checked.returncode == 1, checked.stdout
    one_clean_line(checked.stderr)
    assert "not a regular file" in checked.stderr

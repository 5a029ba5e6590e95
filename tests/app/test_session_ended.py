"""A session ended elsewhere ends in the open app too: revoked from another device, ended there
by a new master password, or locked by this device's command line. The app finds out within
``session_check_seconds`` while the vault is open, and before any write: a save attempted
first is refused with the reason, nothing is written, and the edit comes back after logging
in again. Driven through the installed command in tmux; "another device" is a second pair of
config and data folders on the same database."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.core.config import Settings
from app.core.items import ItemDraft
from app.services.backend import Backend
from tests.app.test_key_bursts import SIZES
from tests.command_line import strongroom
from tests.helpers import STRONG_PASSWORD, rows
from tests.pilot import seed
from tests.terminal import terminal, write_config

NEW_PASSWORD = "a brand new master passphrase"


def phone_of(settings: Settings) -> Settings:
    """Another device of alice's: folders of its own, the same database."""
    return replace(
        settings,
        config_dir=settings.config_dir.parent / "phone-config",
        data_dir=settings.data_dir.parent / "phone-data",
    )


def end_from_the_phone(settings: Settings, how: str) -> None:
    """On the other device: revoke this device's session (as its sessions dialog does), or
    change the master password (which ends every other session)."""
    phone = Backend(phone_of(settings), device_label="phone")
    try:
        accounts = phone.accounts()
        active = accounts.login("alice", STRONG_PASSWORD, remember=True)
        if how == "revoke":
            [here] = [s for s in accounts.list_sessions(active) if s.device_label == "seed"]
            accounts.revoke_session(active, here.id)
        else:
            accounts.change_password(active, STRONG_PASSWORD, NEW_PASSWORD, NEW_PASSWORD)
    finally:
        phone.close()


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(
    ("how", "said"),
    [
        ("revoke", "This session was ended from another device"),
        ("password", "Your master password was changed on another device"),
    ],
    ids=["revoked", "password-changed"],
)
def test_the_open_app_logs_out_within_the_check_interval(
    sqlite_settings: Settings, size: tuple[int, int], how: str, said: str
) -> None:
    settings = sqlite_settings
    seed(settings, ItemDraft("Bank", username="alice", password="bank-secret"))
    write_config(settings, session_check_seconds=1)
    with terminal(settings, *size) as term:
        term.launch()
        term.wait_for("1 item in your vault")
        end_from_the_phone(settings, how)
        term.wait_for(said)  # with no key pressed: the timer asked
        term.wait_for("Log in to your vault")
        assert "Bank" not in term.screen()
        term.wait_until(lambda: not settings.token_path.exists(), "the token file gone")
        assert "Traceback" not in term.scrollback()
        assert "unexpected" not in term.scrollback()


@pytest.mark.parametrize("size", SIZES)
def test_a_save_after_a_revocation_writes_nothing_and_the_edit_comes_back(
    settings: Settings, size: tuple[int, int]
) -> None:
    seed(settings, ItemDraft("Bank", username="alice", password="bank-secret"))
    write_config(settings, session_check_seconds=600)  # the save is the first to ask
    with terminal(settings, *size) as term:
        term.launch()
        term.wait_for("1 item in your vault")
        term.keys("C-n")
        term.wait_for("New item")
        term.type("Written after the end")
        term.wait_for("Written after the end")
        end_from_the_phone(settings, "revoke")
        before = rows(settings, "SELECT id, version, title_sealed FROM items ORDER BY id")
        term.keys("C-s")
        term.wait_for("This session was ended from another device")
        term.wait_for("Your unsaved edit comes back when you log in again")
        assert rows(settings, "SELECT id, version, title_sealed FROM items ORDER BY id") == before
        assert len(before) == 1

        term.type(STRONG_PASSWORD)  # the login form, its name filled in
        term.keys("Enter")
        term.wait_for("Your unsaved edit is back")
        term.wait_for("Written after the end")
        term.keys("C-s")
        term.wait_for("2 items in your vault")
    assert len(rows(settings, "SELECT id FROM items")) == 2


def test_a_lock_by_the_command_line_locks_the_open_app(sqlite_settings: Settings) -> None:
    settings = sqlite_settings
    seed(settings, ItemDraft("Bank", username="alice", password="bank-secret"))
    write_config(settings, session_check_seconds=1)
    with terminal(settings, 80, 24) as term:
        term.launch()
        term.wait_for("1 item in your vault")
        assert strongroom(settings, "lock").returncode == 0
        term.wait_for("The vault was locked elsewhere on this device")
        term.wait_for("Vault locked for alice")
        assert "Bank" not in term.screen()

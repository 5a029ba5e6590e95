"""The sessions dialog tells the devices apart, whole, at 80x24 too: each row's label (the
host and its system), which one is this device, and when each was last used. Read from the
installed ``strongroom`` through tmux."""

from __future__ import annotations

import platform
from dataclasses import replace

import pytest

from app.core.config import Settings
from app.core.items import ItemDraft
from app.factory import this_device
from app.services.backend import Backend
from app.services.tokens import LastUsername
from tests.app.test_key_bursts import SIZES
from tests.helpers import STRONG_PASSWORD
from tests.pilot import seed
from tests.terminal import terminal, write_config


@pytest.mark.parametrize("size", SIZES)
def test_every_session_is_told_apart_and_this_device_is_named_whole(
    sqlite_settings: Settings, size: tuple[int, int]
) -> None:
    settings = sqlite_settings
    seed(settings, ItemDraft("Bank"), remember=False)
    # Another device of alice's, with a saved login of its own.
    phone = replace(
        settings,
        config_dir=settings.config_dir.parent / "phone-config",
        data_dir=settings.data_dir.parent / "phone-data",
    )
    other = Backend(phone, device_label="phone")
    other.accounts().login("alice", STRONG_PASSWORD, remember=True)
    other.close()
    LastUsername(settings.last_username_path).save("alice")  # the cursor starts in the password
    write_config(settings)
    with terminal(settings, *size) as term:
        term.launch()
        term.wait_for("Log in to your vault")
        term.type(STRONG_PASSWORD)
        term.keys("Enter")
        term.wait_for("1 item in your vault")
        term.palette("Remembered sessions")
        term.wait_for("Last used")
        screen = term.screen()
        assert "this device" in screen
        assert "phone" in screen
        assert this_device() in screen  # this device's label: its host and system
        assert platform.system() in this_device()
        assert "Last used" in screen

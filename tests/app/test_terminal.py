"""What a person at the terminal sees, and what is left behind when Strongroom exits.

SECURITY.md bar lines 5 (masked input, paste, reveal), 18 (no secret outside the full-screen
app), 19 (the clipboard is cleared on exit) and 20 (no secret on the command line).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from textual import events
from textual.widgets import Input

from app.__main__ import parse_args
from app.core.config import Settings
from app.core.items import ItemDraft
from app.factory import make_app
from app.flows.clipboard import CLEARED
from app.screens.login import LoginScreen
from tests.pilot import seed, settle

CANARY = "Canary-Secret-7fq2"


async def test_password_fields_are_masked_take_a_paste_and_can_be_revealed(
    settings: Settings,
) -> None:
    seed(settings, remember=False)
    app = make_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        field = app.screen.query_one("#password", Input)
        field.focus()
        field.post_message(events.Paste(CANARY))  # what a terminal sends for a paste
        await pilot.pause()
        assert field.value == CANARY
        assert field.password  # drawn as bullets
        assert CANARY not in app.export_screenshot()
        await pilot.press("ctrl+r")
        assert not field.password  # shown on request
        await pilot.press("ctrl+r")
        assert field.password


async def test_quitting_clears_a_copied_password(settings: Settings) -> None:
    seed(settings, ItemDraft("Site", password=CANARY))
    app = make_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+c")
        assert app.clipboard == CANARY
        await pilot.press("ctrl+q")
    assert app.clipboard == CLEARED  # tmux ignores an empty one: see tests/test_trust.py


def test_no_option_takes_a_secret_on_the_command_line() -> None:
    parser_help = subprocess.run(
        [sys.executable, "-m", "app", "--help"], capture_output=True, text=True, check=True
    ).stdout
    usage = parser_help.split("\n\n")[0].lower()
    assert not any(word in usage for word in ("pass", "secret", "token", "key", "url"))
    options = vars(parse_args([]))
    assert set(options) == {"config_dir", "data_dir", "command"}
    # The command line's --password asks for one; it takes no value.
    assert parse_args(["edit", "mail", "--password"]).password is True
    with pytest.raises(SystemExit):
        parse_args(["edit", "mail", "--password", "hunter2"])


@pytest.mark.skipif(shutil.which("tmux") is None and not os.environ.get("CI"), reason="no tmux")
def test_a_revealed_password_is_not_left_in_the_terminal(settings: Settings) -> None:
    """Run the real command in tmux, show the password, quit: the scrollback must not hold it."""
    seed(settings, ItemDraft("Site", username="alice@example.org", password=CANARY))
    tmux = ["tmux", "-L", f"strongroom-test-{os.getpid()}"]
    quoted = {
        "url": shlex.quote(settings.database_url),
        "python": shlex.quote(sys.executable),
        "config": shlex.quote(str(settings.config_dir)),
        "data": shlex.quote(str(settings.data_dir)),
    }
    command = (
        f"STRONGROOM_DATABASE_URL={quoted['url']} {quoted['python']} -m app "
        f"--config-dir {quoted['config']} --data-dir {quoted['data']}; echo EXITED; sleep 30"
    )

    def screen(history: bool = False) -> str:
        extra = ["-S", "-"] if history else []
        return subprocess.run(
            [*tmux, "capture-pane", "-p", *extra, "-t", "t"], capture_output=True, text=True
        ).stdout

    def wait_for(text: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in screen():
                return
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared:\n{screen()}")

    subprocess.run(
        [*tmux, "new-session", "-d", "-s", "t", "-x", "120", "-y", "40", command], check=True
    )
    try:
        wait_for("1 item in your vault")
        subprocess.run([*tmux, "send-keys", "-t", "t", "C-r"], check=True)
        wait_for(CANARY)  # shown inside the app, on request
        subprocess.run([*tmux, "send-keys", "-t", "t", "C-q"], check=True)
        wait_for("EXITED")
        left = screen(history=True)
        assert CANARY not in left
        assert "alice@example.org" not in left
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)


def test_the_token_file_never_holds_the_vault_key_in_clear(settings: Settings) -> None:
    seed(settings, ItemDraft("Site", password=CANARY))
    token = Path(settings.token_path).read_bytes()
    assert CANARY.encode() not in token

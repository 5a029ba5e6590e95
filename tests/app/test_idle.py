"""An idle app draws nothing: no animation outlives the work it stood for (the start-up's
"Opening your vault database…" spinner kept repainting the whole screen 16 times a second
under every screen)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from textual.widgets import LoadingIndicator

from app.app import StrongroomApp
from app.core.config import Settings
from app.core.items import ItemDraft
from app.factory import make_app
from app.screens.login import LoginScreen
from app.screens.vault import VaultScreen
from tests.pilot import seed, settle
from tests.terminal import terminal, write_config

# A whole 120x40 screen redrawn at 16 Hz is well over 100 KB a second; an idle screen sends
# next to nothing (a cursor, a notice timing out).
IDLE_BYTES_BOUND = 20_000
IDLE_SECONDS = 3.0


def _spinners(app: StrongroomApp) -> list[LoadingIndicator]:
    return [widget for screen in app.screen_stack for widget in screen.query(LoadingIndicator)]


async def test_no_spinner_is_left_once_the_vault_is_open(sqlite_settings: Settings) -> None:
    seed(sqlite_settings, ItemDraft("Bank"))
    app = make_app(sqlite_settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, VaultScreen)
        assert _spinners(app) == []


async def test_no_spinner_is_left_once_the_login_form_is_shown(sqlite_settings: Settings) -> None:
    seed(sqlite_settings, remember=False)
    app = make_app(sqlite_settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert _spinners(app) == []


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_an_idle_vault_screen_sends_the_terminal_next_to_nothing(
    sqlite_settings: Settings, tmp_path: Path, size: tuple[int, int]
) -> None:
    settings = sqlite_settings
    seed(settings, ItemDraft("Bank", username="alice", password="bank-secret"))
    write_config(settings)
    output = tmp_path / "terminal-output"
    with terminal(settings, *size) as term:
        term.launch()
        term.wait_for("1 item in your vault")
        time.sleep(1.0)  # the first frames drawn
        term.tmux("pipe-pane", "-o", "-t", "t", f"cat >> {output}")
        time.sleep(IDLE_SECONDS)
        term.tmux("pipe-pane", "-t", "t")  # stop
        time.sleep(0.2)
        sent = output.stat().st_size if output.exists() else 0
        assert sent < IDLE_BYTES_BOUND, f"{sent} bytes drawn in {IDLE_SECONDS} s of idling"


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_a_totp_countdown_under_another_screen_draws_nothing(
    sqlite_settings: Settings, tmp_path: Path, size: tuple[int, int]
) -> None:
    """The selected item's TOTP code counts down each second on the vault; under the help page
    or the item form it is out of sight, and drawing it there repainted the whole screen."""
    settings = sqlite_settings
    seed(settings, ItemDraft("Bank", username="alice", password="pw", totp="JBSWY3DPEHPK3PXP"))
    write_config(settings)
    with terminal(settings, *size) as term:
        term.launch()
        term.wait_for("1 item in your vault")
        for key, shown in (("?", "Strongroom keys"), ("Enter", "Edit item")):
            term.keys(key)
            term.wait_for(shown)
            time.sleep(1.0)  # the first frames drawn
            output = tmp_path / f"terminal-output-{key}"
            term.tmux("pipe-pane", "-o", "-t", "t", f"cat >> {output}")
            time.sleep(IDLE_SECONDS)
            term.tmux("pipe-pane", "-t", "t")  # stop
            time.sleep(0.2)
            sent = output.stat().st_size if output.exists() else 0
            assert sent < IDLE_BYTES_BOUND, (
                f"{sent} bytes drawn under {shown!r} in {IDLE_SECONDS} s"
            )
            term.keys("Escape")
            term.wait_for("1 item in your vault")

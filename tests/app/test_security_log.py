"""The app's "Security log" screen, in a real terminal at 80x24 and 120x40: opened from the
command palette, newest first, a rollback warning in red with its mark, a username full of
escapes drawn harmlessly, a line that is not the log's as "unreadable line"; on the help page;
and closed by a lock, keeping nothing."""

from __future__ import annotations

import re

import pytest

from app.core.config import Settings
from tests.cli.test_log import hostile_log
from tests.terminal import BEFORE, terminal

# Red as tmux hands it back: the 16-colour codes and the 256-colour reds Textual picks.
REDS = {"31", "91", "38;5;1", "38;5;9", "38;5;160", "38;5;196", "38;5;197"}


def colour_before(text: str, captured: str) -> str:
    """The last foreground colour set before ``text`` on the screen tmux captured."""
    before = captured[: captured.index(text)]
    codes = re.findall(r"\x1b\[([0-9;]*)m", before)
    colours = [c for c in codes if c in REDS or c.startswith("38;") or c in {"39", "0"}]
    return colours[-1] if colours else ""


@pytest.mark.parametrize(("width", "height"), [(80, 24), (120, 40)])
def test_the_log_from_the_palette_and_a_lock_closes_it(
    sqlite_settings: Settings, width: int, height: int
) -> None:
    settings = sqlite_settings
    hostile_log(settings)
    with terminal(settings, width, height) as term:
        term.launch()
        term.wait_for("1 item in your vault")
        term.palette("Security log")
        term.wait_for("ROLLBACK DETECTED")
        term.wait_for("1 warning")
        screen = term.screen()
        assert "Security log · this device, newest first" in screen
        lines = screen.splitlines()
        assert all(len(line) <= width for line in lines)

        def row(text: str) -> int:
            return next(n for n, line in enumerate(lines) if text in line)

        assert row("unreadable line") < row("ROLLBACK DETECTED") < row("login failed")
        assert row("login failed") < row("item read") < row("item added") < row("logged in")
        assert "!! " in lines[row("ROLLBACK DETECTED")]
        assert "ev�]52;c;aG" in lines[row("login failed")]
        assert "\u202e" not in screen
        assert term.clipboard() == BEFORE  # the OSC 52 in the username did nothing
        coloured = term.tmux("capture-pane", "-e", "-p", "-t", "t")
        assert colour_before("ROLLBACK DETECTED", coloured) in REDS
        assert colour_before("item read", coloured) not in REDS
        # A lock, from the log: the log is gone, the unlock form is in front.
        term.keys("C-l")
        term.wait_for("Vault locked for alice")
        assert "ROLLBACK DETECTED" not in term.screen()


def test_the_help_page_names_it(sqlite_settings: Settings) -> None:
    settings = sqlite_settings
    hostile_log(settings)
    with terminal(settings, 120, 40) as term:
        term.launch()
        term.wait_for("1 item in your vault")
        term.keys("?")
        term.wait_for("Strongroom keys")
        term.keys("End")
        term.wait_for("Ctrl+P, Security log")


async def test_a_lock_closes_the_log_and_a_late_page_is_dropped(
    sqlite_settings: Settings,
) -> None:
    from app.screens.security_log import SecurityLogScreen
    from app.screens.unlock import UnlockScreen
    from app.services.security_log import read_log
    from tests.pilot import settle, vault_app

    hostile_log(sqlite_settings)
    async with vault_app(sqlite_settings) as (app, pilot):
        app.show_security_log()
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SecurityLogScreen)
        app.lock_vault()
        await settle(pilot)
        assert isinstance(app.screen, UnlockScreen)
        assert not any(isinstance(s, SecurityLogScreen) for s in app.screen_stack)
        # A page read before the lock and delivered after it goes nowhere.
        app.post_message(app.SecurityLogRead(read_log(sqlite_settings.security_log_path)))
        await settle(pilot)
        assert isinstance(app.screen, UnlockScreen)

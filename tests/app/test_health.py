"""The app's "Vault health" screen, in a real terminal at 80x24 and 120x40: the report with a
breached password, a reused pair, an http:// item and a common password, one filter per kind,
an item left out by its tag, Enter opening an item, and a canary password nowhere on screen."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from app.core.config import Settings
from app.core.items import ItemDraft
from tests.core.test_breach import generated_lines
from tests.pilot import seed
from tests.terminal import terminal, write_config

if TYPE_CHECKING:
    from app.core.items import Item

CANARY = "Canary-Breached-Pass-7731"  # in the generated breach list 7 times


@pytest.mark.parametrize(("width", "height"), [(80, 24), (120, 40)])
def test_the_report_filters_and_opens_an_item(
    sqlite_settings: Settings, tmp_path: Path, width: int, height: int
) -> None:
    settings = sqlite_settings
    # A path longer than the terminal is wide: the count after it must stay in sight.
    breach = tmp_path / ("downloads-" * 10) / "pwnedpasswords.txt"
    breach.parent.mkdir()
    breach.write_bytes(b"\r\n".join(generated_lines(20_000)) + b"\r\n")
    seed(
        settings,
        ItemDraft("Forum", "al", "password1", ("https://forum.example",)),
        ItemDraft("Shop", "al", "password1", ("https://shop.example",)),
        ItemDraft("Mail", "al", CANARY, ("https://mail.example",)),
        ItemDraft("Printer", "al", "vivid-otter-quarry-lantern-9041", ("http://printer.example",)),
        ItemDraft("Old test", "al", "dragon", tags=("health:ignore",)),
        ItemDraft("Bank", "al", "another-vivid-otter-lantern-77", ("https://bank.example",)),
    )
    write_config(settings)
    config = settings.config_dir / "config.toml"
    config.write_text(f'breach_list = "{breach}"\n' + config.read_text())
    with terminal(settings, width, height) as term:
        term.launch()
        term.wait_for("6 items in your vault")
        term.palette("Vault health")
        # The status line and the sources are drawn in one update but laid out in two frames:
        # wait for both before reading the screen.
        term.wait_until(
            lambda: "with findings" in term.screen() and "hashes)" in term.screen(),
            "the whole report",
        )
        screen = term.screen()
        assert "Breach list:" in screen
        assert "(20,003 hashes)" in screen
        assert "5 items checked, 4 with findings, 1 left out" in screen
        lines = screen.splitlines()
        forum = next(line for line in lines if "Forum" in line)
        assert "breached (2,418,984), reused (2 items), weak, common" in forum
        assert "breached (7)" in next(line for line in lines if "Mail" in line)
        assert "unsecured" in next(line for line in lines if "Printer" in line)
        # The app has no 2FA list: its filter offers the kinds it checks.
        assert "5 unsecured 6 old" in screen
        assert "no 2FA" not in screen
        assert "Old test" not in screen
        assert "Bank" not in screen
        assert CANARY not in screen
        term.keys("5")  # unsecured only
        term.wait_until(lambda: "Forum" not in term.screen(), "the filter applied")
        assert "Printer" in term.screen()
        term.keys("0")  # every kind again
        term.wait_for("Forum")
        term.keys("Enter")  # the first row: Forum, opened in its form
        term.wait_for("Edit item")
        assert CANARY not in term.screen()


async def test_a_lock_closes_the_report_and_keeps_nothing(sqlite_settings: Settings) -> None:
    from app.screens.health import HealthScreen
    from app.screens.unlock import UnlockScreen
    from tests.pilot import settle, vault_app

    seed(sqlite_settings, ItemDraft("Mail", "al", CANARY), ItemDraft("Shop", "al", CANARY))
    async with vault_app(sqlite_settings) as (app, pilot):
        app.show_health()
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, HealthScreen)
        assert screen._items  # the report holds the items it lists
        app.lock_vault()
        await settle(pilot)
        assert isinstance(app.screen, UnlockScreen)
        assert not any(isinstance(s, HealthScreen) for s in app.screen_stack)
        assert screen._items == {}  # closed by the lock: the decrypted items dropped


def test_a_long_path_loses_its_middle_not_its_count() -> None:
    from app.screens.health import fitted

    line = "Breach list: /home/al/" + "downloads/" * 12 + "pwned.txt (20,003 hashes)"
    shown = fitted(line, 78)
    assert len(shown) == 78
    assert shown.startswith("Breach list: /home/al/")
    assert shown.endswith("pwned.txt (20,003 hashes)")
    assert "…" in shown
    assert fitted("Old: short", 78) == "Old: short"


def stored(settings: Settings) -> dict[str, Item]:
    """The vault's items by title, read as another device would."""
    from app.services.backend import Backend
    from tests.helpers import STRONG_PASSWORD

    backend = Backend(settings, device_label="check")
    try:
        active = backend.accounts().login("alice", STRONG_PASSWORD, remember=False)
        return {item.title: item for item in backend.vault().list_items(active)}
    finally:
        backend.close()


def row_of(screen: str, title: str) -> str | None:
    """The report's row for ``title`` (a notice that names it is not a row)."""
    return next(
        (line for line in screen.splitlines() if re.search(rf"{title}\s{{2,}}", line)), None
    )


@pytest.mark.parametrize(("width", "height"), [(80, 24), (120, 40)])
def test_from_the_report_leave_out_generate_and_edit(
    sqlite_settings: Settings, tmp_path: Path, width: int, height: int
) -> None:
    settings = sqlite_settings
    breach = tmp_path / "pwnedpasswords.txt"
    breach.write_bytes(b"\r\n".join(generated_lines(20_000)) + b"\r\n")
    seed(
        settings,
        ItemDraft("Forum", "al", "password1", ("https://forum.example",)),
        ItemDraft("Shop", "al", "password1", ("https://shop.example",)),
        ItemDraft("Mail", "al", CANARY, ("https://mail.example",)),
        ItemDraft("Printer", "al", "vivid-otter-quarry-lantern-9041", ("http://printer.example",)),
    )
    write_config(settings)
    config = settings.config_dir / "config.toml"
    config.write_text(f'breach_list = "{breach}"\n' + config.read_text())
    with terminal(settings, width, height) as term:
        term.launch()
        term.wait_for("4 items in your vault")
        term.palette("Vault health")
        term.wait_for("4 items checked, 4 with findings")
        screen = term.screen()
        assert "Vault health" in screen.splitlines()[0]  # the title line
        assert "Enter edit · g new password · i leave out · 0-6 filter · Esc close" in screen
        assert row_of(screen, "Forum") is not None
        # i: the highlighted row (Forum, the first) is tagged and leaves the report.
        term.keys("i")
        term.wait_for("3 items checked, 3 with findings, 1 left out")
        screen = term.screen()
        assert row_of(screen, "Forum") is None
        assert "reused (2 items)" in (row_of(screen, "Shop") or "")  # its password still counts
        assert "health:ignore" in stored(settings)["Forum"].tags
        # g: Shop (now first) opens in its form with a new password in place, not yet saved.
        term.keys("g")
        term.wait_for("Edit item")
        assert stored(settings)["Shop"].password == "password1"
        term.keys("C-s")
        term.wait_until(
            lambda: "3 items checked, 2 with findings, 1 left out" in term.screen(),
            "the report scored again after the save",
        )
        new = stored(settings)["Shop"].password
        assert new != "password1"
        assert len(new) == 20
        screen = term.screen()
        assert row_of(screen, "Shop") is None  # a generated password: nothing to fix
        assert new not in screen
        # e: the highlighted item's form; Esc with nothing typed is back on the report.
        term.keys("e")
        term.wait_for("Edit item")
        term.keys("Escape")
        term.wait_until(lambda: "Edit item" not in term.screen(), "the form closed")
        term.wait_for("3 items checked, 2 with findings, 1 left out")
        assert CANARY not in term.screen()


async def test_an_error_is_shown_whole_at_80_columns(sqlite_settings: Settings) -> None:
    """Why the report could not be made (a vault changed outside Strongroom, a breach list
    refused) is several lines at 80 columns: all of them, not the first."""
    from textual.widgets import Static

    from app.screens.health import HealthScreen
    from tests.pilot import settle, vault_app

    seed(sqlite_settings, ItemDraft("Mail", "al", CANARY))
    async with vault_app(sqlite_settings) as (app, pilot):
        await pilot.resize_terminal(80, 24)
        app.show_health()
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, HealthScreen)
        screen.show_error("The database was changed outside Strongroom: " + "word " * 30)
        await settle(pilot)
        assert screen.query_one("#health-status", Static).size.height >= 3

"""What people see: snapshots of each account screen (pytest-textual-snapshot)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from app.core.config import Settings
from app.core.items import ItemDraft
from app.factory import make_app
from tests.conftest import FakeClock, make_settings
from tests.pilot import seed, settle

SIZE = (100, 36)


async def settled(pilot: Pilot[None]) -> None:
    """Settle, and hold the text cursor steady so a blink cannot change the picture."""
    await settle(pilot)
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()


def test_register_screen(snap_compare, sqlite_settings: Settings) -> None:  # type: ignore[no-untyped-def]
    async def fill(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press(*"alice", "tab", *"password1234")
        await settled(pilot)

    assert snap_compare(make_app(sqlite_settings), terminal_size=SIZE, run_before=fill)


def test_login_screen_after_wrong_password(snap_compare, sqlite_settings: Settings) -> None:  # type: ignore[no-untyped-def]
    seed(sqlite_settings, remember=False)

    async def fail(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press(*"not my password", "enter")  # the username is remembered
        await settled(pilot)

    assert snap_compare(make_app(sqlite_settings), terminal_size=SIZE, run_before=fail)


def seeded_vault(settings: Settings) -> None:
    """alice, remembered on this device, with a few items made at a fixed time."""
    seed(
        settings,
        ItemDraft(
            "GitHub",
            "alice",
            "gh-secret",
            ("https://github.com",),
            "2FA codes in the safe",
            ("work", "code"),
            favourite=True,
        ),
        ItemDraft("Bank of Example", "alice.smith", "bank-secret", ("https://bank.example",)),
        ItemDraft("Mail", "alice@mail.example", "mail-secret", ("https://mail.example",)),
        clock=FakeClock(),
    )


def test_vault_screen(snap_compare, sqlite_settings: Settings) -> None:  # type: ignore[no-untyped-def]
    seeded_vault(sqlite_settings)
    assert snap_compare(make_app(sqlite_settings), terminal_size=(120, 36), run_before=settled)


def test_item_form(snap_compare, sqlite_settings: Settings) -> None:  # type: ignore[no-untyped-def]
    seeded_vault(sqlite_settings)

    async def edit(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("enter")
        await settled(pilot)

    assert snap_compare(make_app(sqlite_settings), terminal_size=(120, 48), run_before=edit)


def test_generator_dialog(snap_compare, sqlite_settings: Settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    seeded_vault(sqlite_settings)
    monkeypatch.setattr(
        "app.screens.generator.generate_password", lambda options: "x7-Qm!rV2#pL9@wZ4$kD"
    )

    async def generate(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("ctrl+g")
        await settled(pilot)

    assert snap_compare(make_app(sqlite_settings), terminal_size=(120, 36), run_before=generate)


def test_unlock_screen(snap_compare, sqlite_settings: Settings) -> None:  # type: ignore[no-untyped-def]
    seeded_vault(sqlite_settings)

    async def lock(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("ctrl+l")
        await settled(pilot)

    assert snap_compare(make_app(sqlite_settings), terminal_size=SIZE, run_before=lock)


@pytest.mark.mariadb
def test_database_error_screen(snap_compare, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # A server that cannot be there (port 1), and a password that must not be shown.
    url = "mariadb+mariadbconnector://strongroom:secret@127.0.0.1:1/strongroom"
    settings = make_settings(tmp_path, url)
    assert snap_compare(make_app(settings), terminal_size=SIZE, run_before=settled)

"""Keys that wait for a busy form never hold up Ctrl+Q: quitting goes at once."""

from __future__ import annotations

from textual.widgets import Input

from app.core.config import Settings
from app.core.items import ItemDraft
from app.screens.item_form import ItemFormScreen
from tests.pilot import seed, settle, vault_app


async def test_ctrl_q_quits_at_once_while_the_keys_before_it_wait_for_a_busy_form(
    sqlite_settings: Settings,
) -> None:
    seed(sqlite_settings, ItemDraft("Bank"))
    async with vault_app(sqlite_settings) as (app, pilot):
        await pilot.press("ctrl+n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ItemFormScreen)
        form.set_busy(True)  # a save under way, its worker not done
        await pilot.press("x", "ctrl+q")
        await pilot.pause()
        assert form.query_one("#title", Input).value == ""  # the x still waits
        assert app.return_code == 0

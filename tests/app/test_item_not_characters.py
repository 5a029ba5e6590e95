"""The item form refuses what no KeePass export could hold (U+FFFE, U+FFFF), naming the field
and putting the cursor in it; what was typed stays, and nothing is saved."""

from __future__ import annotations

from textual.widgets import Input

from app.core.config import Settings
from app.core.items import ItemDraft
from app.screens.item_form import ItemFormScreen
from tests.pilot import seed, settle, titles, type_into, vault_app


async def test_the_item_form_refuses_a_noncharacter_naming_the_field(settings: Settings) -> None:
    seed(settings, ItemDraft("Bank"))
    async with vault_app(settings) as (app, pilot):
        await pilot.press("ctrl+n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ItemFormScreen)
        await type_into(pilot, "#title", "Team")
        await type_into(pilot, "#username", "al\uffffice")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert "Username contains U+FFFF" in str(form.query_one("#error").render())
        assert app.focused is form.query_one("#username", Input)
        assert form.query_one("#username", Input).value == "al\uffffice"
        await type_into(pilot, "#username", "alice")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert sorted(titles(app)) == ["Bank", "Team"]

"""`h` shows the selected item's password history where it can be seen, at 80x24 too: the
detail pane scrolls to it."""

from __future__ import annotations

import pytest
from textual.containers import VerticalScroll

from app.core.config import Settings
from app.core.items import ItemDraft
from app.factory import make_app
from app.widgets.item_detail import ItemDetail
from tests.pilot import seed_with_history, settle
from tests.terminal import terminal, write_config

NOTES = "\n".join(f"note line {n}" for n in range(1, 13))


def _bank(password: str) -> ItemDraft:
    return ItemDraft(
        "Bank", username="alice", password=password, urls=("https://bank.example",), notes=NOTES
    )


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_h_shows_the_password_history(sqlite_settings: Settings, size: tuple[int, int]) -> None:
    settings = sqlite_settings
    seed_with_history(settings, _bank("first-bank-password"), _bank("second-bank-password"))
    write_config(settings)
    with terminal(settings, *size) as term:
        term.launch()
        term.wait_for("1 item in your vault")
        term.wait_for("Bank")
        term.keys("h")
        term.wait_for("Password history")
        term.wait_for("••••")


async def test_the_detail_pane_scrolls_to_the_history(sqlite_settings: Settings) -> None:
    settings = sqlite_settings
    seed_with_history(settings, _bank("first-bank-password"), _bank("second-bank-password"))
    app = make_app(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        detail = app.screen.query_one(ItemDetail)
        pane = app.screen.query_one("#detail-pane", VerticalScroll)
        line = detail.history_line()
        assert line is not None
        # The history's heading and its entry are in the pane's view.
        assert pane.scroll_y <= line
        assert line + 3 <= pane.scroll_y + pane.scrollable_content_region.height

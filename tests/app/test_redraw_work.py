"""What the vault screen keeps from one frame to the next, so that a search keystroke and the
vault's appearance redo no work, and still shows every change: the rows' colours after a change
of theme or focus, and the footer's keys after a change of bindings or width."""

from __future__ import annotations

from rich.style import Style
from textual.dom import DOMNode
from textual.strip import Strip
from textual.widgets._footer import FooterKey

from app.core.config import Settings
from app.core.items import ItemDraft
from app.widgets.footer import RankedFooter
from app.widgets.item_list import ItemList
from tests.pilot import seed, settle, vault_app


def style_of(strip: Strip) -> Style | None:
    """The style a drawn row is in (each row is one segment)."""
    return next(iter(strip)).style


async def test_rows_take_a_new_theme_and_focus_at_once(sqlite_settings: Settings) -> None:
    seed(sqlite_settings, ItemDraft("GitHub"), ItemDraft("Bank"))
    async with vault_app(sqlite_settings) as (app, pilot):
        listing = app.screen.query_one(ItemList)
        row = 2  # not the cursor's row: its colours are the list's own
        before = style_of(listing.render_line(row))
        assert before == listing.rich_style
        app.theme = "textual-light" if app.theme != "textual-light" else "nord"
        await settle(pilot)
        after = style_of(listing.render_line(row))
        assert after == listing.rich_style
        assert after != before
        # Another widget's focus changes no style of the list's own, and the cursor's row
        # follows the list's focus as before.
        cursor_focused = style_of(listing.render_line(1))
        app.screen.query_one("#search").focus()
        await settle(pilot)
        assert style_of(listing.render_line(row)) == listing.rich_style
        assert style_of(listing.render_line(1)) != cursor_focused


async def test_the_footer_builds_its_keys_again_only_when_they_change(
    sqlite_settings: Settings,
) -> None:
    seed(sqlite_settings, ItemDraft("GitHub"))
    async with vault_app(sqlite_settings) as (app, pilot):
        footer = app.screen.query_one(RankedFooter)
        keys = list(footer.children)
        assert keys
        # Told that the bindings may have changed when they have not: the same key widgets.
        footer.bindings_changed(app.screen)
        await settle(pilot)
        app.screen.refresh_bindings()
        await settle(pilot)
        assert list(footer.children) == keys
        # A change of bindings (the trash offers Restore) or of width builds them anew.
        await pilot.press("t")
        await settle(pilot)
        shown = [key.description for key in footer.children if hasattr(key, "description")]
        assert list(footer.children) != keys
        assert "Restore" in " ".join(shown)
        await pilot.press("t")
        await settle(pilot)
        keys = list(footer.children)
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert list(footer.children) != keys


async def test_the_footers_new_keys_come_compact_without_a_restyle_each(
    sqlite_settings: Settings,
) -> None:
    """Each key used to be restyled (with the screen's stylesheet) once mounted, to add its
    compact class: at a new vault screen, most of the footer's time."""
    seed(sqlite_settings, ItemDraft("GitHub"))
    async with vault_app(sqlite_settings) as (app, pilot):
        footer = app.screen.query_one(RankedFooter)
        restyled: list[object] = []
        update_styles = app.update_styles

        def counted(node: DOMNode, animate: bool = True) -> None:
            if isinstance(node, FooterKey):
                restyled.append(node)
            update_styles(node, animate)

        app.update_styles = counted  # type: ignore[method-assign]
        await pilot.press("t")  # the trash's keys: the footer builds them anew
        await settle(pilot)
        keys = [key for key in footer.children if isinstance(key, FooterKey)]
        assert any(key.description == "Restore" for key in keys)
        assert all(key.has_class("-compact") and key.compact for key in keys)
        assert restyled == []

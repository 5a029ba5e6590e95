"""A virtual list of vault items: draws only the rows on screen, so 10,000 items cost nothing.

Built on Textual's line API (ScrollView + render_line), the way Textual's own DataTable and Log
draw large content. Replacing the items (a search keystroke) swaps a Python list and repaints the
visible rows; no widget is created per item.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.events import Click
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from app.core.items import Item
from app.widgets.literal import visible_text

NARROW = 56  # below this many columns the URL column goes


class ItemList(ScrollView, can_focus=True):
    DEFAULT_CSS = """
    ItemList {
        background: $surface;
    }
    ItemList > .item-list--cursor {
        background: $accent 40%;
        text-style: bold;
    }
    ItemList:focus > .item-list--cursor {
        background: $accent;
    }
    ItemList > .item-list--header {
        text-style: bold;
        color: $text-muted;
    }
    ItemList > .item-list--damaged {
        color: $error;
    }
    """

    COMPONENT_CLASSES = {
        "item-list--cursor",
        "item-list--header",
        "item-list--damaged",
    }

    BINDINGS = [
        Binding("up,k", "cursor_up", "Up", show=False),
        Binding("down,j", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last", show=False),
    ]

    cursor: reactive[int] = reactive(0, always_update=True)

    @dataclass
    class Highlighted(Message):
        item: Item | None

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._items: list[Item] = []
        self.empty_text = ""  # drawn under the header when there are no rows: says why
        self._base: tuple[tuple[int, ...], Style] | None = None  # see _base_style

    def _base_style(self) -> Style:
        """The rows' style (``rich_style``), which walks the styles of every node up to the
        App: worked out again only when one of them has changed, not for each row drawn (it
        was a third of a search keystroke's repaint)."""
        key = tuple(node.styles._cache_key for node in self.ancestors_with_self)
        if self._base is None or self._base[0] != key:
            self._base = (key, self.rich_style)
        return self._base[1]

    @property
    def items(self) -> list[Item]:
        return self._items

    @property
    def highlighted(self) -> Item | None:
        if 0 <= self.cursor < len(self._items):
            return self._items[self.cursor]
        return None

    def set_items(
        self, items: list[Item], *, keep_id: int | None = None, empty_text: str = ""
    ) -> None:
        """Show these items; keep the cursor on ``keep_id`` when it is still there, and where
        it was when that item has gone (trashed, say)."""
        near = self.cursor
        self._items = items
        self.empty_text = empty_text
        self.virtual_size = Size(self.size.width, len(items) + 1)
        index = 0
        if keep_id is not None:
            index = next((i for i, item in enumerate(items) if item.id == keep_id), near)
        self.cursor = index
        self.refresh()

    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, len(self._items) - 1)) if self._items else 0

    def watch_cursor(self, value: int) -> None:
        self.scroll_to_region_of(value)
        self.refresh()
        self.post_message(self.Highlighted(self.highlighted))

    def scroll_to_region_of(self, index: int) -> None:
        # Line 0 is the header; line y shows item (y - 1 + scroll offset).
        top = self.scroll_offset.y
        rows = max(1, self.scrollable_content_region.height - 1)
        if index < top:
            self.scroll_to(y=index, animate=False)
        elif index >= top + rows:
            self.scroll_to(y=index - rows + 1, animate=False)

    def _columns(self, width: int) -> tuple[int, int, int]:
        if width < NARROW:  # no room for three: title and username, which tell items apart
            title = width * 11 // 20
            return title, max(0, width - title - 1), 0
        title = max(10, width * 2 // 5)
        username = max(8, width * 3 // 10)
        return title, username, max(0, width - title - username - 2)

    def _row_text(self, item: Item, width: int) -> str:
        title_width, user_width, url_width = self._columns(width - 2)
        star = "★ " if item.favourite else "  "
        url = item.urls[0] if item.urls else ""
        cells = [
            set_cell_size(visible_text(item.title), title_width),
            set_cell_size(visible_text(item.username), user_width),
        ]
        if url_width:
            cells.append(set_cell_size(visible_text(url), url_width))
        return star + " ".join(cells)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self._base_style()
        if y == 0:
            # A header that stays put while the rows scroll under it.
            title_width, user_width, url_width = self._columns(width - 2)
            header = "  " + " ".join(
                set_cell_size(name, size)
                for name, size in (
                    ("Title", title_width),
                    ("Username", user_width),
                    ("URL", url_width),
                )
                if size
            )
            header_style = base + self.get_component_rich_style("item-list--header")
            return Strip([Segment(set_cell_size(header, width), header_style)], width)
        index = y - 1 + self.scroll_offset.y
        if not self._items and y == 1 and self.empty_text:
            muted = base + self.get_component_rich_style("item-list--header")
            return Strip([Segment(set_cell_size("  " + self.empty_text, width), muted)], width)
        if not 0 <= index < len(self._items):
            return Strip.blank(width, base)
        item = self._items[index]
        style: Style = base
        if item.error:
            style += self.get_component_rich_style("item-list--damaged")
        if index == self.cursor:
            style += self.get_component_rich_style("item-list--cursor")
        text = self._row_text(item, width)
        if cell_len(text) != width:
            text = set_cell_size(text, width)
        return Strip([Segment(text, style)], width)

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, len(self._items) + 1)

    def on_click(self, event: Click) -> None:
        index = event.y - 1 + self.scroll_offset.y
        if event.y > 0 and 0 <= index < len(self._items):
            self.cursor = index

    def action_cursor_up(self) -> None:
        self.cursor -= 1

    def action_cursor_down(self) -> None:
        self.cursor += 1

    def action_page_up(self) -> None:
        self.cursor -= max(1, self.scrollable_content_region.height - 2)

    def action_page_down(self) -> None:
        self.cursor += max(1, self.scrollable_content_region.height - 2)

    def action_first(self) -> None:
        self.cursor = 0

    def action_last(self) -> None:
        self.cursor = len(self._items) - 1

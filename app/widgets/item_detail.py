"""The selected item: fields, the password masked until revealed, the live TOTP code, history."""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import events
from textual.geometry import Region
from textual.timer import Timer
from textual.widgets import Static

from app.core.items import HistoryEntry, Item
from app.core.times import local
from app.core.totp import TotpError, reason, totp_now
from app.core.totp import parse as parse_totp
from app.widgets.literal import visible_text

MASK = "••••••••••••"
REVEAL_SECONDS = 20.0
HISTORY_HEADING = "Password history (newest first)"
LABEL_MIN, LABEL_MAX = 6, 20  # cells a custom field's name may take in the label column


class ItemDetail(Static):
    DEFAULT_CSS = """
    ItemDetail {
        height: auto;
        padding: 0 1;
    }
    """

    def __init__(self, *, id: str | None = None, clock: Callable[[], float] = time.time) -> None:
        super().__init__("", id=id)
        self._clock = clock
        self.item: Item | None = None
        self.revealed = False
        self.history: list[HistoryEntry] | None = None
        self._mask_timer: Timer | None = None
        self._width = 0  # the width the item was last drawn for

    def on_mount(self) -> None:
        self.set_interval(1.0, self._tick)
        self.show(None)

    def on_resize(self, event: events.Resize) -> None:
        # The custom fields' names get a share of the width: drawn again when it changes
        # (a change of height alone, as drawing them makes, needs nothing).
        if self.item is not None and self.item.fields and self._width != event.size.width:
            self._draw()

    def _tick(self) -> None:
        # Not under another screen (help, the item form, a dialog): a countdown drawn there
        # cannot be seen, yet has the terminal repaint the whole screen over it every second.
        if self.item is not None and self.item.totp and self.app.screen is self.screen:
            self._draw()

    def show(self, item: Item | None) -> None:
        if item is None or self.item is None or item.id != self.item.id:
            self.mask()
            self.history = None
        self.item = item
        self._draw()

    def reveal(self) -> None:
        """Show the password; it hides itself again after a short while."""
        self.revealed = not self.revealed
        if self._mask_timer is not None:
            self._mask_timer.stop()
        if self.revealed:
            self._mask_timer = self.set_timer(REVEAL_SECONDS, self.mask)
        self._draw()

    def mask(self) -> None:
        self.revealed = False
        if self._mask_timer is not None:
            self._mask_timer.stop()
            self._mask_timer = None
        if self.item is not None:
            self._draw()

    def show_history(self, entries: list[HistoryEntry] | None) -> None:
        self.history = entries
        self._draw()

    def history_line(self) -> int | None:
        """The line the password history starts on, as drawn now (None: not shown)."""
        if self.history is None:
            return None
        # The heading may wrap; the history comes last, after any notes that could look alike.
        region = Region(0, 0, self.size.width, self.size.height)
        lines = [strip.text.strip() for strip in self.render_lines(region)]
        starts = [n for n, line in enumerate(lines) if line.startswith("Password history")]
        return starts[-1] if starts else None

    def _draw(self) -> None:
        item = self.item
        if item is None:
            self.update(Text("No item selected.", style="dim"))
            return
        title = Text(visible_text(item.title), style="bold")
        if item.error:
            text = Text.assemble(
                title,
                "\n",
                (item.error + "\n", "red"),
                ("Delete it, or restore the database from a backup.", "dim"),
            )
            self.update(text)
            return
        # Labels in a column of their own, so that a long value wraps beside its label.
        fields = Table.grid(padding=(0, 1))
        fields.add_column(style="dim", no_wrap=True)
        fields.add_column(overflow="fold")

        def field(label: str | Text, value: str | Text, style: str = "") -> None:
            shown = Text(visible_text(value), style=style) if isinstance(value, str) else value
            fields.add_row(label, shown)

        field("Username", item.username or "—")
        if item.password:
            shown = item.password if self.revealed else MASK
            hint = " (Ctrl+R hides)" if self.revealed else " (Ctrl+R shows)"
            field("Password", Text.assemble((visible_text(shown), "bold"), (hint, "dim")))
        else:
            field("Password", "—")
        for number, url in enumerate(item.urls or ("—",)):
            field("URL" if number == 0 else "", url, "underline" if item.urls else "")
        if item.totp:
            try:
                code, remaining = totp_now(item.totp, self._clock())
            except TotpError as error:
                why = f"makes no codes: {reason(error)}. Replace it in the edit form (Enter or e)."
                field("TOTP", why, "red")
            else:
                half = len(code) // 2
                field("TOTP", f"{code[:half]} {code[half:]}  ({remaining:>2} s)", "bold")
                details = parse_totp(item.totp).describe()
                if details:
                    field("", details, "dim")
        field("Tags", ", ".join(item.tags) if item.tags else "—")
        # A long custom field name is cut short (…): its value keeps two thirds of the pane.
        self._width = self.size.width
        longest = max(LABEL_MIN, min(LABEL_MAX, self.content_size.width // 3))
        for custom in item.fields:
            label = Text(visible_text(custom.name))
            label.truncate(longest, overflow="ellipsis")
            if custom.secret and not self.revealed:
                field(label, Text.assemble((MASK, "bold"), (" (Ctrl+R shows)", "dim")))
            else:
                field(label, custom.value.replace("\n", " ⏎ ") or "—")
        if item.favourite:
            field("Favourite", "★")
        if item.updated_at is not None:
            field("Modified", local(item.updated_at), "dim")
        if item.deleted_at is not None:
            field("Trashed", local(item.deleted_at), "yellow")
        more = Text()
        if item.notes:
            more.append("\nNotes\n", style="dim")
            for line in item.notes.splitlines():
                more.append(visible_text(line) + "\n")
        if self.history is not None:
            more.append(f"\n{HISTORY_HEADING}\n", style="dim")
            if not self.history:
                more.append("No earlier passwords.\n", style="dim")
            for entry in self.history:
                stamp = local(entry.replaced_at)
                shown = visible_text(entry.password) if self.revealed else MASK
                more.append(f"{stamp}  {shown}\n")
        self.update(Group(title, fields, more))

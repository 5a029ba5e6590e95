"""Vault health: the items to fix first, every finding as a short label, worst first.

The App scores the vault in a worker and hands this screen its progress, then the report
(attributes down); Enter dismisses it with the item to open (a message up, by dismissal). The
keys 1-7 show one kind of finding, 0 every kind. Titles are drawn literally; no password, and
nothing but the table's order and each "reused (N items)", says which items share one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from app.core.health import KINDS
from app.widgets.literal import literal

if TYPE_CHECKING:
    from app.core.health import ItemHealth, Report
    from app.core.items import Item

SHOWN = {"no-2fa": "no 2FA"}  # a kind as the filter line writes it
TITLE_WIDTH = 16


def fitted(line: str, width: int) -> str:
    """``line`` in ``width`` cells: its longest word (a file's path) loses its middle to "…",
    so what follows the path (how many hashes) stays in sight on a narrow terminal."""
    if len(line) <= width:
        return line
    word = max(line.split(" "), key=len)
    keep = len(word) - (len(line) - width) - 1
    if keep < 8:
        return line[: max(0, width - 1)] + "…"
    head = keep // 3
    return line.replace(word, word[:head] + "…" + word[len(word) - (keep - head) :], 1)


class HealthScreen(Screen["Item | None"]):
    """Dismisses with the item to open, or None (Esc)."""

    DEFAULT_CSS = """
    HealthScreen { layout: vertical; }
    HealthScreen #health-sources { height: auto; max-height: 4; padding: 0 1; color: $text-muted; }
    HealthScreen #health-status { height: 1; padding: 0 1; }
    HealthScreen #health-filter { height: 1; padding: 0 1; }
    HealthScreen #health-rows { height: 1fr; }
    HealthScreen #health-keys { height: 1; padding: 0 1; color: $text-muted; }
    """

    BINDINGS = [
        Binding("escape,q", "dismiss(None)", "Close"),
        *(
            Binding(str(number), f"only({number})", "Show one kind", show=False)
            for number in range(len(KINDS) + 1)
        ),
    ]

    def __init__(self, kinds: tuple[str, ...] = KINDS) -> None:
        """``kinds``: those checked, in KINDS' order (the filter offers these)."""
        super().__init__()
        self._kinds = kinds
        self._report: Report | None = None
        self._items: dict[int, Item] = {}
        self._only = ""
        self._sources: tuple[str, ...] = ()

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Vault health", id="health-sources")
            yield Static("Checking…", id="health-status")
            yield Static(self._filter_line(), id="health-filter")
            yield OptionList(id="health-rows")
            yield Static(
                f"Enter opens the item · 0-{len(self._kinds)} filter · Esc closes", id="health-keys"
            )

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    # -- what the App hands down ---------------------------------------------------------------

    def show_progress(self, done: int, total: int) -> None:
        self.query_one("#health-status", Static).update(f"Checking {done}/{total}…")

    def on_unmount(self) -> None:
        """Closed (or by a lock): keep no decrypted item."""
        self._report, self._items = None, {}

    def show_report(self, sources: tuple[str, ...], report: Report, items: dict[int, Item]) -> None:
        self._report, self._items, self._sources = report, items, sources
        self._show_sources()
        left = f", {report.ignored} left out (tag health:ignore)" if report.ignored else ""
        self.query_one("#health-status", Static).update(
            f"{report.checked} items checked, {len(report.items)} with findings{left}."
        )
        self._fill()

    def on_resize(self, event: events.Resize) -> None:
        if self._sources:
            self._show_sources()

    def _show_sources(self) -> None:
        shown = self.query_one("#health-sources", Static)
        width = max(20, self.size.width - 2)  # the padding
        shown.update(literal("\n".join(fitted(line, width) for line in self._sources)))

    def show_error(self, message: str, field: str | None = None) -> None:
        self.query_one("#health-status", Static).update(literal(message, "bold red"))

    def clear_passwords(self, field: str | None = None) -> None:
        """Nothing typed here to clear (the App asks it of a screen that shows an error)."""

    # -- filters and rows ----------------------------------------------------------------------

    def action_only(self, number: int) -> None:
        """Show one kind (its number on the filter line), or every kind (0, or again)."""
        if number > len(self._kinds):
            return
        kind = self._kinds[number - 1] if number else ""
        self._only = "" if kind == self._only else kind
        self.query_one("#health-filter", Static).update(self._filter_line())
        self._fill()

    def _filter_line(self) -> Text:
        line = Text("Show: ")
        for number, kind in enumerate(("", *self._kinds)):
            label = f"{number} {SHOWN.get(kind, kind or 'all')}"
            line.append(label, style="reverse" if kind == self._only else "")
            line.append(" ")
        return line

    def _fill(self) -> None:
        rows = self.query_one(OptionList)
        rows.clear_options()
        report = self._report
        if report is None:
            return
        shown = [item for item in report.items if self._wanted(item)]
        if not shown:
            rows.add_option(Option("Nothing to fix here.", disabled=True))
            return
        rows.add_options(Option(self._row(item), id=str(item.id)) for item in shown)
        rows.highlighted = 0

    def _wanted(self, item: ItemHealth) -> bool:
        if not self._only:
            return True
        return any(finding.kind == self._only for finding in item.findings)

    @staticmethod
    def _row(item: ItemHealth) -> Text:
        title = item.title if len(item.title) <= TITLE_WIDTH else item.title[: TITLE_WIDTH - 1]
        row = literal(title.ljust(TITLE_WIDTH) if len(item.title) <= TITLE_WIDTH else title + "…")
        row.append("  ")
        for number, label in enumerate(item.labels):
            worst = number == 0
            row.append(label, style="bold red" if worst else "yellow")
            row.append(", " if number < len(item.labels) - 1 else "")
        return row

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.dismiss(self._items.get(int(event.option.id)))

"""Vault health: the items to fix first, every finding as a short label, worst first.

The App scores the vault in a worker and hands this screen its progress, then the report
(attributes down). Enter or ``e`` asks the App to open the highlighted item's edit form over
the report, ``g`` the same form with a new generated password in place (saved only when the
person saves), ``i`` to tag the item ``health:ignore`` (messages up); the report is scored
again when the form closes or the tag is saved. The keys 1-7 show one kind of finding, 0 every
kind. Titles are drawn literally; no password, and nothing but the table's order and each
"reused (N items)", says which items share one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from app.core.health import KINDS
from app.screens.keys import HEALTH_KEYS, bindings
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


class HealthScreen(Screen[None]):
    """Closed by Esc; asks the App, by message, to open, fix or leave out an item."""

    class Open(Message):
        """Edit ``item`` (over the report), with a new generated password when ``generate``."""

        def __init__(self, item: Item, *, generate: bool = False) -> None:
            super().__init__()
            self.item = item
            self.generate = generate

    class LeaveOut(Message):
        """Tag ``item`` health:ignore, so that the report leaves it out."""

        def __init__(self, item: Item) -> None:
            super().__init__()
            self.item = item

    class Rescore(Message):
        """Score the vault again (an item may have changed)."""

    DEFAULT_CSS = """
    HealthScreen { layout: vertical; }
    HealthScreen #health-title { height: 1; padding: 0 1; text-style: bold; }
    HealthScreen #health-sources { height: auto; max-height: 4; padding: 0 1; color: $text-muted; }
    HealthScreen #health-status { height: auto; max-height: 5; padding: 0 1; }
    HealthScreen #health-filter { height: 1; padding: 0 1; }
    HealthScreen #health-rows { height: 1fr; }
    HealthScreen #health-keys { height: 1; padding: 0 1; color: $text-muted; }
    """

    BINDINGS = [
        *bindings(HEALTH_KEYS),
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
        self._away = False  # an item's form is open over the report

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Vault health", id="health-title")
            yield Static("", id="health-sources")
            yield Static("Checking…", id="health-status")
            yield Static(self._filter_line(), id="health-filter")
            yield OptionList(id="health-rows")
            yield Static(
                f"Enter edit · g new password · i leave out · 0-{len(self._kinds)} filter · "
                "Esc close",
                id="health-keys",
            )

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    # -- what the App hands down ---------------------------------------------------------------

    def show_progress(self, done: int, total: int) -> None:
        self.query_one("#health-status", Static).update(f"Checking {done}/{total}…")

    def on_screen_resume(self) -> None:
        """Back from an item's form: the item may have changed, so score again."""
        if self._away:
            self._away = False
            self.query_one("#health-status", Static).update("Checking…")
            self.post_message(self.Rescore())

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
        was = rows.highlighted or 0
        rows.clear_options()
        report = self._report
        if report is None:
            return
        shown = [item for item in report.items if self._wanted(item)]
        if not shown:
            rows.add_option(Option("Nothing to fix here.", disabled=True))
            return
        rows.add_options(Option(self._row(item), id=str(item.id)) for item in shown)
        rows.highlighted = min(was, len(shown) - 1)  # scored again: near where the person was

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

    def _highlighted(self) -> Item | None:
        rows = self.query_one(OptionList)
        if rows.highlighted is None or self._report is None:
            return None
        option = rows.get_option_at_index(rows.highlighted)
        return None if option.id is None else self._items.get(int(option.id))

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_edit()

    def action_edit(self, generate: bool = False) -> None:
        item = self._highlighted()
        if item is not None:
            self._away = True
            self.post_message(self.Open(item, generate=generate))

    def action_generate(self) -> None:
        self.action_edit(generate=True)

    def action_leave_out(self) -> None:
        item = self._highlighted()
        if item is not None:
            self.query_one("#health-status", Static).update("Leaving it out…")
            self.post_message(self.LeaveOut(item))

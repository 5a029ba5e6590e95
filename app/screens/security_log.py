"""The security log: this device's logins, locks, key changes and warnings, newest first.

The App reads the log in a worker and hands this screen the page (attributes down); Esc closes
it. Every text in it is drawn literally (a username typed at someone's login form can hold
anything). Tampering and rollback warnings are bold red with "!!" in front, so they stand out
without colour too; failed logins and the like are yellow with "!"; a line that is not the
log's is shown as "unreadable line".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from app.widgets.literal import literal

if TYPE_CHECKING:
    from app.core.security_log import LogEntry, LogPage

MARKS = {"warning": "!! ", "notice": "!  ", "unreadable": "?  ", "": "   "}
STYLES = {"warning": "bold red", "notice": "yellow", "unreadable": "dim italic", "": ""}
WHO_WIDTH = 12


class SecurityLogScreen(Screen[None]):
    """Dismisses with None (Esc)."""

    DEFAULT_CSS = """
    SecurityLogScreen { layout: vertical; }
    SecurityLogScreen #log-title { height: 1; padding: 0 1; text-style: bold; }
    SecurityLogScreen #log-status { height: auto; padding: 0 1; }
    SecurityLogScreen #log-rows { height: 1fr; }
    SecurityLogScreen #log-keys { height: 1; padding: 0 1; color: $text-muted; }
    """

    BINDINGS = [Binding("escape,q", "dismiss(None)", "Close")]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Security log · this device, newest first", id="log-title")
            yield Static("Reading…", id="log-status")
            yield OptionList(id="log-rows")
            yield Static("↑↓ PgUp PgDn scroll · Esc closes", id="log-keys")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    # -- what the App hands down ---------------------------------------------------------------

    def show_page(self, page: LogPage) -> None:
        status = self.query_one("#log-status", Static)
        rows = self.query_one(OptionList)
        rows.clear_options()
        if page.missing or not page.entries:
            status.update("Nothing has been recorded on this device yet.")
            return
        warnings = sum(entry.severity == "warning" for entry in page.entries)
        line = Text(f"{len(page.entries)} entries")
        if page.more:
            line.append(" (older ones: strongroom log -n N)")
        if warnings:
            line.append(" · ")
            line.append(f"{warnings} warning{'s' if warnings > 1 else ''}", style="bold red")
        status.update(line)
        rows.add_options(Option(self._row(entry)) for entry in page.entries)
        rows.highlighted = 0

    def show_error(self, message: str, field: str | None = None) -> None:
        self.query_one("#log-status", Static).update(literal(message, "bold red"))

    def clear_passwords(self, field: str | None = None) -> None:
        """Nothing typed here to clear (the App asks it of a screen that shows an error)."""

    @staticmethod
    def _row(entry: LogEntry) -> Text:
        style = STYLES[entry.severity]
        if entry.when is None:
            return Text(MARKS["unreadable"] + entry.label, style=style)
        row = Text(MARKS[entry.severity], style=style)
        row.append(entry.local_time() + "  ")
        row.append(entry.label.ljust(20), style=style)
        row.append("  ")
        who = entry.username or "-"
        who = who if len(who) <= WHO_WIDTH else who[: WHO_WIDTH - 1] + "…"
        row.append_text(literal(who.ljust(WHO_WIDTH)))
        if entry.detail:
            row.append("  ")
            row.append_text(literal(entry.detail, style if entry.severity == "warning" else ""))
        return row

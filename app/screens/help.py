"""Every key, on one page (? or F1)."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from app.screens.keys import help_rows


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,f1,q", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        table = Table(title="Strongroom keys", expand=True, box=None)
        table.add_column("Where", style="dim")
        table.add_column("Key", style="bold")
        table.add_column("Action")
        for where, key, action in help_rows():
            table.add_row(where, key, action)
        with VerticalScroll(classes="dialog help"):  # focused: arrows and PgDn scroll it
            yield Static(table)
            yield Static("Esc closes this page.", classes="form-text")

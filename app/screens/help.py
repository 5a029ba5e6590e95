"""Every key, on one page (? or F1)."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from app.screens.keys import help_rows

TWO_SECRETS = (
    "Secret Key (optional; Ctrl+P, Add a Secret Key, or at registration): 128 random bits "
    "mixed into your master password's keys, so that a copy of the database cannot be guessed "
    "against. Adding one later also replaces the vault key: other devices log in again, with "
    "the key. This device keeps it (logging out keeps it too); a new device asks for it once, "
    "from the Emergency Kit you printed. Lose the key and its kit, with no device holding it, "
    "and the vault is lost: Strongroom cannot recover it."
)


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
            yield Static(TWO_SECRETS, id="secret-key-help", classes="form-text")
            yield Static("Esc closes this page.", classes="form-text")

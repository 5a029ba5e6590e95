"""Every key, on one page (? or F1)."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS = [
    ("Vault", "Ctrl+N", "add an item"),
    ("Vault", "Enter / E", "edit the selected item"),
    ("Vault", "Delete", "move to the trash (in the trash: delete for good)"),
    ("Vault", "/ or Ctrl+F", "search; Enter or Esc returns to the list"),
    ("Vault", "↑ ↓ / J K", "move in the list; PgUp PgDn Home End jump"),
    ("Vault", "Ctrl+B", "copy the username"),
    ("Vault", "Ctrl+C", "copy the password"),
    ("Vault", "Ctrl+U", "copy the URL"),
    ("Vault", "Ctrl+T", "copy the TOTP code"),
    ("Vault", "Ctrl+R", "show or hide the password (hides itself after 20 s)"),
    ("Vault", "H", "show the password history"),
    ("Vault", "T", "show the trash / the vault"),
    ("Vault", "U", "restore from the trash"),
    ("Vault", "Ctrl+G", "password generator (copies the result)"),
    ("Vault", "F5", "refresh from the database"),
    ("Vault", "Ctrl+L", "lock (the session stays; the master password unlocks)"),
    ("Vault", "Ctrl+O", "log out (ends the session on this device)"),
    ("Item form", "Ctrl+S", "save"),
    ("Item form", "Ctrl+G", "generate a password"),
    ("Item form", "Esc", "cancel (asks first if you typed something)"),
    ("Forms", "Tab / Shift+Tab", "next / previous field"),
    ("Everywhere", "Ctrl+P", "command palette: sessions, master password, account"),
    ("Everywhere", "Ctrl+Q", "quit (clears the clipboard)"),
]


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,f1,q", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        table = Table(title="Strongroom keys", expand=True, box=None)
        table.add_column("Where", style="dim")
        table.add_column("Key", style="bold")
        table.add_column("Action")
        for where, key, action in KEYS:
            table.add_row(where, key, action)
        with VerticalScroll(classes="dialog help", can_focus=False):
            yield Static(table)
            yield Static("Esc closes this page.", classes="form-text")

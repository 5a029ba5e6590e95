"""The floor for start-up: a bare Textual app drawing the same login form, with no database.

``--sqlalchemy``: SQLAlchemy's ORM imported before the form is drawn, the floor under a
remembered launch's first list (which needs it before it can read the vault).
"""

from __future__ import annotations

import sys

from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Button, Checkbox, Footer, Input, Label


class BareForm(App[None]):
    CSS = "Screen { align: center middle; } VerticalScroll { width: 64; height: auto; }"

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Label("Please enter your username:")
            yield Input()
            yield Label("Please enter your password:")
            yield Input(password=True)
            yield Checkbox("Remember me on this device", value=True)
            yield Button("Log in")
        yield Footer()


if __name__ == "__main__":
    if "--sqlalchemy" in sys.argv[1:]:
        import sqlalchemy.orm  # noqa: F401
    BareForm().run()

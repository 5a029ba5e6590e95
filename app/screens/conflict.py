"""Two devices edited one item: show both versions and let the person choose."""

from __future__ import annotations

from typing import Literal

from rich.table import Table
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from app.core.items import Item, ItemDraft
from app.widgets.literal import literal

Choice = Literal["mine", "theirs", "edit"]


def _describe(draft: ItemDraft) -> dict[str, str]:
    return {
        "Title": draft.title,
        "Username": draft.username,
        "Password": "•" * min(len(draft.password), 12) if draft.password else "—",
        "URLs": "\n".join(draft.urls) or "—",
        "Tags": ", ".join(draft.tags) or "—",
        "Notes": draft.notes[:200] or "—",
        "TOTP": "set" if draft.totp else "—",
        "Favourite": "★" if draft.favourite else "",
    }


class ConflictScreen(ModalScreen[Choice]):
    BINDINGS = [Binding("escape", "choose('edit')", "Back to editing")]

    def __init__(self, mine: ItemDraft, theirs: Item | None) -> None:
        super().__init__()
        self._mine = mine
        self._theirs = theirs

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog conflict"):
            yield Static("This item changed on another device", classes="form-title")
            if self._theirs is None:
                yield Static(
                    "It was deleted there. Keep mine saves your version as a new item.",
                    classes="form-text",
                )
            table = Table(expand=True)
            table.add_column("Field", style="dim")
            table.add_column("Your version")
            table.add_column("Saved on the other device")
            mine = _describe(self._mine)
            theirs = _describe(self._theirs.draft()) if self._theirs else {}
            for name, value in mine.items():
                other = theirs.get(name, "—")
                mark = "" if other == value else "bold yellow"
                if name == "Password" and self._theirs is not None:
                    same = self._theirs.password == self._mine.password
                    value = other = "same" if same else value + " (differs)"
                # Stored text, shown as typed: "[/]" or "[@click=...]" in a note stays text.
                table.add_row(name, literal(value), literal(other), style=mark)
            yield Static(table)
            with Vertical(classes="form-actions"), Horizontal(classes="form-buttons"):
                yield Button("Keep mine", id="mine", variant="primary")
                yield Button("Keep theirs", id="theirs")
                yield Button("Back to editing", id="edit")

    def on_mount(self) -> None:
        self.query_one("#edit", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        choice: Choice = (
            "mine"
            if event.button.id == "mine"
            else ("theirs" if event.button.id == "theirs" else "edit")
        )
        self.dismiss(choice)

    def action_choose(self, choice: Choice) -> None:
        self.dismiss(choice)

"""Pickers over the vault: a tag (or folder) to show, and a custom field to copy.

Every tag of the vault is offered with how many items carry it. A tag with a path
(``Work/Servers``, as folders and groups arrive from other managers) also counts under each of
its parents, so picking ``Work`` shows everything filed under it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from app.core.items import Item
from app.widgets.literal import visible_text

ALL = ""  # the choice that shows every item


def tag_counts(items: Iterable[Item]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for item in items:
        if item.error:
            continue
        paths: set[str] = set()
        for tag in item.tags:
            parts = tag.split("/")
            paths.update("/".join(parts[:depth]) for depth in range(1, len(parts) + 1))
        counts.update(paths)
    return counts


def carries(item: Item, tag: str) -> bool:
    """Whether ``item`` is filed under ``tag`` (the tag itself, or one below it)."""
    return any(own == tag or own.startswith(tag + "/") for own in item.tags)


class TagPickerScreen(ModalScreen[str | None]):
    """Dismisses with the tag picked, ALL for every item, or None (Esc) for no change."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Close")]

    def __init__(self, counts: Counter[str], total: int, current: str | None) -> None:
        super().__init__()
        self._counts = counts
        self._total = total
        self._current = current

    def compose(self) -> ComposeResult:
        options = [Option(f"All items ({self._total})", id="\x00all")]
        for tag in sorted(self._counts, key=str.casefold):
            depth = tag.count("/")
            name = visible_text(tag.rsplit("/", 1)[-1])
            options.append(Option(f"{'  ' * depth}{name} ({self._counts[tag]})", id=tag))
        with Vertical(classes="dialog tags"):
            yield Static("Show one tag or folder", classes="form-title")
            if not self._counts:
                yield Static(
                    "No item has a tag yet: add tags in the item form.", classes="form-text"
                )
            yield OptionList(*options, id="tags")

    def on_mount(self) -> None:
        tags = self.query_one(OptionList)
        if self._current:
            index = tags.get_option_index(self._current) if self._current in self._counts else 0
            tags.highlighted = index
        else:
            tags.highlighted = 0
        tags.focus()

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        picked = event.option.id
        self.dismiss(ALL if picked in (None, "\x00all") else picked)


class FieldPickerScreen(ModalScreen[str | None]):
    """The selected item's custom fields: Enter copies the one highlighted (by name)."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Close")]

    def __init__(self, title: str, names: list[tuple[str, bool]]) -> None:
        super().__init__()
        self._title = title
        self._names = names

    def compose(self) -> ComposeResult:
        options = [
            Option(f"{visible_text(name)}{'  (secret)' if secret else ''}", id=f"\x00{number}")
            for number, (name, secret) in enumerate(self._names)
        ]
        with Vertical(classes="dialog tags"):
            yield Static(f"Copy a field of {visible_text(self._title)}", classes="form-title")
            yield OptionList(*options, id="fields")

    def on_mount(self) -> None:
        fields = self.query_one(OptionList)
        fields.highlighted = 0
        fields.focus()

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self._names[event.option_index][0])

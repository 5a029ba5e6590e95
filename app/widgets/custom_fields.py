"""The item form's custom fields: a row per field (name, value, secret or not), added and
removed in place. A removed row can be brought back (the form's Ctrl+Z), where it was and as it
was: its ✕ is one key in the form's Tab order, and a name and value are often typed once only.

A secret field's value is masked like the password (Ctrl+R shows every masked field of the
form) and, like it, cannot be copied or cut out of the field it is typed into.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input

from app.core.items import CustomField
from app.core.rules import LIMITS
from app.widgets.secret_input import SecretInput


class CustomFieldRow(Horizontal):
    DEFAULT_CSS = """
    CustomFieldRow {
        height: auto;
    }
    CustomFieldRow .field-name {
        width: 18;
    }
    CustomFieldRow .field-value {
        width: 1fr;
    }
    CustomFieldRow Checkbox {
        width: auto;
    }
    CustomFieldRow Button {
        min-width: 5;
        width: 5;
    }
    """

    def __init__(self, field: CustomField) -> None:
        super().__init__(classes="custom-field")
        self._start = field

    def compose(self) -> ComposeResult:
        start = self._start
        yield Input(
            start.name, placeholder="Name", classes="field-name", max_length=LIMITS["field name"]
        )
        value = SecretInput(
            start.value, "Value", classes="field-value", max_length=LIMITS["field value"]
        )
        value.password = start.secret
        yield value
        yield Checkbox("Secret", start.secret, compact=True, classes="field-secret")
        yield Button("✕", classes="remove-field", compact=True, tooltip="Remove this field")

    @property
    def field(self) -> CustomField:
        return CustomField(
            self.query_one(".field-name", Input).value,
            self.query_one(".field-value", Input).value,
            self.query_one(".field-secret", Checkbox).value,
        )

    @on(Checkbox.Changed, ".field-secret")
    def _secret_changed(self, event: Checkbox.Changed) -> None:
        event.stop()
        self.query_one(".field-value", Input).password = event.value


class CustomFieldsEditor(Vertical):
    DEFAULT_CSS = """
    CustomFieldsEditor {
        height: auto;
    }
    CustomFieldsEditor #add-field {
        margin: 0 0 0 0;
    }
    """

    @dataclass
    class Removed(Message):
        """A row with something in it was removed; :meth:`restore` brings it back."""

        field: CustomField

    def __init__(self, fields: tuple[CustomField, ...], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._start = fields
        self._removed: list[tuple[int, CustomField]] = []  # (its place, what it held), last last

    def compose(self) -> ComposeResult:
        for field in self._start:
            yield CustomFieldRow(field)
        yield Button("Add field", id="add-field", compact=True)

    @property
    def fields(self) -> tuple[CustomField, ...]:
        """Every row that has a name or a value (an empty row added by mistake is dropped)."""
        rows = (row.field for row in self.query(CustomFieldRow))
        return tuple(field for field in rows if field.name.strip() or field.value)

    @on(Button.Pressed, "#add-field")
    async def add_field(self, event: Button.Pressed | None = None) -> None:
        if event is not None:
            event.stop()
        row = CustomFieldRow(CustomField(""))
        await self.mount(row, before=self.query_one("#add-field"))
        self._focus_new(row)

    @on(Button.Pressed, ".remove-field")
    async def _remove(self, event: Button.Pressed) -> None:
        event.stop()
        row = event.button.parent
        if not isinstance(row, CustomFieldRow):
            return
        place = list(self.query(CustomFieldRow)).index(row)
        field = row.field
        await row.remove()
        self.query_one("#add-field", Button).focus()
        if field.name.strip() or field.value:  # an empty row is not worth bringing back
            self._removed.append((place, field))
            self.post_message(self.Removed(field))

    @property
    def can_restore(self) -> bool:
        return bool(self._removed)

    async def restore(self) -> CustomField | None:
        """Bring back the last row removed, at its place, its name, value and secret flag as
        they were; the cursor goes to its name. None when no row was removed."""
        if not self._removed:
            return None
        place, field = self._removed.pop()
        rows = list(self.query(CustomFieldRow))
        before = rows[place] if place < len(rows) else self.query_one("#add-field")
        row = CustomFieldRow(field)
        await self.mount(row, before=before)
        self._focus_new(row)
        return field

    def _focus_new(self, row: CustomFieldRow) -> None:
        """The cursor to a new row's name, and the whole row in view once it has its size (on
        the frame it is mounted it has none, and scrolling to it then leaves it behind the
        buttons docked below the form)."""
        row.query_one(".field-name", Input).focus(scroll_visible=False)
        self.call_after_refresh(row.scroll_visible, animate=False)

    def focus_row(self, number: int) -> Widget:
        """Focus the name of the ``number``-th field that will be saved (where a save's
        message about it sends the person); the editor itself if there is none."""
        rows = [
            row for row in self.query(CustomFieldRow) if row.field.name.strip() or row.field.value
        ]
        if 0 <= number < len(rows):
            name = rows[number].query_one(".field-name", Input)
            name.focus(scroll_visible=False)
            return rows[number]
        return self

"""A form's busy state in words: its submit button says what is happening ("Unlocking…").

Textual's loading indicator (``Button.loading``) animates at every frame; while a login or an
unlock runs (the KDF, then reading and opening the whole vault, all CPU-bound), each of its
repaints takes a turn at the GIL from the very work it waits for. A label is drawn once.
"""

from __future__ import annotations

from textual.widgets import Button, Input

from app.screens.form import FormScreen


class SaysBusy(FormScreen):
    """A FormScreen whose submit button reads BUSY_LABEL while a worker checks the form."""

    BUSY_LABEL = "Working…"
    _idle_label: str | None = None  # the button's own label, while it reads BUSY_LABEL

    @property
    def busy(self) -> bool:
        return self._idle_label is not None

    def say_busy(self, label: str) -> None:
        """While busy, say what goes on now, in no more letters than the busy label."""
        if self.busy:
            self.query_one(self.SUBMIT_BUTTON, Button).label = label

    def set_busy(self, busy: bool) -> None:
        """Lock the form while a worker checks it, and say so on the button."""
        button = self.query_one(self.SUBMIT_BUTTON, Button)
        if busy and self._idle_label is None:
            self._idle_label = str(button.label)
            button.label = self.BUSY_LABEL
        elif not busy and self._idle_label is not None:
            button.label, self._idle_label = self._idle_label, None
        # A Button keeps its width when its label changes: a longer one would be cut ("Logging"
        # where the short layout's narrower buttons are).
        button.refresh(layout=True)
        for field in self.query(Input):
            field.disabled = busy

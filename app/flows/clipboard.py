"""The clipboard guard: a copied secret is cleared after a while, on lock, logout and quit.

Clearing writes a harmless value rather than an empty one: tmux and other terminals ignore an
empty OSC 52 payload, which would leave the secret on their clipboard.
"""

from __future__ import annotations

from textual.app import App
from textual.timer import Timer

CLEARED = " "  # what the clipboard holds once a secret is cleared from it


class ClipboardGuard:
    """Copies through the terminal (OSC 52, so it works over SSH) and clears what it copied."""

    def __init__(self, app: App[None], clear_seconds: int) -> None:
        self._app = app
        self.clear_seconds = clear_seconds
        self._timer: Timer | None = None
        self.armed = False  # a secret of ours may be on the clipboard

    def copy(self, value: str) -> None:
        self._app.copy_to_clipboard(value)
        self.armed = True
        if self._timer is not None:
            self._timer.stop()
        self._timer = self._app.set_timer(self.clear_seconds, self.clear)

    def clear(self) -> None:
        if self.armed:
            self._app.copy_to_clipboard(CLEARED)
            self.armed = False
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

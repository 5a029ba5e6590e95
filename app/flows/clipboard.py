"""The clipboard guard: a copied secret is cleared after a while, on lock, logout and quit.

Inside tmux, a copy goes into one named tmux buffer (and, through tmux, to the outer
terminal's clipboard), and clearing deletes that buffer: an OSC 52 copy would become one more
of tmux's automatic buffers, which no later OSC 52 removes (see app.core.tmux). Elsewhere the
copy is OSC 52 (so it works over SSH), and clearing writes a harmless value rather than an
empty one: terminals ignore an empty OSC 52 payload, which would leave the secret there.
"""

from __future__ import annotations

from textual.app import App
from textual.timer import Timer

from app.core import tmux

CLEARED = tmux.CLEARED  # what the clipboard holds once a secret is cleared from it


class ClipboardGuard:
    """Copies through the terminal (or tmux) and clears what it copied."""

    def __init__(self, app: App[None], clear_seconds: int) -> None:
        self._app = app
        self.clear_seconds = clear_seconds
        self._timer: Timer | None = None
        self.armed = False  # a secret of ours may be on the clipboard
        self._in_tmux: list[str] | None = None  # the tmux that holds it, if it went there

    def copy(self, value: str) -> None:
        # A headless app (tests) has no terminal, and so no tmux of its own.
        server = None if self._app.is_headless else tmux.server()
        if server is not None and tmux.load(server, value):
            self._in_tmux = server
        else:
            self._in_tmux = None
            self._app.copy_to_clipboard(value)
        self.armed = True
        if self._timer is not None:
            self._timer.stop()
        self._timer = self._app.set_timer(self.clear_seconds, self.clear)

    def clear(self) -> None:
        if self.armed:
            if self._in_tmux is not None:
                tmux.clear(self._in_tmux)
                self._in_tmux = None
            else:
                self._app.copy_to_clipboard(CLEARED)
            self.armed = False
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

"""A footer that keeps the most important keys when the terminal is too narrow for all of them.

Textual's footer scrolls sideways when its keys do not fit, so at 80 columns the last ones
(lock, log out, help, quit) were simply gone. This one drops the least important keys first,
keeps the others in their usual order, and chooses again whenever the width changes.

Textual's footer also builds every key widget anew each time the screen's bindings might have
changed: on a new screen that happens five or six times over (focus, the screen stack, the
first resize...), a third of the time it takes the vault to appear after an unlock. This one
builds them again only when what they would show has changed.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping

from textual import events
from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey  # the key widget Footer composes; no public name

UNRANKED = 100
PALETTE_WIDTH = 12  # "▏^p palette" and its gap


class RankedFooter(Footer):
    """``ranks`` maps an action to its importance, 1 first; unranked actions come last."""

    def __init__(self, ranks: Mapping[str, int], *, compact: bool = True) -> None:
        super().__init__(compact=compact)
        self.ranks = dict(ranks)
        self._width = 0
        self._shown: Hashable = None  # what the keys it composed last show (see _showing)

    def _showing(self) -> Hashable:
        """Everything Footer.compose and the ranking read: the width, and each binding the
        screen offers with whether it is enabled, its key, text and tooltip."""
        if not self._bindings_ready:
            return False
        app = self.app
        return (
            app.size.width,
            self.compact,
            self.show_command_palette and app.ENABLE_COMMAND_PALETTE,
            tuple(
                (
                    name,
                    binding.key,
                    app.get_key_display(binding),
                    binding.action,
                    binding.description,
                    binding.show,
                    binding.tooltip,
                    (binding.group.description, binding.group.compact) if binding.group else None,
                    enabled,
                    tooltip,
                )
                for name, (_node, binding, enabled, tooltip) in self.screen.active_bindings.items()
            ),
        )

    async def recompose(self) -> None:
        if self.is_attached and self._showing() == self._shown:
            return  # the same keys again: nothing to build
        await super().recompose()

    def compose(self) -> ComposeResult:
        self._shown = self._showing()
        widgets = list(super().compose())
        keys = [
            w for w in widgets if isinstance(w, FooterKey) and "-command-palette" not in w.classes
        ]
        room = self.app.size.width - PALETTE_WIDTH
        kept: set[int] = set()
        for key in sorted(keys, key=lambda k: self.ranks.get(k.action, UNRANKED)):
            width = len(key.key_display) + len(key.description) + 2
            if width <= room:
                kept.add(id(key))
                room -= width
        for widget in widgets:
            if isinstance(widget, FooterKey):
                # A key's compact style is a class its watcher adds once mounted, restyling
                # that key and the screen with it: at a new vault screen, most of the time
                # the footer took. Given beforehand, the watcher finds it and does nothing.
                widget.set_class(self.compact, "-compact", update=False)
            if widget not in keys or id(widget) in kept:
                yield widget

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self._width:
            self._width = event.size.width
            self.call_after_refresh(self.recompose)

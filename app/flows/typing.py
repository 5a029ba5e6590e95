"""Keys are applied in the order they were typed, however fast they come.

Two rules, for every screen:

* A text field's own keys (Ctrl+U, Backspace, Home, Enter...) are applied in the field's queue,
  behind the keys typed before them, as its letters are. Textual runs a field's letters when the
  field takes them from its queue, but its bound keys only once they have bubbled back up to the
  App, behind every key after them: in a burst (a paste, auto-type, a lagged link) "Shift+Tab,
  Ctrl+U, name" typed the name and then emptied it.
* When the keys go to another widget (Tab moved the cursor), they wait until the widget that
  had the keys before has applied them.
"""

from __future__ import annotations

import asyncio
import contextlib

from textual import events
from textual.actions import SkipAction
from textual.app import App
from textual.binding import Binding
from textual.command import CommandPalette
from textual.widget import Widget
from textual.widgets import Button, Input, TextArea

DRAIN = 1.0  # seconds the next widget's keys wait, at most, for the last one's to be applied


class KeyOrder(App[None]):
    _last_target: Widget | None  # where the last key went

    def init_key_order(self) -> None:
        self._last_target = None

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded:
            await self._deliver(event)
            return
        await super().on_event(event)

    async def _deliver(self, key: events.Key) -> None:
        await self._after_earlier_keys()
        if await self._key_for_a_field(key):
            return
        await super().on_event(key)

    # -- keys for one widget, then for the next --------------------------------------------------

    async def _after_earlier_keys(self) -> None:
        """When the keys go somewhere else now (Tab moved the cursor), wait until the widget
        that had them has applied those sent to it: each widget takes its keys from a queue of
        its own, so a fast one could otherwise act first (Ctrl+S saved a form whose previous
        field had not yet taken the name typed into it)."""
        while True:
            target = self.focused or self.screen
            previous = self._last_target
            self._last_target = target
            if previous is None or previous is target or not previous.is_attached:
                return
            done = asyncio.Event()
            if previous.call_later(done.set):
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(done.wait(), DRAIN)

    # -- a text field's own keys -------------------------------------------------------------

    async def _key_for_a_field(self, key: events.Key) -> bool:
        field = self.focused
        if not isinstance(field, (Input, TextArea)) or field.loading:
            return False
        if isinstance(field.screen, CommandPalette):
            # Its Enter picks the highlighted command, which its search updates later: Enter
            # goes its usual (slower) way, or it could pick a command from before the last key.
            return False
        own = [
            binding
            for binding in field._bindings.key_to_bindings.get(key.key, ())
            if not binding.priority
        ]
        if not own:
            return False
        if not self.app_focus:
            self.app_focus = True
        if await self._check_bindings(key.key, priority=True):
            return True
        key._set_forwarded()
        field.call_later(self._apply_field_key, field, key, own)
        return True

    async def _apply_field_key(self, field: Widget, key: events.Key, own: list[Binding]) -> None:
        for binding in own:
            if field.is_attached and await self.run_action(binding.action, field):
                return
        # The field declined it (nothing to do there): the key goes on its usual way.
        field.post_message(key)

    def action_press_focused(self) -> None:
        if not isinstance(self.focused, Button):
            raise SkipAction()
        self.focused.press()

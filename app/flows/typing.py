"""Keys are applied in the order they were typed, however fast they come; and text typed where no
text goes does not run commands or press buttons, one letter at a time.

Four rules, for every screen:

* A text field's own keys (Ctrl+U, Backspace, Home, Enter...) are applied in the field's queue,
  behind the keys typed before them, as its letters are. Textual runs a field's letters when the
  field takes them from its queue, but its bound keys only once they have bubbled back up to the
  App, behind every key after them: in a burst (a paste, auto-type, a lagged link) "Shift+Tab,
  Ctrl+U, name" typed the name and then emptied it.
* When the keys go to another widget (Tab moved the cursor), they wait until the widget that
  had the keys before has applied them.
* Printable keys typed while the cursor is not in a text field (the item list, a button, a
  checkbox) wait a moment to see whether more follow. Several within a few milliseconds of each
  other are text (a paste, auto-type, typing into the wrong place), not commands: "dry" on the
  list trashed the selected item (d asks, y said yes), and a passphrase typed on the Generate
  button pressed it at every space. The screen may take such text (the vault puts it in its
  search box, as KeePassXC's type-to-search does); otherwise a notice says where the cursor is.
  A single key is a command as before; one that does nothing on a button says so too, and a
  Space just after text typed on a button is more of that text, not a press.
* A key that acts (Ctrl+N, Ctrl+S, Esc, a press) is done, and what it started settles, before
  the keys after it: they wait while the screen changes, until the new one is put up and has
  put the cursor where it wants it, and while a form is busy (a save, a login), and are then
  applied in order there. One way for every screen, not one per form: "Ctrl+N GitHub" typed
  the title into the vault's search, and "Esc password" on Register into a name field.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from typing import Protocol, runtime_checkable

from textual import events
from textual.actions import SkipAction
from textual.binding import Binding
from textual.command import CommandPalette
from textual.driver import Driver
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Button, Input, RadioButton
from textual.widgets._toggle_button import ToggleButton  # Checkbox and RadioButton; no public name

from app.flows.key_waits import KeyWaits
from app.flows.terminal_input import read_as_typed

DRAIN = 1.0  # seconds the next widget's keys wait, at most, for the last one's to be applied
# Two keys this close together come from one paste, auto-type or burst: no hand types this fast
# (a fast typist's keys are 50 ms or more apart), and a terminal reads a paste at once.
BURST_GAP = 0.015
# How long a printable key typed outside a text field waits for the rest of its burst. More than
# BURST_GAP, so that a key within BURST_GAP of the last one always arrives before the wait ends.
HOLD = 0.02
# Space this soon after text was typed on the same button is more of that text (a
# passphrase typed a word at a time), not a press.
TYPING_PAUSE = 1.0
NOTICE_SECONDS = 8.0


@runtime_checkable
class TakesTypedText(Protocol):
    """A screen that has somewhere to put text typed outside its text fields."""

    def take_typed_text(self, text: str) -> bool:
        """Put the text where it belongs; False when the focused widget cannot take it."""
        ...


def _text_fields() -> tuple[type[Widget], ...]:
    """The widgets that take text: Input, and TextArea once something has loaded it (a widget
    of a class not yet loaded cannot have the keys). Importing TextArea (its document model and
    syntax themes) here cost every launch some 15 ms before the first frame."""
    text_area = sys.modules.get("textual.widgets._text_area")
    return (Input,) if text_area is None else (Input, text_area.TextArea)


def _is_text(key: events.Key) -> bool:
    return key.is_printable


def _where(widget: Widget | None) -> str:
    """Where the cursor is, as the notice says it."""
    if isinstance(widget, Button):
        return f"is on the {widget.label} button"
    if isinstance(widget, RadioButton):
        return f"is on the {widget.label} option"
    if isinstance(widget, ToggleButton):
        return f"is on the {widget.label} checkbox"
    return "is not on a text field"


class KeyOrder(KeyWaits):
    _last_target: Widget | None  # where the last key went
    _held: list[events.Key]  # printable keys typed outside a text field, not yet applied
    _hold_timer: Timer | None
    _typed_on: tuple[Widget, float] | None  # the button text was last typed on, and when

    def get_driver_class(self) -> type[Driver]:
        return read_as_typed(super().get_driver_class())

    def init_key_order(self) -> None:
        self._last_target = None
        self._held = []
        self._hold_timer = None
        self._typed_on = None
        self.init_key_waits()

    async def on_event(self, event: events.Event) -> None:
        if (
            isinstance(event, (events.Key, events.Paste))
            and not event.is_forwarded
            and not self._quits(event)
        ):
            if self._pressing is not None:
                self._pressing.append(event)  # after what the keys before did
                return
            if not self._screen_ready():
                self._pressing = [event]
                self._wait_for(self._settled(first=()))
                return
        if isinstance(event, events.Key) and not event.is_forwarded:
            await self._deliver(event)
            return
        if isinstance(event, events.Paste) and not event.is_forwarded:
            await self._release_held()
            if self._outside_a_field():
                self._typed_outside_fields(event.text)
                return
            await self._after_earlier_keys()
            if isinstance(self.focused, Input):
                self._say_what_one_line_leaves_out(event.text)
        await super().on_event(event)

    def _quits(self, event: events.Key | events.Paste) -> bool:
        """Ctrl+Q quits at once, whatever the keys before it wait for (a slow login)."""
        return isinstance(event, events.Key) and any(
            binding.action == "quit"
            for binding in self._bindings.key_to_bindings.get(event.key, ())
        )

    def _say_what_one_line_leaves_out(self, text: str) -> None:
        """A one-line field takes a paste's first line: say so when there was more (a
        trailing newline, as a copied password often has, is not more)."""
        rest = len(text.splitlines()) - 1
        if rest > 0:
            lines = "line" if rest == 1 else "lines"
            self.notify(
                # What was left out first: the notice wraps, and this part stays whole.
                f"{rest} more {lines} not pasted: this field takes one line, the first",
                severity="warning",
                timeout=NOTICE_SECONDS,
                markup=False,
            )

    async def _deliver(self, key: events.Key) -> None:
        if self._held and not _is_text(key):
            await self._release_held()  # the text typed before this key comes first
        await self._after_earlier_keys()
        if _is_text(key) and (self._held or self._outside_a_field()):
            self._hold(key)
            return
        await self._apply(key)

    def _outside_a_field(self) -> bool:
        """The cursor is on a widget that is not a text field. (With nothing focused, as while
        a screen is being put up, keys go on as they come: the field they are meant for is
        about to be focused.)"""
        return self.focused is not None and not self._in_a_field()

    def _in_a_field(self) -> bool:
        """The keys go into a text field (the command palette's search is one)."""
        return isinstance(self.focused, _text_fields()) or isinstance(self.screen, CommandPalette)

    async def _apply(self, key: events.Key) -> None:
        if await self._key_for_a_field(key):
            return
        focused = self.focused
        if isinstance(focused, (Button, ToggleButton)) and await self._key_for_a_button(
            focused, key
        ):
            await self._after_its_handlers(focused)
            return
        typing = _is_text(key) and self._in_a_field()
        await super().on_event(key)
        if not typing:  # a command: what it does comes before the keys after it
            await self._after_its_handlers(focused or self.screen)

    async def _key_for_a_button(self, button: Widget, key: events.Key) -> bool:
        """A button's or a checkbox's own key (Enter, Space) is applied now, in its turn: on
        its usual way it would act only once it had come back up to the App, behind the keys
        typed after it ("Add field", Tab typed at once: the Tab moved on first, and the
        press was lost)."""
        own = [
            binding
            for binding in button._bindings.key_to_bindings.get(key.key, ())
            if not binding.priority
        ]
        if not own:
            return False
        if await self._check_bindings(key.key, priority=True):
            return True
        for binding in own:
            if await self.run_action(binding.action, button):
                return True
        return False

    async def _after_its_handlers(self, pressed: Widget) -> None:
        """A key on a button or checkbox: the keys after it wait until what it did is done
        ("Add field" then "Branch" typed at once: the name is for the row the press adds and
        focuses). The press is a message that bubbles from the button up
        to the screen; each widget on the way handles it in its own queue, so the keys wait
        for each queue in turn (the button's twice: the key, then the message it posted)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + DRAIN
        for node in (pressed, *pressed.ancestors_with_self):
            if not node.is_attached:
                return
            done = asyncio.Event()
            if not node.call_later(done.set):
                return
            try:
                await asyncio.wait_for(done.wait(), max(0.0, deadline - loop.time()))
            except TimeoutError:
                return  # a handler waits on the person (a dialog): the keys go on
            if node is self.screen:
                break
        # What the handlers asked of the App (Widget.focus among them) is in the App's own
        # queue, behind keys that came meanwhile: those keys wait for it, and for what it
        # does in turn (a screen put up, a form busy).
        if self._pressing is None:
            self._pressing = []
        self._wait_for(self._settled(first=(self, self.screen, self)))

    # -- text typed outside a text field -------------------------------------------------------

    def _hold(self, key: events.Key) -> None:
        self._held.append(key)
        if self._hold_timer is not None:
            self._hold_timer.stop()
        self._hold_timer = self.set_timer(HOLD, self._release_held, name="typed-text")

    async def _release_held(self) -> None:
        """Apply the keys held so far: each burst as text, each lone key as itself."""
        if self._hold_timer is not None:
            self._hold_timer.stop()
            self._hold_timer = None
        keys, self._held = self._held, []
        run: list[events.Key] = []
        for key in keys:
            if run and key.time - run[-1].time > BURST_GAP:
                await self._apply_run(run)
                run = []
            run.append(key)
        if run:
            await self._apply_run(run)

    async def _apply_run(self, run: list[events.Key]) -> None:
        if len(run) == 1:
            key = run[0]
            focused = self.focused
            if isinstance(focused, (Button, ToggleButton)) and (
                not self._is_bound(key) or self._still_typing(key)
            ):
                self._typed_on = (focused, key.time)
                self._typed_outside_fields(key.character or "")
                return
            await self._apply(key)
            return
        if self._in_a_field():  # a key before these moved the cursor into a field
            for key in run:
                await self._apply(key)
            return
        if isinstance(self.focused, (Button, ToggleButton)):
            self._typed_on = (self.focused, run[-1].time)
        self._typed_outside_fields("".join(key.character or "" for key in run))

    def _still_typing(self, key: events.Key) -> bool:
        """Space on a button just after text was typed on it: more text, no press. (Enter
        stays a press: it is what a person presses on purpose, to answer or submit.)"""
        if key.key != "space" or self._typed_on is None:
            return False
        widget, when = self._typed_on
        return widget is self.focused and key.time - when <= TYPING_PAUSE

    def _is_bound(self, key: events.Key) -> bool:
        """Something on this screen (or the App, by a priority binding) acts on this key."""
        screen = self.screen
        reachable = {id(node) for node, _ in screen._modal_binding_chain}
        for node, bindings in screen._binding_chain:
            for binding in bindings.key_to_bindings.get(key.key, ()):
                reached = binding.priority or id(node) in reachable
                if reached and self._check_action_state(binding.action, node):
                    return True
        return False

    def _typed_outside_fields(self, text: str) -> None:
        """Text typed or pasted while the cursor is not in a text field: the screen may take
        it; otherwise it is dropped with a notice that says where the cursor is."""
        screen = self.screen
        if isinstance(screen, TakesTypedText) and screen.take_typed_text(text):
            return
        self.notify(
            f"Focus {_where(self.focused)}: typing goes to a field",
            severity="warning",
            timeout=NOTICE_SECONDS,
            markup=False,
        )

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
            self._typed_on = None  # the cursor moved: a Space on a button is a press again
            done = asyncio.Event()
            if previous.call_later(done.set):
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(done.wait(), DRAIN)

    # -- a text field's own keys -------------------------------------------------------------

    async def _key_for_a_field(self, key: events.Key) -> bool:
        field = self.focused
        if not isinstance(field, _text_fields()) or field.loading:
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
        if any(binding.action == "submit" for binding in own):
            # Enter submits what the field holds when its Submitted message is handled: the
            # keys typed after it ("x", Tab) wait until then, or they became part of the
            # password that was sent.
            await self._after_its_handlers(field)
        return True

    async def _apply_field_key(self, field: Widget, key: events.Key, own: list[Binding]) -> None:
        for binding in own:
            if field.is_attached and await self.run_action(binding.action, field):
                return
        # The field declined it (nothing to do there): the key goes on its usual way.
        field.post_message(key)

    def action_press_focused(self) -> None:
        button = self.focused
        if not isinstance(button, Button):
            raise SkipAction()
        if button.variant == "error":
            # A button that deletes or revokes takes Enter (or the dialog's Ctrl+D), never
            # Space: a space typed as text (a passphrase, a sentence) must not say yes.
            self.notify(
                f"{button.label}: press Enter, not Space",
                severity="warning",
                timeout=NOTICE_SECONDS,
                markup=False,
            )
            return
        button.press()

"""Keys that wait: while what a key did settles, a screen is put up, or a form is busy.

A key that acts (Ctrl+N, Ctrl+S, Esc, a press) runs its action in the App's queue, posts
messages that go through the screen's, and may put up another screen, whose focus is set in its
own queue and then the App's; a form it submits is busy until a worker is done. Keys typed
meanwhile (a burst, a paste, a lagged link) would go to whatever had the cursor in between: the
vault's search, a form about to close, Register's name field. So they wait here, in order, and
are applied when all that is done, where the screen then current has put the cursor.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine

from textual import events
from textual.app import App
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widget import Widget

DRAIN = 1.0  # seconds a queue is waited for, at most: a handler may wait on the person
# How long keys wait, at most, for a busy form (a save, a login) to be done before they go on.
BUSY_WAIT = 10.0
BUSY_POLL = 0.01


async def _queue_done(node: App[None] | Widget, deadline: float) -> None:
    """Wait (until ``deadline`` at most) for ``node`` to handle what is in its queue now."""
    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    if node.call_later(done.set):
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), max(0.0, deadline - loop.time()))


class KeyWaits(App[None]):
    _pressing: list[events.Event] | None  # keys waiting for what a key did to settle
    _waits: int  # what they wait for (see _wait_for)
    _ready_screen: Screen[object] | None  # the screen last seen put up, cursor placed
    _gave_up_on: Screen[object] | None  # a screen busy for longer than BUSY_WAIT
    _settling: set[asyncio.Task[None]]

    def init_key_waits(self) -> None:
        self._pressing = None
        self._waits = 0
        self._ready_screen = None
        self._gave_up_on = None
        self._settling = set()

    def _screen_ready(self) -> bool:
        screen = self.screen
        return screen is self._ready_screen and not self._busy(screen)

    def _busy(self, screen: Screen[object]) -> bool:
        try:
            # A form's busy says it is checking or saving what was submitted. (Not a
            # runtime Protocol: isinstance of one cost each key some 20 µs.)
            busy = getattr(screen, "busy", False) is True and screen.is_attached
        except NoMatches:  # the form is being taken down (saved, closed): busy no more
            busy = False
        if not busy:
            self._gave_up_on = None
            return False
        return screen is not self._gave_up_on

    def _wait_for(self, ready: Coroutine[object, object, None]) -> None:
        """The keys in _pressing wait until ``ready`` is done (and whatever else they wait
        for); then the App applies them, in order, from its own queue."""
        self._waits += 1
        task = asyncio.create_task(self._release_when(ready))
        self._settling.add(task)
        task.add_done_callback(self._settling.discard)

    async def _release_when(self, ready: Coroutine[object, object, None]) -> None:
        try:
            await ready
        except Exception as error:  # the keys go on all the same, never lost
            self.log.error(f"keys released before their screen settled: {error!r}")
        finally:
            if not self.call_later(self._release_waiting):
                self._waits = 0  # the App is closing: no key goes anywhere now

    async def _release_waiting(self) -> None:
        self._waits -= 1
        if self._waits > 0:
            return
        pending, self._pressing = self._pressing or [], None
        for event in pending:
            await self.on_event(event)  # one may wait again: the rest then queue behind it

    async def _settled(self, first: tuple[App[None] | Screen[object], ...]) -> None:
        """Until what a key started is done (``first``: the queues its action and the
        messages it posted go through), the screen then current has been put up and its
        focus set (in its own queue, then the App's), and it is no longer busy."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + DRAIN
        busy_until = loop.time() + BUSY_WAIT
        for node in first:
            await _queue_done(node, deadline)
        while True:
            screen = self.screen
            for node in (screen, self, screen, self):
                await _queue_done(node, deadline)
            while self._busy(screen) and self.screen is screen and loop.time() < busy_until:
                await asyncio.sleep(BUSY_POLL)
            if self.screen is screen or loop.time() >= deadline + BUSY_WAIT:
                break
            deadline = loop.time() + DRAIN  # another screen: wait for it in its turn
        if self._busy(screen):
            self._gave_up_on = screen  # the keys go on into it, as they come
        self._ready_screen = screen

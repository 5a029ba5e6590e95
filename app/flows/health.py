"""The vault health report in the app: scored in a worker, shown on its own screen.

The worker decrypts and scores the vault as ``strongroom health`` does; only once the whole
report is made does it write the sealed cache of what the scoring found (see
app.services.health_cache). A lock stops it at its next step (it checks between items) and
drops what it found, writing nothing: the screen is closed by the lock, and a report that
arrives after is for a screen no longer there.

From the report, an item's edit form opens over it (with a new generated password in place,
when asked: nothing is saved until the person saves), and an item is left out by adding the
visible tag health:ignore; the report is scored again after either (the cache makes that a
decrypt, not a rescoring).
"""

from __future__ import annotations

import weakref
from dataclasses import replace
from typing import TYPE_CHECKING

from textual import on, work
from textual.message import Message

from app.core.errors import VaultLocked
from app.flows.base import Flow

if TYPE_CHECKING:
    from app.core.items import Item
    from app.screens.health import HealthScreen
    from app.services.health import HealthResult

# The app has no 2FA list to read (the command line's --2fa-list): every other kind.
APP_KINDS = ("breached", "reused", "weak", "common", "unsecured", "old")


class HealthFlow(Flow):
    class HealthProgress(Message):
        def __init__(self, done: int, total: int) -> None:
            super().__init__()
            self.done = done
            self.total = total

    class HealthReady(Message):
        def __init__(self, result: HealthResult) -> None:
            super().__init__()
            self.result = result

    class HealthLeftOut(Message):
        def __init__(self, title: str) -> None:
            super().__init__()
            self.title = title

    # The report's screen, while it is up: a weak reference, so that a lock, which closes it,
    # leaves nothing here that holds the decrypted items it was given.
    _health_screen: weakref.ref[HealthScreen] | None = None

    def show_health(self) -> None:
        """The report's screen, and the worker that fills it."""
        from app.screens.health import HealthScreen

        if not self.unlocked:
            return
        screen = HealthScreen(APP_KINDS)
        self._health_screen = weakref.ref(screen)
        self.push_screen(screen, self._health_closed)
        self.asked(self.score_health(), screen)

    @work(thread=True, exclusive=True, group="health", exit_on_error=False, description="health")
    def score_health(self) -> None:
        from app.services.health import health_report

        active = self.session()

        def progress(done: int, total: int) -> None:
            if not self.unlocked:
                raise VaultLocked  # locked meanwhile: stop, keep nothing
            self.post_message(self.HealthProgress(done, total))

        try:
            result = health_report(
                self.backend.vault(),
                active,
                self.backend.settings,
                kinds=frozenset(APP_KINDS),
                progress=progress,
            )
        except VaultLocked:
            return
        self.post_message(self.HealthReady(result))

    def _open_health_screen(self) -> HealthScreen | None:
        screen = self._health_screen() if self._health_screen is not None else None
        if screen is None or not screen.is_attached or not self.unlocked:
            return None
        return screen

    @on(HealthProgress)
    def _health_progress(self, message: HealthProgress) -> None:
        screen = self._open_health_screen()
        if screen is not None:
            screen.show_progress(message.done, message.total)

    @on(HealthReady)
    def _health_ready(self, message: HealthReady) -> None:
        screen = self._open_health_screen()
        if screen is None:
            return  # closed, or locked, before it was done: nothing is kept
        result = message.result
        screen.show_report(result.sources, result.report, result.items)

    def _health_closed(self, result: None) -> None:
        self._health_screen = None

    def on_health_screen_rescore(self, message: HealthScreen.Rescore) -> None:
        screen = self._open_health_screen()
        if screen is not None:
            self.asked(self.score_health(), screen)

    def on_health_screen_open(self, message: HealthScreen.Open) -> None:
        """The item's edit form over the report; with ``generate``, a new password in place
        (the form's generator's default: 20 characters of every class), unsaved."""
        item = message.item
        if not self.unlocked:
            return
        if item.error:
            self.notify("That item could not be opened.", severity="warning")
            return
        from app.core.generator import PasswordOptions, generate_password
        from app.core.rules import ITEM_PASSWORD_POLICY
        from app.screens.item_form import ItemFormScreen

        draft = None
        if message.generate:
            draft = replace(item.draft(), password=generate_password(PasswordOptions()))
        self.push_screen(
            ItemFormScreen(item, policy=ITEM_PASSWORD_POLICY, draft=draft, version=item.version)
        )

    def on_health_screen_leave_out(self, message: HealthScreen.LeaveOut) -> None:
        screen = self._open_health_screen()
        if screen is not None:
            self.asked(self.leave_out(message.item), screen)

    @work(thread=True, group="vault", exit_on_error=False, description="health_leave_out")
    def leave_out(self, item: Item) -> None:
        """Add the tag health:ignore to ``item`` (as saved at the version the report read: a
        change made since elsewhere is a conflict, said on the report, and nothing is saved)."""
        from app.core.health import IGNORE_TAG, is_ignored

        session, vault = self.session(), self.backend.vault()
        if not is_ignored(item):
            draft = replace(item.draft(), tags=(*item.tags, IGNORE_TAG))
            vault.update(session, item.id, item.version, draft)
        self.post_message(self.HealthLeftOut(item.title))

    @on(HealthLeftOut)
    def _health_left_out(self, message: HealthLeftOut) -> None:
        from app.core.text import visible_text
        from app.screens.messages import Reload

        self.notify(
            f"Left {visible_text(message.title)!r} out of the report: it is tagged "
            "health:ignore (remove the tag to bring it back).",
            markup=False,
        )
        self.post_message(Reload(trash=False))  # the vault's list shows the new tag
        screen = self._open_health_screen()
        if screen is not None:
            self.asked(self.score_health(), screen)

"""The App's lock flow: locking the vault by hand or after idle time, the unsaved edit held
sealed through a lock, and making a lock outlast this process.

Locking drops the vault key and every decrypted item; the session stays, for unlocking. An item
form with typed changes is sealed first (see :class:`app.core.held_edit.HeldEdit`) and comes
back, as it was, once the vault is unlocked and its list is shown again.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from textual import events, on, work
from textual.worker import WorkerFailed

from app.flows.base import Flow
from app.screens import messages

if TYPE_CHECKING:
    from app.core.accounts import ActiveSession
    from app.core.items import Item

IDLE_CHECK_SECONDS = 5.0


class LockFlow(Flow):
    idle_clock: Callable[[], float] = time.monotonic  # for auto-lock; tests set their own

    def init_lock_flow(self) -> None:
        self._last_input = self.idle_clock()
        self.held_edit = None  # an unsaved edit, sealed while locked

    def start_idle_check(self) -> None:
        self.set_interval(IDLE_CHECK_SECONDS, self.lock_if_idle)

    def note_input(self) -> None:
        """Start the idle time over: a key, a click, or the vault just opened."""
        self._last_input = self.idle_clock()

    @on(messages.Lock)
    def _lock(self) -> None:
        self.lock_vault()

    def action_lock(self) -> None:
        """Ctrl+L on any screen (the vault's own binding says the same)."""
        self.lock_vault()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "lock":  # nothing to lock: the key goes on to the focused field
            return self.unlocked
        return super().check_action(action, parameters)

    def lock_vault(self, reason: str | None = None) -> None:
        """Drop the vault key and every decrypted item; the session stays for unlocking."""
        from app.screens.unlock import UnlockScreen
        from app.screens.vault import VaultScreen

        if not self.unlocked or self.active is None:
            return
        held = self.hold_open_edit(self.active.vault_key)
        self.clipboard_guard.clear()
        self.clear_notifications()  # "cleared in 30 s" and the like are about the open vault
        self.record_lock(self.active)
        self.set_active(replace(self.active, vault_key=b""))
        self._list_generation += 1  # a list still on its way is for the unlocked vault
        screen = self.vault_screen()
        if screen is not None:
            screen.clear_secrets()
        while len(self.screen_stack) > 2 and not isinstance(self.screen, VaultScreen):
            self.pop_screen()
        notice = reason or "Locked. The clipboard was cleared."
        if held:
            notice += " Your unsaved edit comes back when you unlock."
        self.show(UnlockScreen(self.active.username, notice=notice))

    def hold_open_edit(self, vault_key: bytes) -> bool:
        """Seal what an open item form holds, if anything was typed, before the key goes."""
        from app.core.held_edit import HeldEdit
        from app.screens.item_form import ItemFormScreen

        form = next((s for s in self.screen_stack if isinstance(s, ItemFormScreen)), None)
        if form is None or not form.dirty:
            return False
        item_id = form.item.id if form.item else None
        self.held_edit = HeldEdit.seal(vault_key, form.draft(), item_id, form.version)
        return True

    def restore_held_edit(self, items: list[Item]) -> None:
        """After unlocking: the item form again, as it was when the vault locked."""
        from app.core.crypto import CryptoError
        from app.core.rules import ITEM_PASSWORD_POLICY
        from app.screens.item_form import ItemFormScreen

        held, self.held_edit = self.held_edit, None
        if held is None or self.active is None:
            return
        try:
            draft = held.open(self.active.vault_key)
        except CryptoError:
            self.notify(
                "Your unsaved edit could not be reopened: the vault key changed meanwhile.",
                severity="warning",
            )
            return
        item = None
        if held.item_id is not None:
            item = next((i for i in items if i.id == held.item_id), None)
            if item is None:
                self.notify(
                    "The item you were editing is gone from the vault; saving adds it again.",
                    severity="warning",
                )
        form = ItemFormScreen(
            item, policy=ITEM_PASSWORD_POLICY, draft=draft, version=held.version if item else None
        )
        self.push_screen(form)
        if item is not None or held.item_id is None:
            self.notify("Your unsaved edit is back, as you left it.")

    @work(thread=True, group="lock", exit_on_error=False, description="record_lock")
    def record_lock(self, session: ActiveSession) -> None:
        """Make the lock outlast this process (see AccountService.lock)."""
        self.backend.accounts().lock(session)

    async def finish_locking(self, timeout: float = 10.0) -> None:
        """Wait for a lock still being recorded (before quitting)."""
        pending = [w for w in self.workers if w.group == "lock" and w.is_running]
        if pending:
            with contextlib.suppress(TimeoutError, WorkerFailed):
                await asyncio.wait_for(asyncio.gather(*(w.wait() for w in pending)), timeout)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(
            event,
            events.Key
            | events.MouseDown
            | events.MouseScrollDown
            | events.MouseScrollUp
            | events.Paste,
        ):
            self.note_input()
        await super().on_event(event)

    def lock_if_idle(self) -> None:
        """Lock when nothing was typed or clicked for the configured time."""
        minutes = self.backend.settings.security.auto_lock_minutes
        if self.unlocked and self.idle_clock() - self._last_input >= minutes * 60:
            self.lock_vault(f"Locked after {minutes} minutes without input.")

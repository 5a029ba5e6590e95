"""The App's lock flow: locking the vault by hand or after idle time, the unsaved edit held
sealed through a lock, making a lock outlast this process, and ending a session that was ended
elsewhere.

Locking drops the vault key and every decrypted item; the session stays, for unlocking. An item
form with typed changes is sealed first (see :class:`app.core.held_edit.HeldEdit`) and comes
back, as it was, once the vault is unlocked and its list is shown again.

A session can also end while the app has it open: revoked from another device, ended there by a
new master password, past its time limit, or locked by this device's command line. Every
worker asks the database first (Flow.session), and so does a timer every
``session_check_seconds`` while the vault is open; then this device logs out (or locks), the
same way, the unsaved edit held for the next login.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from textual import events, on, work
from textual.worker import WorkerFailed

from app.core.errors import DatabaseUnavailable
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
        self._held_for: int | None = None  # whose it is

    def start_idle_check(self) -> None:
        self.set_interval(IDLE_CHECK_SECONDS, self.lock_if_idle)
        seconds = self.backend.settings.security.session_check_seconds
        self.set_interval(seconds, self.check_standing)

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

        if not self.unlocked or self.active is None:
            return
        held = self.hold_open_edit(self.active.vault_key)
        self.record_lock(self.active)
        self.set_active(replace(self.active, vault_key=b""))
        closing = self.drop_decrypted()
        notice = reason or "Locked. The clipboard was cleared."
        if held:
            notice += " Your unsaved edit comes back when you unlock."
        closing += self.show(UnlockScreen(self.active.username, notice=notice))
        self.forget_dropped(closing)

    def drop_decrypted(self) -> list[Awaitable[object]]:
        """What a lock or a logout drops: the clipboard's secret, the notices about the open
        vault ("cleared in 30 s"...), a list still on its way, every decrypted item the vault
        screen holds (its rows and search index), and every screen over it, the item form
        and its fields emptied first. What to await for those screens to be gone."""
        from app.core.memory import wipe_on_free
        from app.flows.forget import empty_fields
        from app.screens.vault import VaultScreen

        wipe_on_free()  # what the C library frees from here is overwritten (app.core.memory)
        self.clipboard_guard.clear()
        self.clear_notifications()
        self._list_generation += 1  # a list still on its way is for the unlocked vault
        screen = self.vault_screen()
        if screen is not None:
            screen.clear_secrets()
        closing: list[Awaitable[object]] = []
        while len(self.screen_stack) > 2 and not isinstance(self.screen, VaultScreen):
            empty_fields(self.screen)
            closing.append(self.pop_screen())
        return closing

    @work(group="forget", description="forget_dropped")
    async def forget_dropped(self, closing: list[Awaitable[object]]) -> None:
        """Once the closed screens are gone: the text caches cleared, what was dropped
        collected, and the freed memory reused, so that no decrypted text stays in it (see
        app.core.memory)."""
        from app.core.memory import release_dropped, stop_wiping
        from app.flows.forget import clear_text_caches

        for gone in closing:
            with contextlib.suppress(Exception):  # a screen already gone is as good
                await gone
        clear_text_caches()
        release_dropped()
        stop_wiping()  # the fill costs every free a memset: on only while a lock drops

    # -- a session ended elsewhere -------------------------------------------------------------

    def check_standing(self) -> None:
        """Every ``session_check_seconds`` while the vault is open: does this device's session
        still stand? (A worker: one query, off the UI thread.)"""
        if self.unlocked and not any(
            worker.group == "standing" and worker.is_running for worker in self.workers
        ):
            self.standing_check()

    @work(thread=True, group="standing", exit_on_error=False, description="standing_check")
    def standing_check(self) -> None:
        with contextlib.suppress(DatabaseUnavailable):  # the vault's own reads say so
            self.session()

    def session_ended(
        self, text: str, *, locked: bool, about: tuple[int, int | None] | None
    ) -> None:
        """This device's session ended elsewhere (or the account is gone): lock, or log this
        device out, saying why; an open edit is held for the next unlock or login."""
        from app.screens.login import LoginScreen

        active = self.active
        if active is None:
            return
        if about is not None and about != (active.user_id, active.session_id):
            return  # about a session this device has left meanwhile
        if locked:
            self.lock_vault(text)
            return
        held = bool(active.vault_key) and self.hold_open_edit(active.vault_key)
        self.forget_session(replace(active, vault_key=b""))
        self.set_active(None)
        closing = self.drop_decrypted()
        if held:
            text += " Your unsaved edit comes back when you log in again."
        closing += self.show(LoginScreen(username=active.username, notice=text))
        self.forget_dropped(closing)

    @work(thread=True, group="lock", exit_on_error=False, description="forget_session")
    def forget_session(self, session: ActiveSession) -> None:
        """This device's token file goes (and its session row, if any is left)."""
        with self.agents_stopped():
            self.backend.accounts().logout(session)

    def hold_open_edit(self, vault_key: bytes) -> bool:
        """Seal what an open item form holds, if anything was typed, before the key goes."""
        from app.core.held_edit import HeldEdit
        from app.screens.item_form import ItemFormScreen

        form = next((s for s in self.screen_stack if isinstance(s, ItemFormScreen)), None)
        if form is None or not form.dirty:
            return False
        item_id = form.item.id if form.item else None
        self.held_edit = HeldEdit.seal(vault_key, form.draft(), item_id, form.version)
        self._held_for = self.active.user_id if self.active is not None else None
        return True

    def restore_held_edit(self, items: list[Item]) -> None:
        """After unlocking: the item form again, as it was when the vault locked."""
        held, self.held_edit = self.held_edit, None
        if held is None or self.active is None or self.active.user_id != self._held_for:
            return  # (another account logged in: the edit was not theirs)
        # Only now: importing the form took a first paint of the vault a tenth longer.
        from app.core.crypto import CryptoError
        from app.core.rules import ITEM_PASSWORD_POLICY
        from app.screens.item_form import ItemFormScreen

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
            item,
            policy=ITEM_PASSWORD_POLICY,
            draft=draft,
            version=held.version if item else None,
            after_lock=True,
        )
        self.push_screen(form)
        if item is not None or held.item_id is None:
            self.notify("Your unsaved edit is back, as you left it.")

    @work(thread=True, group="lock", exit_on_error=False, description="record_lock")
    def record_lock(self, session: ActiveSession) -> None:
        """Make the lock outlast this process (see AccountService.lock); the command line's
        agents end with it, not at their next look at the database."""
        with self.agents_stopped():
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

"""What the App's flows share: the services, who is logged in, and which screen asked for what.

Every worker a screen's request starts is noted with that screen, so that its failure is shown
there (see ``StrongroomApp._worker_failed``), not on whatever happens to be on top by then.
Only the UI thread changes this state: workers report back with messages. (The one exception
is the account's password stamp, a cache of what the database said, which the check every
worker starts with keeps: see ``Flow.session``.)

The flows are mixins of one App. Where one calls into another, it says what it needs as a
Protocol in its own module and types ``self`` against it there; StrongroomApp, which has every
flow, is checked to fit each (see app.app).
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from textual.app import App
from textual.screen import Screen
from textual.worker import Worker

from app.core.errors import VaultLocked

if TYPE_CHECKING:
    from app.core.accounts import ActiveSession
    from app.core.held_edit import HeldEdit
    from app.core.passwords import PasswordPolicy
    from app.flows.clipboard import ClipboardGuard
    from app.screens.vault import VaultScreen
    from app.services.backend import Backend


class Flow(App[None]):
    backend: Backend
    active: ActiveSession | None  # changed by set_active only
    clipboard_guard: ClipboardGuard
    held_edit: HeldEdit | None  # an unsaved edit sealed through a lock (the lock flow's)
    # The newest list asked for (the vault flow's); a lock outdates every one still on its way.
    _list_generation: int
    _asked_by: dict[Worker[None], Screen[Any]]
    # The account's master-password stamp as last read (see session()), and a count that each
    # change of session moves, so that a check started before it cannot store an older stamp.
    _password_stamp: bytes | None = None
    _stamp_generation: int = 0

    def set_active(self, session: ActiveSession | None) -> None:
        """Who is logged in, and whether unlocked: the one place that changes it (logging in or
        out, unlocking, locking, a revoked or deleted account)."""
        self.active = session
        self.forget_password_stamp()

    def forget_password_stamp(self) -> None:
        """The next check reads the stamp afresh (after a login, or this device's own change
        of master password)."""
        self._password_stamp = None
        self._stamp_generation += 1

    def asked(self, worker: Worker[None], screen: Screen[Any] | None = None) -> None:
        """Note that ``screen`` (by default the one in front) is waiting on ``worker``."""
        self._asked_by[worker] = screen if screen is not None else self.screen

    def warm_command_line(self, session: ActiveSession) -> None:
        """Once the vault is open and its list on its way (a worker's step): the command
        line's agent started (app.cli.agent), so that the first `strongroom get` after opening
        the vault here is answered warm. Only for a remembered session (the agent serves this
        device's session as the database holds it, never this process's key) and when
        config.toml keeps the agent on; a lock or a logout here stops it (agents_stopped)."""
        settings = self.backend.settings
        if settings.command_line_agent and session.session_id is not None:
            from app.cli import agent

            agent.start(settings)

    @contextmanager
    def agents_stopped(self) -> Iterator[None]:
        """Around a lock's or a logout's database part: the command line's agents stopped
        before it (which a slow database or another transaction on the session row can hold
        up, and an agent asked meanwhile would find the session unlocked) and once more after
        it (one a command started in between)."""
        self.stop_agents()
        try:
            yield
        finally:
            self.stop_agents()

    def stop_agents(self) -> None:
        """What `strongroom lock` does to this profile's command line agents (a worker's
        step after a lock or logout here): the lock generation moved on (one that cannot be
        reached now exits when it next looks), then each told to stop, so that none holds the
        vault key past it (app.cli.quick; one started by the vault flow, or by a command)."""
        from app.cli import quick

        settings = self.backend.settings
        quick.next_generation(str(settings.data_dir))
        quick.stop(quick.profile(str(settings.config_dir), str(settings.data_dir)))

    @property
    def unlocked(self) -> bool:
        return self.active is not None and bool(self.active.vault_key)

    def session(self) -> ActiveSession:
        """The unlocked session, for a worker to act with, once the database says it still
        stands (one query): VaultLocked when there is none; AccountGone, VaultKeyChanged or
        SessionEnded when it was ended elsewhere (app.services.standing). Every read and every
        write of a worker starts here, so nothing is written for a session that has ended."""
        active = self.active
        if active is None or not active.vault_key:
            raise VaultLocked
        generation, stamp = self._stamp_generation, self._password_stamp
        stamp = self.backend.accounts().standing(active, stamp)
        if generation == self._stamp_generation:
            self._password_stamp = stamp
        return active

    def vault_screen(self) -> VaultScreen | None:
        from app.screens.vault import VaultScreen

        for screen in reversed(self.screen_stack):
            if isinstance(screen, VaultScreen):
                return screen
        return None

    def show(self, screen: Screen[None]) -> list[Awaitable[object]]:
        """Replace the current screen (the start-up view stays at the bottom of the stack).
        What to await for the screens it closes to be gone."""
        closing: list[Awaitable[object]] = []
        while len(self.screen_stack) > 2:
            closing.append(self.pop_screen())  # dialogs over the screen being replaced
        if len(self.screen_stack) > 1:
            closing.append(self.switch_screen(screen))
        else:
            self.push_screen(screen)
            # Start-up is over: its "Opening your vault database…" view has no place under
            # any screen again.
            self.screen_stack[0].query("#starting-view").remove()
        return closing

    def account_policy(self) -> PasswordPolicy:
        """The master-password rules from the settings."""
        from app.core.passwords import PasswordPolicy  # with the first form that needs it

        security = self.backend.settings.security
        return PasswordPolicy(security.min_password_length, security.max_password_length)

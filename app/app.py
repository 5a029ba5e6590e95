"""The Strongroom App: it routes what the screens ask for to the services, and back.

Screens post messages (:mod:`app.screens.messages`); the App's flows (:mod:`app.flows`) run the
matching service call in a thread worker (hashing and every database call stay off the UI
thread) and decide which screen comes next. Every worker failure passes through one handler:
:func:`app.flows.failures.explain` says what it means, and the handler shows it on the screen
that asked.
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from collections.abc import Iterable, Sequence
from contextlib import suppress
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.markup import escape
from textual import events, on
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Center, Middle
from textual.filter import LineFilter
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from app.core.logs import log_failure
from app.flows.accounts import AccountFlow
from app.flows.clipboard import ClipboardGuard
from app.flows.failures import Failure, explain
from app.flows.health import HealthFlow
from app.flows.lock import LockFlow
from app.flows.security_log import SecurityLogFlow
from app.flows.ssh import SshApprovalFlow
from app.flows.transfer import TransferFlow
from app.flows.typing import KeyOrder
from app.flows.vault import VaultFlow
from app.screens.form import ShowsErrors
from app.screens.keys import VAULT_KEYS, commands
from app.screens.login import LoginScreen
from app.services.backend import Backend
from app.widgets.literal import TerminalSafe, visible_text

if TYPE_CHECKING:
    from app.flows.accounts import OpensTheVault
    from app.flows.transfer import ShowsNewItems
    from app.flows.vault import ReachesTheLock
    from app.screens.vault import VaultScreen

QUIT_GRACE = 5.0  # seconds a signalled quit may take (the lock being recorded has 4 of them)
QUIT_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
STARTUP_FAILED_HINT = "Nothing was changed. Retry reads the database again; Quit leaves Strongroom."


def _end_after_grace() -> None:
    time.sleep(QUIT_GRACE)
    os._exit(1)


def stylesheet_paths() -> list[Path]:
    """The stylesheets: inside the package when installed from a wheel, else the repo's styles/."""
    here = Path(__file__).resolve().parent
    folder = here / "styles"
    if not folder.is_dir():
        folder = here.parent / "styles"
    return [folder / "app.tcss"]


class DatabaseReconnected(Message):
    """The database's host went away and the next one answered (posted from a worker)."""

    def __init__(self, old: str, new: str) -> None:
        super().__init__()
        self.old = old
        self.new = new


class StrongroomApp(
    KeyOrder,
    AccountFlow,
    VaultFlow,
    LockFlow,
    TransferFlow,
    HealthFlow,
    SshApprovalFlow,
    SecurityLogFlow,
):
    TITLE = "Strongroom"
    CSS_PATH = stylesheet_paths()  # type: ignore[assignment]
    ENABLE_COMMAND_PALETTE = True
    # No selecting text on screen with the mouse: a revealed password copied that way would
    # escape the clipboard guard. Copy keys (Ctrl+B, Ctrl+C, ...) are the way out.
    ALLOW_SELECT = False
    # Under this many rows (80x24 is the default terminal) fields lose their borders and blank
    # lines, so that a whole form fits. The class is the App's, not each screen's, so a new
    # screen's very first frame already has it.
    SHORT_ROWS = 30
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", priority=True),
        # Tab moves focus before the next key is delivered, so keys typed or auto-typed fast
        # ("name, Tab, password, Enter") land in the field they were meant for.
        Binding("tab", "focus_next", show=False, priority=True),
        Binding("shift+tab", "focus_previous", show=False, priority=True),
        # Space presses the focused button, as Enter does (Textual binds only Enter); in dialogs
        # too, which only priority bindings of the App reach. Anything else gets its space.
        Binding("space", "press_focused", show=False, priority=True),
        # Lock from every screen of an unlocked vault, the item form and dialogs too (an open
        # edit is held, sealed, until unlocking): a priority binding, as dialogs (modal
        # screens) see no other App binding. Disabled while locked (LockFlow.check_action).
        Binding("ctrl+l", "lock", "Lock", priority=True),
    ]

    def __init__(self, backend: Backend) -> None:
        super().__init__()
        self.backend = backend
        self.set_active(None)
        self.clipboard_guard = ClipboardGuard(
            self, backend.settings.security.clipboard_clear_seconds
        )
        self._asked_by = {}
        self._login_hint: str | None = None
        self._terminal_safe = TerminalSafe()
        self._database_notice: str | None = None
        self._signal_handlers: dict[int, Any] = {}  # the handlers ours replaced, put back after
        self._quit_signalled = False
        self.init_key_order()
        self.init_vault_flow()
        self.init_lock_flow()
        backend.on_reconnect = self._reconnected

    def get_line_filters(self) -> Sequence[LineFilter]:
        """Textual's filters, then the one that keeps stored text from driving the terminal."""
        return [*super().get_line_filters(), self._terminal_safe]

    def compose(self) -> ComposeResult:
        # A returning user without a saved login sees the login form as the very first frame;
        # the database opens behind it (a login submitted meanwhile waits for it). Everyone
        # else sees that the database is opening: in words, drawn once. An animation would
        # repaint at every frame, taking turns at the GIL with the worker that loads the
        # database stack and reads the vault, which is what this launch waits for.
        self._login_hint = self.backend.login_hint()
        if self._login_hint is None:
            with Middle(id="starting-view"), Center():
                yield Static("Opening your vault database…", id="starting")

    def _reconnected(self, old: str, new: str) -> None:
        """Called by the worker whose connection moved to another host."""
        self.post_message(DatabaseReconnected(old, new))

    def on_database_reconnected(self, message: DatabaseReconnected) -> None:
        notice = f"The database at {message.old} did not answer; using {message.new}."
        self.notify(notice, severity="warning", markup=False)
        self._database_notice = notice

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.height < self.SHORT_ROWS, "-short")

    def on_mount(self) -> None:
        self.set_class(self.size.height < self.SHORT_ROWS, "-short")
        if self._login_hint is not None:
            self.push_screen(LoginScreen(username=self._login_hint))
        self.call_after_refresh(self.start_up)
        self.start_idle_check()
        self.start_refresh()
        self.start_ssh_approvals()  # the SSH agent's requests to use a key (app.flows.ssh)
        if not self.is_headless:
            # A terminal closed (SIGHUP) or a polite kill (SIGTERM) cleans up as quitting does.
            # A handler of Python's own, not the event loop's: the loop's would wait for the
            # loop, and the loop can be stuck handing a frame to a terminal that reads no more.
            self._signal_loop = asyncio.get_running_loop()
            for number in QUIT_SIGNALS:
                self._signal_handlers[number] = signal.signal(number, self._signalled)

    def on_unmount(self) -> None:
        for number, previous in self._signal_handlers.items():
            signal.signal(number, previous)
        self._signal_handlers.clear()
        self.set_active(None)
        self.backend.close()

    def _signalled(self, number: int, frame: object) -> None:
        """Run on the main thread wherever it is, even blocked (Python runs a signal's handler
        between two steps of whatever is running). With the terminal gone (SIGHUP), or not
        reading, drawing or restoring it can block for good: whatever the clean quit has not
        done within QUIT_GRACE, the process ends anyway, as the signal meant."""
        if self._quit_signalled:
            return
        self._quit_signalled = True
        threading.Thread(target=_end_after_grace, name="quit-grace", daemon=True).start()
        with suppress(RuntimeError):  # the loop has closed: the process is ending already
            self._signal_loop.call_soon_threadsafe(self._quit_when_signalled)

    def _quit_when_signalled(self) -> None:
        self.run_worker(self.action_quit(), group="quit", exclusive=True)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """One notice at a time: a new one replaces the last instead of piling up over the
        detail pane. (Called on the UI thread only; workers post messages.)

        A database failover's notice is not lost that way: it rides along with the next one
        (the save that moved to another node says so below its own result)."""
        self.clear_notifications()
        if self._database_notice is not None:
            extra, self._database_notice = self._database_notice, None
            message = f"{message}\n{escape(extra) if markup else extra}"
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    async def action_quit(self) -> None:
        """Clear the clipboard while the terminal is still ours to write to; let a lock that is
        being recorded finish, or the next launch would open the vault."""
        self.clipboard_guard.clear()
        await self.finish_locking(timeout=QUIT_GRACE - 1)
        self.exit()

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        """Not in Strongroom: a screenshot would write whatever is revealed to a file."""
        self.notify("Screenshots are turned off: they could hold a revealed password.")

    # -- failures ------------------------------------------------------------------------------

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        """Every worker failure becomes a message on the screen that asked, never a crash."""
        if event.state not in (WorkerState.ERROR, WorkerState.SUCCESS, WorkerState.CANCELLED):
            return
        asked_by = self._asked_by.pop(event.worker, None)
        error = event.worker.error
        if event.state != WorkerState.ERROR or error is None:
            return
        failure = explain(error, event.worker.group, self.backend.settings.log_path)
        if failure.unexpected:
            log_failure(f"worker {event.worker.name}", error)
        self.show_failure(failure, asked_by)

    def show_failure(self, failure: Failure, asked_by: Screen[Any] | None) -> None:
        if failure.route == "database_error" and failure.database is not None:
            from app.screens.database_error import DatabaseErrorScreen

            database = failure.database
            self.show(DatabaseErrorScreen(database.target, database.reason, database.hint))
        elif failure.route == "startup_failed":
            from app.screens.database_error import DatabaseErrorScreen
            from app.services.database import describe_url

            target = describe_url(self.backend.settings.database_url)
            self.show(DatabaseErrorScreen(target, failure.text, STARTUP_FAILED_HINT))
        elif failure.route in ("logged_out", "locked"):
            self.session_ended(failure.text, locked=failure.route == "locked", about=failure.about)
        elif failure.route == "offline":
            self.database_lost(failure.text)
        elif isinstance(asked_by, ShowsErrors) and asked_by.is_attached:
            if failure.clear_passwords:
                asked_by.clear_passwords(failure.field)
            asked_by.show_error(failure.text, failure.field)
        else:
            self.notify(failure.text, severity="error", markup=False)
            if failure.refresh:
                self.refresh_vault()

    def _fatal_error(self) -> None:
        """Never print a traceback (Textual's shows local variables, which may hold secrets)."""
        error = self._exception
        if error is not None:
            log_failure("fatal", error)
        name = type(error).__name__ if error is not None else "error"
        self.bell()
        self._exit_renderables.append(
            f"Strongroom stopped after an unexpected {name}. Your vault is unchanged; details "
            f"are in {self.backend.settings.log_path}."
        )
        self._close_messages_no_wait()

    # -- the command palette ---------------------------------------------------------------------

    @staticmethod
    def _field_commands(screen: VaultScreen) -> Iterable[SystemCommand]:
        """Copy each custom field of the selected item."""
        item = screen.highlighted
        if item is None or item.error:
            return
        for custom in item.fields:
            name = visible_text(custom.name)
            yield SystemCommand(
                f"Copy field {name}",
                f"Copy {name!r} of {visible_text(item.title)!r}; the clipboard is cleared after",
                partial(screen.call_next, screen.action_copy_field, custom.name),
            )

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        from app.screens.vault import VaultScreen

        for command in super().get_system_commands(screen):
            if command.title.lower() != "screenshot":
                yield command
        if not self.unlocked:
            return
        if isinstance(screen, VaultScreen):
            for key in commands(VAULT_KEYS):
                help_text = f"{key.does[0].upper()}{key.does[1:]} ({key.display})"
                run = partial(screen.call_next, screen.run_action, key.action)
                yield SystemCommand(key.command, help_text, run)
            yield from self._field_commands(screen)
        yield SystemCommand(
            "Lock the vault", "Forget the vault key until you unlock", self.lock_vault
        )
        yield SystemCommand(
            "Import from another manager",
            "Bitwarden, KeePassXC, 1Password, LastPass, Chrome, Firefox or pass",
            self.show_import,
        )
        yield SystemCommand(
            "Export the vault",
            "Bitwarden encrypted JSON, Bitwarden JSON, KeePass XML or KeePassXC CSV",
            self.show_export,
        )
        yield SystemCommand(
            "Vault health",
            "Which passwords to change first: breached, reused, weak, common, unsecured, old",
            self.show_health,
        )
        yield SystemCommand(
            "Security log",
            "This device's logins, locks and key changes, newest first; tampering and rollback "
            "warnings in red",
            self.show_security_log,
        )
        yield SystemCommand(
            "Remembered sessions",
            "See and revoke the devices that stay logged in",
            self.show_sessions,
        )
        yield SystemCommand(
            "Change master password",
            "Re-wrap the vault key under a new password",
            self.show_change_password,
        )
        yield SystemCommand(
            "Add a Secret Key",
            "A second secret for new devices: a copy of the database cannot be guessed against",
            self.show_add_secret_key,
        )
        yield SystemCommand(
            "Rotate vault key",
            "Re-seal every item under a new key; other devices log in again",
            self.show_rotate_key,
        )
        yield SystemCommand(
            "Delete account",
            "Remove the account and every item, for good",
            self.show_delete_account,
        )


if TYPE_CHECKING:

    def _fits_every_flow(app: StrongroomApp) -> tuple[OpensTheVault, ReachesTheLock, ShowsNewItems]:
        """Never run: mypy checks here that the App has what each flow asks of the others."""
        return app, app, app

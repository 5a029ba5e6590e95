"""The Strongroom App: it routes what the screens ask for to the controllers, and back.

Screens post messages; the App runs the matching controller call in a thread worker (hashing and
every database call stay off the UI thread) and decides which screen comes next. Worker failures
all pass through one handler that turns them into a message the user can act on.
"""

from __future__ import annotations

import gc
import logging
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Middle
from textual.message import Message
from textual.widgets import LoadingIndicator, Static
from textual.worker import Worker, WorkerState

from app.backend import Backend
from app.screens.form import FormScreen
from app.screens.login import LoginScreen
from app.vault_routes import VaultLocked, VaultRoutes

if TYPE_CHECKING:
    from app.controllers.accounts import ActiveSession, StartupState
    from app.screens.register import RegisterScreen

log = logging.getLogger("strongroom")


def log_failure(where: str, error: BaseException) -> None:
    """Log where an error happened and its stack, but not its message: it may quote a secret."""
    stack = "".join(traceback.format_tb(error.__traceback__))
    log.error("%s: unexpected %s\n%s", where, type(error).__name__, stack)


def stylesheet_paths() -> list[Path]:
    """The stylesheets: inside the package when installed from a wheel, else the repo's styles/."""
    here = Path(__file__).resolve().parent
    folder = here / "styles"
    if not folder.is_dir():
        folder = here.parent / "styles"
    return [folder / "app.tcss"]


class StrongroomApp(VaultRoutes):
    TITLE = "Strongroom"
    CSS_PATH = stylesheet_paths()  # type: ignore[assignment]
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    @dataclass
    class Started(Message):
        state: StartupState

    @dataclass
    class AccountCreated(Message):
        username: str

    @dataclass
    class LoggedIn(Message):
        session: ActiveSession

    @dataclass
    class LoggedOut(Message):
        username: str

    def __init__(self, backend: Backend) -> None:
        super().__init__()
        self.backend = backend
        self.active: ActiveSession | None = None
        self._login_hint: str | None = None
        self._init_vault_routes()

    def compose(self) -> ComposeResult:
        # A returning user without a saved login sees the login form as the very first frame;
        # the database opens behind it (a login submitted meanwhile waits for it). Everyone
        # else sees that the database is opening.
        self._login_hint = self.backend.login_hint()
        if self._login_hint is None:
            with Middle(), Center():
                yield LoadingIndicator(id="starting-indicator")
                yield Static("Opening your vault database…", id="starting")

    def on_mount(self) -> None:
        if self._login_hint is not None:
            self.push_screen(LoginScreen(username=self._login_hint))
        self.call_after_refresh(self.start_up)
        self.start_vault_timers()

    def on_unmount(self) -> None:
        self.active = None
        self.backend.close()

    async def action_quit(self) -> None:
        self.clear_clipboard()  # while the terminal is still ours to write to
        self.exit()

    # -- workers: one user action each, off the UI thread -----------------------------------

    @work(thread=True, exclusive=True, group="startup", exit_on_error=False)
    def start_up(self) -> None:
        accounts = self.backend.accounts()
        # SQLAlchemy and the crypto libraries are loaded now, for the life of the process: take
        # their objects out of the collector's view, so that the collections set off by the
        # login and the vault screen's layout do not walk them again and again.
        gc.freeze()
        state = accounts.startup()
        self.post_message(self.Started(state))
        if state.session is None and state.has_accounts:
            self.backend.warm_up()  # while the login form waits for the password

    @work(thread=True, exclusive=True, group="account", exit_on_error=False)
    def register(self, username: str, password: str, confirm: str) -> None:
        result = self.backend.accounts().register(username, password, confirm)
        self.post_message(self.AccountCreated(result.username))

    @work(thread=True, exclusive=True, group="account", exit_on_error=False)
    def log_in(self, username: str, password: str, remember: bool) -> None:
        session = self.backend.accounts().login(username, password, remember=remember)
        self.post_message(self.LoggedIn(session))

    @work(thread=True, exclusive=True, group="account", exit_on_error=False)
    def log_out(self, session: ActiveSession) -> None:
        self.backend.accounts().logout(session)
        self.post_message(self.LoggedOut(session.username))

    # -- what the screens ask for --------------------------------------------------------------

    # The registration and database-error screens load on first use (most launches show
    # neither); their messages reach these handlers by name.
    def on_register_screen_submitted(self, message: RegisterScreen.Submitted) -> None:
        self.register(message.username, message.password, message.confirm)

    def on_register_screen_back_to_login(self) -> None:
        self.switch_screen(LoginScreen())

    @on(LoginScreen.Submitted)
    def _login_submitted(self, message: LoginScreen.Submitted) -> None:
        self.log_in(message.username, message.password, message.remember)
        self.load_vault_code()

    @work(thread=True, exclusive=True, group="warm-up", exit_on_error=False)
    def load_vault_code(self) -> None:
        """Import the vault's screens while the login's key derivation runs.

        Argon2id and bcrypt release the GIL, so on a second core this import is free, instead of
        holding up the first paint of the vault after the password is accepted.
        """
        import app.screens.vault  # noqa: F401

    @on(LoginScreen.CreateAccount)
    def _create_account(self) -> None:
        from app.screens.register import RegisterScreen

        self.switch_screen(RegisterScreen(self.account_policy(), can_go_back=True))

    def on_vault_screen_logout(self) -> None:
        self._logout_requested()

    def on_unlock_screen_logout(self) -> None:
        self._logout_requested()

    def _logout_requested(self) -> None:
        if self.active is not None:
            self.clear_clipboard()
            self.log_out(self.active)

    def on_database_error_screen_retry(self) -> None:
        self.start_up()

    # -- what the workers report -----------------------------------------------------------------

    @on(Started)
    def _started(self, message: Started) -> None:
        state = message.state
        if state.session is not None:
            self.open_vault(state.session)
        elif state.has_accounts:
            if not isinstance(self.screen, LoginScreen):
                username = self.backend.login_hint() or ""
                self._show(LoginScreen(username=username, notice=state.notice))
        else:
            from app.screens.register import RegisterScreen

            self._show(RegisterScreen(self.account_policy(), can_go_back=False))
            if state.notice:
                self.notify(state.notice, markup=False)

    @on(AccountCreated)
    def _account_created(self, message: AccountCreated) -> None:
        text = f"Account {message.username} created. Log in with your new password."
        self.notify(text, title="Account created", markup=False)
        self._show(LoginScreen(username=message.username, notice=text))

    @on(LoggedIn)
    def _logged_in(self, message: LoggedIn) -> None:
        self.open_vault(message.session, message.session.notice)

    @on(LoggedOut)
    def _logged_out(self, message: LoggedOut) -> None:
        self.active = None
        self._show(
            LoginScreen(username=message.username, notice="You are logged out of this device.")
        )

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        """Every worker failure becomes a message on the screen that asked, never a crash."""
        if event.state != WorkerState.ERROR or event.worker.error is None:
            return
        error = event.worker.error
        from app.controllers.accounts import (
            AccountDataError,
            AccountGone,
            LoginFailed,
            UsernameTaken,
        )
        from app.db import DatabaseUnavailable
        from app.items import ItemNotFound
        from app.passwords import ValidationError
        from app.screens.account import DialogForm
        from app.screens.item_form import ItemFormScreen
        from app.screens.unlock import UnlockScreen

        if isinstance(error, DatabaseUnavailable) and event.worker.group == "startup":
            from app.screens.database_error import DatabaseErrorScreen

            self._show(DatabaseErrorScreen(error.target, error.reason, error.hint))
            return
        if isinstance(error, AccountGone):
            self.active = None
            self._show(LoginScreen(notice=error.message))
            return
        field: str | None = None
        if isinstance(error, DatabaseUnavailable) and event.worker.group == "vault-load":
            self.database_lost(f"The database ({error.target}) cannot be reached: {error.reason}")
            return
        if isinstance(error, DatabaseUnavailable):
            text = (
                f"The database ({error.target}) cannot be reached: {error.reason} "
                "What you typed is kept; try again when it is back."
            )
        elif isinstance(error, ValidationError):
            text, field = error.message, error.field or None
        elif isinstance(error, LoginFailed | AccountDataError | ItemNotFound | VaultLocked):
            text = error.message
        else:
            log_failure(f"worker {event.worker.name}", error)
            text = (
                f"Something unexpected went wrong ({type(error).__name__}). Nothing was lost; "
                f"details are in {self.backend.settings.log_path}."
            )

        screen = self.screen
        if isinstance(screen, LoginScreen | UnlockScreen) and isinstance(error, LoginFailed):
            screen.refuse(text)
            return
        if isinstance(screen, FormScreen):
            if isinstance(error, UsernameTaken | AccountDataError) or field == "confirm":
                screen.clear_passwords()
            screen.show_error(text, "password" if field == "confirm" else field)
        elif isinstance(screen, ItemFormScreen | DialogForm):
            screen.show_error(text, field)
        else:
            self.notify(text, severity="error", markup=False)
            if isinstance(error, ItemNotFound):
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

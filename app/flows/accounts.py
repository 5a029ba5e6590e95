"""The App's account flow: start-up, registration, login, unlock, logout, and the account
dialogs (remembered sessions, change of master password, deleting the account).

Each request from a screen starts one worker, which calls one account service method off the UI
thread and reports back with a message; the handlers here decide which screen comes next.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol

from textual import on, work
from textual.message import Message

from app.flows.base import Flow
from app.screens import messages
from app.screens.login import LoginScreen

if TYPE_CHECKING:
    from textual.screen import Screen

    from app.core.accounts import ActiveSession, EmergencyKit, SessionInfo, StartupState
    from app.screens.account import (
        ChangePasswordScreen,
        DeleteAccountScreen,
        PasswordDialog,
        RotateKeyScreen,
        SessionsScreen,
    )


class OpensTheVault(Protocol):
    """What the account flow needs from the vault flow, where it calls into it (``self`` is
    typed so there), with those handlers' own steps. StrongroomApp, which has both, fits."""

    def open_vault(self, session: ActiveSession, notice: str | None = None) -> None: ...  # vault's

    def show_start(self, state: StartupState) -> None: ...

    def close_rotation(self, message: AccountFlow.KeyRotated) -> None: ...


class AccountFlow(Flow):
    @dataclass(eq=False, repr=False)
    class Started(Message):
        state: StartupState

    @dataclass(eq=False, repr=False)
    class AccountCreated(Message):
        username: str
        kit: EmergencyKit | None = None

    @dataclass(eq=False, repr=False)
    class SecretKeyAdded(Message):
        form: PasswordDialog
        session: ActiveSession  # with the new vault key
        kit: EmergencyKit

    @dataclass(eq=False, repr=False)
    class LoggedIn(Message):
        session: ActiveSession

    @dataclass(eq=False, repr=False)
    class LoggedOut(Message):
        username: str

    @dataclass(eq=False, repr=False)
    class SessionsLoaded(Message):
        sessions: list[SessionInfo]
        form: SessionsScreen | None
        revoked_this_device: bool
        revoked: bool = False

    @dataclass(eq=False, repr=False)
    class KeyRotating(Message):
        form: RotateKeyScreen
        done: int
        total: int

    @dataclass(eq=False, repr=False)
    class KeyRotated(Message):
        form: RotateKeyScreen
        session: ActiveSession
        items: int

    @dataclass(eq=False, repr=False)
    class DialogDone(Message):
        form: ChangePasswordScreen | DeleteAccountScreen
        text: str

    # -- workers: one account action each, off the UI thread ---------------------------------

    @work(thread=True, exclusive=True, group="startup", exit_on_error=False, description="start_up")
    def start_up(self) -> None:
        from app.core.memory import collector_paused

        with collector_paused():  # the database stack it loads lives as long as the process
            accounts = self.backend.accounts()
        state = accounts.startup()
        self.post_message(self.Started(state))
        if state.session is None and state.has_accounts:
            # While the login form waits for the password: the database's side, then the
            # vault screen's code (so neither holds up the first paint after the login).
            self.backend.warm_up()

    @work(thread=True, exclusive=True, group="account", exit_on_error=False, description="register")
    def register(self, asked: messages.RegisterSubmitted) -> None:
        result = self.backend.accounts().register(
            asked.username, asked.password, asked.confirm, secret_key=asked.secret_key
        )
        self.post_message(self.AccountCreated(result.username, result.kit))

    @work(thread=True, exclusive=True, group="account", exit_on_error=False, description="log_in")
    def log_in(self, asked: messages.LoginSubmitted) -> None:
        key, remember = asked.secret_key or None, asked.remember
        session = self.backend.accounts().login(
            asked.username, asked.password, remember=remember, secret_key=key
        )
        self.post_message(self.LoggedIn(session))

    @work(thread=True, exclusive=True, group="account", exit_on_error=False, description="log_out")
    def log_out(self, session: ActiveSession) -> None:
        with self.agents_stopped():
            self.backend.accounts().logout(session)
        self.post_message(self.LoggedOut(session.username))

    @work(
        thread=True,
        exclusive=True,
        group="account",
        exit_on_error=False,
        description="unlock_vault",
    )
    def unlock_vault(self, session: ActiveSession, asked: messages.UnlockSubmitted) -> None:
        unlocked = self.backend.accounts().unlock(
            session.user_id, session.session_id, asked.password, asked.secret_key or None
        )
        self.post_message(self.LoggedIn(unlocked))

    @work(
        thread=True,
        exclusive=True,
        group="account",
        exit_on_error=False,
        description="load_sessions",
    )
    def load_sessions(self, form: SessionsScreen | None = None, revoke: int | None = None) -> None:
        session, accounts = self.session(), self.backend.accounts()
        if revoke is not None:
            accounts.revoke_session(session, revoke)
        sessions = accounts.list_sessions(session)
        revoked_here = revoke is not None and revoke == session.session_id
        self.post_message(self.SessionsLoaded(sessions, form, revoked_here, revoke is not None))

    @work(
        thread=True,
        exclusive=True,
        group="account",
        exit_on_error=False,
        description="change_password",
    )
    def change_password(
        self, form: ChangePasswordScreen, current: str, new: str, confirm: str
    ) -> None:
        self.backend.accounts().change_password(self.session(), current, new, confirm)
        self.forget_password_stamp()  # the new password is this device's own
        text = "Master password changed. Other devices must log in again."
        self.post_message(self.DialogDone(form, text))

    @work(
        thread=True,
        exclusive=True,
        group="account",
        exit_on_error=False,
        description="delete_account",
    )
    def delete_account(self, form: DeleteAccountScreen, password: str) -> None:
        self.backend.accounts().delete_account(self.session(), password)
        self.post_message(self.DialogDone(form, "Your account and vault have been deleted."))

    @work(thread=True, exclusive=True, group="account", exit_on_error=False, description="add_key")
    def add_secret_key(self, form: PasswordDialog, password: str) -> None:
        session, kit = self.backend.accounts().add_secret_key(self.session(), password)
        self.post_message(self.SecretKeyAdded(form, session, kit))

    @work(
        thread=True, exclusive=True, group="account", exit_on_error=False, description="rotate_key"
    )
    def rotate_key(self, form: RotateKeyScreen, password: str) -> None:
        def progress(done: int, total: int) -> None:
            self.post_message(self.KeyRotating(form, done, total))

        session, items = self.backend.accounts().rotate_vault_key(
            self.session(), password, progress
        )
        self.post_message(self.KeyRotated(form, session, items))

    # -- what the screens ask for ----------------------------------------------------------------

    @on(messages.LoginSubmitted)
    def _login_submitted(self, message: messages.LoginSubmitted) -> None:
        self.asked(self.log_in(message))

    @on(messages.CreateAccount)
    def _create_account(self) -> None:
        self.switch_screen(self.register_screen(can_go_back=True))

    @on(messages.RegisterSubmitted)
    def _register_submitted(self, message: messages.RegisterSubmitted) -> None:
        self.asked(self.register(message))

    @on(messages.BackToLogin)
    def _back_to_login(self) -> None:
        # The last name again, so the focus is on the password (masked): a password typed
        # from habit never lands in an empty, visible username field.
        self.switch_screen(LoginScreen(username=self.backend.login_hint() or ""))

    @on(messages.UnlockSubmitted)
    def _unlock_submitted(self, message: messages.UnlockSubmitted) -> None:
        if self.active is not None:
            self.asked(self.unlock_vault(self.active, message))

    @on(messages.Logout)
    def _logout(self) -> None:
        if self.active is not None:
            self.clipboard_guard.clear()
            self.asked(self.log_out(self.active))

    @on(messages.RetryDatabase)
    def _retry_database(self) -> None:
        self.start_up()

    @on(messages.RevokeSession)
    def _revoke_session(self, message: messages.RevokeSession) -> None:
        self.asked(self.load_sessions(message.form, message.session_id), message.form)

    @on(messages.ChangePasswordSubmitted)
    def _change_password(self, message: messages.ChangePasswordSubmitted) -> None:
        worker = self.change_password(message.form, message.current, message.new, message.confirm)
        self.asked(worker, message.form)

    @on(messages.DeleteAccountSubmitted)
    def _delete_account(self, message: messages.DeleteAccountSubmitted) -> None:
        self.asked(self.delete_account(message.form, message.password), message.form)

    @on(messages.AddSecretKeySubmitted)
    def _add_secret_key(self, message: messages.AddSecretKeySubmitted) -> None:
        self.asked(self.add_secret_key(message.form, message.password), message.form)

    def show_add_secret_key(self) -> None:
        from app.screens.secret_key import AddSecretKeyScreen

        if self.unlocked:
            self.push_screen(AddSecretKeyScreen())

    def register_screen(self, *, can_go_back: bool) -> Screen[None]:
        """The registration form, its Secret Key option on for a shared database."""
        from app.core.accounts import secret_key_by_default
        from app.screens.register import RegisterScreen

        by_default = secret_key_by_default(self.backend.settings.database_url)
        return RegisterScreen(self.account_policy(), can_go_back=can_go_back, secret_key=by_default)

    @on(messages.RotateKeySubmitted)
    def _rotate_key(self, message: messages.RotateKeySubmitted) -> None:
        self.asked(self.rotate_key(message.form, message.password), message.form)

    def show_rotate_key(self) -> None:
        from app.screens.account import RotateKeyScreen

        if self.unlocked:
            self.push_screen(RotateKeyScreen())

    def show_sessions(self) -> None:
        """The remembered-sessions dialog (from the command palette)."""
        self.asked(self.load_sessions())

    def show_change_password(self) -> None:
        from app.screens.account import ChangePasswordScreen

        if self.active is not None:
            self.push_screen(ChangePasswordScreen(self.active.username, self.account_policy()))

    def show_delete_account(self) -> None:
        from app.screens.account import DeleteAccountScreen

        self.push_screen(DeleteAccountScreen())

    # -- what the workers report -----------------------------------------------------------------

    @on(Started)
    def _started(self: OpensTheVault, message: Started) -> None:
        session = message.state.session
        if session is not None and session.vault_key:
            self.open_vault(session)
        else:
            self.show_start(message.state)

    def show_start(self, state: StartupState) -> None:
        """After start-up, unless the vault opens: unlock, log in, or register."""
        if state.session is not None:
            # Locked when it was last used: it stays locked until the master password.
            from app.screens.unlock import UnlockScreen

            self.set_active(state.session)
            self.show(UnlockScreen(state.session.username, notice="Your vault is locked."))
        elif state.has_accounts:
            # Only over the start-up view: a login form shown before the database answered may
            # have been left already (Ctrl+N to register), and must not come back over that.
            if len(self.screen_stack) <= 1:
                username = self.backend.login_hint() or ""
                self.show(LoginScreen(username=username, notice=state.notice))
            elif state.notice and isinstance(self.screen, LoginScreen):
                self.screen.show_notice(state.notice)
        else:
            self.show(self.register_screen(can_go_back=False))
            if state.notice:
                self.notify(state.notice, markup=False)

    @on(AccountCreated)
    def _account_created(self, message: AccountCreated) -> None:
        text = f"Account {message.username} created. Log in with your new password."
        self.show(LoginScreen(username=message.username, notice=text))
        if message.kit is not None:
            from app.screens.secret_key import KitScreen

            self.push_screen(KitScreen(message.kit))

    @on(SecretKeyAdded)
    def _secret_key_added(self, message: SecretKeyAdded) -> None:
        from app.screens.secret_key import ADDED, KitScreen

        if message.form.is_attached:
            message.form.dismiss(None)
        self.set_active(message.session)  # a new vault key, as after a rotation:
        self.post_message(messages.Reload(trash=False))  # the list read again under it
        self.notify(ADDED, markup=False)
        self.push_screen(KitScreen(message.kit))

    @on(LoggedIn)
    def _logged_in(self: OpensTheVault, message: LoggedIn) -> None:
        self.open_vault(message.session, message.session.notice)

    @on(LoggedOut)
    def _logged_out(self, message: LoggedOut) -> None:
        self.set_active(None)
        self.held_edit = None  # nobody can open it now: log out means its work is gone
        self.show(
            LoginScreen(username=message.username, notice="You are logged out of this device.")
        )

    @on(SessionsLoaded)
    def _sessions_loaded(self, message: SessionsLoaded) -> None:
        from app.screens.account import SessionsScreen

        if message.revoked_this_device and self.active is not None:
            self.set_active(replace(self.active, session_id=None))
        if message.revoked_this_device:
            self.notify("Session revoked: this device will ask you to log in next time.")
        elif message.revoked:
            self.notify("Session revoked: that device must log in again.")
        if message.form is not None and message.form.is_attached:
            message.form.show_sessions(message.sessions)
        else:
            self.push_screen(SessionsScreen(message.sessions))

    @on(KeyRotating)
    def _key_rotating(self, message: KeyRotating) -> None:
        if message.form.is_attached:
            message.form.show_progress(message.done, message.total)

    @on(KeyRotated)
    def _key_rotated(self: OpensTheVault, message: KeyRotated) -> None:
        self.close_rotation(message)
        self.open_vault(message.session)

    def close_rotation(self, message: KeyRotated) -> None:
        """The rotation dialog goes, the clipboard is cleared, and a notice says what happened."""
        if message.form.is_attached:
            message.form.dismiss(None)
        self.clipboard_guard.clear()
        noun = "item" if message.items == 1 else "items"
        self.notify(
            f"Vault key rotated: {message.items} {noun} re-sealed. Other devices must log in "
            "again.",
            markup=False,
        )

    @on(DialogDone)
    def _dialog_done(self, message: DialogDone) -> None:
        from app.screens.account import DeleteAccountScreen

        if message.form.is_attached:
            message.form.dismiss(None)
        self.notify(message.text, markup=False)
        if isinstance(message.form, DeleteAccountScreen):
            self.set_active(None)
            self.clipboard_guard.clear()
            self.show(self.register_screen(can_go_back=False))

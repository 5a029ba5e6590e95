"""Every account story, driven through the real app with Pilot."""

from __future__ import annotations

import logging
import shutil
import stat
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Button, Checkbox, Input

from app.core.config import Settings
from app.factory import make_app
from app.screens.database_error import DatabaseErrorScreen
from app.screens.login import LoginScreen
from app.screens.messages import RegisterSubmitted
from app.screens.register import RegisterScreen
from app.screens.secret_key import KitScreen
from app.screens.vault import VaultScreen
from tests.helpers import STRONG_PASSWORD, FakeClock
from tests.pilot import screen_text, settle, text_of, type_into


async def register_through_ui(pilot, name: str = "alice", pw: str = STRONG_PASSWORD) -> None:  # type: ignore[no-untyped-def]
    await type_into(pilot, "#username", name)
    await type_into(pilot, "#password", pw)
    await type_into(pilot, "#confirm", pw)
    await pilot.press("enter")
    await settle(pilot)
    if isinstance(pilot.app.screen, KitScreen):  # a shared database: its Secret Key, shown once
        await pilot.press("enter")
        await settle(pilot)


async def login_through_ui(pilot, name: str = "alice", pw: str = STRONG_PASSWORD) -> None:  # type: ignore[no-untyped-def]
    await type_into(pilot, "#username", name)
    await type_into(pilot, "#password", pw)
    await pilot.press("enter")
    await settle(pilot)


async def test_first_run_registers_then_logs_in(settings: Settings) -> None:
    app = make_app(settings)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, RegisterScreen)
        assert app.focused is app.screen.query_one("#username", Input)
        labels = screen_text(app)
        assert "Please enter a username:" in labels
        assert "Please enter a password:" in labels
        assert app.screen.query_one("#password", Input).password

        await register_through_ui(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert "Account alice created" in text_of(app, "#notice")
        assert app.screen.query_one("#username", Input).value == "alice"
        assert app.focused is app.screen.query_one("#password", Input)
        labels = screen_text(app)
        assert "Please enter your username:" in labels
        assert "Please enter your password:" in labels

        await type_into(pilot, "#password", STRONG_PASSWORD)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, VaultScreen)
        assert text_of(app, "#welcome") == "Welcome, alice!"


async def test_taken_username_keeps_the_name_and_the_passwords(settings: Settings) -> None:
    app = make_app(settings)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await register_through_ui(pilot, "alice")
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert isinstance(app.screen, RegisterScreen)
        await register_through_ui(pilot, "Alice", "another strong passphrase here")
        assert isinstance(app.screen, RegisterScreen)
        assert "already taken. Please choose a different one." in text_of(app, "#error")
        assert app.screen.query_one("#username", Input).value == "Alice"
        # Only the name was wrong: the passwords typed twice stay.
        assert app.screen.query_one("#password", Input).value == "another strong passphrase here"
        assert app.screen.query_one("#confirm", Input).value == "another strong passphrase here"
        assert app.focused is app.screen.query_one("#username", Input)


async def test_weak_password_is_refused_with_the_reason(settings: Settings) -> None:
    app = make_app(settings)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await type_into(pilot, "#username", "alice")
        await type_into(pilot, "#password", "password1234")
        await settle(pilot)
        assert "This is a very common password" in text_of(app, "#strength")
        await type_into(pilot, "#confirm", "password1234")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, RegisterScreen)
        assert "Too easy to guess: This is a very common password." in text_of(app, "#error")
        assert app.focused is app.screen.query_one("#password", Input)
        assert app.screen.query_one("#username", Input).value == "alice"


async def test_strength_meter_follows_typing(settings: Settings) -> None:
    app = make_app(settings)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await type_into(pilot, "#username", "alice")
        await type_into(pilot, "#password", "abc")
        await settle(pilot)
        assert "at least 12 characters (3 so far)" in text_of(app, "#strength")
        await type_into(pilot, "#password", STRONG_PASSWORD)
        await settle(pilot)
        assert "Very strong" in text_of(app, "#strength")


async def test_wrong_credentials_one_message_password_cleared(settings: Settings) -> None:
    app = make_app(settings)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await register_through_ui(pilot)
        messages = []
        for name, password in (("alice", "not the password"), ("nobody", STRONG_PASSWORD)):
            await login_through_ui(pilot, name, password)
            assert isinstance(app.screen, LoginScreen)
            messages.append(text_of(app, "#error"))
            assert app.screen.query_one("#password", Input).value == ""
            assert app.focused is app.screen.query_one("#password", Input)
        assert messages == ["Wrong username or password."] * 2


async def test_remembered_session_logout_and_stale_token(settings: Settings) -> None:
    app = make_app(settings)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await register_through_ui(pilot)
        await type_into(pilot, "#password", STRONG_PASSWORD)
        assert app.screen.query_one("#remember", Checkbox).value is True
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, VaultScreen)
    assert stat.S_IMODE(settings.token_path.stat().st_mode) == 0o600
    stolen = settings.token_path.with_name("copy.token")
    shutil.copy2(settings.token_path, stolen)

    # Relaunch: straight to the welcome screen, then log out with the button.
    app = make_app(settings)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, VaultScreen)
        assert text_of(app, "#welcome") == "Welcome, alice!"
        await pilot.click("#logout")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert "You are logged out" in text_of(app, "#notice")
    assert not settings.token_path.exists()

    # Relaunch: the login screen.
    app = make_app(settings)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)

    # A copy of the old token file no longer opens anything.
    shutil.copy2(stolen, settings.token_path)
    app = make_app(settings)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert "has ended" in text_of(app, "#notice")


async def test_without_remember_me_the_next_launch_asks_again(settings: Settings) -> None:
    app = make_app(settings)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await register_through_ui(pilot)
        await type_into(pilot, "#password", STRONG_PASSWORD)
        app.screen.query_one("#remember", Checkbox).value = False
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, VaultScreen)
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
    assert not settings.token_path.exists()
    app = make_app(settings)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)


async def test_expired_session_says_why(settings: Settings, clock: FakeClock) -> None:
    app = make_app(settings, clock=clock)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await register_through_ui(pilot)
        await type_into(pilot, "#password", STRONG_PASSWORD)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, VaultScreen)
    clock.advance(days=15)
    app = make_app(settings, clock=clock)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert "14 days unused" in text_of(app, "#notice")


async def test_tab_order_follows_reading_order(settings: Settings) -> None:
    app = make_app(settings)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        order = []
        for _ in range(5):
            order.append(app.focused.id if app.focused else None)
            await pilot.press("tab")
        assert order == ["username", "password", "confirm", "secret-key", "submit"]
        assert app.focused is not None
        assert app.focused.id == "username"  # Tab wraps round
        await pilot.press("shift+tab", "shift+tab", "shift+tab")
        assert app.focused.id == "confirm"

        await register_through_ui(pilot)
        await pilot.press("shift+tab")  # from password back to username
        order = []
        for _ in range(5):
            order.append(app.focused.id if app.focused else None)
            await pilot.press("tab")
        assert order == ["username", "password", "remember", "submit", "create"]


async def test_registration_and_back_via_keys(settings: Settings) -> None:
    app = make_app(settings)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        assert not app.screen.query("#back")  # no account yet: nowhere to go back to
        await register_through_ui(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert isinstance(app.screen, RegisterScreen)
        await pilot.click("#back")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        await pilot.click("#create")
        await settle(pilot)
        assert isinstance(app.screen, RegisterScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)


async def test_empty_login_fields_are_named(settings: Settings) -> None:
    app = make_app(settings)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await register_through_ui(pilot)
        await type_into(pilot, "#username", "")
        await pilot.press("enter")
        assert text_of(app, "#error") == "Please enter your username."
        assert app.focused is app.screen.query_one("#username", Input)


async def test_busy_form_shows_loading_and_ignores_resubmits(settings: Settings) -> None:
    app = make_app(settings)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await type_into(pilot, "#username", "alice")
        await type_into(pilot, "#password", STRONG_PASSWORD)
        await type_into(pilot, "#confirm", STRONG_PASSWORD)
        screen = app.screen
        assert isinstance(screen, RegisterScreen)
        screen.query_one("#secret-key", Checkbox).value = False  # no kit over the login form
        submitted: list[RegisterSubmitted] = []
        original = screen.post_message

        def record(message):  # type: ignore[no-untyped-def]
            if isinstance(message, RegisterScreen.Submitted):
                submitted.append(message)
            return original(message)

        screen.post_message = record  # type: ignore[method-assign]
        screen.submit()
        assert screen.query_one("#submit", Button).loading
        assert screen.query_one("#password", Input).disabled
        screen.submit()  # a second Enter while the first is checked does nothing
        assert len(submitted) == 1
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)


async def test_unreachable_database_shows_a_clear_screen_and_retries(tmp_path: Path) -> None:
    from tests.helpers import FAST_SECURITY

    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    settings = Settings(
        config_dir=tmp_path / "c",
        data_dir=tmp_path / "d",
        database_url=f"sqlite:///{blocker / 'db.sqlite'}",
        security=FAST_SECURITY,
    )
    app = make_app(settings)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, DatabaseErrorScreen)
        assert "cannot be created" in text_of(app, "#reason")
        blocker.unlink()
        blocker.mkdir()
        await pilot.press("r")
        # The retry is a message, then a worker: until it has started, there is none to wait on.
        for _ in range(200):
            await settle(pilot)
            if isinstance(app.screen, RegisterScreen):
                break
            await pilot.pause(0.05)
        assert isinstance(app.screen, RegisterScreen)


@pytest.mark.mariadb
async def test_mariadb_down_screen_masks_the_password(tmp_path: Path) -> None:
    from tests.helpers import FAST_SECURITY

    settings = Settings(
        config_dir=tmp_path / "c",
        data_dir=tmp_path / "d",
        database_url="mariadb+mariadbconnector://alice:hunter2-canary@127.0.0.1:1/strongroom",
        security=FAST_SECURITY,
    )
    app = make_app(settings)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, DatabaseErrorScreen)
        shown = screen_text(app)
        assert "alice:***@127.0.0.1:1/strongroom" in shown
        assert "hunter2-canary" not in shown
        await pilot.click("#quit")
    assert app.return_code == 0


@pytest.fixture
def log_handler(settings: Settings) -> Iterator[logging.Handler]:
    """Logging as the installed command sets it up, taken down again afterwards."""
    from app.__main__ import configure_logging

    handler = configure_logging(settings.log_path)
    try:
        yield handler
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()


@pytest.fixture
def logged(settings: Settings, log_handler: logging.Handler) -> Path:
    """The log file, with logging set up as the installed command sets it up."""
    return settings.log_path


def test_other_libraries_errors_go_to_the_log_never_the_terminal(
    logged: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """SQLAlchemy logs its own errors (a rollback a Ctrl+C cut short): into the owner-only log
    with Strongroom's, not through logging's fallback onto the screen; without the error's
    text or the values in a message, as Strongroom logs its own failures."""

    canary = "-".join(("secret", "canary"))  # not in a source line a stack quotes
    try:
        raise ValueError(f"{canary} in the error")
    except ValueError:
        logging.getLogger("sqlalchemy.pool.impl.QueuePool").error(
            "Exception during reset or similar", exc_info=True
        )
    logging.getLogger("somelibrary").warning("a value: %s", canary)
    # What logging.captureWarnings logs for a warning: the whole warning, as its message.
    warning = warnings.formatwarning(f"{canary} in a URL", UserWarning, "engine.py", 7)
    logging.getLogger("py.warnings").warning(warning)
    logging.getLogger("strongroom.test").info("an event of Strongroom's own")
    logging.getLogger("textual").info("another library's chatter")
    captured = capfd.readouterr()
    assert "Exception during reset" not in captured.err + captured.out
    logged_text = logged.read_text()
    assert (
        "ERROR sqlalchemy.pool.impl.QueuePool: Exception during reset or similar (ValueError)"
        in logged_text
    )
    assert "test_other_libraries_errors_go_to_the_log_never_the_terminal" in logged_text  # stack
    assert "WARNING somelibrary: a value: %s" in logged_text
    assert "WARNING py.warnings: UserWarning" in logged_text
    assert canary not in logged_text
    assert "an event of Strongroom's own" in logged_text
    assert "chatter" not in logged_text
    assert logged.stat().st_mode & 0o777 == 0o600


def test_a_log_that_cannot_be_written_says_nothing_on_the_terminal(
    log_handler: logging.Handler, capfd: pytest.CaptureFixture[str]
) -> None:
    """A full disk under the log: logging's own report of the failed write (the record, its
    error's text and a traceback) never reaches the terminal."""
    import errno

    class FullDisk:
        def write(self, _: str) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

        def flush(self) -> None:
            raise OSError(errno.ENOSPC, "No space left on device")

    handler = log_handler
    assert isinstance(handler, logging.StreamHandler)
    canary = "-".join(("secret", "canary"))
    handler.setStream(FullDisk())
    try:
        raise ValueError(f"{canary} in the error")
    except ValueError:
        logging.getLogger("sqlalchemy.pool").error("Exception during reset", exc_info=True)
        logging.getLogger("strongroom").exception("a failure of Strongroom's own")
    captured = capfd.readouterr()
    assert captured.err == captured.out == ""


async def test_unexpected_errors_never_print_a_traceback(settings: Settings, logged: Path) -> None:
    app = make_app(settings)
    printed: list[str] = []
    app._print_error_renderables = lambda: printed.extend(  # type: ignore[method-assign]
        str(item) for item in app._exit_renderables
    )
    with pytest.raises(RuntimeError, match="secret-canary"):  # noqa: PT012
        async with app.run_test(size=(100, 40)) as pilot:
            await settle(pilot)
            app._handle_exception(RuntimeError("secret-canary in an exception"))
            await pilot.pause()
    assert any("unexpected RuntimeError" in line for line in printed), printed
    assert not any("secret-canary" in line or "Traceback" in line for line in printed)
    text = logged.read_text()
    assert "fatal: unexpected RuntimeError" in text
    assert "secret-canary" not in text


async def test_returning_user_gets_the_login_form_before_the_database_opens(
    settings: Settings,
) -> None:
    import threading

    from app.services.backend import Backend

    first = Backend(settings)
    first.accounts().register("alice", STRONG_PASSWORD, STRONG_PASSWORD)
    first.close()

    class SlowBackend(Backend):
        """The database opens only when the test says so."""

        opened = threading.Event()

        def accounts(self):  # type: ignore[no-untyped-def]
            self.opened.wait(10)
            return super().accounts()

    from app.app import StrongroomApp

    app = StrongroomApp(SlowBackend(settings))
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen)
        assert app.screen.query_one("#username", Input).value == "alice"
        assert app.focused is app.screen.query_one("#password", Input)
        await type_into(pilot, "#password", STRONG_PASSWORD)
        await pilot.press("enter")  # submitted while the database is still opening
        assert str(app.screen.query_one("#submit", Button).label) == "Logging in…"
        SlowBackend.opened.set()
        await settle(pilot)
        assert isinstance(app.screen, VaultScreen)


async def test_a_failed_warm_up_leaves_the_login_form_working(
    settings: Settings, logged: Path
) -> None:
    """The warm-up is a head start, not a step of the start-up: should it fail but for the
    database being down, the login form stays, logging in works, and the log has it."""
    from app.services.backend import Backend

    first = Backend(settings)
    first.accounts().register("alice", STRONG_PASSWORD, STRONG_PASSWORD)
    first.close()

    class BrokenWarmUp(Backend):
        def vault(self) -> VaultService:
            vault = super().vault()
            if not isinstance(app.screen, VaultScreen):  # the warm-up's, not the login's
                vault.warm_up = broken  # type: ignore[method-assign]
            return vault

    def broken() -> None:
        raise RuntimeError("a warm-up bug")

    from app.app import StrongroomApp
    from app.services.vault import VaultService

    app = StrongroomApp(BrokenWarmUp(settings))
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        await login_through_ui(pilot)
        assert isinstance(app.screen, VaultScreen)
    assert "warm-up: unexpected RuntimeError" in logged.read_text()


async def test_throttled_login_says_when_to_try_again(settings: Settings, clock: FakeClock) -> None:
    app = make_app(settings, clock=clock)  # the wait is counted on this clock, not the machine's
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await register_through_ui(pilot)
        for _ in range(5):
            await login_through_ui(pilot, "alice", "not the password at all")
        assert "Too many failed attempts: Try again in 30 seconds" in text_of(app, "#error")
        await login_through_ui(pilot, "alice", STRONG_PASSWORD)
        assert isinstance(app.screen, LoginScreen)
        assert "Too many failed attempts for this username" in text_of(app, "#error")

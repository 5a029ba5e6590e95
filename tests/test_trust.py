"""Every promise where a person or an attacker meets it: the real terminal (tmux), the real
clipboard (tmux's buffer), the database through raw SQL, and files on disk."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text, update

from app.core.config import ConfigError, Settings, load_settings
from app.core.items import CustomField, ItemDraft
from app.factory import make_app
from app.models import LoginSession, LoginThrottle, User
from app.services.backend import Backend
from app.services.database import describe_url
from tests.helpers import STRONG_PASSWORD, rows, sql
from tests.pilot import screen_text, seed, settle
from tests.terminal import BEFORE, STRONGROOM, terminal, write_config

SECRET = "Trust-Canary-4c1d"


# -- 1. text from the database never drives the terminal -----------------------------------------


def test_an_escape_sequence_in_a_device_label_never_reaches_the_terminal(
    settings: Settings,
) -> None:
    seed(settings, ItemDraft("Site", password=SECRET))
    payload = base64.b64encode(b"pwned-by-the-database").decode()
    label = f"laptop\x1b]52;c;{payload}\x07\x1b[2J\x1b[31mred"
    sql(settings, update(LoginSession).values(device_label=label))
    write_config(settings)
    with terminal(settings) as term:
        term.launch()
        term.wait_for("1 item in your vault")
        term.palette("Remembered sessions")
        term.wait_for("laptop")
        shown = term.screen()
        assert "\N{REPLACEMENT CHARACTER}" in shown  # the escape is drawn, not obeyed
        assert "red" in shown
        assert term.clipboard() == BEFORE  # the OSC 52 in it set nothing
        assert "Welcome, alice!" in term.scrollback()  # and it cleared nothing


@pytest.mark.parametrize(
    "hostile", ["[bold]x[/", "[/]", "[@click=app.quit]q[/]", "[link=file:///etc]x[/link]"]
)
async def test_markup_in_a_device_label_is_shown_as_text(settings: Settings, hostile: str) -> None:
    seed(settings)
    sql(settings, update(LoginSession).values(device_label=hostile))
    app = make_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.show_sessions()
        await settle(pilot)
        from app.screens.account import LABEL_WIDTH, SessionsScreen, shortened

        assert isinstance(app.screen, SessionsScreen)
        # Drawn as the text it is (a long label ends in an ellipsis).
        label = shortened(hostile, LABEL_WIDTH)
        assert label.replace("[", "") in app.export_screenshot().replace("[", "")
        assert app.is_running


async def test_markup_in_notes_neither_crashes_nor_clicks_the_conflict_dialog(
    settings: Settings,
) -> None:
    from textual.widgets import Input

    from app.screens.conflict import ConflictScreen
    from app.screens.item_form import ItemFormScreen

    notes = "[/] [@click=screen.dismiss('mine')]Keep mine[/] [bold]"
    seed(settings, ItemDraft("Shared", notes=notes))
    app = make_app(settings)
    async with app.run_test(size=(120, 48)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ItemFormScreen)
        other = Backend(settings, device_label="other")
        active = other.accounts().login("alice", STRONG_PASSWORD, remember=False)
        item = other.vault().list_items(active)[0]
        other.vault().update(active, item.id, item.version, ItemDraft("Theirs", notes=notes))
        other.close()
        app.screen.query_one("#title", Input).value = "Mine"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConflictScreen)
        assert "[@click=screen.dismiss('mine')]" in app.export_screenshot().replace("&#x27;", "'")
        # Click all over the table, where the notes are drawn: no markup chooses for the person.
        buttons_at = app.screen.query_one("#mine").region.y
        for y in range(1, buttons_at - 1):
            for x in (20, 45, 70, 95):
                await pilot.click(offset=(x, y))
        await settle(pilot)
        assert isinstance(app.screen, ConflictScreen)


async def test_a_tampered_username_is_refused_not_drawn(settings: Settings) -> None:
    seed(settings)
    sql(settings, update(User).values(username="al\x1b]52;c;cHduZWQ=\x07ice"))
    app = make_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        shown = screen_text(app)
        assert "belongs to a name that is not valid" in shown
        assert "\x1b" not in app.export_screenshot()
    with pytest.raises(Exception, match="stored username is not a valid name"):
        Backend(settings).accounts().login("alice", STRONG_PASSWORD, remember=False)


# -- 2. a lock outlasts the process ---------------------------------------------------------------


@pytest.mark.parametrize("ending", ["quit", "kill -9"])
def test_a_locked_vault_stays_locked_across_quit_and_kill(settings: Settings, ending: str) -> None:
    seed(settings, ItemDraft("Site", password=SECRET))
    write_config(settings)
    with terminal(settings) as term:
        term.launch()
        term.wait_for("1 item in your vault")
        term.keys("C-l")
        term.wait_for("Vault locked for alice")
        # What the token file and the database now hold cannot open the vault:
        term.wait_until(
            lambda: rows(settings, "SELECT vault_key_wrapped FROM sessions") == [(b"",)],
            "the lock in the database",
        )
        if ending == "quit":
            term.keys("C-q")
            term.wait_for("STRONGROOM-EXITED")
        else:
            term.signal(signal.SIGKILL)
            term.wait_for("STRONGROOM-EXITED")
        term.launch()
        term.wait_for("Vault locked for alice")  # remembered who, not the key
        assert SECRET not in term.screen()
        term.type(STRONG_PASSWORD)
        term.keys("Enter")
        term.wait_for("1 item in your vault")
        term.keys("C-q")  # quit without locking: the next launch opens the vault again
        term.wait_for("STRONGROOM-EXITED")
        term.launch()
        term.wait_for("1 item in your vault")


def test_the_token_file_and_the_database_alone_cannot_open_a_locked_vault(
    settings: Settings,
) -> None:
    seed(settings, ItemDraft("Site", password=SECRET))
    backend = Backend(settings)
    state = backend.accounts().startup()
    assert state.session is not None
    backend.accounts().lock(state.session)
    relaunched = Backend(settings).accounts().startup()
    assert relaunched.session is not None
    assert relaunched.session.username == "alice"
    assert relaunched.session.vault_key == b""
    backend.close()


# -- 3 and 9. the clipboard is really cleared; signals clean up as quit does -----------------------


@pytest.mark.parametrize("clearing", ["timer", "lock", "quit", "SIGTERM", "SIGHUP"])
def test_the_terminal_clipboard_no_longer_holds_the_secret(
    settings: Settings, clearing: str
) -> None:
    seed(settings, ItemDraft("Site", password=SECRET))
    write_config(settings, clipboard_clear_seconds=5)
    with terminal(settings) as term:
        term.launch()
        term.wait_for("1 item in your vault")
        term.keys("C-c")
        term.wait_until(lambda: term.clipboard() == SECRET, "the copy in tmux's buffer")
        if clearing == "timer":
            term.wait_until(lambda: term.clipboard() != SECRET, "the clear", timeout=10)
        elif clearing == "lock":
            term.keys("C-l")
            term.wait_for("Vault locked")
        elif clearing == "quit":
            term.keys("C-q")
            term.wait_for("STRONGROOM-EXITED")
        else:
            term.signal(signal.SIGTERM if clearing == "SIGTERM" else signal.SIGHUP)
            term.wait_for("STRONGROOM-EXITED")
            assert "Site" not in term.screen()  # the vault is off the screen
        term.wait_until(lambda: term.clipboard() != SECRET, "the clear")
        assert SECRET not in term.clipboard()


async def test_a_password_field_gives_nothing_to_copy_or_cut(settings: Settings) -> None:
    from app.widgets.secret_input import SecretInput

    seed(settings, remember=False)
    app = make_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        field = app.screen.query_one("#password", SecretInput)
        field.focus()
        field.value = SECRET
        field.select_all()
        await pilot.press("ctrl+c")
        await pilot.press("ctrl+x")
        assert SECRET not in app.clipboard
        assert field.value == SECRET
        assert not app.ALLOW_SELECT


async def test_no_screenshot_can_write_a_revealed_secret_to_disk(
    settings: Settings, tmp_path: Path
) -> None:
    seed(settings, ItemDraft("Site", password=SECRET))
    app = make_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        titles = {command.title.lower() for command in app.get_system_commands(app.screen)}
        assert "screenshot" not in titles
        app.action_screenshot(filename="shot.svg", path=str(tmp_path))
        await pilot.pause()
    assert not (tmp_path / "shot.svg").exists()


# -- 5. a name that matches no account is never stored or logged readably ------------------------


def test_a_passphrase_typed_as_a_username_is_not_stored_or_logged(settings: Settings) -> None:
    from app.core.errors import LoginFailed

    seed(settings, remember=False)
    accounts = Backend(settings).accounts()
    passphrase = "tangerine-oxygen-velvet-marble"  # passes the username rules
    for name in (passphrase, "alice"):
        with pytest.raises(LoginFailed):
            accounts.login(name, "a wrong password!", remember=False)
    engine = create_engine(settings.database_url)
    with engine.connect() as connection:
        hashes = connection.execute(select(LoginThrottle.name_hash)).scalars().all()
        dump = " ".join(
            str(row)
            for table in ("login_throttle", "users", "sessions", "app_keys")
            for row in connection.execute(text(f"SELECT * FROM {table}"))  # noqa: S608
        )
    engine.dispose()
    assert len(hashes) == 2
    assert all(len(value) == 64 for value in hashes)
    for needle in (passphrase, passphrase.upper(), "tangerine"):
        assert needle not in dump
        assert needle not in settings.security_log_path.read_text()
    events = [json.loads(line) for line in settings.security_log_path.read_text().splitlines()]
    failed = [event for event in events if event["event"] == "login_failed"]
    assert [event.get("username") for event in failed] == [None, "alice"]
    assert failed[0]["detail"].startswith("name ")


# -- 7. a password hidden in the URL's query string ------------------------------------------------


def test_a_password_in_the_query_string_is_refused_and_never_shown(tmp_path: Path) -> None:
    url = "mariadb+mariadbconnector://u@db:3306/s?password=hunter2-canary&ssl_verify_cert=true"
    with pytest.raises(ConfigError, match="contains a password"):
        load_settings(tmp_path / "c", tmp_path / "d", environ={"STRONGROOM_DATABASE_URL": url})
    config = tmp_path / "c"
    config.mkdir(mode=0o700)
    (config / "config.toml").write_text(f'database_url = "{url}"\n')
    (config / "config.toml").chmod(0o644)
    with pytest.raises(ConfigError, match="could be read by other users"):
        load_settings(config, tmp_path / "d", environ={})
    for shown_url in (url, url.replace("password", "PASSWD")):
        shown = describe_url(shown_url)
        assert "hunter2-canary" not in shown
        assert "***" in shown


# -- 8. files and numbers from outside are checked ------------------------------------------------


@pytest.mark.parametrize("problem", ["world-writable", "symlink"])
def test_a_config_file_others_could_change_is_refused(tmp_path: Path, problem: str) -> None:
    config = tmp_path / "config"
    config.mkdir(mode=0o700)
    real = tmp_path / "elsewhere.toml"
    real.write_text("[security]\nbcrypt_cost = 12\n")
    if problem == "symlink":
        real.chmod(0o600)
        (config / "config.toml").symlink_to(real)
        expected = "symbolic link"
    else:
        (config / "config.toml").write_text(real.read_text())
        (config / "config.toml").chmod(0o666)
        expected = "could be changed by other users"
    with pytest.raises(ConfigError, match=expected):
        load_settings(config, tmp_path / "d", environ={})


def test_a_sqlite_file_others_could_change_is_refused(sqlite_settings: Settings) -> None:
    from app.core.errors import DatabaseUnavailable
    from app.services.database import open_database

    seed(sqlite_settings, remember=False)
    path = Path(sqlite_settings.database_url.removeprefix("sqlite:///"))
    path.chmod(0o666)
    with pytest.raises(DatabaseUnavailable, match="could be changed by other users"):
        open_database(sqlite_settings.database_url)
    path.chmod(0o600)
    path.unlink()
    path.symlink_to(path.parent / "elsewhere.db")
    with pytest.raises(DatabaseUnavailable, match="symbolic link"):
        open_database(sqlite_settings.database_url)


def test_folders_are_created_owner_only_whatever_the_umask(tmp_path: Path) -> None:
    import stat

    config, data = tmp_path / "a" / "b" / "config", tmp_path / "x" / "y" / "data"
    code = (
        "import os; os.umask(0); from app.__main__ import parse_args, prepare; "
        f"prepare(parse_args(['--config-dir', {str(config)!r}, '--data-dir', {str(data)!r}]))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    for folder in (tmp_path / "x", tmp_path / "x" / "y", data):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    assert stat.S_IMODE((data / "strongroom.log").stat().st_mode) == 0o600


def test_a_symlinked_log_is_refused_with_one_line(settings: Settings, tmp_path: Path) -> None:
    target = tmp_path / "somewhere-else"
    target.write_text("")
    target.chmod(0o644)
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    settings.security_log_path.symlink_to(target)
    done = subprocess.run(
        [
            str(STRONGROOM),
            "--config-dir",
            str(settings.config_dir),
            "--data-dir",
            str(settings.data_dir),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "STRONGROOM_DATABASE_URL": settings.database_url},
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "symbolic link" in lines[0]
    assert oct(target.stat().st_mode)[-3:] == "644"  # and nothing chmodded through it


def test_stored_key_settings_past_the_ceiling_are_refused_not_run(settings: Settings) -> None:
    from app.core.errors import AccountDataError

    seed(settings, remember=False)
    sql(settings, update(User).values(kdf_memory_kib=2_000_000_000))
    with pytest.raises(AccountDataError, match="beyond what is allowed"):
        Backend(settings).accounts().login("alice", STRONG_PASSWORD, remember=False)


# -- 6. the vault key rotates -------------------------------------------------------------------


def test_rotating_the_vault_key_leaves_old_copies_opening_nothing(settings: Settings) -> None:
    """Someone kept a copy of the token file and the database from before: after a rotation
    the old key they can unwrap opens no field written since, and writes nothing."""
    from app.core import crypto
    from app.core.errors import VaultKeyChanged
    from app.services.sealing import field_aad, open_listed

    seed(settings, ItemDraft("Site", password=SECRET, notes="kept"), ItemDraft("Other"))
    backend = Backend(settings, device_label="this laptop")
    accounts, vault = backend.accounts(), backend.vault()
    old = accounts.login("alice", STRONG_PASSWORD, remember=True)
    item = next(i for i in vault.list_items(old) if i.title == "Site")
    pin = CustomField("PIN", "4321", secret=True)
    vault.update(
        old,
        item.id,
        item.version,
        ItemDraft("Site", password="second", notes="kept", fields=(pin,)),
    )
    stolen = Backend(settings, device_label="thief")
    stolen_session = stolen.accounts().login("alice", STRONG_PASSWORD, remember=False)
    vault.trash(old, vault.list_items(old)[0].id)  # the trash is re-sealed too

    steps: list[tuple[int, int]] = []
    new, count = accounts.rotate_vault_key(old, STRONG_PASSWORD, lambda d, t: steps.append((d, t)))
    assert count == 2
    assert steps[-1] == (2, 2)
    assert new.vault_key != old.vault_key

    # Through raw SQL: no sealed field, history entry or wrapped key opens with the old key.
    engine = create_engine(settings.database_url)
    with engine.connect() as connection:
        items = connection.execute(text("SELECT * FROM items")).mappings().all()
        history = connection.execute(text("SELECT * FROM password_history")).mappings().all()
        sessions = connection.execute(text("SELECT device_label FROM sessions")).all()
    engine.dispose()
    cipher = crypto.FieldCipher(old.vault_key)
    for row in items:
        for name in ("title", "username", "password", "urls", "notes", "tags", "totp", "fields"):
            if row[f"{name}_sealed"] is None:
                continue
            aad = field_aad(new.user_id, row["id"], row["version"], name)
            with pytest.raises(crypto.CryptoError):
                cipher.open(row[f"{name}_sealed"], aad)
        assert (
            open_listed(
                new.user_id,
                crypto.FieldCipher(new.vault_key),
                (
                    row["id"],
                    row["version"],
                    row["favourite"],
                    None,
                    None,
                    *(
                        row[f"{n}_sealed"]
                        for n in ("title", "username", "urls", "tags", "password", "notes", "totp")
                    ),
                    row["fields_sealed"],
                ),
            ).error
            is None
        )
    assert len(history) == 1
    with pytest.raises(crypto.CryptoError):
        cipher.open(
            history[0]["password_sealed"],
            crypto.field_aad(new.user_id, history[0]["item_id"], f"history/{history[0]['id']}"),
        )
    assert sessions == [("this laptop",)]  # every other session ended

    # The new key opens everything, the trash and the history included.
    assert {i.title for i in vault.list_items(new)} == {"Site"}
    assert [i.fields for i in vault.list_items(new)] == [(pin,)]
    assert sum(row["fields_sealed"] is not None for row in items) == 1
    assert [i.title for i in vault.list_items(new, trash=True)] == ["Other"]
    assert [e.password for e in vault.history(new, item.id)] == [SECRET]
    # The old key, wherever it survives, neither reads nor writes.
    with pytest.raises(VaultKeyChanged):
        stolen.vault().add(stolen_session, ItemDraft("Written with the old key"))
    with pytest.raises(VaultKeyChanged):
        vault.list_items(old)
    # And the next launch on this device opens with the new key.
    resumed = Backend(settings).accounts().startup().session
    assert resumed is not None
    assert resumed.vault_key == new.vault_key
    for each in (backend, stolen):
        each.close()


def test_a_rotation_that_fails_half_way_changes_nothing(settings: Settings) -> None:
    seed(settings, *(ItemDraft(f"Item {n}", password=f"pw {n}") for n in range(300)))
    backend = Backend(settings)
    accounts, vault = backend.accounts(), backend.vault()
    active = accounts.login("alice", STRONG_PASSWORD, remember=False)
    before = rows(settings, "SELECT id, version, password_sealed FROM items ORDER BY id")

    def fail(done: int, total: int) -> None:
        raise OSError("the machine went away")

    with pytest.raises(OSError, match="went away"):
        accounts.rotate_vault_key(active, STRONG_PASSWORD, fail)
    assert rows(settings, "SELECT id, version, password_sealed FROM items ORDER BY id") == before
    assert len(vault.list_items(active)) == 300
    assert vault.list_items(active)[0].error is None
    backend.close()


async def test_rotating_from_the_palette_shows_progress_and_reopens_the_vault(
    settings: Settings,
) -> None:
    from textual.widgets import Input, ProgressBar

    from app.screens.account import RotateKeyScreen
    from app.screens.vault import VaultScreen

    seed(settings, *(ItemDraft(f"Item {n}") for n in range(600)))
    app = make_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        commands["Rotate vault key"].callback()
        await settle(pilot)
        assert isinstance(app.screen, RotateKeyScreen)
        app.screen.query_one("#password", Input).value = "not the password"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, RotateKeyScreen)
        assert "password is wrong" in screen_text(app)
        dialog = app.screen
        progress: list[int] = []
        original = dialog.show_progress

        def recording(done: int, total: int) -> None:
            progress.append(done)
            original(done, total)
            assert dialog.query_one(ProgressBar).display  # the bar is on screen as it goes

        dialog.show_progress = recording  # type: ignore[method-assign]
        dialog.query_one("#password", Input).value = STRONG_PASSWORD
        await pilot.press("enter")
        await settle(pilot)
        assert progress[-1] == 600
        assert len(progress) >= 3  # moved as it went
        assert isinstance(app.screen, VaultScreen)
        assert len(app.screen.query_one("ItemList").items) == 600  # type: ignore[attr-defined]


def test_the_current_password_prompts_are_throttled_like_a_login(settings: Settings) -> None:
    from app.core.errors import ValidationError

    seed(settings, remember=False)
    backend = Backend(settings)
    accounts = backend.accounts()
    active = accounts.login("alice", STRONG_PASSWORD, remember=False)
    new = "a completely new passphrase here"
    for _ in range(5):
        with pytest.raises(ValidationError, match="current password is wrong"):
            accounts.change_password(active, "not it at all", new, new)
    for attempt in (
        lambda: accounts.change_password(active, STRONG_PASSWORD, new, new),
        lambda: accounts.delete_account(active, STRONG_PASSWORD),
        lambda: accounts.rotate_vault_key(active, STRONG_PASSWORD),
    ):
        with pytest.raises(ValidationError, match="Too many failed attempts"):
            attempt()  # refused unchecked, even with the right password
    assert rows(settings, "SELECT failures FROM login_throttle") == [(8,)]
    backend.close()


def _guess(settings: Settings, password: str, barrier: object) -> tuple[str, bool]:
    """One process's login attempt: (outcome, whether its password was checked)."""
    from app.core.errors import LoginFailed, LoginThrottled
    from app.services.credentials import Credentials

    checked = []
    original = Credentials.check

    def counting(self, user, password, key=None):  # type: ignore[no-untyped-def]
        checked.append(True)
        return original(self, user, password, key)

    Credentials.check = counting  # type: ignore[method-assign]
    backend = Backend(settings, device_label="process")
    accounts = backend.accounts()
    barrier.wait()  # type: ignore[attr-defined]
    try:
        accounts.login("alice", password, remember=False)
        outcome = "in"
    except LoginThrottled:
        outcome = "throttled"
    except LoginFailed:
        outcome = "wrong"
    backend.close()
    return outcome, bool(checked)


def test_twenty_processes_at_once_check_at_most_five_guesses(settings: Settings) -> None:
    """The same race as services/test_accounts.py's, with twenty separate processes (twenty
    devices), each with its own connection pool; one of them has the right password."""
    import multiprocessing

    seed(settings, remember=False)
    context = multiprocessing.get_context("spawn")
    barrier = context.Manager().Barrier(20)
    guesses = [f"wrong guess number {n:02d}" for n in range(19)] + [STRONG_PASSWORD]
    with context.Pool(20) as pool:
        results = pool.starmap(_guess, [(settings, guess, barrier) for guess in guesses])
    checked = [outcome for outcome, was_checked in results if was_checked]
    assert len(checked) <= 5, results
    assert sum(outcome == "throttled" for outcome, _ in results) >= 15
    counts = [row[0] for row in rows(settings, "SELECT failures FROM login_throttle")]
    assert counts == [20] or ("in" in checked and counts == [])


def _ended(pid: int) -> bool:
    """Exited (a zombie waiting for its reaper has exited too)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in status


def _ends_within_grace(pid: int) -> bool:
    """Whether the process ends within the quit's grace period (and 5 s for a busy machine)."""
    import time

    from app.app import QUIT_GRACE

    deadline = time.monotonic() + QUIT_GRACE + 5
    while time.monotonic() < deadline and not _ended(pid):
        time.sleep(0.1)
    return _ended(pid)


def test_closing_the_terminal_ends_strongroom(settings: Settings) -> None:
    """A closed terminal (SIGHUP with the pty gone) must not leave a process behind that holds
    the vault key: the clean quit is tried, and the process ends within its grace period."""
    seed(settings, ItemDraft("Site", password=SECRET))
    write_config(settings)
    with terminal(settings) as term:
        term.launch()
        term.wait_for("1 item in your vault")
        pid = term.app_pid()
        term.close()
        assert _ends_within_grace(pid), "strongroom outlived its terminal"


@pytest.mark.parametrize("number", [signal.SIGHUP, signal.SIGTERM], ids=["SIGHUP", "SIGTERM"])
def test_a_terminal_that_reads_no_more_does_not_keep_strongroom_from_ending(
    sqlite_settings: Settings, number: signal.Signals
) -> None:
    """A terminal that stops reading (a frozen emulator, a stalled SSH link) fills the pipe and
    then the app's queue of frames, and the app's loop waits on it. A SIGHUP or SIGTERM must
    still end the process that holds the vault key, within its grace period."""
    import time

    settings = sqlite_settings
    seed(settings, ItemDraft("Site", password=SECRET))
    write_config(settings)
    with terminal(settings) as term:
        term.launch()
        term.wait_for("1 item in your vault")
        pid = term.app_pid()
        server = int(term.tmux("display-message", "-p", "#{pid}").strip())
        os.kill(server, signal.SIGSTOP)  # the terminal reads no more
        try:
            for _ in range(300):  # each one a whole frame drawn, until the writing blocks
                os.kill(pid, signal.SIGWINCH)
                time.sleep(0.01)
            time.sleep(1)
            os.kill(pid, number)
            assert _ends_within_grace(pid), "strongroom outlived the signal"
        finally:
            os.kill(server, signal.SIGCONT)

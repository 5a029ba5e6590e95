"""Account controller behaviour, on SQLite and on MariaDB."""

from __future__ import annotations

import shutil
import threading
import unicodedata
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from app.core import crypto
from app.core.config import Settings
from app.core.errors import (
    LOGIN_FAILED,
    AccountDataError,
    LoginFailed,
    LoginThrottled,
    UsernameTaken,
    ValidationError,
)
from app.models import LoginSession, LoginThrottle, User
from app.services.accounts import AccountService
from app.services.database import Database
from app.services.tokens import TokenStore
from tests.helpers import STRONG_PASSWORD, FakeClock, make_controller


def register(accounts: AccountService, name: str = "alice", pw: str = STRONG_PASSWORD) -> None:
    accounts.register(name, pw, pw)


def test_register_stores_no_readable_secret(accounts: AccountService, database: Database) -> None:
    result = accounts.register("  Alice  ", STRONG_PASSWORD, STRONG_PASSWORD)
    assert result.username == "Alice"
    with database.sessions() as db:
        user = db.scalars(select(User)).one()
    assert user.username_key == "alice"
    assert user.verifier.startswith("$2b$10$")
    assert STRONG_PASSWORD.encode() not in user.verifier.encode()
    assert (user.kdf_memory_kib, user.kdf_iterations, user.kdf_parallelism) == (19456, 2, 1)
    assert len(user.kdf_salt) == crypto.SALT_BYTES
    assert len(user.vault_key_wrapped) == crypto.WRAPPED_KEY_BYTES
    assert user.key_format_version == crypto.KEY_FORMAT_VERSION


def test_username_is_unique_case_insensitively(accounts: AccountService) -> None:
    register(accounts, "alice")
    with pytest.raises(UsernameTaken, match="already taken"):
        register(accounts, "ALICE")


def test_weak_password_refused_with_reason(accounts: AccountService) -> None:
    with pytest.raises(ValidationError, match="very common password"):
        accounts.register("alice", "password1234", "password1234")
    with pytest.raises(ValidationError, match="at least 12 characters"):
        accounts.register("alice", "sh0rt!", "sh0rt!")
    with pytest.raises(ValidationError, match="must not contain your username"):
        accounts.register("marmalade", "marmalade tiger lorry", "marmalade tiger lorry")


def test_mismatched_confirmation_refused(accounts: AccountService) -> None:
    with pytest.raises(ValidationError, match="do not match") as raised:
        accounts.register("alice", STRONG_PASSWORD, STRONG_PASSWORD + "x")
    assert raised.value.field == "confirm"


def test_login_opens_the_vault_key(accounts: AccountService) -> None:
    register(accounts)
    first = accounts.login("alice", STRONG_PASSWORD, remember=False)
    again = accounts.login("ALICE ", STRONG_PASSWORD, remember=False)
    assert first.username == "alice"
    assert len(first.vault_key) == crypto.KEY_BYTES
    assert first.vault_key == again.vault_key
    assert first.session_id is None


def test_wrong_password_and_unknown_user_say_the_same(accounts: AccountService) -> None:
    register(accounts)
    with pytest.raises(LoginFailed) as wrong:
        accounts.login("alice", STRONG_PASSWORD + "!", remember=False)
    with pytest.raises(LoginFailed) as unknown:
        accounts.login("bob", STRONG_PASSWORD, remember=False)
    with pytest.raises(LoginFailed) as malformed:
        accounts.login("not a valid name!", STRONG_PASSWORD, remember=False)
    assert str(wrong.value) == str(unknown.value) == str(malformed.value) == LOGIN_FAILED


def test_nfc_and_nfd_forms_are_one_password(accounts: AccountService) -> None:
    password = "crème brûlée façade naïveté"
    nfc = unicodedata.normalize("NFC", password)
    nfd = unicodedata.normalize("NFD", password)
    assert nfc != nfd
    accounts.register("chef", nfc, nfc)
    assert accounts.login("chef", nfd, remember=False).username == "chef"


def test_long_password_is_not_truncated(accounts: AccountService) -> None:
    password = "🔐🗝️ a long passphrase " * 8  # well over bcrypt's 72 bytes
    assert len(password.encode()) > 72
    accounts.register("longpass", password, password)
    assert accounts.login("longpass", password, remember=False)
    prefix = password.encode()[:72].decode(errors="ignore")
    with pytest.raises(LoginFailed):
        accounts.login("longpass", prefix, remember=False)


def test_remembered_session_resumes_without_password(
    accounts: AccountService, database: Database, settings: Settings
) -> None:
    register(accounts)
    active = accounts.login("alice", STRONG_PASSWORD, remember=True)
    assert active.session_id is not None
    token = settings.token_path.read_bytes()
    with database.sessions() as db:
        row = db.scalars(select(LoginSession)).one()
    assert len(row.token_hash) == 64
    assert row.token_hash.encode() not in token  # the file holds the token, not its hash
    state = accounts.startup()
    assert state.session is not None
    assert state.session.username == "alice"
    assert state.session.vault_key == active.vault_key


def test_every_login_issues_a_new_token(accounts: AccountService, settings: Settings) -> None:
    register(accounts)
    accounts.login("alice", STRONG_PASSWORD, remember=True)
    first = settings.token_path.read_bytes()
    accounts.login("alice", STRONG_PASSWORD, remember=True)
    assert settings.token_path.read_bytes() != first


def test_logout_ends_the_session_and_old_copies_fail(
    accounts: AccountService, database: Database, settings: Settings
) -> None:
    register(accounts)
    active = accounts.login("alice", STRONG_PASSWORD, remember=True)
    stolen = settings.token_path.with_name("stolen.token")
    shutil.copy2(settings.token_path, stolen)
    accounts.logout(active)
    assert not settings.token_path.exists()
    with database.sessions() as db:
        assert db.scalar(select(func.count()).select_from(LoginSession)) == 0
    shutil.copy2(stolen, settings.token_path)
    state = accounts.startup()
    assert state.session is None
    assert state.notice is not None
    assert "ended" in state.notice
    assert not settings.token_path.exists()


def test_not_remembered_login_leaves_nothing_behind(
    accounts: AccountService, database: Database, settings: Settings
) -> None:
    register(accounts)
    accounts.login("alice", STRONG_PASSWORD, remember=False)
    assert not settings.token_path.exists()
    with database.sessions() as db:
        assert db.scalar(select(func.count()).select_from(LoginSession)) == 0
    assert accounts.startup().session is None


def test_idle_session_expires(
    accounts: AccountService, settings: Settings, clock: FakeClock
) -> None:
    register(accounts)
    accounts.login("alice", STRONG_PASSWORD, remember=True)
    clock.advance(days=13)
    assert accounts.startup().session is not None  # use refreshes last_used_at
    clock.advance(days=14)
    state = accounts.startup()
    assert state.session is None
    assert state.notice is not None
    assert "14 days unused" in state.notice
    assert not settings.token_path.exists()


def test_absolute_session_limit(accounts: AccountService, clock: FakeClock) -> None:
    register(accounts)
    accounts.login("alice", STRONG_PASSWORD, remember=True)
    for _ in range(3):
        clock.advance(days=9)
        assert accounts.startup().session is not None  # in use, never idle
    clock.advance(days=3)  # 30 days since login
    state = accounts.startup()
    assert state.session is None
    assert state.notice is not None
    assert "time limit" in state.notice


def test_startup_reports_whether_accounts_exist(accounts: AccountService) -> None:
    assert accounts.startup().has_accounts is False
    register(accounts)
    assert accounts.startup().has_accounts is True


def test_verifier_below_target_cost_is_upgraded(
    database: Database, settings: Settings, clock: FakeClock
) -> None:
    make_controller(database, settings, clock).register("alice", STRONG_PASSWORD, STRONG_PASSWORD)
    stronger = settings.with_security(bcrypt_cost=11)
    make_controller(database, stronger, clock).login("alice", STRONG_PASSWORD, remember=False)
    with database.sessions() as db:
        verifier = db.scalars(select(User.verifier)).one()
    assert crypto.verifier_cost(verifier) == 11
    make_controller(database, stronger, clock).login("alice", STRONG_PASSWORD, remember=False)


def test_weakened_kdf_parameters_are_refused(accounts: AccountService, database: Database) -> None:
    register(accounts)
    with database.sessions.begin() as db:
        db.execute(update(User).values(kdf_memory_kib=1024, kdf_iterations=1))
    with pytest.raises(AccountDataError, match="refused"):
        accounts.login("alice", STRONG_PASSWORD, remember=False)


def test_damaged_wrapped_key_is_refused(accounts: AccountService, database: Database) -> None:
    register(accounts)
    with database.sessions.begin() as db:
        user = db.scalars(select(User)).one()
        blob = bytearray(user.vault_key_wrapped)
        blob[20] ^= 0x01
        user.vault_key_wrapped = bytes(blob)
    # The account row's MAC covers the wrapped key: told before the key is even unwrapped.
    with pytest.raises(AccountDataError, match="do not belong together"):
        accounts.login("alice", STRONG_PASSWORD, remember=False)
    with database.sessions.begin() as db:  # a row from before the MAC existed: the AEAD tells
        db.execute(update(User).values(account_mac=None))
    with pytest.raises(AccountDataError, match="damaged"):
        accounts.login("alice", STRONG_PASSWORD, remember=False)


def test_vault_key_moved_to_another_user_is_refused(
    accounts: AccountService, database: Database
) -> None:
    register(accounts, "alice")
    register(accounts, "mallory", "a different strong passphrase")
    with database.sessions.begin() as db:
        alice = db.scalars(select(User).where(User.username_key == "alice")).one()
        mallory = db.scalars(select(User).where(User.username_key == "mallory")).one()
        # Mallory copies Alice's whole key record onto her own row.
        for column in ("verifier", "kdf_salt", "vault_key_wrapped"):
            setattr(mallory, column, getattr(alice, column))
    with pytest.raises(AccountDataError):
        accounts.login("mallory", STRONG_PASSWORD, remember=False)


@pytest.mark.mariadb
def test_simultaneous_registrations_of_one_name(
    mariadb_url: str, tmp_path: object, clock: FakeClock, settings: Settings
) -> None:
    from app.services.database import open_database

    database = open_database(mariadb_url)
    try:
        controllers = [make_controller(database, settings, clock) for _ in range(6)]
        barrier = threading.Barrier(len(controllers))
        outcomes: list[str] = []

        def attempt(controller: AccountService, index: int) -> None:
            barrier.wait()
            password = f"racing horses number {index} gallop"
            try:
                controller.register("racer", password, password)
                outcomes.append("created")
            except UsernameTaken:
                outcomes.append("taken")

        threads = [threading.Thread(target=attempt, args=(c, i)) for i, c in enumerate(controllers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes) == ["created"] + ["taken"] * 5
        with database.sessions() as db:
            assert db.scalar(select(func.count()).select_from(User)) == 1
    finally:
        database.dispose()


def test_session_token_is_bound_to_its_row(
    accounts: AccountService, database: Database, settings: Settings
) -> None:
    register(accounts)
    accounts.login("alice", STRONG_PASSWORD, remember=True)
    with database.sessions.begin() as db:
        row = db.scalars(select(LoginSession)).one()
        row.expires_at = row.expires_at + timedelta(days=1)  # unrelated edits keep it valid
    assert accounts.startup().session is not None
    with database.sessions.begin() as db:
        row = db.scalars(select(LoginSession)).one()
        blob = bytearray(row.vault_key_wrapped)
        blob[-1] ^= 0x80
        row.vault_key_wrapped = bytes(blob)
    state = accounts.startup()
    assert state.session is None
    assert state.notice is not None
    assert "damaged" in state.notice


def test_unlock_needs_the_right_password(accounts: AccountService) -> None:
    register(accounts)
    active = accounts.login("alice", STRONG_PASSWORD, remember=True)
    again = accounts.unlock(active.user_id, active.session_id, STRONG_PASSWORD)
    assert again.vault_key == active.vault_key
    assert again.session_id == active.session_id
    with pytest.raises(LoginFailed):
        accounts.unlock(active.user_id, active.session_id, "not it at all, sorry")


def test_change_password_rewraps_and_ends_other_sessions(
    accounts: AccountService, database: Database, settings: Settings, clock: FakeClock
) -> None:
    register(accounts)
    other_device = make_controller(database, settings, clock, settings.config_dir / "other.token")
    elsewhere = other_device.login("alice", STRONG_PASSWORD, remember=True)
    here = accounts.login("alice", STRONG_PASSWORD, remember=True)
    with pytest.raises(ValidationError, match="current password is wrong"):
        accounts.change_password(
            here, "wrong current pw", "new pass phrase words", "new pass phrase words"
        )
    with pytest.raises(ValidationError, match="do not match"):
        accounts.change_password(here, STRONG_PASSWORD, "new pass phrase words", "other")
    accounts.change_password(
        here, STRONG_PASSWORD, "new pass phrase words", "new pass phrase words"
    )
    with pytest.raises(LoginFailed):
        accounts.login("alice", STRONG_PASSWORD, remember=False)
    after = accounts.login("alice", "new pass phrase words", remember=False)
    assert after.vault_key == here.vault_key  # the same vault key, re-wrapped
    assert [s.id for s in accounts.list_sessions(here)] == [here.session_id]
    assert other_device.startup().session is None
    assert accounts.startup().session is not None
    assert elsewhere.session_id != here.session_id


def test_list_and_revoke_sessions(
    accounts: AccountService, database: Database, settings: Settings, clock: FakeClock
) -> None:
    register(accounts)
    other_device = make_controller(database, settings, clock, settings.config_dir / "other.token")
    theirs = other_device.login("alice", STRONG_PASSWORD, remember=True)
    clock.advance(minutes=5)
    mine = accounts.login("alice", STRONG_PASSWORD, remember=True)
    listed = accounts.list_sessions(mine)
    assert [(s.id, s.current) for s in listed] == [
        (mine.session_id, True),
        (theirs.session_id, False),
    ]
    assert listed[0].device_label == "test device"
    assert theirs.session_id is not None
    accounts.revoke_session(mine, theirs.session_id)
    assert other_device.startup().session is None
    assert mine.session_id is not None
    accounts.revoke_session(mine, mine.session_id)
    assert not settings.token_path.exists()


def test_delete_account_removes_everything(
    accounts: AccountService, database: Database, settings: Settings
) -> None:
    register(accounts)
    active = accounts.login("alice", STRONG_PASSWORD, remember=True)
    with pytest.raises(ValidationError, match="password is wrong"):
        accounts.delete_account(active, "not the password!")
    accounts.delete_account(active, STRONG_PASSWORD)
    with database.sessions() as db:
        assert db.scalar(select(func.count()).select_from(User)) == 0
        assert db.scalar(select(func.count()).select_from(LoginSession)) == 0
    assert not settings.token_path.exists()
    assert accounts.startup().has_accounts is False


def test_failed_logins_are_throttled_per_username(
    accounts: AccountService, clock: FakeClock, database: Database, settings: Settings
) -> None:
    register(accounts)
    messages = {}
    for name in ("alice", "nobody"):  # an account and a name that is none: the same treatment
        for _ in range(5):
            with pytest.raises(LoginFailed) as raised:
                accounts.login(name, "wrong password here", remember=False)
            assert not isinstance(raised.value, LoginThrottled)
        messages[name] = raised.value.message
        with pytest.raises(LoginThrottled) as throttled:
            accounts.login(name, STRONG_PASSWORD, remember=False)  # refused unchecked
        assert "Try again in 30 seconds" in throttled.value.message
    assert messages["alice"] == messages["nobody"]
    assert "Too many failed attempts: Try again in 30 seconds" in messages["alice"]

    # The wait doubles with each further attempt, the refused one too, up to 15 minutes.
    clock.advance(seconds=31)
    with pytest.raises(LoginFailed, match="Try again in 2 minutes"):
        accounts.login("alice", "still wrong password", remember=False)
    for _ in range(8):
        clock.advance(minutes=16)
        with pytest.raises(LoginFailed):
            accounts.login("alice", "still wrong password", remember=False)
    with pytest.raises(LoginThrottled, match="Try again in 15 minutes"):
        accounts.login("alice", STRONG_PASSWORD, remember=False)

    # A restart (a new controller on the same database) does not reset it; success does.
    fresh = make_controller(database, settings, clock)
    with pytest.raises(LoginThrottled):
        fresh.login("alice", STRONG_PASSWORD, remember=False)
    clock.advance(minutes=16)
    assert fresh.login("alice", STRONG_PASSWORD, remember=False).username == "alice"
    with pytest.raises(LoginFailed) as raised:
        fresh.login("alice", "wrong again", remember=False)
    assert raised.value.message == LOGIN_FAILED


def test_twenty_attempts_at_once_check_at_most_five_guesses(
    database: Database, settings: Settings, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reserve-before-derive race, on both backends: twenty devices guess at one name in
    the same instant, one of them with the right password. Every attempt is counted in the
    database, and at most five reach the password check."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from app.services.credentials import Credentials

    make_controller(database, settings, clock).register("alice", STRONG_PASSWORD, STRONG_PASSWORD)
    checked: list[str] = []
    lock = threading.Lock()
    original = Credentials.check

    def counting(self, user, password, key=None):  # type: ignore[no-untyped-def]
        with lock:
            checked.append(password)
        return original(self, user, password, key)

    monkeypatch.setattr(Credentials, "check", counting)
    controllers = [make_controller(database, settings, clock) for _ in range(20)]
    guesses = [f"wrong guess number {n:02d}" for n in range(19)] + [STRONG_PASSWORD]
    start = threading.Barrier(20)

    def attempt(number: int) -> str:
        start.wait()
        try:
            controllers[number].login("alice", guesses[number], remember=False)
        except LoginThrottled:
            return "throttled"
        except LoginFailed:
            return "wrong"
        return "in"

    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(attempt, range(20)))
    assert len(checked) <= 5, checked
    assert outcomes.count("throttled") >= 15
    assert outcomes.count("wrong") + outcomes.count("in") == len(checked)
    with database.sessions() as db:
        rows = db.scalars(select(LoginThrottle)).all()
    # Every attempt counted, the refused ones too. A success clears the count only when no
    # attempt was reserved after it, so the owner's login hands the others no fresh guesses.
    counts = [row.failures for row in rows]
    assert counts == [20] or ("in" in outcomes and counts == [])


def test_security_log_records_events_without_secrets(
    database: Database, settings: Settings, clock: FakeClock
) -> None:
    import json

    from app.services.audit import SecurityLog

    log = SecurityLog(settings.security_log_path, clock)
    controller = AccountService(
        database.sessions,
        TokenStore(settings.token_path),
        settings.security,
        audit=log,
        clock=clock,
        device_label="test",
    )
    canary = "canary master passphrase 7e1f"
    controller.register("alice", canary, canary)
    with pytest.raises(LoginFailed):
        controller.login("alice", canary + " wrong", remember=False)
    active = controller.login("alice", canary, remember=True)
    token = settings.token_path.read_text()
    controller.change_password(active, canary, canary + " new", canary + " new")
    controller.logout(active)
    text = settings.security_log_path.read_text()
    assert settings.security_log_path.stat().st_mode & 0o777 == 0o600
    events = [json.loads(line)["event"] for line in text.splitlines()]
    assert events == ["registered", "login_failed", "login_succeeded", "password_changed", "logout"]
    assert all(json.loads(line)["time"].endswith("+00:00") for line in text.splitlines())
    assert "canary" not in text
    assert json.loads(token)["token"] not in text
    assert active.vault_key.hex() not in text

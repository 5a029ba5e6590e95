"""Attempts to break the account layer: equal work for unknown names, core dumps, any input."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, text, update

from app.core import crypto
from app.core.config import BCRYPT_MAX_COST, Settings
from app.core.errors import AccountDataError, EditConflict, LoginFailed, ValidationError
from app.core.items import ItemDraft
from app.core.passwords import PasswordPolicy, clean_username
from app.core.rules import validate
from app.models import User
from app.services.accounts import AccountService
from tests.command_line import one_clean_line, strongroom
from tests.helpers import STRONG_PASSWORD, sql


def test_unknown_username_costs_the_same_work_as_a_wrong_password(
    accounts: AccountService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counted, not timed: both paths run one Argon2id with the same parameters and one bcrypt
    check at the same cost, so their time differs only by noise (see bench/ for seconds)."""
    accounts.register("alice", STRONG_PASSWORD, STRONG_PASSWORD)
    calls: list[tuple[str, object]] = []
    derive, check = crypto.derive_keys, crypto.check_verifier

    def counted_derive(password: str, salt: bytes, params: crypto.KdfParams) -> crypto.DerivedKeys:
        calls.append(("argon2id", (params.memory_kib, params.iterations, params.parallelism)))
        return derive(password, salt, params)

    def counted_check(key: bytes, verifier: str) -> bool:
        calls.append(("bcrypt", crypto.verifier_cost(verifier)))
        return check(key, verifier)

    monkeypatch.setattr(crypto, "derive_keys", counted_derive)
    monkeypatch.setattr(crypto, "check_verifier", counted_check)
    work = {}
    for name in ("alice", "nobody", "not a valid name!"):
        calls.clear()
        with pytest.raises(LoginFailed):
            accounts.login(name, "a wrong password", remember=False)
        work[name] = list(calls)
    assert work["alice"] == work["nobody"] == work["not a valid name!"]
    assert [kind for kind, _ in work["alice"]] == ["argon2id", "bcrypt"]


def test_a_verifier_cost_past_the_ceiling_does_no_work_and_leaves_the_others_equal(
    accounts: AccountService, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A verifier tampered to ``$2b$31$`` is refused before Argon2id or bcrypt runs (the
    damaged account's message); a wrong password and an unknown name still cost the same
    Argon2id and the same bcrypt at the configured cost."""
    for name in ("alice", "bob"):
        accounts.register(name, STRONG_PASSWORD, STRONG_PASSWORD)
    sql(
        settings,
        update(User)
        .where(User.username == "alice")
        .values(verifier=func.replace(User.verifier, "$2b$10$", "$2b$31$")),
    )
    calls: list[tuple[str, object]] = []
    derive, check = crypto.derive_keys, crypto.check_verifier

    def counted_derive(password: str, salt: bytes, params: crypto.KdfParams) -> crypto.DerivedKeys:
        calls.append(("argon2id", (params.memory_kib, params.iterations, params.parallelism)))
        return derive(password, salt, params)

    def counted_check(key: bytes, verifier: str) -> bool:
        calls.append(("bcrypt", crypto.verifier_cost(verifier)))
        if crypto.verifier_cost(verifier) > BCRYPT_MAX_COST:
            return False  # hours of work: counted here, never spent by the test
        return check(key, verifier)

    monkeypatch.setattr(crypto, "derive_keys", counted_derive)
    monkeypatch.setattr(crypto, "check_verifier", counted_check)
    with pytest.raises(AccountDataError, match="cost is outside what is allowed"):
        accounts.login("alice", STRONG_PASSWORD, remember=False)
    assert calls == []
    work = {}
    for name in ("bob", "nobody"):
        calls.clear()
        with pytest.raises(LoginFailed):
            accounts.login(name, "a wrong password", remember=False)
        work[name] = list(calls)
    assert work["bob"] == work["nobody"]
    assert work["bob"][1] == ("bcrypt", settings.security.bcrypt_cost)


def locked_vault_with_mail(settings: Settings) -> None:
    lines = f"alice\n{STRONG_PASSWORD}\n{STRONG_PASSWORD}\n"
    assert strongroom(settings, "register", stdin=lines).returncode == 0
    assert strongroom(settings, "login", "--remember", stdin=lines).returncode == 0
    assert strongroom(settings, "add", "Mail", stdin="mail-secret\n").returncode == 0
    assert strongroom(settings, "lock").returncode == 0


def test_a_stored_salt_too_short_for_argon2_is_the_tampered_account_line(
    settings: Settings,
) -> None:
    """Argon2 refuses a salt under 8 bytes; a row holding one is the damaged account's line."""
    locked_vault_with_mail(settings)
    sql(settings, update(User).values(kdf_salt=b"abc"))
    done = strongroom(settings, "get", "Mail", stdin=f"{STRONG_PASSWORD}\n")
    assert done.returncode != 0
    assert "mail-secret" not in done.stdout
    one_clean_line(done.stderr)
    assert "tampered with" in done.stderr


def test_a_stored_key_setting_that_is_text_is_the_tampered_account_line(
    sqlite_settings: Settings,
) -> None:
    """SQLite keeps whatever type is written: text where a number belongs is refused in one line."""
    locked_vault_with_mail(sqlite_settings)
    sql(sqlite_settings, text("UPDATE users SET kdf_memory_kib = 'abc'"))
    done = strongroom(sqlite_settings, "get", "Mail", stdin=f"{STRONG_PASSWORD}\n")
    assert done.returncode == 8
    assert "mail-secret" not in done.stdout
    one_clean_line(done.stderr)
    assert "changed outside Strongroom" in done.stderr
    assert "abc" not in done.stderr


def test_core_dumps_are_disabled() -> None:
    code = (
        "import resource, ctypes; from app.__main__ import disable_core_dumps; "
        "disable_core_dumps(); "
        "print(resource.getrlimit(resource.RLIMIT_CORE), ctypes.CDLL(None).prctl(3, 0, 0, 0, 0))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["(0,", "0)", "0"]  # no core file, not dumpable


HOSTILE = st.one_of(
    st.text(),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "\x1b[31mred",
            "\u202eevil",
            "e\u0301",
            "' OR '1'='1' --",
            "[bold]x[/bold]",
            "[@click=app.quit]q[/]",
            "🙂" * 64,
            "\ud800",
            "x" * 10_000,
        ]
    ),
)


@given(username=HOSTILE)
def test_any_username_is_a_name_or_a_clear_refusal(username: str) -> None:
    try:
        name = clean_username(username)
    except ValidationError as error:
        assert error.message
        assert error.field == "username"
    else:
        assert 3 <= len(name) <= 32
        assert name.isascii()
        assert name.isprintable()


@given(password=HOSTILE, username=HOSTILE)
@settings(max_examples=200)
def test_any_password_gets_a_verdict(password: str, username: str) -> None:
    assessment = PasswordPolicy().assess(password, username)
    assert 0 <= assessment.score <= 4
    assert all(isinstance(problem, str) and problem for problem in assessment.problems)


@given(title=HOSTILE, username=HOSTILE, notes=HOSTILE, totp=HOSTILE, url=HOSTILE)
@settings(max_examples=300)
def test_any_item_input_is_stored_or_refused_clearly(
    title: str, username: str, notes: str, totp: str, url: str
) -> None:
    try:
        clean = validate(ItemDraft(title, username, "pw", (url,), notes, (), totp))
    except ValidationError as error:
        assert error.message
    else:
        assert clean.title == clean.title.strip()
        assert clean.title


@given(username=HOSTILE, password=HOSTILE)
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_any_login_input_fails_cleanly(
    accounts: AccountService, username: str, password: str
) -> None:
    try:
        accounts.login(username, password, remember=False)
    except LoginFailed as error:
        assert error.message.startswith("Wrong username or password.")


def test_sixty_four_emoji_work_as_a_master_password(accounts: AccountService) -> None:
    emoji = "".join(chr(0x1F400 + (n * 7) % 200) for n in range(64))
    assert len(emoji) == 64
    assert len(emoji.encode()) > 72 * 3
    accounts.register("emoji", emoji, emoji)
    assert accounts.login("emoji", emoji, remember=False).username == "emoji"
    with pytest.raises(LoginFailed):
        accounts.login("emoji", emoji[:-1], remember=False)


@pytest.mark.mariadb
def test_twenty_threads_on_one_account(mariadb_url: str, tmp_path, clock) -> None:  # type: ignore[no-untyped-def]
    """20 devices at once read and write the same account; no error, no lost write.

    They log in one after another: twenty logins at one instant are twenty guesses at one
    name, which the throttle lets only five of through (test_accounts.py covers that race)."""
    from concurrent.futures import ThreadPoolExecutor

    from app.core.config import Settings
    from app.services.database import open_database
    from app.services.vault import VaultService
    from tests.helpers import FAST_SECURITY, make_controller

    settings = Settings(tmp_path / "c", tmp_path / "d", mariadb_url, FAST_SECURITY)
    database = open_database(mariadb_url)
    try:
        make_controller(database, settings, clock).register(
            "alice", STRONG_PASSWORD, STRONG_PASSWORD
        )
        shared = VaultService(database.sessions, clock=clock)
        first = make_controller(database, settings, clock).login(
            "alice", STRONG_PASSWORD, remember=False
        )
        counter = shared.add(first, ItemDraft("Counter", password="0"))

        devices = [
            make_controller(database, settings, clock, tmp_path / f"{number}.token").login(
                "alice", STRONG_PASSWORD, remember=True
            )
            for number in range(20)
        ]

        def device(number: int) -> int:
            active = devices[number]
            vault = VaultService(database.sessions, clock=clock)
            conflicts = 0
            for round_ in range(5):
                vault.add(active, ItemDraft(f"device {number} item {round_}"))
                vault.list_items(active)
                while True:  # a read-modify-write that must never lose an increment
                    current = next(i for i in vault.list_items(active) if i.id == counter.id)
                    try:
                        vault.update(
                            active,
                            current.id,
                            current.version,
                            ItemDraft("Counter", password=str(int(current.password) + 1)),
                        )
                        break
                    except EditConflict:
                        conflicts += 1
            return conflicts

        with ThreadPoolExecutor(max_workers=20) as pool:
            conflicts = sum(pool.map(device, range(20)))
        items = shared.list_items(first)
        assert len(items) == 1 + 20 * 5
        final = next(i for i in items if i.id == counter.id)
        assert final.password == str(20 * 5)  # every increment counted
        assert conflicts > 0  # the version check really was exercised
    finally:
        database.dispose()

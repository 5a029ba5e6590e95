"""The optional Secret Key, at the service level, on SQLite and on MariaDB: a copy of the
database and the master password do not open the vault, a new device asks for the key (a wrong
one said so without a password guess spent), and a row whose key was taken off fails."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from app.core import crypto, secret_key
from app.core.config import Settings
from app.core.errors import AccountDataError, LoginFailed, ValidationError
from app.models import LoginThrottle, User
from app.services.account_integrity import check_account_row
from app.services.accounts import AccountService
from app.services.database import Database
from app.services.secret_keys import SecretKeyFileError
from tests.helpers import STRONG_PASSWORD, FakeClock, make_controller

NEW_PASSWORD = "a different lorry carries marmalade"


def device(database: Database, settings: Settings, clock: FakeClock, name: str) -> AccountService:
    """Another device on the same database: folders of its own, so no Secret Key yet."""
    other = replace(
        settings, config_dir=settings.config_dir / name, data_dir=settings.data_dir / name
    )
    return make_controller(database, other, clock)


def failures(database: Database) -> int:
    with database.sessions() as db:
        return int(db.scalar(select(func.coalesce(func.sum(LoginThrottle.failures), 0))) or 0)


def row(database: Database) -> User:
    with database.sessions() as db:
        return db.scalars(select(User)).one()


def test_register_with_a_secret_key_shows_it_once_and_stores_only_its_id(
    accounts: AccountService, database: Database, settings: Settings
) -> None:
    made = accounts.register("alice", STRONG_PASSWORD, STRONG_PASSWORD, secret_key=True)
    kit = made.kit
    assert kit is not None
    assert kit.path is not None
    key = secret_key.parse(kit.secret_key)
    user = row(database)
    assert user.secret_key_id == secret_key.key_id(key)
    # Nothing of the key in the row: not its bytes, not its printed form (grouped or not).
    stored = repr([getattr(user, column.key) for column in User.__table__.columns]).encode()
    assert key.hex().encode() not in stored
    assert key not in stored
    assert kit.secret_key.replace("-", "").encode() not in stored
    # The kit file and the device's copy: owner-only, in the data folder.
    assert kit.path.parent == settings.data_dir / "kits"
    assert kit.secret_key in kit.path.read_text()
    assert "alice" in kit.path.read_text()
    assert "Strongroom cannot recover it" in kit.path.read_text()
    copies = list((settings.data_dir / "secret-keys").iterdir())
    assert len(copies) == 1
    for path in (kit.path, copies[0]):
        assert os.stat(path).st_mode & 0o777 == 0o600
    # This device holds it: the login needs nothing more.
    assert accounts.login("alice", STRONG_PASSWORD, remember=False).username == "alice"


def test_the_database_and_the_password_alone_cannot_be_checked(
    accounts: AccountService, database: Database
) -> None:
    """The offline attack: with the row and the right password, but no Secret Key, neither the
    verifier nor the wrapped vault key can be checked, so no guess can be tested."""
    kit = accounts.register("alice", STRONG_PASSWORD, STRONG_PASSWORD, secret_key=True).kit
    assert kit is not None
    user = row(database)
    params = crypto.KdfParams(
        user.kdf_algorithm, user.kdf_memory_kib, user.kdf_iterations, user.kdf_parallelism
    )
    keys = crypto.derive_keys(STRONG_PASSWORD, user.kdf_salt, params)
    assert not crypto.check_verifier(keys.authentication_key, user.verifier)
    aad = crypto.account_key_aad(user.id)
    with pytest.raises(crypto.CryptoError):
        crypto.unwrap_key(keys.wrapping_key, user.vault_key_wrapped, aad)
    # With the Secret Key as well, both open.
    both = secret_key.combine(keys, secret_key.parse(kit.secret_key))
    assert crypto.check_verifier(both.authentication_key, user.verifier)
    crypto.unwrap_key(both.wrapping_key, user.vault_key_wrapped, aad)


def test_a_new_device_asks_for_the_key_and_a_wrong_one_spends_no_guess(
    accounts: AccountService, database: Database, settings: Settings, clock: FakeClock
) -> None:
    kit = accounts.register("alice", STRONG_PASSWORD, STRONG_PASSWORD, secret_key=True).kit
    assert kit is not None
    laptop = device(database, settings, clock, "laptop")
    with pytest.raises(secret_key.SecretKeyNeeded, match=r"has a Secret Key\. Enter it") as asked:
        laptop.login("alice", STRONG_PASSWORD, remember=False)
    assert asked.value.field == "secret_key"
    other = secret_key.printable(secret_key.new_secret_key())
    with pytest.raises(secret_key.SecretKeyNeeded, match="wrong Secret Key"):
        laptop.login("alice", STRONG_PASSWORD, remember=False, secret_key=other)
    typo = kit.secret_key[:-1] + ("0" if kit.secret_key[-1] != "0" else "1")
    with pytest.raises(secret_key.SecretKeyNeeded, match="typo"):
        laptop.login("alice", STRONG_PASSWORD, remember=False, secret_key=typo)
    assert failures(database) == 0  # none of these was a password guess
    # The right key and a wrong password: an ordinary failed login, counted.
    with pytest.raises(LoginFailed, match="Wrong username or password"):
        laptop.login("alice", NEW_PASSWORD, remember=False, secret_key=kit.secret_key)
    assert failures(database) == 1
    # Typed as a person might: lower case, spaces for dashes. Then the device keeps it.
    typed = kit.secret_key.lower().replace("-", " ")
    clock.advance(seconds=60)
    assert laptop.login("alice", STRONG_PASSWORD, remember=False, secret_key=typed).username
    assert laptop.login("alice", STRONG_PASSWORD, remember=False).username == "alice"


def test_an_unknown_name_is_refused_as_before(accounts: AccountService) -> None:
    accounts.register("alice", STRONG_PASSWORD, STRONG_PASSWORD, secret_key=True)
    with pytest.raises(LoginFailed, match="Wrong username or password") as refused:
        accounts.login("bob", STRONG_PASSWORD, remember=False)
    assert not isinstance(refused.value, secret_key.SecretKeyNeeded)


def test_taking_the_key_off_the_row_gains_nothing(
    accounts: AccountService, database: Database, settings: Settings, clock: FakeClock
) -> None:
    kit = accounts.register("alice", STRONG_PASSWORD, STRONG_PASSWORD, secret_key=True).kit
    assert kit is not None
    with database.engine.begin() as connection:
        connection.execute(text("UPDATE users SET secret_key_id = NULL"))
    # The device that holds the key says what happened; a new one fails as for a wrong password.
    with pytest.raises(LoginFailed, match="changed outside Strongroom"):
        accounts.login("alice", STRONG_PASSWORD, remember=False)
    with pytest.raises(LoginFailed, match="Wrong username or password"):
        device(database, settings, clock, "laptop").login("alice", STRONG_PASSWORD, remember=False)
    # And the row's MAC covers the id: even with the right keys, the row no longer matches.
    user = row(database)
    keys = crypto.derive_keys(
        STRONG_PASSWORD,
        user.kdf_salt,
        crypto.KdfParams(
            user.kdf_algorithm, user.kdf_memory_kib, user.kdf_iterations, user.kdf_parallelism
        ),
    )
    both = secret_key.combine(keys, secret_key.parse(kit.secret_key))
    with pytest.raises(AccountDataError, match="tampered"):
        check_account_row(user, both.wrapping_key)
    # Another id put in its place: the real key is then "not this account's".
    with database.engine.begin() as connection:
        connection.execute(text("UPDATE users SET secret_key_id = 'ABCDEFGH'"))
    with pytest.raises(secret_key.SecretKeyNeeded, match="wrong Secret Key"):
        accounts.login("alice", STRONG_PASSWORD, remember=False, secret_key=kit.secret_key)


def test_a_key_added_later_keeps_remembered_sessions_and_the_password_change_keeps_it(
    accounts: AccountService, database: Database, settings: Settings, clock: FakeClock
) -> None:
    accounts.register("alice", STRONG_PASSWORD, STRONG_PASSWORD)
    active = accounts.login("alice", STRONG_PASSWORD, remember=True)
    phone = device(database, settings, clock, "phone")
    remembered = phone.login("alice", STRONG_PASSWORD, remember=True)
    salt = row(database).kdf_salt
    with pytest.raises(ValidationError, match="password is wrong"):
        accounts.add_secret_key(active, NEW_PASSWORD)
    kit = accounts.add_secret_key(active, STRONG_PASSWORD)
    assert row(database).kdf_salt == salt  # the same password: no session takes it for a change
    with pytest.raises(ValidationError, match="already has a Secret Key"):
        accounts.add_secret_key(active, STRONG_PASSWORD)
    # The phone's remembered session goes on; its next password login needs the key.
    resumed = phone.startup().session
    assert resumed is not None
    assert resumed.vault_key == remembered.vault_key
    with pytest.raises(secret_key.SecretKeyNeeded):
        phone.unlock(active.user_id, None, STRONG_PASSWORD)
    with pytest.raises(secret_key.SecretKeyNeeded):
        device(database, settings, clock, "laptop").login("alice", STRONG_PASSWORD, remember=False)
    # This device unlocks with its copy, silently; a password change keeps the key.
    assert accounts.unlock(active.user_id, active.session_id, STRONG_PASSWORD).vault_key
    accounts.change_password(active, STRONG_PASSWORD, NEW_PASSWORD, NEW_PASSWORD)
    assert row(database).secret_key_id == secret_key.key_id(secret_key.parse(kit.secret_key))
    tablet = device(database, settings, clock, "tablet")
    with pytest.raises(secret_key.SecretKeyNeeded):
        tablet.login("alice", NEW_PASSWORD, remember=False)
    opened = tablet.login("alice", NEW_PASSWORD, remember=False, secret_key=kit.secret_key)
    assert opened.vault_key == active.vault_key
    # Logging out keeps the device's key; deleting the account removes it.
    copies = settings.data_dir / "secret-keys"
    accounts.logout(accounts.login("alice", NEW_PASSWORD, remember=True))
    assert len(list(copies.iterdir())) == 1
    accounts.delete_account(active, NEW_PASSWORD)
    assert list(copies.iterdir()) == []


@pytest.mark.parametrize("problem", ["readable", "link"])
def test_a_key_file_others_could_read_or_a_link_is_refused(
    accounts: AccountService, settings: Settings, tmp_path: Path, problem: str
) -> None:
    accounts.register("alice", STRONG_PASSWORD, STRONG_PASSWORD, secret_key=True)
    (path,) = (settings.data_dir / "secret-keys").iterdir()
    if problem == "readable":
        path.chmod(0o644)
        expected = "could be read by other users"
    else:
        elsewhere = tmp_path / "elsewhere.json"
        path.rename(elsewhere)
        path.symlink_to(elsewhere)
        expected = "symbolic link"
    with pytest.raises(SecretKeyFileError, match=expected):
        accounts.login("alice", STRONG_PASSWORD, remember=False)


def test_rotating_the_vault_key_keeps_the_secret_key(
    accounts: AccountService, database: Database, settings: Settings, clock: FakeClock
) -> None:
    kit = accounts.register("alice", STRONG_PASSWORD, STRONG_PASSWORD, secret_key=True).kit
    assert kit is not None
    active = accounts.login("alice", STRONG_PASSWORD, remember=False)
    rotated, _ = accounts.rotate_vault_key(active, STRONG_PASSWORD)
    assert rotated.vault_key != active.vault_key
    laptop = device(database, settings, clock, "laptop")
    with pytest.raises(secret_key.SecretKeyNeeded):
        laptop.login("alice", STRONG_PASSWORD, remember=False)
    opened = laptop.login("alice", STRONG_PASSWORD, remember=False, secret_key=kit.secret_key)
    assert opened.vault_key == rotated.vault_key

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
from app.services.database import Database, open_database
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


def test_a_key_added_later_replaces_the_vault_key_and_the_password_change_keeps_it(
    accounts: AccountService, database: Database, settings: Settings, clock: FakeClock
) -> None:
    accounts.register("alice", STRONG_PASSWORD, STRONG_PASSWORD)
    before = accounts.login("alice", STRONG_PASSWORD, remember=True)
    phone = device(database, settings, clock, "phone")
    phone.login("alice", STRONG_PASSWORD, remember=True)
    salt = row(database).kdf_salt
    with pytest.raises(ValidationError, match="password is wrong"):
        accounts.add_secret_key(before, NEW_PASSWORD)
    active, kit = accounts.add_secret_key(before, STRONG_PASSWORD)
    assert row(database).kdf_salt != salt
    assert active.vault_key != before.vault_key
    assert active.session_id is not None
    with pytest.raises(ValidationError, match="already has a Secret Key"):
        accounts.add_secret_key(active, STRONG_PASSWORD)
    # As after a rotation: the phone's remembered session ended; a password login needs the key.
    assert phone.startup().session is None
    with pytest.raises(secret_key.SecretKeyNeeded):
        phone.unlock(active.user_id, None, STRONG_PASSWORD)
    with pytest.raises(ValidationError, match="already has a Secret Key"):
        phone.add_secret_key(active, STRONG_PASSWORD)  # not "enter it from your kit"
    # This device's session goes on, with the new vault key.
    resumed = accounts.startup().session
    assert resumed is not None
    assert resumed.vault_key == active.vault_key
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


def test_a_backup_from_before_the_key_and_the_password_open_nothing_written_after(
    accounts: AccountService, database: Database, clock: FakeClock
) -> None:
    """The red team's attack: a copy of the users row made before the key was added, the
    password (guessed against that copy: it has no key), Argon2id from its salt, its wrapped
    vault key unwrapped, then an item written after the key was added tried with that key."""
    from app.core.items import ItemDraft
    from app.models import VaultItem
    from app.services.sealing import field_aad
    from app.services.vault import VaultService

    accounts.register("alice", STRONG_PASSWORD, STRONG_PASSWORD)
    active = accounts.login("alice", STRONG_PASSWORD, remember=False)
    backup = row(database)
    active, _ = accounts.add_secret_key(active, STRONG_PASSWORD)
    item = VaultService(database.sessions, clock=clock).add(active, ItemDraft("After", "me", "s3"))
    params = crypto.KdfParams(
        backup.kdf_algorithm, backup.kdf_memory_kib, backup.kdf_iterations, backup.kdf_parallelism
    )
    keys = crypto.derive_keys(STRONG_PASSWORD, backup.kdf_salt, params)
    aad = crypto.account_key_aad(backup.id)
    old_key = crypto.unwrap_key(keys.wrapping_key, backup.vault_key_wrapped, aad)
    assert row(database).kdf_salt != backup.kdf_salt  # the backup's guesses are not today's
    with database.sessions() as db:
        current = db.get_one(VaultItem, item.id)
    field = field_aad(active.user_id, current.id, current.version, "password")
    assert crypto.FieldCipher(active.vault_key).open(current.password_sealed, field) == "s3"
    with pytest.raises(crypto.CryptoError):
        crypto.FieldCipher(old_key).open(current.password_sealed, field)


def test_the_kit_is_named_by_database_too_and_never_overwritten(
    settings: Settings, tmp_path: Path, clock: FakeClock
) -> None:
    """The same name on two databases from one data folder: two kits, each its own key."""
    printed = []
    for name in ("one", "two"):
        other = open_database(f"sqlite:///{tmp_path / name}.db")
        try:
            service = make_controller(other, settings, clock)
            kit = service.register("alice", STRONG_PASSWORD, STRONG_PASSWORD, secret_key=True).kit
            assert kit is not None
            assert kit.path is not None
            assert kit.path.name.startswith("strongroom-kit-alice-")
            printed.append(kit.secret_key)
        finally:
            other.dispose()
    kits = sorted((settings.data_dir / "kits").iterdir())
    assert len(kits) == 2
    assert {key for key in printed for kit in kits if key in kit.read_text()} == set(printed)


@pytest.mark.parametrize("blocked", ["secret-keys", "kits"])
def test_a_key_that_cannot_be_kept_on_this_device_changes_nothing(
    accounts: AccountService, database: Database, settings: Settings, blocked: str
) -> None:
    """A plain file where the folder goes: registration and adding a key fail first, with
    a clear message, before any account or key exists."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    (settings.data_dir / blocked).write_text("in the way")
    with pytest.raises(SecretKeyFileError, match="could not be saved on this device"):
        accounts.register("alice", STRONG_PASSWORD, STRONG_PASSWORD, secret_key=True)
    with database.sessions() as db:
        assert db.scalars(select(User)).all() == []
    accounts.register("alice", STRONG_PASSWORD, STRONG_PASSWORD)
    active = accounts.login("alice", STRONG_PASSWORD, remember=False)
    with pytest.raises(SecretKeyFileError, match="could not be saved on this device"):
        accounts.add_secret_key(active, STRONG_PASSWORD)
    assert row(database).secret_key_id is None
    assert accounts.login("alice", STRONG_PASSWORD, remember=False).vault_key == active.vault_key
    assert not list(settings.data_dir.glob("*/*.json")) + list(settings.data_dir.glob("*/*.txt"))


class Killed(BaseException):
    """The process stopping where the test says (as SIGINT's KeyboardInterrupt would)."""


@pytest.mark.parametrize("when", ["kept", "committed"])
@pytest.mark.parametrize("how", ["register", "add"])
def test_stopped_around_the_commit_the_account_opens_with_the_key_or_without(
    accounts: AccountService,
    database: Database,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    when: str,
    how: str,
) -> None:
    from app.services import account_keys
    from app.services import accounts as accounts_module
    from app.services.secret_keys import DeviceSecretKeys

    if how == "add":
        accounts.register("alice", STRONG_PASSWORD, STRONG_PASSWORD)
        active = accounts.login("alice", STRONG_PASSWORD, remember=False)
    if when == "kept":
        keep = DeviceSecretKeys.keep

        def kept_then_stopped(self: DeviceSecretKeys, user: User, key: bytes) -> object:
            keep(self, user, key)
            raise Killed

        monkeypatch.setattr(DeviceSecretKeys, "keep", kept_then_stopped)
    else:
        module = account_keys if how == "add" else accounts_module
        run = module.run_in_transaction

        def committed_then_stopped(sessions: object, work: object) -> object:
            run(sessions, work)
            raise Killed

        monkeypatch.setattr(module, "run_in_transaction", committed_then_stopped)
    if how == "add":
        with pytest.raises(Killed):
            accounts.add_secret_key(active, STRONG_PASSWORD)
    else:
        with pytest.raises(Killed):
            accounts.register("alice", STRONG_PASSWORD, STRONG_PASSWORD, secret_key=True)
    monkeypatch.undo()
    with database.sessions() as db:
        users = db.scalars(select(User)).all()
    if how == "register" and when == "kept":
        assert users == []  # nothing made: registering again works
        accounts.register("alice", STRONG_PASSWORD, STRONG_PASSWORD, secret_key=True)
    else:
        assert [bool(user.secret_key_id) for user in users] == [when == "committed"]
    # Never neither: this device opens the account, with its key or without one.
    assert accounts.login("alice", STRONG_PASSWORD, remember=False).username == "alice"
    # A copy of a key the account never took goes at that login; a taken one stays. (One left
    # by a registration that never happened names an id no account has, or the next one's.)
    copies = list((settings.data_dir / "secret-keys").glob(f"*-account-{row(database).id}.json"))
    assert len(copies) == (0 if how == "add" and when == "kept" else 1)


def test_deleting_the_account_removes_its_kit(accounts: AccountService, settings: Settings) -> None:
    kit = accounts.register("alice", STRONG_PASSWORD, STRONG_PASSWORD, secret_key=True).kit
    accounts.register("bob", STRONG_PASSWORD, STRONG_PASSWORD, secret_key=True)
    assert kit is not None
    assert kit.path is not None
    kits = settings.data_dir / "kits"
    # A kit named as before (by username alone), and a named pipe among them.
    (kits / "strongroom-kit-alice.txt").write_text(kit.path.read_text())
    os.mkfifo(kits / "strongroom-kit-pipe.txt")
    active = accounts.login("alice", STRONG_PASSWORD, remember=False)
    accounts.delete_account(active, STRONG_PASSWORD)
    left = sorted(path.name for path in kits.iterdir())
    assert len(left) == 2
    assert "strongroom-kit-pipe.txt" in left
    (bob,) = kits.glob("strongroom-kit-bob-*.txt")
    assert "Username:   bob" in bob.read_text()


def test_a_named_pipe_for_the_key_file_is_refused_at_once(
    accounts: AccountService, settings: Settings
) -> None:
    accounts.register("alice", STRONG_PASSWORD, STRONG_PASSWORD, secret_key=True)
    (path,) = (settings.data_dir / "secret-keys").iterdir()
    path.unlink()
    os.mkfifo(path, 0o600)
    with pytest.raises(SecretKeyFileError, match="is not a file"):
        accounts.login("alice", STRONG_PASSWORD, remember=False)

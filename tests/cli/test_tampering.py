"""What someone who can write the database, or a folder beside it, leaves for the installed
command to meet: a verifier whose bcrypt cost would hang every login, SQLite's side files
planted by another Unix user, and a saved login run against a database it does not belong to."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import text

from app.core.config import Settings
from app.services.database import describe_url
from tests.command_line import one_clean_line, strongroom
from tests.helpers import STRONG_PASSWORD, make_settings, rows, sql

LINES = f"alice\n{STRONG_PASSWORD}\n{STRONG_PASSWORD}\n"


def test_a_stored_bcrypt_cost_past_the_ceiling_is_refused_not_run(settings: Settings) -> None:
    """``$2b$31$`` written into the verifier would take bcrypt hours of CPU at every login: the
    login is refused at once, with the damaged account's one line. (The command's own timeout
    is only a guard: before the ceiling this test failed there, never by a measured time.)"""
    assert strongroom(settings, "register", stdin=LINES).returncode == 0
    [(verifier,)] = rows(settings, "SELECT verifier FROM users")
    assert isinstance(verifier, str)
    assert verifier.startswith("$2b$10$")
    sql(settings, text("UPDATE users SET verifier = :v").bindparams(v="$2b$31$" + verifier[7:]))

    refused = strongroom(settings, "login", stdin=LINES)
    assert refused.returncode != 0
    one_clean_line(refused.stderr)
    assert "stored password verifier is damaged, or its cost is outside" in refused.stderr
    # Nothing was re-hashed or otherwise "repaired" on the way.
    assert rows(settings, "SELECT verifier FROM users") == [("$2b$31$" + verifier[7:],)]
    # An unknown name still gets the one message a wrong password gets.
    unknown = strongroom(settings, "login", stdin=f"nobody\n{STRONG_PASSWORD}\n")
    assert "Wrong username or password." in unknown.stderr


@pytest.fixture
def shared_folder() -> Iterator[Path]:
    """A folder every user may write, as /tmp is (1777)."""
    folder = Path(tempfile.mkdtemp(prefix="strongroom-shared-"))
    folder.chmod(0o1777)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_sqlite_files_another_user_planted_are_refused(
    tmp_path: Path, other_user: str, shared_folder: Path
) -> None:
    """Another user creates ``vault.db-wal`` and ``-shm`` (0666) in a shared folder, to read
    the pages SQLite would write there (the verifier among them). The folder is refused, with
    one line naming it and why; once only its owner may write it, the planted files are refused
    in turn; and nothing is ever written into them."""
    settings = make_settings(tmp_path, f"sqlite:///{shared_folder / 'vault.db'}")
    plant = "umask 000 && : > vault.db-wal && : > vault.db-shm"
    subprocess.run(
        ["runuser", "-u", other_user, "--", "sh", "-c", plant], cwd=shared_folder, check=True
    )
    planted = [shared_folder / "vault.db-wal", shared_folder / "vault.db-shm"]
    assert all(path.stat().st_uid != os.getuid() for path in planted)

    refused = strongroom(settings, "register", stdin=LINES)
    assert refused.returncode == 5
    one_clean_line(refused.stderr)
    assert (
        f"The database's folder {shared_folder} could be written by other users (mode 1777)"
        in refused.stderr
    )
    assert not (shared_folder / "vault.db").exists()

    shared_folder.chmod(0o700)  # its owner closes it; what was planted is still there
    refused = strongroom(settings, "register", stdin=LINES)
    assert refused.returncode == 5
    one_clean_line(refused.stderr)
    assert f"The database file {planted[0]} belongs to another user" in refused.stderr
    assert [path.stat().st_size for path in planted] == [0, 0]

    for path in planted:
        path.unlink()
    assert strongroom(settings, "register", stdin=LINES).returncode == 0
    assert rows(settings, "SELECT username FROM users") == [("alice",)]


def test_a_saved_login_is_refused_unchanged_against_another_database(
    settings: Settings, tmp_path: Path
) -> None:
    """Logged in (remembered, unlocked) with database A, the same folders are run against
    database B: every command says so in one line and changes nothing (before, B found no
    such session, deleted the token file and left A's session open). Back on A, the session
    works as before."""
    assert strongroom(settings, "register", stdin=LINES).returncode == 0
    assert strongroom(settings, "login", "--remember", stdin=LINES).returncode == 0
    assert strongroom(settings, "add", "Mail", stdin="mail-secret\n").returncode == 0
    token = settings.token_path
    saved = (token.read_bytes(), token.stat().st_mtime_ns)
    [(session_key,)] = rows(settings, "SELECT vault_key_wrapped FROM sessions")
    assert session_key  # unlocked: the session row holds the wrapped vault key

    other = replace(settings, database_url=f"sqlite:///{tmp_path / 'b' / 'b.db'}")
    assert strongroom(other, "register", stdin=LINES).returncode == 0  # B has its own alice
    for args, stdin in (
        (("status",), ""),
        (("get", "Mail"), STRONG_PASSWORD + "\n"),
        (("logout",), ""),
        (("login", "--remember"), LINES),
    ):
        refused = strongroom(other, *args, stdin=stdin)
        assert refused.returncode == 5, (args, refused.stderr)
        one_clean_line(refused.stderr)
        assert (
            f"The saved login at {token} belongs to another database "
            f"({describe_url(settings.database_url)}), not to {describe_url(other.database_url)}; "
            "nothing was changed." in refused.stderr
        ), args
        assert refused.stdout in ("", f"database: {describe_url(other.database_url)}\n")
        assert (token.read_bytes(), token.stat().st_mtime_ns) == saved, args
    assert rows(other, "SELECT COUNT(*) FROM sessions") == [(0,)]
    assert rows(settings, "SELECT vault_key_wrapped FROM sessions") == [(session_key,)]

    status = strongroom(settings, "status")
    assert status.returncode == 0, status.stderr
    assert "user: alice, unlocked" in status.stdout
    got = strongroom(settings, "get", "Mail", "--no-input")
    assert (got.returncode, got.stdout) == (0, "mail-secret\n")


# -- the vault's integrity record: what a raw write to the rows leaves for the command ---------


def refused_as_tampered(settings: Settings, *args: str, stdin: str = "") -> str:
    """The command exits 8 with one clean line, printing nothing; that line."""
    done = strongroom(settings, *args, stdin=stdin)
    assert done.returncode == 8, (done.returncode, done.stdout, done.stderr)
    assert done.stdout == ""
    one_clean_line(done.stderr)
    return done.stderr


def two_items(settings: Settings) -> None:
    from app.core.items import ItemDraft
    from tests.pilot import seed

    seed(settings, ItemDraft("GitHub", "alice", "first-secret"), ItemDraft("Shop", "a", "shop-pw"))


def test_an_old_password_put_back_by_sql_is_damaged_never_served(settings: Settings) -> None:
    """The five steps: copy GitHub's password_sealed, change the password with `edit`, write
    the old blob back with one UPDATE: `get` exits 8 naming the item as damaged, and neither
    password is printed."""
    two_items(settings)
    [(old,)] = rows(settings, "SELECT password_sealed FROM items WHERE id = 1")
    edited = strongroom(settings, "edit", "GitHub", "--password", stdin="second-secret\n")
    assert edited.returncode == 0, edited.stderr
    assert strongroom(settings, "get", "GitHub").stdout == "second-secret\n"
    sql(settings, text("UPDATE items SET password_sealed = :old WHERE id = 1").bindparams(old=old))

    line = refused_as_tampered(settings, "get", "GitHub")
    assert "changed outside Strongroom: item #1 (GitHub) does not match" in line
    assert "shown as damaged: named by title where it still opens, nothing else of it" in line
    # Every command that reads the vault says so, not only a read of that item.
    assert "item #1 (GitHub)" in refused_as_tampered(settings, "get", "Shop")
    assert "item #1 (GitHub)" in refused_as_tampered(settings, "ls")
    log = settings.security_log_path.read_text()
    assert '"event": "tampering_detected"' in log
    assert "item 1" in log


def test_two_items_rows_swapped_are_both_damaged(settings: Settings) -> None:
    two_items(settings)
    columns = "title_sealed, username_sealed, password_sealed, urls_sealed, notes_sealed, "
    columns += "tags_sealed, totp_sealed, integrity_tag, version"
    first, second = rows(settings, f"SELECT {columns} FROM items ORDER BY id")  # noqa: S608 (constant names)
    names = [name.strip() for name in columns.split(",")]
    for item_id, values in ((1, second), (2, first)):
        assignments = ", ".join(f"{name} = :{name}" for name in names)
        statement = text(f"UPDATE items SET {assignments} WHERE id = {item_id}")  # noqa: S608 (constant names)
        sql(settings, statement.bindparams(**dict(zip(names, values, strict=True))))

    line = refused_as_tampered(settings, "get", "GitHub")
    assert "items #1, #2 do not match" in line


def test_a_deleted_row_is_told(settings: Settings) -> None:
    two_items(settings)
    sql(settings, text("DELETE FROM items WHERE id = 2"))
    line = refused_as_tampered(settings, "get", "GitHub")
    assert "an item was removed, added or put back" in line


def test_a_version_bumped_by_hand_is_damaged(settings: Settings) -> None:
    two_items(settings)
    sql(settings, text("UPDATE items SET version = version + 1 WHERE id = 2"))
    # Its title no longer opens either: the version is in every field's associated data.
    assert "item #2 does not match" in refused_as_tampered(settings, "get", "GitHub")


def test_a_row_put_back_whole_is_told(settings: Settings) -> None:
    """The whole row of an earlier version (its tag too) written back: every field opens and
    its own tag matches, but the vault's head does not."""
    two_items(settings)
    columns = "title_sealed, username_sealed, password_sealed, urls_sealed, notes_sealed, "
    columns += "tags_sealed, totp_sealed, integrity_tag, version"
    names = [name.strip() for name in columns.split(",")]
    [before] = rows(settings, f"SELECT {columns} FROM items WHERE id = 1")  # noqa: S608 (constant names)
    edited = strongroom(settings, "edit", "GitHub", "--password", stdin="second-secret\n")
    assert edited.returncode == 0, edited.stderr
    sql(settings, text("DELETE FROM password_history"))
    assignments = ", ".join(f"{name} = :{name}" for name in names)
    statement = text(f"UPDATE items SET {assignments} WHERE id = 1")  # noqa: S608 (constant names)
    sql(settings, statement.bindparams(**dict(zip(names, before, strict=True))))
    assert "removed, added or put back" in refused_as_tampered(settings, "get", "GitHub")


def test_one_accounts_item_put_under_another_is_told_to_both(settings: Settings) -> None:
    from app.core.items import ItemDraft
    from app.services.backend import Backend

    two_items(settings)
    other = make_settings(settings.config_dir.parent / "bob", settings.database_url)
    backend = Backend(other, device_label="bob's")
    try:
        accounts = backend.accounts()
        accounts.register("bob", "another strong passphrase", "another strong passphrase")
        bob = accounts.login("bob", "another strong passphrase", remember=True)
        backend.vault().add(bob, ItemDraft("Bob's", "bob", "bobs-pw"))
    finally:
        backend.close()
    sql(settings, text("UPDATE items SET user_id = 2 WHERE id = 1"))

    assert "removed, added or put back" in refused_as_tampered(settings, "get", "Shop")
    line = refused_as_tampered(other, "get", "Bob's")
    assert "item #1 does not match" in line  # its title does not open under Bob's key


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_older_copy_of_the_database_file_is_a_rollback(settings: Settings) -> None:
    """A copy of the SQLite file made before newer writes, put back: the device that saw them
    exits 8 with the date it saw them, until the restore is accepted with the master password
    (which the security log records)."""
    two_items(settings)
    path = Path(settings.database_url.removeprefix("sqlite:///"))
    copy = path.with_name("copy.db")
    shutil.copyfile(path, copy)
    added = strongroom(settings, "add", "Later", stdin="later-pw\n")
    assert added.returncode == 0, added.stderr  # its own write, remembered as it ends
    shutil.copyfile(copy, path)

    line = refused_as_tampered(settings, "get", "GitHub")
    assert "The database is older than what this device saw on 20" in line
    assert "strongroom db accept-restore" in line
    assert '"event": "rollback_detected"' in settings.security_log_path.read_text()

    refused = strongroom(settings, "db", "accept-restore", stdin="not the password\n")
    assert refused.returncode == 6
    one_clean_line(refused.stderr)
    assert strongroom(settings, "get", "GitHub").returncode == 8
    accepted = strongroom(settings, "db", "accept-restore", stdin=f"{STRONG_PASSWORD}\n")
    assert accepted.returncode == 0, accepted.stderr
    assert "(2 items)" in accepted.stdout
    assert strongroom(settings, "get", "GitHub").stdout == "first-secret\n"
    assert strongroom(settings, "get", "Later").returncode == 1  # gone with the restore
    assert '"event": "restore_accepted"' in settings.security_log_path.read_text()


def test_an_older_users_row_after_a_password_change_is_refused_at_login(
    settings: Settings,
) -> None:
    from app.services.backend import Backend

    two_items(settings)
    columns = "verifier, kdf_salt, vault_key_wrapped, account_mac, account_counter"
    names = [name.strip() for name in columns.split(",")]
    [before] = rows(settings, f"SELECT {columns} FROM users WHERE id = 1")  # noqa: S608 (constant names)
    backend = Backend(settings, device_label="seed")
    try:
        accounts = backend.accounts()
        active = accounts.login("alice", STRONG_PASSWORD, remember=True)
        new = "a brand new master passphrase"
        accounts.change_password(active, STRONG_PASSWORD, new, new)
    finally:
        backend.close()
    assignments = ", ".join(f"{name} = :{name}" for name in names)
    statement = text(f"UPDATE users SET {assignments} WHERE id = 1")  # noqa: S608 (constant names)
    sql(settings, statement.bindparams(**dict(zip(names, before, strict=True))))

    refused = strongroom(settings, "login", stdin=f"alice\n{STRONG_PASSWORD}\n")
    assert refused.returncode != 0
    one_clean_line(refused.stderr)
    assert "row is older than its vault" in refused.stderr


def test_a_warm_agent_never_answers_from_a_changed_row(
    settings: Settings, agent_runtime: Path
) -> None:
    """The agent keeps the listed vault between answers: after the five steps, the next answer
    checks the rows first and refuses (exit 8), instead of the value it held or the old one."""
    from tests.command_line import agent_socket

    two_items(settings)
    [(old,)] = rows(settings, "SELECT password_sealed FROM items WHERE id = 1")
    edited = strongroom(settings, "edit", "GitHub", "--password", stdin="second-secret\n")
    assert edited.returncode == 0, edited.stderr
    assert strongroom(settings, "get", "GitHub", agent=agent_runtime).returncode == 0
    agent_socket(agent_runtime)
    warm = strongroom(settings, "get", "GitHub", agent=agent_runtime)
    assert warm.stdout == "second-secret\n"
    assert "(agent)" in settings.security_log_path.read_text()  # the agent answered it
    reads = settings.security_log_path.read_text().count('"item_read"')

    sql(settings, text("UPDATE items SET password_sealed = :old WHERE id = 1").bindparams(old=old))
    refused = strongroom(settings, "get", "GitHub", agent=agent_runtime)
    refused_saying(refused, "item #1 (GitHub) does not match")
    assert settings.security_log_path.read_text().count('"item_read"') == reads


def test_a_warm_agent_refuses_once_another_row_is_removed_or_the_database_put_back(
    settings: Settings, agent_runtime: Path
) -> None:
    """The agent answers an item from its listing after a check that reads far less than the
    whole vault: what that check must still see, each from the installed command. Another
    item's row removed; then, after an edit from this device, every table put back exactly as
    the agent listed it (no row or head tells: this device's memory does)."""
    from tests.command_line import agent_socket

    two_items(settings)
    assert strongroom(settings, "get", "GitHub", agent=agent_runtime).returncode == 0
    agent_socket(agent_runtime)
    assert strongroom(settings, "get", "GitHub", agent=agent_runtime).stdout == "first-secret\n"
    tables = ("items", "password_history", "vault_heads")
    kept = {table: rows(settings, f"SELECT * FROM {table}") for table in tables}  # noqa: S608
    [(shop,)] = rows(settings, "SELECT id FROM items WHERE id = 2")

    sql(settings, text("DELETE FROM items WHERE id = :id").bindparams(id=shop))
    refused = strongroom(settings, "get", "GitHub", agent=agent_runtime)
    refused_saying(refused, "an item was removed, added or put back")

    put_back(settings, kept)
    assert strongroom(settings, "get", "GitHub", agent=agent_runtime).stdout == "first-secret\n"
    edited = strongroom(
        settings, "edit", "Shop", "--password", stdin="newer\n", agent=agent_runtime
    )
    assert edited.returncode == 0, edited.stderr
    put_back(settings, kept)
    refused = strongroom(settings, "get", "GitHub", agent=agent_runtime)
    refused_saying(refused, "older than what this device saw")


def put_back(settings: Settings, kept: dict[str, list[tuple[object, ...]]]) -> None:
    """Every row of these tables exactly as it was (``kept``, read with SELECT *)."""
    for table in ("password_history", "items", "vault_heads"):
        sql(settings, text(f"DELETE FROM {table}"))  # noqa: S608 (constant names)
    for table in ("vault_heads", "items", "password_history"):
        for row in kept[table]:
            names = ", ".join(f":c{index}" for index in range(len(row)))
            values = {f"c{index}": value for index, value in enumerate(row)}
            sql(settings, text(f"INSERT INTO {table} VALUES ({names})").bindparams(**values))  # noqa: S608


def refused_saying(refused: subprocess.CompletedProcess[str], says: str) -> None:
    """Exit 8 (the vault does not match its record), nothing on standard output, and one
    clean line on standard error that says ``says``."""
    assert refused.returncode == 8, (refused.stdout, refused.stderr)
    assert refused.stdout == ""
    one_clean_line(refused.stderr)
    assert says in refused.stderr


def test_a_value_of_a_type_strongroom_never_writes_is_told_never_a_traceback(
    sqlite_settings: Settings, agent_runtime: Path
) -> None:
    """SQLite keeps whatever a raw write puts in any column: text in an item's dates (those its
    tag covers, and those it does not), in a history entry's date, in the head's blob, or bytes
    that are no UTF-8 in a text column. Warm or not, each command that reads it exits 8 with
    one line (never the driver's message, which quotes the bytes); put back, the vault reads
    again."""
    from tests.command_line import agent_socket

    settings = sqlite_settings
    two_items(settings)
    edited = strongroom(settings, "edit", "GitHub", "--password", stdin="second-secret\n")
    assert edited.returncode == 0, edited.stderr
    assert strongroom(settings, "get", "GitHub", agent=agent_runtime).returncode == 0
    agent_socket(agent_runtime)
    [(head, created, notes)] = rows(
        settings,
        "SELECT h.head, i.created_at, i.notes_sealed FROM vault_heads h, items i WHERE i.id = 1",
    )
    [(replaced,)] = rows(settings, "SELECT replaced_at FROM password_history")
    kept = {"head": head, "created": created, "notes": notes, "replaced": replaced}
    reads = (("get", "GitHub"), ("ls",))
    type_said = "holds a value of a type Strongroom never writes"
    health = (("health",),)
    changes = [
        ("items SET deleted_at = 'not a date' WHERE id = 1", "items SET deleted_at = NULL WHERE id = 1", reads),  # noqa: E501
        ("vault_heads SET head = 'zz'", "vault_heads SET head = :head", reads),
        ("items SET created_at = 'garbage' WHERE id = 1", "items SET created_at = :created WHERE id = 1", health),  # noqa: E501
        ("password_history SET replaced_at = 'garbage'", "password_history SET replaced_at = :replaced", health),  # noqa: E501
        ("items SET notes_sealed = CAST(x'ff41' AS TEXT) WHERE id = 1", "items SET notes_sealed = :notes WHERE id = 1", reads),  # noqa: E501
    ]  # fmt: skip
    for change, back, commands in changes:
        said = "holds text that is not UTF-8" if "x'ff41'" in change else type_said
        sql(settings, text(f"UPDATE {change}"))
        for command in commands:
            refused = strongroom(settings, *command, agent=agent_runtime)
            refused_saying(refused, said)
            assert "Traceback" not in refused.stderr
            assert "garbage" not in refused.stderr
            assert "\ufffdA" not in refused.stderr  # the undecodable bytes, quoted
        names = [name for name in kept if f":{name}" in back]
        sql(settings, text(f"UPDATE {back}").bindparams(**{n: kept[n] for n in names}))
        again = strongroom(settings, "get", "GitHub")
        assert again.stdout == "second-secret\n", (change, again.stderr)
    assert settings.security_log_path.read_text().count('"tampering_detected"') >= 4


def test_a_value_strongroom_never_writes_in_the_account_or_its_sessions_is_exit_8(
    sqlite_settings: Settings,
) -> None:
    """Past the vault: text in a date of the account's row or of this device's session, in the
    key settings read at login, or in the database's own id. Each command that meets it exits
    8 with one line, never the driver's parse error (which quotes the value) nor exit 70; put
    back, the command works again."""
    settings = sqlite_settings
    two_items(settings)
    [(created, memory)] = rows(settings, "SELECT created_at, kdf_memory_kib FROM users")
    [(expires, used)] = rows(settings, "SELECT expires_at, last_used_at FROM sessions")
    [(database_id,)] = rows(settings, "SELECT value FROM app_keys WHERE name = 'database_id'")
    kept = {"created": created, "memory": memory, "expires": expires, "used": used}
    kept["id"] = database_id
    account = "a column of this account holds a value of a type Strongroom never writes"
    remembered, login = ("ls",), ("login",)
    changes = [
        ("users SET created_at = 'garbage'", "users SET created_at = :created", remembered, account),  # noqa: E501
        ("sessions SET expires_at = 'garbage'", "sessions SET expires_at = :expires", remembered, account),  # noqa: E501
        ("sessions SET last_used_at = 'garbage'", "sessions SET last_used_at = :used", remembered, account),  # noqa: E501
        ("app_keys SET value = 'garbage'", "app_keys SET value = :id", remembered, "its id (in app_keys) is not a value Strongroom writes"),  # noqa: E501
        ("users SET kdf_memory_kib = 'garbage'", "users SET kdf_memory_kib = :memory", login, account),  # noqa: E501
    ]  # fmt: skip
    for change, back, command, said in changes:
        if command == login:
            assert strongroom(settings, "logout").returncode == 0
        sql(settings, text(f"UPDATE {change}"))
        refused = strongroom(settings, *command, stdin=f"alice\n{STRONG_PASSWORD}\n")
        refused_saying(refused, said)
        assert "garbage" not in refused.stderr
        names = [name for name in kept if f":{name}" in back]
        sql(settings, text(f"UPDATE {back}").bindparams(**{n: kept[n] for n in names}))
        if command == login:
            again = strongroom(settings, "login", "--remember", stdin=f"alice\n{STRONG_PASSWORD}\n")
            assert again.returncode == 0, (change, again.stderr)
        listed = strongroom(settings, "ls")
        assert listed.returncode == 0, (change, listed.stderr)
        assert "GitHub" in listed.stdout


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ("sessions SET user_id = 4611686018427387904", "saved login belongs to no account"),
        ("users SET id = 99", "saved login belongs to no account"),
        ("sessions SET user_id = X'ff00'", "a column of this account holds a value"),
        ("users SET username_key = X'ff00'", "a column of this account holds a value"),
        ("users SET kdf_algorithm = X'ff00'", "a column of this account holds a value"),
        ("sessions SET device_label = X'1b5b326a'", "a column of this account holds a value"),
    ],
)
def test_a_session_of_no_account_or_a_blob_in_the_account_is_exit_8_and_logout_still_works(
    sqlite_settings: Settings, change: str, said: str
) -> None:
    """Planted by raw SQL: a session whose account is gone (deleting an account deletes its
    sessions, so only a raw write does this), or bytes where the account keeps text. Each
    command exits 8 with one line that quotes nothing planted (never exit 70); and logging out
    still works on this device: the token file goes, said in the same line."""
    settings = sqlite_settings
    two_items(settings)
    sql(settings, text(f"UPDATE {change}"))
    for command in (("ls",), ("get", "GitHub")):
        refused = strongroom(settings, *command)
        refused_saying(refused, said)
        assert "\\x" not in refused.stderr
        assert "4611686018427387904" not in refused.stderr
    status = strongroom(settings, "status")  # (its first line, the database, is printed)
    assert status.returncode == 8, status.stderr
    one_clean_line(status.stderr)
    export = ("export", "--format", "keepassxc-csv", "-o", str(settings.data_dir / "out.csv"))
    refused_saying(strongroom(settings, *export, stdin=f"{STRONG_PASSWORD}\n"), said)
    logout = strongroom(settings, "logout")
    refused_saying(logout, said)
    assert "This device no longer remembers you." in logout.stderr
    assert not settings.token_path.exists()
    status = strongroom(settings, "status")
    assert status.returncode == 4
    assert "not logged in" in status.stdout


def test_a_username_changed_alone_is_refused_by_the_saved_login_and_at_login(
    settings: Settings,
) -> None:
    """Raw SQL renames the account, its username key (which the account's MAC covers and the
    login finds it by) left alone: no command answers under the planted name. The saved login
    is refused (a read asks for a login), a login is exit 8 saying the database was tampered
    with, and with the name put back the login and the reads work again."""
    two_items(settings)
    sql(settings, text("UPDATE users SET username = 'mallory'"))
    listed = strongroom(settings, "ls")
    assert listed.returncode != 0
    assert "GitHub" not in listed.stdout
    assert "mallory" not in listed.stdout + listed.stderr
    refused = strongroom(settings, "login", stdin=f"alice\n{STRONG_PASSWORD}\n")
    refused_saying(refused, "not the one it was registered under")
    assert "mallory" not in refused.stderr
    sql(settings, text("UPDATE users SET username = 'alice'"))
    again = strongroom(settings, "login", "--remember", stdin=f"alice\n{STRONG_PASSWORD}\n")
    assert again.returncode == 0, again.stderr
    assert "GitHub" in strongroom(settings, "ls").stdout

"""The vault's integrity record (app.services.integrity), on SQLite and MariaDB: every honest
write keeps it, and what someone who can write the database changes behind Strongroom's back
(a field, a history entry, a row, the record itself, the account row, the whole database) is
told, never read as the vault's own."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, insert, select, update

from app.core import crypto
from app.core.accounts import ActiveSession
from app.core.config import Settings
from app.core.errors import AccountDataError, VaultRolledBack, VaultTampered
from app.core.items import CustomField, HistoryEntry, ImportedItem, ItemDraft
from app.models import PasswordHistory, User, VaultHead, VaultItem
from app.services.accounts import AccountService
from app.services.backend import Backend
from app.services.bulk import import_items
from app.services.database import Database
from app.services.seen import SeenStore
from app.services.vault import VaultService
from tests.galera import GaleraCluster
from tests.helpers import FAST_SECURITY, STRONG_PASSWORD, FakeClock
from tests.services.conftest import raw

NEW_PASSWORD = "a brand new master passphrase"


def counter(database: Database, user_id: int) -> int:
    with database.sessions() as db:
        return int(db.scalar(select(VaultHead.counter).where(VaultHead.user_id == user_id)) or 0)


def test_every_honest_write_keeps_the_record(
    vault: VaultService,
    alice: ActiveSession,
    accounts: AccountService,
    database: Database,
    clock: FakeClock,
) -> None:
    """Add, edit (a password history), custom fields, trash, restore, delete for good, the
    trash's expiry, an import (with history, and trashed), a password change and a rotation:
    after each the vault reads clean, and the counter only went up."""
    counters = [counter(database, alice.user_id)]

    def clean() -> None:
        vault.list_items(alice)
        vault.list_items(alice, trash=True)
        counters.append(counter(database, alice.user_id))
        assert counters[-1] > counters[-2]

    one = vault.add(alice, ItemDraft("One", "a", "pw-1"))
    clean()
    one = vault.update(alice, one.id, one.version, ItemDraft("One", "a", "pw-2"))
    clean()
    pin = CustomField("PIN", "1234", secret=True)
    one = vault.update(alice, one.id, one.version, ItemDraft("One", "a", "pw-3", fields=(pin,)))
    clean()
    two = vault.add(alice, ItemDraft("Two", password="two"))
    vault.trash(alice, two.id)
    clean()
    vault.restore(alice, two.id)
    clean()
    vault.trash(alice, two.id)
    vault.purge(alice, two.id)
    clean()
    three = vault.add(alice, ItemDraft("Three"))
    vault.trash(alice, three.id)
    clock.advance(days=31)
    assert vault.purge_expired(alice) == 1
    clean()
    old = HistoryEntry("imported-old", clock())
    entries = [
        ImportedItem(ItemDraft("Imported", password="new"), (old,)),
        ImportedItem(ItemDraft("Binned", password="x"), trashed_at=clock()),
    ]
    assert import_items(vault, alice, entries) == (2, 0)
    clean()
    accounts.change_password(alice, STRONG_PASSWORD, NEW_PASSWORD, NEW_PASSWORD)
    clean()
    rotated, _ = accounts.rotate_vault_key(alice, NEW_PASSWORD)
    vault.list_items(rotated)
    vault.list_items(rotated, trash=True)
    assert counter(database, alice.user_id) > counters[-1]
    listed = {item.title: item for item in vault.list_items(rotated)}
    assert listed["One"].password == "pw-3"
    assert listed["One"].fields == (pin,)
    assert [h.password for h in vault.history(rotated, listed["One"].id)] == ["pw-2", "pw-1"]
    assert [h.password for h in vault.history(rotated, listed["Imported"].id)] == ["imported-old"]
    # And the account row still opens: its MAC and the head agree on its counter.
    accounts.login("alice", NEW_PASSWORD, remember=False)


def test_an_account_from_before_the_record_is_resealed_at_its_first_read(
    vault: VaultService, alice: ActiveSession, database: Database, clock: FakeClock
) -> None:
    """Rows as an older Strongroom wrote them (fields under their first associated data, no
    tag, no head): the first read tags them all, binds every field to its version, and they
    open as before."""
    cipher = crypto.FieldCipher(alice.vault_key)
    with database.sessions.begin() as db:
        row = VaultItem(
            user_id=alice.user_id, version=3, created_at=clock(), updated_at=clock(), favourite=1
        )
        for name in ("title", "username", "password", "urls", "notes", "tags", "totp"):
            setattr(row, f"{name}_sealed", b"")
        db.add(row)
        db.flush()
        item_id = row.id
    plain = {"title": "Legacy", "username": "me", "password": "old-pw"}
    for name in ("title", "username", "password", "urls", "notes", "tags", "totp"):
        sealed = cipher.seal(plain.get(name, ""), crypto.field_aad(alice.user_id, item_id, name))
        raw(
            database,
            update(VaultItem)
            .where(VaultItem.id == item_id)
            .values({f"{name}_sealed": sealed, "version": 3}),
        )
    raw(database, delete(VaultHead))

    (item,) = vault.list_items(alice)
    assert (item.title, item.username, item.password) == ("Legacy", "me", "old-pw")
    assert item.favourite
    with database.sessions() as db:
        stored = db.get_one(VaultItem, item_id)
        assert stored.integrity_tag is not None
        with pytest.raises(crypto.CryptoError):  # no longer under the first associated data
            cipher.open(
                stored.password_sealed, crypto.field_aad(alice.user_id, item_id, "password")
            )
    assert counter(database, alice.user_id) == 1
    updated = vault.update(alice, item_id, item.version, ItemDraft("Legacy", password="new-pw"))
    assert updated.password == "new-pw"
    assert [h.password for h in vault.history(alice, item_id)] == ["old-pw"]


def test_a_history_entry_removed_or_changed_is_told(
    vault: VaultService, alice: ActiveSession, database: Database
) -> None:
    item = vault.add(alice, ItemDraft("One", password="pw-1"))
    item = vault.update(alice, item.id, item.version, ItemDraft("One", password="pw-2"))
    vault.update(alice, item.id, item.version, ItemDraft("One", password="pw-3"))
    raw(database, delete(PasswordHistory).where(PasswordHistory.id == 1))
    with pytest.raises(VaultTampered) as raised:
        vault.list_items(alice)
    assert raised.value.damaged == (item.id,)
    (damaged,) = raised.value.items
    assert damaged.damage is not None
    assert damaged.title == f"Damaged item #{item.id}"
    assert damaged.password == ""  # never opened


def test_a_write_never_seals_over_a_changed_row(
    vault: VaultService, alice: ActiveSession, database: Database
) -> None:
    """An edit or a trash of an item changed outside Strongroom is refused (it would tag what
    someone else put there as the vault's own), and nothing is written."""
    item = vault.add(alice, ItemDraft("One", password="pw-1"))
    other = vault.add(alice, ItemDraft("Two", password="pw-2"))
    with database.sessions() as db:
        theirs = db.get_one(VaultItem, other.id).password_sealed
    raw(database, update(VaultItem).where(VaultItem.id == item.id).values(password_sealed=theirs))
    before = counter(database, alice.user_id)
    with pytest.raises(VaultTampered, match=f"item #{item.id} does not match"):
        vault.update(alice, item.id, item.version, ItemDraft("One", password="mine"))
    with pytest.raises(VaultTampered):
        vault.trash(alice, item.id)
    assert counter(database, alice.user_id) == before
    with database.sessions() as db:
        assert db.get_one(VaultItem, item.id).password_sealed == theirs


def test_the_record_itself_changed_or_removed_is_told(
    vault: VaultService, alice: ActiveSession, database: Database
) -> None:
    vault.add(alice, ItemDraft("One"))
    raw(database, update(VaultHead).values(counter=VaultHead.counter + 5))
    with pytest.raises(VaultTampered, match="integrity record was changed outside"):
        vault.list_items(alice)
    raw(database, delete(VaultHead))
    fresh = VaultService(database.sessions)  # a device that saw nothing
    with pytest.raises(VaultTampered, match="integrity record is missing"):
        fresh.list_items(alice)
    with pytest.raises(VaultRolledBack):  # this device saw it
        vault.list_items(alice)


def test_a_database_put_back_as_it_was_is_a_rollback_to_the_device_that_saw_more(
    vault: VaultService, alice: ActiveSession, database: Database, seen: SeenStore
) -> None:
    """Every row (the record's too) as it was before two writes: each row and the head agree,
    so no MAC can tell; the device that saw the newer counter does, with the date it saw it.
    Accepted, the record begins again above both."""
    item = vault.add(alice, ItemDraft("One", password="pw-1"))
    with database.sessions() as db:
        items = [dict(r._mapping) for r in db.execute(select(VaultItem.__table__))]
        heads = [dict(r._mapping) for r in db.execute(select(VaultHead.__table__))]
    vault.update(alice, item.id, item.version, ItemDraft("One", password="pw-2"))
    vault.add(alice, ItemDraft("Two"))
    raw(database, delete(VaultItem))
    raw(database, delete(VaultHead))
    with database.engine.begin() as connection:
        connection.execute(insert(VaultItem), items)
        connection.execute(insert(VaultHead), heads)

    assert len(VaultService(database.sessions).list_items(alice)) == 1  # another device: fine
    with pytest.raises(VaultRolledBack, match="older than what this device saw on 20"):
        vault.list_items(alice)
    saw = seen.load(alice.user_id)
    assert saw is not None
    assert vault.accept_restore(alice) == 1
    (back,) = vault.list_items(alice)
    assert back.password == "pw-1"
    after = seen.load(alice.user_id)
    assert after is not None
    assert after.counter > saw.counter


def test_the_account_row_of_another_account_or_an_older_one_is_refused_at_login(
    accounts: AccountService, alice: ActiveSession, database: Database
) -> None:
    """Bob's verifier, salt, settings and wrapped key copied into Alice's row (so Bob's
    password would pass her verifier): refused. Her row from before a password change put
    back: refused. Her row with its MAC taken away: refused."""
    columns = [
        "verifier",
        "kdf_salt",
        "kdf_memory_kib",
        "kdf_iterations",
        "kdf_parallelism",
        "vault_key_wrapped",
        "vault_key_check",
        "account_mac",
        "account_counter",
    ]

    def row(user_id: int) -> dict[str, object]:
        with database.sessions() as db:
            user = db.get_one(User, user_id)
            return {name: getattr(user, name) for name in columns}

    def put(user_id: int, values: dict[str, object]) -> None:
        raw(database, update(User).where(User.id == user_id).values(**values))

    mine = row(alice.user_id)
    accounts.register("bob", "another strong passphrase", "another strong passphrase")
    bob = accounts.login("bob", "another strong passphrase", remember=False)
    put(alice.user_id, row(bob.user_id))
    with pytest.raises(AccountDataError, match="do not belong together"):
        accounts.login("alice", "another strong passphrase", remember=False)
    put(alice.user_id, mine)
    accounts.login("alice", STRONG_PASSWORD, remember=False)

    accounts.change_password(alice, STRONG_PASSWORD, NEW_PASSWORD, NEW_PASSWORD)
    newest = row(alice.user_id)
    put(alice.user_id, mine)
    with pytest.raises(AccountDataError, match="row is older than its vault"):
        accounts.login("alice", STRONG_PASSWORD, remember=False)
    put(alice.user_id, newest | {"account_mac": None})
    with pytest.raises(AccountDataError, match="do not belong together"):
        accounts.login("alice", NEW_PASSWORD, remember=False)
    put(alice.user_id, newest)
    accounts.login("alice", NEW_PASSWORD, remember=False)


def test_a_device_memory_is_owner_only_and_only_rises(tmp_path: Path) -> None:
    store = SeenStore(tmp_path / "seen.json", "db")
    now = FakeClock()()
    store.record(1, 5, b"x" * 32, now)
    store.record(1, 3, b"y" * 32, now + timedelta(days=1))  # lower: kept as it was
    saw = store.load(1)
    assert saw is not None
    assert (saw.counter, saw.head, saw.seen_at) == (5, b"x" * 32, now)
    assert (tmp_path / "seen.json").stat().st_mode & 0o777 == 0o600
    (tmp_path / "seen.json").chmod(0o644)  # others could have written it: not trusted
    assert store.load(1) is None
    assert SeenStore(tmp_path / "seen.json", "another database").load(1) is None


# -- two devices at once: no false alarm ------------------------------------------------------

DEVICE = """
import sys, time
from pathlib import Path
from app.core.config import Settings
from app.core.errors import EditConflict, VaultTampered
from app.core.items import ItemDraft
from app.services.backend import Backend
from tests.helpers import FAST_SECURITY, STRONG_PASSWORD

url, folder, title, rounds, start = sys.argv[1:6]
backend = Backend(Settings(Path(folder) / "c", Path(folder) / "d", url, FAST_SECURITY))
active = backend.accounts().login("alice", STRONG_PASSWORD, remember=False)
vault = backend.vault()
while not Path(start).exists():
    time.sleep(0.005)
alarms = 0
for number in range(int(rounds)):
    try:
        items = vault.list_items(active)
        mine = next(item for item in items if item.title == title)
        vault.update(active, mine.id, mine.version, ItemDraft(title, password=str(number)))
        shared = next(item for item in vault.list_items(active) if item.title == "Shared")
        try:
            vault.update(active, shared.id, shared.version, ItemDraft("Shared", password=title))
        except EditConflict:
            pass  # the other device saved it first: honest, and not an alarm
        if number % 10 == 0:
            vault.add(active, ItemDraft(f"{title} {number}"))
        vault.verify(active)
    except VaultTampered as error:
        alarms += 1
        print(error.message, file=sys.stderr)
print(alarms)
"""


def two_devices(urls: tuple[str, str], tmp_path: Path) -> None:
    """Laptop and Desktop, each a process of its own on its URL, 50 rounds at once; each must
    end well and count no alarm."""
    start = tmp_path / "start"
    root = Path(__file__).resolve().parents[2]
    devices = [
        subprocess.Popen(
            [sys.executable, "-c", DEVICE, url, str(tmp_path / title), title, "50", str(start)],
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(root)},
        )
        for url, title in zip(urls, ("Laptop", "Desktop"), strict=True)
    ]
    time.sleep(0.5)  # both logged in and waiting (not a timing assertion: either order works)
    start.touch()
    results = [device.communicate(timeout=600) for device in devices]
    for device, (out, err) in zip(devices, results, strict=True):
        assert device.returncode == 0, err
        assert out.strip() == "0", err


def every_save_is_there(vault: VaultService, alice: ActiveSession) -> None:
    items = {item.title: item for item in vault.list_items(alice)}
    assert items["Laptop"].password == items["Desktop"].password == "49"
    assert items["Shared"].password in ("Laptop", "Desktop")
    assert set(items) == {
        "Laptop",
        "Desktop",
        "Shared",
        *(f"{title} {number}" for title in ("Laptop", "Desktop") for number in range(0, 50, 10)),
    }


def test_two_devices_fifty_rounds_at_once_raise_no_false_alarm(
    vault: VaultService, alice: ActiveSession, database: Database, tmp_path: Path
) -> None:
    """Two processes, each its own device (its own memory of the vault), each saving its own
    item, both saving one shared item, adding, and reading the whole vault, 50 rounds at once:
    not one warning."""
    for title in ("Laptop", "Desktop", "Shared"):
        vault.add(alice, ItemDraft(title))
    url = database.engine.url.render_as_string(False)
    two_devices((url, url), tmp_path)
    every_save_is_there(vault, alice)
    assert counter(database, alice.user_id) > 100


@pytest.mark.mariadb
@pytest.mark.galera
def test_two_devices_on_two_galera_nodes_fifty_rounds_at_once_raise_no_false_alarm(
    galera: GaleraCluster, galera_db: str, tmp_path: Path
) -> None:
    """The same on a Galera cluster: Laptop on node 1, Desktop on node 2, a commit refused by
    certification run again; the vault read back through node 3 holds every save."""
    third = Backend(
        Settings(tmp_path / "c", tmp_path / "d", galera.node_url(2, galera_db), FAST_SECURITY)
    )
    third.accounts().register("alice", STRONG_PASSWORD, STRONG_PASSWORD)
    active = third.accounts().login("alice", STRONG_PASSWORD, remember=False)
    vault = third.vault()
    for title in ("Laptop", "Desktop", "Shared"):
        vault.add(active, ItemDraft(title))
    two_devices((galera.node_url(0, galera_db), galera.node_url(1, galera_db)), tmp_path)
    every_save_is_there(vault, active)
    rows = galera.sql(2, "SELECT counter FROM vault_heads", galera_db)
    assert int(str(rows[0][0])) > 100
    third.close()


def test_a_burst_of_writes_is_remembered_at_once_here_and_written_once_soon_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """This process sees each noted write at once; the file (what another process of this
    device reads) gets the burst's highest in one write, FLUSH_DELAY later."""
    from app.core.files import write_private_file

    writes: list[bytes] = []

    def counted(path: Path, content: bytes) -> None:
        if path.parent == tmp_path:  # (not another test's store, still writing in this process)
            writes.append(content)
        write_private_file(path, content)

    monkeypatch.setattr("app.services.seen.write_private_file", counted)
    # Long enough that even a loaded machine notes the whole burst before it ends.
    monkeypatch.setattr(SeenStore, "FLUSH_DELAY", 2.0)
    here = SeenStore(tmp_path / "seen.json", "db")
    elsewhere = SeenStore(tmp_path / "seen.json", "db")
    now = FakeClock()()
    for counter in range(1, 11):
        here.note(1, counter, bytes([counter]) * 32, now)
        saw = here.load(1)
        assert saw is not None
        assert saw.counter == counter
    here.note(1, 4, b"old" * 8, now)  # a lower one noted late changes nothing
    assert elsewhere.load(1) is None
    for _ in range(400):
        if elsewhere.load(1) is not None:
            break
        time.sleep(0.05)
    saw = elsewhere.load(1)
    assert saw is not None
    assert (saw.counter, saw.head) == (10, bytes([10]) * 32)
    assert len(writes) == 1


def test_a_noted_write_is_in_the_file_when_the_process_ends(tmp_path: Path) -> None:
    """A command that saves and exits at once (before FLUSH_DELAY) has written it."""
    path = tmp_path / "seen.json"
    code = (
        "import sys; from datetime import UTC, datetime; from pathlib import Path; "
        "from app.services.seen import SeenStore; "
        "SeenStore(Path(sys.argv[1]), 'db').note(1, 7, b'h' * 32, datetime.now(UTC))"
    )
    subprocess.run([sys.executable, "-c", code, str(path)], check=True, timeout=60)
    saw = SeenStore(path, "db").load(1)
    assert saw is not None
    assert saw.counter == 7


def test_the_exits_flush_waits_for_the_writer_threads_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer thread took the noted counter and is still writing it (a slow disk) when
    the process ends: the exit's flush waits for that write, so the file has it (the thread, a
    daemon, would otherwise die with the process before writing)."""
    import threading

    from app.core.files import write_private_file

    writing, go_on = threading.Event(), threading.Event()

    def slow(path: Path, content: bytes) -> None:
        writing.set()
        go_on.wait(10)
        write_private_file(path, content)

    monkeypatch.setattr("app.services.seen.write_private_file", slow)
    monkeypatch.setattr(SeenStore, "FLUSH_DELAY", 0.0)
    store = SeenStore(tmp_path / "seen.json", "db")
    store.note(1, 9, b"h" * 32, FakeClock()())
    assert writing.wait(10)  # the writer thread is inside its write
    threading.Timer(0.3, go_on.set).start()
    store.flush()  # what atexit runs
    saw = SeenStore(tmp_path / "seen.json", "db").load(1)
    assert saw is not None
    assert saw.counter == 9

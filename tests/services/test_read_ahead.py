"""A login's read ahead of the vault (app.services.read_ahead), as the database sees it: the
listing after a login takes the rows read during the KDF only while they are still the
database's, and checks them against the integrity record as it checks its own reads."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from app.core.config import Settings
from app.core.errors import VaultTampered
from app.core.items import ItemDraft
from app.services import read_ahead
from app.services.backend import Backend
from tests.helpers import STRONG_PASSWORD, rows, sql
from tests.pilot import seed


@pytest.fixture
def backend(settings: Settings) -> Iterator[Backend]:
    seed(settings, ItemDraft("Mail", password="one"), ItemDraft("Bank", password="two"))
    opened = Backend(settings, device_label="app", reads_ahead=True)
    yield opened
    opened.close()


def _item_reads(engine: Engine) -> list[str]:
    """Every statement that reads the items table from now on."""
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM items" in statement:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    return seen


def _logged_in(backend: Backend, name: str = "alice") -> object:
    active = backend.accounts().login(name, STRONG_PASSWORD, remember=False)
    pending = backend.vault()._ahead
    assert pending is not None  # started by the login
    pending.result(timeout=30)  # the read is done: what follows reads the database or not
    return active


def _engine(backend: Backend) -> Engine:
    return backend._open().engine


def test_the_listing_after_a_login_takes_the_read_made_during_it(backend: Backend) -> None:
    active = _logged_in(backend)
    reads = _item_reads(_engine(backend))
    items = backend.vault().list_items(active)  # type: ignore[arg-type]
    assert sorted(item.title for item in items) == ["Bank", "Mail"]
    assert {item.title: item.password for item in items} == {"Bank": "two", "Mail": "one"}
    assert reads == []  # the rows came from the read ahead
    backend.vault().list_items(active)  # type: ignore[arg-type]
    assert len(reads) == 1  # once taken, it is gone: the next listing reads


def test_a_write_after_the_read_ahead_is_listed(backend: Backend, settings: Settings) -> None:
    """Another device saves between the read ahead and the listing: the head has moved, so
    the listing reads again and shows the save."""
    active = _logged_in(backend)
    other = Backend(settings, device_label="phone")
    phone = other.accounts().login("alice", STRONG_PASSWORD, remember=False)
    other.vault().add(phone, ItemDraft("Saved on the phone", password="three"))
    other.close()
    reads = _item_reads(_engine(backend))
    items = backend.vault().list_items(active)  # type: ignore[arg-type]
    assert "Saved on the phone" in {item.title for item in items}
    assert reads != []


def test_a_row_changed_outside_strongroom_is_found_in_the_read_ahead(
    backend: Backend, settings: Settings
) -> None:
    """Raw SQL gives Mail the sealed password of Bank before the login: the rows read
    ahead are checked as any read is, and the listing says the vault was tampered with."""
    (first, _), (_, sealed) = rows(settings, "SELECT id, password_sealed FROM items ORDER BY id")
    sql(
        settings,
        text("UPDATE items SET password_sealed = :p WHERE id = :i").bindparams(p=sealed, i=first),
    )
    active = _logged_in(backend)
    reads = _item_reads(_engine(backend))
    with pytest.raises(VaultTampered):
        backend.vault().list_items(active)  # type: ignore[arg-type]
    assert reads == []  # found in the rows read ahead


def test_a_change_after_the_read_ahead_is_found_by_the_next_listing(
    backend: Backend, settings: Settings
) -> None:
    """A raw write that leaves the head alone, made after the read ahead: the listing shows
    the vault as it was read a moment before, and the next listing finds the change."""
    active = _logged_in(backend)
    sql(settings, text("UPDATE items SET favourite = 1 - favourite"))
    backend.vault().list_items(active)  # type: ignore[arg-type]
    with pytest.raises(VaultTampered):
        backend.vault().list_items(active)  # type: ignore[arg-type]


def test_an_old_read_ahead_is_not_used(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    active = _logged_in(backend)
    monkeypatch.setattr(read_ahead, "AHEAD_SECONDS", -1.0)
    reads = _item_reads(_engine(backend))
    assert len(backend.vault().list_items(active)) == 2  # type: ignore[arg-type]
    assert reads != []


def test_a_read_ahead_of_another_account_is_not_used(backend: Backend, settings: Settings) -> None:
    """A failed login as alice reads her vault ahead; bob's listing, which comes next on
    the same service, reads his own vault."""
    from app.core.errors import LoginFailed

    other = Backend(settings, device_label="bob's")
    other.accounts().register("bob", STRONG_PASSWORD, STRONG_PASSWORD)
    bob = other.accounts().login("bob", STRONG_PASSWORD, remember=False)
    other.close()
    with pytest.raises(LoginFailed):
        backend.accounts().login("alice", "not the password at all", remember=False)
    pending = backend.vault()._ahead
    assert pending is not None
    assert pending.result(timeout=30) is not None  # alice's rows, read
    reads = _item_reads(_engine(backend))
    assert backend.vault().list_items(bob) == []
    assert reads != []


def test_the_command_line_reads_nothing_ahead(settings: Settings) -> None:
    """Only the app lists right after a login: another Backend's login starts no read."""
    seed(settings, ItemDraft("Mail", password="one"))
    plain = Backend(settings, device_label="command line")
    plain.accounts().login("alice", STRONG_PASSWORD, remember=False)
    assert plain.vault()._ahead is None
    plain.close()


@pytest.mark.parametrize("when", ["before the login", "during the KDF"])
def test_an_older_copy_of_the_database_put_back_is_a_rollback_with_the_read_ahead(
    sqlite_settings: Settings, when: str
) -> None:
    """The SQLite file copied, a newer write that this device saw, the copy put back: before
    the login (the rows read ahead are the old ones, checked against what this device saw) or
    during its KDF, after the read (the head has moved back: read again). Either way the
    listing after the login is a rollback, never the old vault shown as current."""
    import shutil
    from pathlib import Path

    from app.core.errors import VaultRolledBack

    settings = sqlite_settings
    seed(settings, ItemDraft("Mail", password="one"))
    path = Path(settings.database_url.removeprefix("sqlite:///"))
    shutil.copyfile(path, path.with_name("copy.db"))
    earlier = Backend(settings, device_label="app")
    first = earlier.accounts().login("alice", STRONG_PASSWORD, remember=False)
    earlier.vault().add(first, ItemDraft("Later", password="two"))  # seen here as it is saved
    earlier.close()  # its memory written, the file whole (no write left in SQLite's WAL)
    backend = Backend(settings, device_label="app", reads_ahead=True)

    def put_back() -> None:
        shutil.copyfile(path.with_name("copy.db"), path)

    try:
        if when == "before the login":
            put_back()
            active = _logged_in(backend)
        else:
            credentials = backend.accounts()._credentials
            check = credentials.check

            def checked(*args: Any) -> Any:
                keys = check(*args)
                pending = backend.vault()._ahead
                assert pending is not None
                pending.result(timeout=30)  # the rows are read: now the file goes back
                put_back()
                _engine(backend).dispose()  # SQLite's open connections would keep their pages
                return keys

            credentials.check = checked  # type: ignore[method-assign,assignment]
            active = backend.accounts().login("alice", STRONG_PASSWORD, remember=False)
        reads = _item_reads(_engine(backend))
        with pytest.raises(VaultRolledBack):
            backend.vault().list_items(active)  # type: ignore[arg-type]
        # Before the login, the old rows read ahead are the ones checked; during, read again.
        assert (reads == []) == (when == "before the login")
    finally:
        backend.close()


def test_a_throttled_unlock_reads_nothing_ahead(backend: Backend) -> None:
    """Only a check that runs reads the vault ahead: an unlock refused by the throttle before
    its KDF (five wrong passwords first) starts no read."""
    from app.core.errors import LoginFailed, LoginThrottled

    active = backend.accounts().login("alice", STRONG_PASSWORD, remember=True)
    guesses = 0
    while True:
        backend.vault()._ahead = None
        try:
            backend.accounts().unlock(active.user_id, active.session_id, "wrong guess here")
        except LoginThrottled:
            break
        except LoginFailed:
            guesses += 1
            assert backend.vault()._ahead is not None  # a checked guess reads ahead
        assert guesses <= 10, "never throttled"
    assert guesses >= 1
    assert backend.vault()._ahead is None

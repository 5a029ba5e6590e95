"""The local token file: owner-only, refused when it is not."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.crypto import new_session_token
from app.services.tokens import (
    DatabaseIdentity,
    SavedLoginElsewhere,
    TokenFileError,
    TokenStore,
)

DATABASE_A = DatabaseIdentity("a1" * 16, "sqlite:////home/me/a.db")
DATABASE_B = DatabaseIdentity("b2" * 16, "mariadb+mariadbconnector://me:***@db.example.org/b")


@pytest.fixture
def open_umask() -> Iterator[None]:
    previous = os.umask(0)
    yield
    os.umask(previous)


def test_saved_owner_only_even_under_umask_000(tmp_path: Path, open_umask: None) -> None:
    store = TokenStore(tmp_path / "config" / "strongroom" / "session.token")
    token = new_session_token()
    store.save(token)
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.path.parent.stat().st_mode) == 0o700
    assert store.load() == token
    assert [p.name for p in store.path.parent.iterdir()] == ["session.token"]


def test_missing_file_is_no_session(tmp_path: Path) -> None:
    assert TokenStore(tmp_path / "none.token").load() is None


def test_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "session.token")
    token = new_session_token()
    store.save(token)
    store.path.chmod(0o644)
    with pytest.raises(TokenFileError, match="read by other users") as raised:
        store.load()
    assert raised.value.exposed_token == token


@pytest.mark.skipif(os.geteuid() != 0, reason="changing a file's owner needs root")
def test_file_owned_by_another_user_is_refused(tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "session.token")
    store.save(new_session_token())
    os.chown(store.path, 4242, 4242)
    with pytest.raises(TokenFileError, match="belongs to another user"):
        store.load()


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"garbage",
        b"{}",
        b'{"format": 1, "token": "abc"}',
        b'{"format": 9, "token": ""}',
        b"\x00\xff" * 100,
        b'["format", 1]',
    ],
)
def test_damaged_file_is_refused_with_a_message(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "session.token"
    path.write_bytes(content)
    path.chmod(0o600)
    with pytest.raises(TokenFileError, match="damaged"):
        TokenStore(path).load()


def test_symlink_is_not_followed(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.token"
    TokenStore(target).save(new_session_token())
    link = tmp_path / "session.token"
    link.symlink_to(target)
    with pytest.raises(TokenFileError):
        TokenStore(link).load()


def test_clear_removes_the_file(tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "session.token")
    store.save(new_session_token())
    store.clear()
    store.clear()
    assert not store.path.exists()


def test_last_username_is_private_and_tolerates_damage(tmp_path: Path, open_umask: None) -> None:
    from app.services.tokens import LastUsername

    hint = LastUsername(tmp_path / "cfg" / "last-user.json")
    assert hint.load() is None
    hint.save("alice")
    assert hint.load() == "alice"
    assert stat.S_IMODE(hint.path.stat().st_mode) == 0o600
    for damage in (b"", b"{", b'{"username": 3}', b'{"username": "a\\u001b[31m"}', b"[1]"):
        hint.path.write_bytes(damage)
        assert hint.load() is None


def test_a_saved_login_names_the_database_that_issued_it(tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "session.token", DATABASE_A)
    token = new_session_token()
    store.save(token)
    assert json.loads(store.path.read_bytes())["database"] == {
        "id": DATABASE_A.id,
        "url": DATABASE_A.target,
    }
    assert store.load() == token


@pytest.mark.parametrize("mode", [0o600, 0o644], ids=lambda mode: f"{mode:o}")
def test_a_saved_login_is_refused_unchanged_by_another_database(tmp_path: Path, mode: int) -> None:
    """Run against database B, database A's saved login is neither used, nor taken for ended,
    nor (readable by others) revoked here: it stays as it is for A."""
    store = TokenStore(tmp_path / "session.token", DATABASE_A)
    token = new_session_token()
    store.save(token)
    store.path.chmod(mode)
    before = store.path.read_bytes()
    with pytest.raises(SavedLoginElsewhere) as raised:
        TokenStore(store.path, DATABASE_B).load()
    assert f"belongs to another database ({DATABASE_A.target})" in raised.value.message
    assert f"not to {DATABASE_B.target}; nothing was changed" in raised.value.message
    assert store.path.read_bytes() == before
    store.path.chmod(0o600)
    assert store.load() == token


def test_a_saved_login_from_before_databases_were_named_is_still_read(tmp_path: Path) -> None:
    token = new_session_token()
    TokenStore(tmp_path / "session.token").save(token)  # no database named
    assert "database" not in json.loads((tmp_path / "session.token").read_bytes())
    assert TokenStore(tmp_path / "session.token", DATABASE_B).load() == token

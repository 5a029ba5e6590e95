"""The local token file: owner-only, refused when it is not."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.crypto import new_session_token
from app.services.tokens import TokenFileError, TokenStore


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

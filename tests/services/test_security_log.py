"""Reading the security log: newest first, bounded, and safe to draw, whatever the file holds
(lines cut, not JSON, huge, a link, a pipe, another user's)."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.core.security_log import parse_line
from app.services import security_log
from app.services.audit import SecurityLog
from app.services.security_log import SecurityLogUnreadable, read_log

HOSTILE = "ev\x1b]52;c;aGFja2Vk\x07il\u202egnp.exe\x9b2J"


def clock_from(start: datetime) -> object:
    moments = iter(start + timedelta(seconds=n) for n in range(10_000))
    return lambda: next(moments)


def written(path: Path, *events: tuple[str, str | None, str | None]) -> None:
    log = SecurityLog(path, clock_from(datetime(2026, 3, 1, 9, 0, tzinfo=UTC)))  # type: ignore[arg-type]
    for event, username, detail in events:
        log.record(event, username, detail)


def test_newest_first_and_limited(tmp_path: Path) -> None:
    path = tmp_path / "security.log"
    written(path, *((("item_read", "alice", f"item {n}, password")) for n in range(30)))
    page = read_log(path, 5)
    assert [entry.detail for entry in page.entries] == [
        f"item {n}, password" for n in (29, 28, 27, 26, 25)
    ]
    assert page.more
    assert not page.missing
    times = [entry.when for entry in page.entries]
    assert times == sorted(times, reverse=True)  # type: ignore[type-var]
    whole = read_log(path, 100)
    assert len(whole.entries) == 30
    assert not whole.more


def test_no_log_yet(tmp_path: Path) -> None:
    page = read_log(tmp_path / "security.log")
    assert page.missing
    assert page.entries == ()


def test_a_hostile_username_is_visible_text(tmp_path: Path) -> None:
    path = tmp_path / "security.log"
    written(path, ("login_failed", HOSTILE, "detail\x1b[31m red"))
    [entry] = read_log(path).entries
    for text in (entry.username, entry.detail, entry.label):
        assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in text), text
        assert "\u202e" not in text
    assert entry.username.startswith("ev�]52;c;")
    assert entry.severity == "notice"


@pytest.mark.parametrize(
    "line",
    [
        b"not json at all",
        b"[1, 2, 3]",
        b'{"event": "logout"}',  # no time
        b'{"time": "yesterday", "event": "logout"}',
        b'{"time": "2026-03-01T09:00:00", "event": "logout"}',  # no zone
        b'{"time": "2026-03-01T09:00:00+00:00", "event": 7}',
        b'{"time": "2026-03-01T09:00:00+00:00", "event": "logout", "username": ["a"]}',
        b'{"time": "2026-03-01T09:00:00+00:00", "event": "logout", "detail": {"a": 1}}',
        b"[" * 100_000 + b"]" * 100_000,  # deeper than json will go
        b'{"time": "2026-03-01T09:00:00+00:00", "event": "logout", "detail": "'
        + b"x" * 20_000
        + b'"}',
        b"\xff\xfe\x00 binary",
    ],
)
def test_a_line_that_is_not_the_logs_is_an_unreadable_line(tmp_path: Path, line: bytes) -> None:
    path = tmp_path / "security.log"
    written(path, ("vault_unlocked", "alice", None))
    with path.open("ab") as file:
        file.write(line + b"\n")
    written(path, ("vault_locked", "alice", None))
    entries = read_log(path).entries
    assert [entry.label for entry in entries] == [
        "vault locked",
        "unreadable line",
        "vault unlocked",
    ]
    assert entries[1].severity == "unreadable"
    assert entries[1].as_json()["event"] is None


def test_warnings_stand_apart(tmp_path: Path) -> None:
    path = tmp_path / "security.log"
    stamp = "2026-03-01T09:00:00+00:00"
    lines = [
        {"time": stamp, "event": "rollback_detected", "username": "alice", "detail": "older"},
        {"time": stamp, "event": "tampering_detected", "username": "alice", "detail": "item 4"},
        {"time": stamp, "event": "restore_accepted", "username": "alice"},
        {"time": stamp, "event": "some_future_event", "username": "alice"},
        {"time": stamp, "event": "vault_unlocked", "username": "alice"},
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    entries = read_log(path).entries[::-1]
    assert [e.severity for e in entries] == ["warning", "warning", "warning", "", ""]
    assert [e.label for e in entries[:2]] == ["ROLLBACK DETECTED", "TAMPERING DETECTED"]
    assert entries[3].label == "some future event"


def test_a_huge_log_is_read_from_its_end_only(tmp_path: Path) -> None:
    """A 64 GiB (sparse) file of zeros before the real lines: read in no time, the tail only."""
    path = tmp_path / "security.log"
    with path.open("wb") as file:
        file.truncate(64 * 1024**3)
        file.seek(0, os.SEEK_END)
        file.write(b"\n")
    written(path, ("vault_unlocked", "alice", None), ("vault_locked", "alice", None))
    started = time.process_time()
    page = read_log(path, 10)
    assert [entry.label for entry in page.entries] == ["vault locked", "vault unlocked"]
    assert page.more
    assert time.process_time() - started < 5  # a whole read would take minutes


def test_the_tail_starts_at_a_whole_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "security.log"
    written(path, *(("item_read", "alice", f"item {n}") for n in range(100)))
    line = len(path.read_bytes().splitlines()[-1]) + 1  # the last 11 lines are this long
    monkeypatch.setattr(security_log, "TAIL_BYTES", line * 10)
    page = read_log(path, 100)
    assert [e.detail for e in page.entries] == [f"item {n}" for n in range(99, 89, -1)]
    monkeypatch.setattr(security_log, "TAIL_BYTES", line * 10 - 5)
    page = read_log(path, 100)
    assert [e.detail for e in page.entries] == [f"item {n}" for n in range(99, 90, -1)]


def test_a_link_a_pipe_or_another_users_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.log"
    written(target, ("vault_unlocked", "alice", None))
    link = tmp_path / "security.log"
    link.symlink_to(target)
    with pytest.raises(SecurityLogUnreadable, match="cannot be read"):
        read_log(link)
    link.unlink()
    os.mkfifo(link)  # no writer: opening must not wait for one
    with pytest.raises(SecurityLogUnreadable, match="not a regular file"):
        read_log(link)
    link.unlink()
    target.rename(link)
    if os.geteuid() == 0:
        os.chown(link, 65534, 65534)
        with pytest.raises(SecurityLogUnreadable, match="another user"):
            read_log(link)


def test_parse_line_keeps_what_the_log_wrote() -> None:
    line = (
        b'{"time": "2026-03-01T09:00:00+00:00", "event": "item_read", "username": "bob", '
        b'"detail": "item 3, password"}'
    )
    entry = parse_line(line)
    assert entry.when == datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    assert (entry.event, entry.label, entry.username, entry.detail) == (
        "item_read",
        "item read",
        "bob",
        "item 3, password",
    )

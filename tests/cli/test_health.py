"""`strongroom health`: the installed command's report, worst first, that never shows a
password; its JSON and its owner-only CSV, with no password and no SHA-1 of one; its exit codes;
and KeePassXC's own `analyze --hibp` flagging the same items with the same counts."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import update

from app.core.config import Settings
from app.core.items import ItemDraft
from app.models import VaultItem
from app.services.backend import Backend
from tests.command_line import one_clean_line, strongroom
from tests.core.test_breach import generated_lines
from tests.helpers import STRONG_PASSWORD, FakeClock, need, sql
from tests.pilot import seed
from tests.transfer import KDBX_PASSWORD, export, keepassxc

CANARY = "Canary-Breached-Pass-7731"  # in the breach list 7 times
SHARED = "password1"  # common, weak, reused, and in the breach list 2,418,984 times
STRONG = "vivid-otter-quarry-lantern-9041"


def sha1_forms(password: str) -> list[str]:
    digest = hashlib.sha1(password.encode(), usedforsecurity=False).hexdigest()
    return [digest, digest.upper()]


@pytest.fixture(scope="module")
def breach_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sorted HIBP file: 200,000 random lines plus the canary's and password1's."""
    path = tmp_path_factory.mktemp("hibp") / "pwnedpasswords.txt"
    path.write_bytes(b"\r\n".join(generated_lines()) + b"\r\n")
    return path


@pytest.fixture
def vault(settings: Settings) -> Settings:
    seed(
        settings,
        ItemDraft("Forum", "al", SHARED, ("http://forum.example",)),
        ItemDraft("Shop", "al", SHARED, ("https://shop.example",)),
        ItemDraft("Mail", "al", CANARY, ("https://mail.example",)),
        ItemDraft("Bank", "al", STRONG, ("https://bank.example",)),
        ItemDraft("Router", "admin", STRONG + "-r", ("http://127.0.0.1:8080",)),
    )
    return settings


def health(
    settings: Settings, *args: str, config_head: str = ""
) -> subprocess.CompletedProcess[str]:
    return strongroom(settings, "health", *args, config_head=config_head)


def rows_of(stdout: str) -> dict[str, str]:
    """Title -> findings, from the table's lines (``id:N  title  findings``)."""
    found = {}
    for line in stdout.splitlines():
        match = re.fullmatch(r"id:\d+\s+(.+?)\s{2,}(.+)", line)
        if match:
            found[match[1]] = match[2]
    return found


def test_the_report_lists_every_finding_worst_first_and_never_a_password(
    vault: Settings, breach_file: Path
) -> None:
    done = health(vault, "--breach-list", str(breach_file))
    assert done.returncode == 7, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"Breach list: {breach_file} (200,003 hashes)"
    assert "5 items checked, 3 with findings." in done.stdout
    assert rows_of(done.stdout) == {
        "Forum": "breached (2,418,984), reused (2 items), weak, common, unsecured",
        "Shop": "breached (2,418,984), reused (2 items), weak, common",
        "Mail": "breached (7)",
    }
    # The most breached first, the pair that shares a password together.
    assert [line.split()[1] for line in lines if line.startswith("id:")] == [
        "Forum", "Shop", "Mail"]  # fmt: skip
    for secret in [CANARY, SHARED, STRONG, *sha1_forms(CANARY), *sha1_forms(SHARED)]:
        assert secret not in done.stdout + done.stderr


def test_without_a_breach_list_the_header_says_so_and_common_still_counts(
    vault: Settings,
) -> None:
    done = health(vault)
    assert done.returncode == 7, done.stderr
    assert done.stdout.splitlines()[0] == "Breach list: not set: common-password check only"
    assert rows_of(done.stdout)["Shop"] == "reused (2 items), weak, common"
    assert "Mail" not in rows_of(done.stdout)


def test_the_breach_list_comes_from_the_config_file(vault: Settings, breach_file: Path) -> None:
    done = health(vault, "--only", "breached", config_head=f'breach_list = "{breach_file}"\n')
    assert done.returncode == 7, done.stderr
    assert rows_of(done.stdout) == {
        "Forum": "breached (2,418,984)", "Shop": "breached (2,418,984)", "Mail": "breached (7)"
    }  # fmt: skip


def test_a_clean_vault_exits_0(settings: Settings) -> None:
    seed(settings, ItemDraft("Bank", "al", STRONG, ("https://bank.example",)))
    done = health(settings)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "No findings."


def test_an_item_tagged_health_ignore_is_left_out(vault: Settings) -> None:
    backend = Backend(vault, device_label="test")
    active = backend.accounts().login("alice", STRONG_PASSWORD, remember=False)
    [forum] = [i for i in backend.vault().list_items(active) if i.title == "Forum"]
    tagged = replace(forum.draft(), tags=("health:ignore",))
    backend.vault().update(active, forum.id, forum.version, tagged)
    backend.close()
    done = health(vault, "--only", "unsecured,common")
    assert "Forum" not in rows_of(done.stdout)
    assert "4 items checked, 1 with findings, 1 left out (tag health:ignore)." in done.stdout


def damage(vault: Settings) -> None:
    """Bank's password no longer opens: written over through raw SQL, then the database taken
    as it is (db accept-restore), so the field itself is what is damaged, not the record."""
    sql(vault, update(VaultItem).where(VaultItem.id == 4).values(password_sealed=b"\x01" * 40))
    accepted = strongroom(vault, "db", "accept-restore", stdin=f"{STRONG_PASSWORD}\n")
    assert accepted.returncode == 0, accepted.stderr


def test_json_has_an_object_per_item_by_id_and_no_secret(
    vault: Settings, breach_file: Path
) -> None:
    # A damaged item comes first in the table; a file lists by id, whatever the order.
    damage(vault)
    table = health(vault, "--breach-list", str(breach_file))
    assert [line.split()[1] for line in table.stdout.splitlines() if line.startswith("id:")] == [
        "Bank", "Forum", "Shop", "Mail"]  # fmt: skip
    done = health(vault, "--json", "--breach-list", str(breach_file))
    assert done.returncode == 7, done.stderr
    objects = json.loads(done.stdout)
    assert [o["title"] for o in objects] == ["Forum", "Shop", "Mail", "Bank"]  # by id
    assert objects[3]["findings"] == [{"kind": "could-not-check"}]
    assert objects[2] == {
        "id": objects[2]["id"],
        "title": "Mail",
        "findings": [{"kind": "breached", "count": 7}],
        "labels": ["breached (7)"],
    }
    assert {"kind": "reused", "count": 2} in objects[0]["findings"]
    assert "Breach list:" in done.stderr  # the header goes to standard error
    for secret in [CANARY, SHARED, *sha1_forms(CANARY), *sha1_forms(SHARED)]:
        assert secret not in done.stdout


def test_csv_is_owner_only_and_holds_no_password_and_no_sha1(
    vault: Settings, breach_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "report.csv"
    os.umask(0o022)
    done = health(vault, "--csv", str(out), "--breach-list", str(breach_file))
    assert done.returncode == 7, done.stderr
    assert out.stat().st_mode & 0o777 == 0o600
    text = out.read_text()
    assert text.splitlines()[0] == "id,title,findings"
    assert "Mail,breached (7)" in text
    for secret in [CANARY, SHARED, STRONG, *sha1_forms(CANARY), *sha1_forms(SHARED)]:
        assert secret not in text
    # An existing file is never replaced unasked.
    again = health(vault, "--csv", str(out))
    assert again.returncode == 2
    one_clean_line(again.stderr)
    assert "exists" in again.stderr
    assert health(vault, "--csv", str(out), "--force").returncode == 7


def test_a_title_cannot_become_a_spreadsheet_formula(settings: Settings, tmp_path: Path) -> None:
    seed(settings, ItemDraft('=HYPERLINK("http://x")', "al", SHARED))
    out = tmp_path / "report.csv"
    assert health(settings, "--csv", str(out)).returncode == 7
    assert "'=HYPERLINK" in out.read_text()


def test_old_is_a_password_unchanged_for_longer_than_the_setting(settings: Settings) -> None:
    clock = FakeClock()
    clock.now = datetime(2024, 1, 1, tzinfo=UTC)
    seed(
        settings,
        ItemDraft("Stale", "al", STRONG + "-a"),
        ItemDraft("Renamed", "al", STRONG + "-b"),
        ItemDraft("Changed", "al", STRONG + "-c"),
        clock=clock,
        remember=False,  # a session from 2024 would have expired
    )
    backend = Backend(settings, device_label="test")  # today's clock
    active = backend.accounts().login("alice", STRONG_PASSWORD, remember=True)
    items = {i.title: i for i in backend.vault().list_items(active)}
    for title, draft in [
        ("Renamed", replace(items["Renamed"].draft(), username="bob")),  # password kept
        ("Changed", replace(items["Changed"].draft(), password=STRONG + "-new")),
    ]:
        backend.vault().update(active, items[title].id, items[title].version, draft)
    backend.close()
    done = health(settings, "--only", "old")
    found = rows_of(done.stdout)
    assert set(found) == {"Stale", "Renamed"}, done.stdout
    assert re.fullmatch(r"old \(\d{3,} days\)", found["Stale"])
    roomy = health(settings, "--only", "old", config_head="health_max_age_days = 3650\n")
    assert roomy.returncode == 0, roomy.stdout + roomy.stderr


def test_no_2fa_from_a_2fa_directory_list(settings: Settings, tmp_path: Path) -> None:
    seed(
        settings,
        ItemDraft("GitHub", "al", STRONG, ("https://github.com",)),
        ItemDraft("GitHub 2", "al", STRONG + "2", ("https://github.com",), totp="JBSWY3DPEHPK3PXP"),
    )
    sites = tmp_path / "totp.json"
    sites.write_text('[["GitHub", {"domain": "github.com", "tfa": ["totp"]}]]')
    done = health(settings, "--2fa-list", str(sites))
    assert rows_of(done.stdout) == {"GitHub": "no 2FA"}
    assert f"2FA list: {sites} (1 site with TOTP)" in done.stdout


def test_a_damaged_item_could_not_be_checked(vault: Settings) -> None:
    damage(vault)
    done = health(vault, "--only", "common")
    assert done.returncode == 7
    assert rows_of(done.stdout)["Bank"] == "could not check"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"".join(b"%032X:%d\n" % (n, n) for n in range(1, 300)), "NTLM"),
        (b"\n".join(reversed(generated_lines(5000))) + b"\n", "not sorted by hash"),
    ],
)
def test_an_unusable_breach_list_is_one_clear_line_and_exit_1(
    vault: Settings, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "list.txt"
    path.write_bytes(content)
    done = health(vault, "--breach-list", str(path))
    assert done.returncode == 1
    one_clean_line(done.stderr)
    assert message in done.stderr
    assert done.stdout == ""


def test_a_range_folder_missing_a_range_says_which(vault: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "ranges"
    folder.mkdir()
    done = health(vault, "--breach-list", str(folder), "--only", "breached")
    assert done.returncode == 1
    one_clean_line(done.stderr)
    assert "range files" in done.stderr
    assert "incomplete" in done.stderr


def test_an_unknown_kind_is_a_usage_error(vault: Settings) -> None:
    done = health(vault, "--only", "weak,bogus")
    assert done.returncode == 2
    assert "unknown kind bogus" in done.stderr


def test_keepassxc_flags_the_same_items_with_the_same_counts(
    vault: Settings, breach_file: Path, tmp_path: Path
) -> None:
    need("keepassxc-cli")
    xml, kdbx = tmp_path / "vault.xml", tmp_path / "vault.kdbx"
    assert export(vault, "--format", "keepass-xml", "-o", str(xml)).returncode == 0
    keepassxc("import", "-q", "-p", str(xml), str(kdbx), stdin=f"{KDBX_PASSWORD}\n" * 2)
    theirs = keepassxc("analyze", "-q", "--hibp", str(breach_file), str(kdbx),
                       stdin=f"{KDBX_PASSWORD}\n")  # fmt: skip
    leaked = dict(re.findall(r"Password for '(.+?)' has been leaked (\d+) times", theirs.stdout))
    ours = health(vault, "--json", "--only", "breached", "--breach-list", str(breach_file))
    counted = {o["title"]: str(f["count"]) for o in json.loads(ours.stdout) for f in o["findings"]}
    assert leaked == counted == {"Forum": "2418984", "Shop": "2418984", "Mail": "7"}


def test_bash_completes_healths_options_kinds_and_files(tmp_path: Path) -> None:
    need("bash")
    from tests.terminal import STRONGROOM

    code = r"""
source <(strongroom completion bash)
complete_line() {
    read -ra COMP_WORDS <<< "$1"
    [[ $1 == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
    _strongroom
    printf '%s|' "${COMPREPLY[@]}"; echo
}
complete_line "strongroom hea"
complete_line "strongroom health --b"
complete_line "strongroom health --only w"
complete_line "strongroom health --breach-list pwn"
complete_line "strongroom health --csv rep"
"""
    (tmp_path / "pwnedpasswords.txt").write_text("")
    (tmp_path / "report.csv").write_text("")
    env = {"PATH": f"{STRONGROOM.parent}:/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run(
        ["bash", "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "health|", "--breach-list|", "weak|", "pwnedpasswords.txt|", "report.csv|"
    ]  # fmt: skip


def database_bytes(settings: Settings) -> bytes:
    """Everything the database holds as someone with its files or its password reads it: the
    SQLite file (and its log), or ``mariadb-dump`` of the whole database."""
    from sqlalchemy.engine import make_url

    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        path = Path(str(url.database))
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    need("mariadb-dump")
    command = ["mariadb-dump", "-h", url.host or "127.0.0.1", "-P", str(url.port or 3306)]
    command += ["-u", url.username or "root", "--hex-blob", str(url.database)]
    env = {**os.environ, "MYSQL_PWD": url.password or ""}
    done = subprocess.run(command, capture_output=True, env=env, check=True)
    plain = subprocess.run([*command[:-2], str(url.database)], capture_output=True, env=env)
    return done.stdout + plain.stdout


def test_after_two_runs_the_database_holds_no_password_sha1_or_finding(
    vault: Settings, breach_file: Path
) -> None:
    first = health(vault, "--breach-list", str(breach_file))
    second = health(vault, "--breach-list", str(breach_file))  # from the sealed cache
    assert first.returncode == second.returncode == 7, second.stderr
    assert second.stdout == first.stdout
    from tests.helpers import rows as select_rows

    cached = select_rows(vault, "SELECT item_id, user_id, sealed FROM health_cache")
    assert len(cached) == 5  # the cache is there to be searched
    dump = database_bytes(vault)
    assert b"health_cache" in dump or "sqlite" in vault.database_url
    haystack = dump + b"\n".join(bytes(blob) for *_, blob in cached)  # type: ignore[call-overload]
    for password in (CANARY, SHARED, STRONG):
        raw = password.encode()
        digest = hashlib.sha1(raw, usedforsecurity=False)
        for form in (raw, raw.hex().encode(), *(f.encode() for f in sha1_forms(password))):
            assert form.lower() not in haystack.lower(), password
        assert digest.digest() not in haystack
        assert digest.hexdigest().encode() not in haystack.lower()
    for finding in (b"breached", b"reused", b"2418984", b"2,418,984", b"unsecured"):
        assert finding not in haystack.lower()


def test_build_index_then_the_report_reads_it(
    vault: Settings, breach_file: Path, tmp_path: Path
) -> None:
    index = tmp_path / "pwned.idx"
    built = strongroom(
        vault, "health", "build-index", "--breach-list", str(breach_file), "-o", str(index)
    )
    assert built.returncode == 0, built.stderr
    assert built.stdout.startswith("Indexed 200,003 hashes into ")
    assert index.stat().st_mode & 0o777 == 0o600
    from_text = health(vault, "--breach-list", str(breach_file))
    from_index = health(vault, "--breach-list", str(index))
    assert from_index.returncode == 7, from_index.stderr
    assert from_index.stdout.splitlines()[0] == f"Breach list: {index} (an index of 200,003 hashes)"
    assert rows_of(from_index.stdout) == rows_of(from_text.stdout)
    # An existing file is not replaced unasked, nor the list by its own index.
    again = strongroom(
        vault, "health", "build-index", "--breach-list", str(breach_file), "-o", str(index)
    )
    assert again.returncode == 2
    one_clean_line(again.stderr)
    same = strongroom(
        vault,
        "health",
        "build-index",
        "--breach-list",
        str(breach_file),
        "-o",
        str(breach_file),
        "--force",
    )
    assert same.returncode == 2
    one_clean_line(same.stderr)
    unsorted = tmp_path / "unsorted.txt"
    unsorted.write_bytes(b"\r\n".join(reversed(generated_lines(100))) + b"\r\n")
    refused = strongroom(vault, "health", "build-index", "--breach-list", str(unsorted))
    assert refused.returncode == 1
    one_clean_line(refused.stderr)
    assert "not sorted" in refused.stderr
    assert not Path(f"{unsorted}.idx").exists()

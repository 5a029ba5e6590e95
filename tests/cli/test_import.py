"""`strongroom import` and the export it pairs with, through the installed command, with the
real tools installed from Debian on the other side (keepassxc-cli, gpg and pass), read back
through the services and raw SQL, on SQLite and MariaDB."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from app.core.config import Settings
from app.core.items import CustomField, ItemDraft
from app.services.backend import Backend
from tests.command_line import ESC, one_clean_line, strongroom
from tests.helpers import STRONG_PASSWORD, need, rows
from tests.pilot import seed
from tests.terminal import STRONGROOM
from tests.transfer import (
    EXPORT_PASSWORD,
    KDBX_PASSWORD,
    everything,
    export,
    import_file,
    keepassxc,
    second_account,
)

TOTP_LINK = "otpauth://totp/Bank:al?secret=JBSWY3DPEHPK3PXP&digits=8&period=60&algorithm=SHA256"


@pytest.fixture
def full_vault(settings: Settings) -> Settings:
    """Every kind of field Strongroom holds: custom fields (secret and not), TOTP with its
    parameters, several URLs, tags with a path, a favourite, history, the trash, and text
    that CSV, JSON and XML must quote."""
    seed(
        settings,
        ItemDraft(
            "Bank",
            "al",
            "first",
            ("https://bank.example", "https://m.bank.example"),
            'Say "hi", <b>&amp;</b>\nsecond line',
            ("Money/Banks", "important"),
            TOTP_LINK,
            True,
            (CustomField("PIN", "4321", True), CustomField("Branch", "Leeds")),
        ),
        ItemDraft("Mail", "al@example.com", "mail-pw", ("https://mail.example",)),
        ItemDraft("Old forum", "al", "forum-secret"),
    )
    backend = Backend(settings, device_label="test")
    active = backend.accounts().login("alice", STRONG_PASSWORD, remember=False)
    items = {item.title: item for item in backend.vault().list_items(active)}
    bank = items["Bank"]
    backend.vault().update(active, bank.id, bank.version, replace(bank.draft(), password="now"))
    backend.vault().trash(active, items["Old forum"].id)
    backend.close()
    return settings


def test_bitwarden_encrypted_json_round_trip_loses_nothing(
    full_vault: Settings, tmp_path: Path
) -> None:
    out = tmp_path / "vault.json"

    def encrypted(password: str) -> subprocess.CompletedProcess[str]:
        return export(
            full_vault,
            "--format",
            "bitwarden-encrypted-json",
            "-o",
            str(out),
            file_password=password,
        )

    weak = encrypted("password1")
    assert weak.returncode == 2
    one_clean_line(weak.stderr)
    assert "cannot protect an export" in weak.stderr
    assert not out.exists()
    done = encrypted(EXPORT_PASSWORD)
    assert done.returncode == 0, done.stderr
    assert out.stat().st_mode & 0o777 == 0o600
    text = out.read_text()
    for secret in ("4321", "forum-secret", "Bank", "Leeds"):
        assert secret not in text
    # "now", three letters, turns up in a long base64 text about once in a hundred exports:
    # the password as the JSON value a plaintext export would hold it in.
    assert '"now"' not in text
    wrapper = json.loads(text)
    assert wrapper["kdfType"] == 1  # Argon2id
    assert wrapper["kdfMemory"] >= 64
    assert wrapper["kdfIterations"] >= 3

    bob = second_account(full_vault, tmp_path)
    wrong = import_file(bob, str(out), passwords=("not the password",))
    assert wrong.returncode == 6
    one_clean_line(wrong.stderr)
    assert rows(bob, "SELECT COUNT(*) FROM items i JOIN users u ON u.id = i.user_id "
                "WHERE u.username = 'bob'") == [(0,)]  # fmt: skip
    done = import_file(bob, str(out), passwords=(EXPORT_PASSWORD,))
    assert done.returncode == 0, done.stderr
    assert "Imported 3 items" in done.stderr
    assert everything(bob, "bob") == everything(full_vault, "alice")
    # Dates travel: the item keeps the day it was created, not the day it was imported.
    created = rows(bob, "SELECT created_at FROM items ORDER BY id")
    assert len(created) == 6

    again = import_file(bob, str(out), passwords=(EXPORT_PASSWORD,))
    assert again.returncode == 0
    assert "Imported 0 items; 3 were already in the vault" in again.stderr
    log = bob.security_log_path.read_text()
    assert "vault_imported" in log
    assert "4321" not in log


def test_a_file_that_fails_imports_nothing(full_vault: Settings, tmp_path: Path) -> None:
    bob = second_account(full_vault, tmp_path)
    broken = tmp_path / "broken.json"
    good = {"name": "Fine", "type": 1, "login": {"password": "x"}}
    broken.write_text(json.dumps({"encrypted": False, "items": [good, good, "bad"]}))
    done = import_file(bob, str(broken))
    assert done.returncode == 2
    one_clean_line(done.stderr)
    assert "item 3" in done.stderr
    assert rows(bob, "SELECT COUNT(*) FROM items i JOIN users u ON u.id = i.user_id "
                "WHERE u.username = 'bob'") == [(0,)]  # fmt: skip
    missing = import_file(bob, str(tmp_path / "nowhere.csv"))
    assert missing.returncode == 1
    one_clean_line(missing.stderr)


def test_hostile_text_is_stored_and_shown_literally(settings: Settings, tmp_path: Path) -> None:
    seed(settings)
    hostile = f"[red]x[/red] <b> {ESC}]52;c;ZXZpbA=={ESC}\\{ESC}[2J"
    path = tmp_path / "chrome.csv"
    path.write_text(f'name,url,username,password\n"{hostile}",https://h,"{hostile}","{hostile}"\n')
    done = import_file(settings, str(path))
    assert done.returncode == 0, done.stderr
    assert ESC not in done.stderr
    assert "1 items held control characters" in done.stderr  # and says what it did
    listed = strongroom(settings, "ls")
    assert ESC not in listed.stdout
    assert "[red]x[/red] <b> ␛]52;c;ZXZpbA==" in listed.stdout
    shown = strongroom(settings, "get", "[red]x", "--json")
    assert ESC not in shown.stdout


def test_keepassxc_entries_arrive_from_its_xml_csv_and_kdbx(
    settings: Settings, tmp_path: Path
) -> None:
    """Entries made by keepassxc-cli itself, in groups, with a changed password (history) and
    one in its recycle bin, come in from its XML, its CSV and the .kdbx file."""
    need("keepassxc-cli")
    kdbx = tmp_path / "theirs.kdbx"

    def cli(*args: str, stdin: str = "") -> str:
        return keepassxc(*args, stdin=stdin).stdout

    cli(
        "db-create", "-q", "-t", "100", "-p", str(kdbx), stdin=f"{KDBX_PASSWORD}\n{KDBX_PASSWORD}\n"
    )
    unlock = f"{KDBX_PASSWORD}\n"
    cli("mkdir", "-q", str(kdbx), "Work", stdin=unlock)
    cli("mkdir", "-q", str(kdbx), "Work/Servers", stdin=unlock)
    cli("add", "-q", "-u", "root", "--url", "ssh://db.example", "--notes", 'Line "one", two\nthree',
        "-p", str(kdbx), "Work/Servers/Database", stdin=f"{unlock}first-pw\n")  # fmt: skip
    cli("edit", "-q", "-p", str(kdbx), "Work/Servers/Database", stdin=f"{unlock}second-pw\n")
    cli("add", "-q", "-u", "me", "-p", str(kdbx), "Forum", stdin=f"{unlock}forum-pw\n")
    cli("add", "-q", "-u", "old", "-p", str(kdbx), "Gone", stdin=f"{unlock}gone-pw\n")
    cli("rm", "-q", str(kdbx), "Gone", stdin=unlock)
    xml = tmp_path / "theirs.xml"
    xml.write_text(cli("export", "-q", "-f", "xml", str(kdbx), stdin=unlock))
    csv_file = tmp_path / "theirs.csv"
    csv_file.write_text(cli("export", "-q", "-f", "csv", str(kdbx), stdin=unlock))

    seed(settings)
    done = import_file(settings, str(xml))
    assert done.returncode == 0, done.stderr
    assert "(keepass-xml)" in done.stderr
    found = everything(settings, "alice")
    assert found["Database"] == (
        "root", "second-pw", ("ssh://db.example",), 'Line "one", two\nthree', ("Work/Servers",),
        "", (), False, False, ["first-pw"],
    )  # fmt: skip
    assert found["Forum"][:2] == ("me", "forum-pw")
    assert found["Gone"][1] == "gone-pw"
    assert found["Gone"][8] is True
    # The same entries from the CSV and from the .kdbx itself: all already there.
    again = import_file(settings, str(csv_file))
    assert again.returncode == 0, again.stderr
    assert "(keepassxc-csv)" in again.stderr
    assert "3 were already in the vault" in again.stderr
    wrong = import_file(settings, str(kdbx), passwords=("wrong",))
    assert wrong.returncode == 6
    one_clean_line(wrong.stderr)
    from_kdbx = import_file(settings, str(kdbx), passwords=(KDBX_PASSWORD,))
    assert from_kdbx.returncode == 0, from_kdbx.stderr
    assert "(kdbx)" in from_kdbx.stderr
    assert "Imported 0 items; 3 were already" in from_kdbx.stderr


def test_strongroom_to_keepassxc_and_back_loses_nothing_keepass_holds(
    full_vault: Settings, tmp_path: Path
) -> None:
    """Out as XML, into a .kdbx by keepassxc-cli import, back in from that .kdbx: every field
    KeePass has a place for (not the favourite mark) arrives as it left."""
    need("keepassxc-cli")
    xml = tmp_path / "ours.xml"
    done = export(full_vault, "--format", "keepass-xml", "-o", str(xml))
    assert done.returncode == 0, done.stderr
    kdbx = tmp_path / "ours.kdbx"
    keepassxc(
        "import", "-q", "-p", str(xml), str(kdbx), stdin=f"{KDBX_PASSWORD}\n{KDBX_PASSWORD}\n"
    )
    bob = second_account(full_vault, tmp_path)
    back = import_file(bob, str(kdbx), passwords=(KDBX_PASSWORD,))
    assert back.returncode == 0, back.stderr
    theirs, ours = everything(bob, "bob"), everything(full_vault, "alice")
    assert set(theirs) == set(ours)
    for title, fields in ours.items():
        # KeePass has no favourite mark, and keeps attributes in order of their names.
        assert theirs[title][:6] == fields[:6], title
        assert sorted(theirs[title][6], key=repr) == sorted(fields[6], key=repr), title  # type: ignore[call-overload]
        assert theirs[title][7:] == (False, *fields[8:]), title


@pytest.fixture
def pass_store(tmp_path: Path) -> Iterator[dict[str, str]]:
    """An empty pass store with a gpg key of its own: the environment that finds them. The
    gpg-agent that gpg starts for it is stopped afterwards."""
    env = _pass_store(tmp_path)
    try:
        yield env
    finally:
        subprocess.run(
            ["gpgconf", "--kill", "gpg-agent"],
            env={**os.environ, **env},
            check=False,
            capture_output=True,
        )


def _pass_store(tmp_path: Path) -> dict[str, str]:
    need("gpg")
    need("pass")
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    env = {
        "GNUPGHOME": str(home),
        "PASSWORD_STORE_DIR": str(tmp_path / "store"),
        "HOME": str(tmp_path),
    }
    environment = {**os.environ, **env}
    subprocess.run(
        ["gpg", "--batch", "--passphrase", "", "--quick-gen-key", "Test <t@example.com>",
         "default", "default", "never"],
        env=environment, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    subprocess.run(
        ["pass", "init", "t@example.com"], env=environment, check=True, capture_output=True
    )
    return env


def test_a_pass_store_comes_in_through_gpg(
    settings: Settings, tmp_path: Path, pass_store: dict[str, str]
) -> None:
    env = pass_store
    environment = {**os.environ, **env}
    entries = {
        "Email/work": "mail-pw\nlogin: al@work.example\nurl: https://mail.work.example\n"
        "otpauth://totp/W?secret=JBSWY3DPEHPK3PXP\nRecovery: 1111-2222\nfree text line\n",
        "bank": "bank-pw\n",
    }
    for name, content in entries.items():
        subprocess.run(
            ["pass", "insert", "-m", name], input=content, text=True, env=environment,
            check=True, capture_output=True,
        )  # fmt: skip
    seed(settings)
    done = import_file(settings, str(tmp_path / "store"), env=env)
    assert done.returncode == 0, done.stderr
    assert "(pass)" in done.stderr
    found = everything(settings, "alice")
    assert found["work"][:7] == (
        "al@work.example", "mail-pw", ("https://mail.work.example",), "free text line",
        ("Email",), "JBSWY3DPEHPK3PXP", (CustomField("Recovery", "1111-2222"),),
    )  # fmt: skip
    assert found["bank"][1] == "bank-pw"


def _deep_json() -> bytes:
    return b'{"items":' + b"[" * 100_000 + b"]" * 100_000 + b"}"


def _deep_keepass() -> bytes:
    """200,000 groups nested (5.8 MB): building every group's path took half a minute."""
    depth = 200_000
    return (
        b"<KeePassFile><Root><Group>"
        + b"<Group><Name>g</Name>" * depth
        + b"<Entry><String><Key>Title</Key><Value>Deep</Value></String></Entry>"
        + b"</Group>" * depth
        + b"</Group></Root></KeePassFile>"
    )


def _account_a_number() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("export.data", json.dumps({"accounts": [7]}))
    return buffer.getvalue()


def _zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("export.data", "w") as member,
    ):
        for _ in range(48):
            member.write(b" " * (1024 * 1024))
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("deep.json", _deep_json, "nests its JSON deeper"),
        (
            "folder.json",
            lambda: json.dumps(
                {"folders": [{"id": "f", "name": ["W"]}], "items": [{"name": "a", "folderId": "f"}]}
            ).encode(),
            "folders[1].name is a list, not text",
        ),
        ("account.1pux", _account_a_number, "accounts[1] is a number"),
        ("bomb.1pux", _zip_bomb, "expands to more"),
        ("empty.json", lambda: b'{"items":[' + b"{}," * 2_100_000 + b"{}]}", "JSON values"),
        ("deep.xml", _deep_keepass, "nests its groups more than 100 levels deep"),
    ],
)
def test_a_hostile_file_is_one_line_and_writes_nothing(
    settings: Settings, tmp_path: Path, name: str, content: Callable[[], bytes], says: str
) -> None:
    seed(settings, ItemDraft("Kept", "al", "pw"))
    path = tmp_path / name
    path.write_bytes(content())
    done = import_file(settings, str(path))
    assert done.returncode == 2
    one_clean_line(done.stderr)
    assert says in done.stderr
    assert rows(settings, "SELECT COUNT(*) FROM items") == [(1,)]


def test_skipped_entries_are_counted_past_twenty_and_listed_by_a_dry_run(
    settings: Settings, tmp_path: Path
) -> None:
    seed(settings)
    path = tmp_path / "sparse.json"
    path.write_text(
        json.dumps({"items": [{}] * 30 + [{"name": "Only", "login": {"password": "p"}}]})
    )
    done = import_file(settings, str(path))
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert sum(line.startswith("Skipped item") for line in lines) == 20
    assert "… and 10 more skipped (--dry-run lists every one)." in lines
    assert rows(settings, "SELECT COUNT(*) FROM items") == [(1,)]
    listed = import_file(settings, "--dry-run", str(path))
    assert sum(line.startswith("Skipped item") for line in listed.stderr.splitlines()) == 30


def test_a_pass_entry_that_decrypts_past_the_limit_is_refused_as_gpg_writes_it(
    settings: Settings, tmp_path: Path, pass_store: dict[str, str]
) -> None:
    env = pass_store
    big = "pw\n" + "a" * (8 * 1024 * 1024) + "\n"  # compressed (pass would not), a few KB
    subprocess.run(
        ["gpg", "--batch", "--yes", "--trust-model", "always", "-r", "t@example.com",
         "--compress-algo", "zlib", "-z", "9", "-o", str(tmp_path / "store" / "bomb.gpg"),
         "--encrypt"],
        input=big, text=True, env={**os.environ, **env}, check=True, capture_output=True,
    )  # fmt: skip
    assert (tmp_path / "store" / "bomb.gpg").stat().st_size < 256 * 1024
    seed(settings)
    done = import_file(settings, str(tmp_path / "store"), env=env)
    assert done.returncode == 2
    one_clean_line(done.stderr)
    assert "'bomb' decrypts to more than an import takes" in done.stderr
    assert rows(settings, "SELECT COUNT(*) FROM items") == [(0,)]


def test_a_named_pipe_is_refused_in_one_line_not_waited_on(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    """A pipe planted under an export's name, that nobody writes to: opening it for reading
    would wait for a writer forever (the command's own limit is 120 s)."""
    seed(sqlite_settings)
    pipe = tmp_path / "export.csv"
    os.mkfifo(pipe)
    done = import_file(sqlite_settings, str(pipe))
    assert done.returncode == 2
    one_clean_line(done.stderr)
    assert "not a regular file" in done.stderr


@pytest.mark.parametrize("form", ["bitwarden-json", "keepassxc-csv"])
def test_a_tab_the_vault_holds_comes_back_from_its_own_export_as_a_tab(
    sqlite_settings: Settings, tmp_path: Path, form: str
) -> None:
    """The vault takes a tab in a password and in notes; its own export read back must not
    turn it into the symbol ␉ (only what the vault refuses is shown as a symbol)."""
    seed(sqlite_settings, ItemDraft("Tabbed", password="left\tright", notes="one\ttwo\nthree"))
    out = tmp_path / "vault.out"
    assert export(sqlite_settings, "--format", form, "-o", str(out)).returncode == 0
    bob = second_account(sqlite_settings, tmp_path)
    done = import_file(bob, str(out))
    assert done.returncode == 0, done.stderr
    assert "control characters" not in done.stderr
    assert strongroom(bob, "get", "Tabbed").stdout == "left\tright\n"
    tabbed = everything(bob, "bob")["Tabbed"]
    assert tabbed[1:4:2] == ("left\tright", "one\ttwo\nthree")


@pytest.mark.parametrize("delay", [0.05, 0.3])
def test_ctrl_c_while_an_import_writes_leaves_the_vault_as_it_was(
    settings: Settings, tmp_path: Path, delay: float
) -> None:
    """Ctrl-C (SIGINT) once the file is read and the write has begun (on MariaDB, chunks
    written on a thread of their own while the next are sealed): the command ends as Ctrl-C
    ends one, without a traceback, and the database holds every item or none of them."""
    seed(settings, ItemDraft("Before", password="kept"))
    count = 4000
    path = tmp_path / "many.csv"
    path.write_text(
        "name,url,username,password\n"
        + "".join(f"Site {n},https://{n}.example,user{n},pw-{n}\n" for n in range(count))
    )
    config = settings.config_dir / "config.toml"
    import_file(settings, "--dry-run", str(path))  # config.toml as the command line writes it
    command = [str(STRONGROOM), "--config-dir", str(settings.config_dir),
               "--data-dir", str(settings.data_dir), "import", str(path)]  # fmt: skip
    assert "command_line_agent = false" in config.read_text()
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={"STRONGROOM_DATABASE_URL": settings.database_url, "PATH": "/usr/bin:/bin"},
        start_new_session=True,
    )
    assert process.stderr is not None
    read = process.stderr.readline()
    assert read.startswith(f"Read {count} items"), read
    time.sleep(delay)
    process.send_signal(signal.SIGINT)
    stderr = process.stderr.read()
    code = process.wait(timeout=60)
    assert "Traceback" not in stderr
    imported = rows(settings, "SELECT COUNT(*) FROM items")[0][0]
    if code == 0:  # it had committed, or finished: it says so
        assert imported == count + 1
        assert f"Imported {count} items." in stderr
    else:  # cancelled: none
        assert code == 130, stderr
        assert imported == 1
        assert "Imported" not in stderr
    listed = strongroom(settings, "ls")
    assert listed.returncode == 0, listed.stderr
    assert "Before" in listed.stdout


@pytest.mark.parametrize("when", ["writing", "committing"])
def test_ctrl_c_cancels_an_import_until_its_commit_begins_and_then_waits_for_it(
    settings: Settings, tmp_path: Path, when: str
) -> None:
    """The command line's import as it takes Ctrl-C (SIGINT to its own process at a chosen
    point): while the items are written it cancels, and the database holds none; once the commit
    has begun it waits, and the items, the security log's entry and the import's own report
    all follow, as they do when nothing was pressed."""
    from app.cli.commands.transfer import InterruptUntilCommit
    from app.services.transfer import import_parsed, read_file

    seed(settings, ItemDraft("Before", password="kept"))
    path = tmp_path / "few.csv"
    path.write_text("name,url,username,password\n" + "".join(
        f"Site {n},https://{n}.example,user{n},pw-{n}\n" for n in range(3)))  # fmt: skip

    class PressedWhile(InterruptUntilCommit):
        def writing(self) -> None:
            super().writing()
            if when == "writing":
                os.kill(os.getpid(), signal.SIGINT)

        def committing(self) -> None:
            super().committing()
            if when == "committing":
                os.kill(os.getpid(), signal.SIGINT)

    before = signal.getsignal(signal.SIGINT)
    backend = Backend(settings, device_label="check")
    try:
        active = backend.accounts().login("alice", STRONG_PASSWORD, remember=False)
        parsed = read_file(path, lambda prompt: "", None)
        if when == "writing":
            with pytest.raises(KeyboardInterrupt), PressedWhile() as commit:
                import_parsed(backend.vault(), backend.security_log(), active, parsed, None, commit)
            assert rows(settings, "SELECT COUNT(*) FROM items") == [(1,)]
            # Cancelled: a second Ctrl-C is ignored while the command ends.
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
        else:
            with PressedWhile() as commit:
                done = import_parsed(
                    backend.vault(), backend.security_log(), active, parsed, None, commit
                )
            assert done == (3, 0)
            assert rows(settings, "SELECT COUNT(*) FROM items") == [(4,)]
            assert "vault_imported" in settings.security_log_path.read_text()
            # Written and said: the command has nothing left to cancel.
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, before)
        backend.close()

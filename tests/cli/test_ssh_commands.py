"""`strongroom ssh generate`, `import`, `pubkey` and `keys`, checked against OpenSSH's own
ssh-keygen; a Bitwarden export's SSH key is an agent key as it arrives; bad input is one line."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from pathlib import Path

import pytest

from app.cli.exits import UNAVAILABLE
from app.core.config import Settings
from app.core.items import ItemDraft
from tests.command_line import agent_socket, one_clean_line, strongroom
from tests.helpers import STRONG_PASSWORD
from tests.sshd import seed, stop_agent

PASSPHRASE = "a passphrase of the key's own"


def keygen(*args: str, stdin: str = "") -> str:
    return subprocess.run(
        ["ssh-keygen", *args], input=stdin, capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture
def vault(sqlite_settings: Settings) -> Settings:
    seed(sqlite_settings, [ItemDraft("Mail", "alice", "hunter22")])
    return sqlite_settings


def fingerprint_of(line: str, folder: Path) -> str:
    public = folder / "key.pub"
    public.write_text(line + "\n")
    return keygen("-lf", str(public)).split()[1]


@pytest.mark.parametrize(
    ("kind", "label", "bits"),
    [("ed25519", "ED25519", 256), ("rsa", "RSA", 3072), ("ecdsa", "ECDSA", 256)],
)
def test_generate_pubkey_and_keys_agree_with_ssh_keygen(
    vault: Settings, tmp_path: Path, kind: str, label: str, bits: int
) -> None:
    made = strongroom(
        vault, "ssh", "generate", "Work key", "--type", kind, "--host", "git.example.org"
    )
    assert made.returncode == 0, made.stderr
    match = re.fullmatch(rf"Added 'Work key' \(id:\d+\): {label} (SHA256:\S+)\n", made.stderr)
    assert match is not None, made.stderr
    line = strongroom(vault, "ssh", "pubkey", "Work key").stdout.strip()
    assert line.endswith(" Work key")
    assert fingerprint_of(line, tmp_path) == match.group(1)
    listed = strongroom(vault, "ssh", "keys")
    assert listed.returncode == 0
    assert listed.stdout == f"{bits} {match.group(1)} Work key ({label}) for git.example.org\n"
    taken = strongroom(vault, "ssh", "generate", "work KEY")
    assert taken.returncode == 2
    one_clean_line(taken.stderr)


def test_import_asks_the_passphrase_and_keeps_the_key(vault: Settings, tmp_path: Path) -> None:
    key = tmp_path / "id_ed25519"
    keygen("-q", "-t", "ed25519", "-N", PASSPHRASE, "-C", "me@laptop", "-f", str(key))
    wrong = strongroom(vault, "ssh", "import", str(key), stdin="not it\n")
    assert wrong.returncode == 2
    assert "the passphrase does not open the key; nothing was added" in wrong.stderr
    assert strongroom(vault, "ssh", "keys").stdout == ""
    done = strongroom(vault, "ssh", "import", str(key), stdin=PASSPHRASE + "\n")
    assert done.returncode == 0, done.stderr
    assert "Added 'id_ed25519'" in done.stderr
    theirs = keygen("-y", "-P", PASSPHRASE, "-f", str(key)).split()[:2]
    ours = strongroom(vault, "ssh", "pubkey", "id_ed25519").stdout.split()
    assert ours == [*theirs, "id_ed25519"]
    assert PASSPHRASE not in (vault.data_dir / "security.log").read_text()
    plain = tmp_path / "id_rsa"
    keygen("-q", "-t", "rsa", "-b", "3072", "-N", "", "-m", "PEM", "-f", str(plain))
    pem = strongroom(vault, "ssh", "import", str(plain), "--title", "Old RSA")
    assert pem.returncode == 0, pem.stderr
    assert "3072 SHA256:" in strongroom(vault, "ssh", "keys").stdout


def test_a_pipe_or_a_device_is_refused_unread(vault: Settings, tmp_path: Path) -> None:
    """A named pipe nobody writes to, and a link to /dev/zero: each refused at once, in one
    line, nothing added (a plain open would wait on the pipe for ever, and read the device's
    endless zeros)."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    zeros = tmp_path / "id_zeros"
    zeros.symlink_to("/dev/zero")
    for path in (fifo, zeros):
        done = strongroom(vault, "ssh", "import", str(path))
        assert done.returncode == 2, done.stderr
        one_clean_line(done.stderr)
        assert f"{path} is not a regular file (a pipe or a device); nothing was read." in (
            done.stderr
        )
    assert strongroom(vault, "ssh", "keys").stdout == ""


@pytest.mark.parametrize("host", ["*", "!github.com", "*.example.org", "git?b.com", "a.org,b.org"])
def test_a_host_pattern_is_refused(vault: Settings, host: str) -> None:
    done = strongroom(vault, "ssh", "generate", "K", "--host", host)
    assert done.returncode == 2, done.stderr
    one_clean_line(done.stderr)
    assert "is a host pattern; name one host (HOST or HOST:PORT)" in done.stderr
    assert strongroom(vault, "ssh", "keys").stdout == ""


def test_bad_input_is_one_clean_line(vault: Settings, tmp_path: Path) -> None:
    key = tmp_path / "id_ed25519"
    keygen("-q", "-t", "ed25519", "-N", "", "-f", str(key))
    big = tmp_path / "big"
    big.write_bytes(b"x" * 100_000)
    cases = [
        (("ssh", "import", str(tmp_path / "missing")), 1),
        (("ssh", "import", str(tmp_path)), 2),
        (("ssh", "import", f"{key}.pub"), 2),
        (("ssh", "import", str(big)), 2),
        (("ssh", "generate", "K", "--host", "user@host"), 2),
        (("ssh", "generate", "K", "--host", "host:99999"), 2),
        (("ssh", "pubkey", "Mail"), 1),
        (("ssh", "pubkey", "nothing like it"), 1),
    ]
    for args, code in cases:
        done = strongroom(vault, *args)
        assert done.returncode == code, (args, done.stderr)
        one_clean_line(done.stderr)
    assert strongroom(vault, "ssh", "keys").stdout == ""
    locked = strongroom(vault, "lock")
    assert locked.returncode == 0
    refused = strongroom(vault, "ssh", "keys", "--no-input")
    assert refused.returncode == 4
    one_clean_line(refused.stderr)


def test_a_bitwarden_ssh_key_is_an_agent_key_as_imported(vault: Settings, tmp_path: Path) -> None:
    key = tmp_path / "id_bw"
    keygen("-q", "-t", "ed25519", "-N", "", "-f", str(key))
    public = (tmp_path / "id_bw.pub").read_text().strip()
    print_ = keygen("-lf", f"{key}.pub").split()[1]
    export = {
        "encrypted": False,
        "folders": [],
        "items": [
            {
                "type": 5,
                "name": "Deploy key",
                "sshKey": {
                    "privateKey": key.read_text(),
                    "publicKey": public,
                    "keyFingerprint": print_,
                },
            }
        ],
    }
    file = tmp_path / "bitwarden.json"
    file.write_text(json.dumps(export))
    imported = strongroom(vault, "import", str(file))
    assert imported.returncode == 0, imported.stderr
    listed = strongroom(vault, "ssh", "keys")
    assert listed.stdout == f"256 {print_} Deploy key (ED25519)\n"
    assert strongroom(vault, "ssh", "pubkey", "Deploy key").stdout.split()[:2] == public.split()[:2]


def test_ssh_agent_in_config_starts_with_the_command_line_agent(
    vault: Settings, agent_runtime: Path
) -> None:
    folder = agent_runtime / f"strongroom-{os.getuid()}"
    bad = strongroom(vault, "ls", config_head='ssh_agent = "yes"\n', agent=agent_runtime)
    assert bad.returncode == 2
    assert "ssh_agent must be true or false." in bad.stderr
    off = strongroom(vault, "get", "Mail", agent=agent_runtime)
    assert off.returncode == 0, off.stderr
    agent_socket(agent_runtime)
    assert not list(folder.glob("ssh-*.sock"))  # off by default
    strongroom(vault, "lock", agent=agent_runtime)
    strongroom(vault, "unlock", agent=agent_runtime, stdin=STRONG_PASSWORD + "\n")
    on = strongroom(vault, "get", "Mail", config_head="ssh_agent = true\n", agent=agent_runtime)
    assert on.returncode == 0, on.stderr
    deadline = time.monotonic() + 20
    while not list(folder.glob("ssh-*.sock")) and time.monotonic() < deadline:
        time.sleep(0.05)
    (sock,) = folder.glob("ssh-*.sock")
    try:
        listed = subprocess.run(
            ["ssh-add", "-l"], env={"SSH_AUTH_SOCK": str(sock)}, capture_output=True, text=True
        )
        assert listed.stdout.strip() == "The agent has no identities."  # no key items yet
    finally:
        stop_agent(sock)
        strongroom(vault, "lock", agent=agent_runtime)


def test_import_asks_the_passphrase_on_the_terminal_unseen(vault: Settings, tmp_path: Path) -> None:
    """In a terminal (tmux), the passphrase is asked without echo and never shown."""
    from tests.command_line import command_in_pane
    from tests.terminal import terminal

    key = tmp_path / "id_ecdsa"
    keygen("-q", "-t", "ecdsa", "-N", PASSPHRASE, "-f", str(key))
    with terminal(vault, 80, 24) as term:
        term.run(command_in_pane(vault, "ssh", "import", str(key), "--title", "Typed"))
        term.wait_for("Passphrase for")
        term.type(PASSPHRASE)
        term.keys("Enter")
        term.wait_for("EXIT=")
        screen = term.screen()
        assert "EXIT=0" in screen
        assert "Added 'Typed'" in screen
        assert PASSPHRASE not in term.scrollback()
    theirs = keygen("-y", "-P", PASSPHRASE, "-f", str(key)).split()[:2]
    assert strongroom(vault, "ssh", "pubkey", "Typed").stdout.split()[:2] == theirs


def test_a_socket_folder_made_first_by_another_user_is_named(
    vault: Settings, other_user: str, tmp_path: Path
) -> None:
    """XDG_RUNTIME_DIR unset: the sockets' folder is in TMPDIR (/tmp), where another user may
    make it first, open to all. The agent does not start, and its one line names the folder,
    why (another user's; or ours but open to others) and what to do."""
    import shutil

    shared = tmp_path / "tmp"
    shared.mkdir(mode=0o1777)
    shared.chmod(0o1777)
    folder = shared / f"strongroom-{os.getuid()}"
    folder.mkdir()
    folder.chmod(0o777)
    shutil.chown(folder, other_user)
    environment = {"TMPDIR": str(shared)}
    done = strongroom(vault, "ssh", "agent", env=environment)
    assert done.returncode == UNAVAILABLE, done.stderr
    one_clean_line(done.stderr)
    assert f"did not start: its folder {folder} belongs to another user (uid " in done.stderr
    assert "Set XDG_RUNTIME_DIR to a folder of your own (mode 700)" in done.stderr
    assert f"or have {folder} removed (its owner or root can)." in done.stderr
    assert list(folder.iterdir()) == []  # no socket of ours in it
    shutil.chown(folder, os.getuid())
    mine = strongroom(vault, "ssh", "agent", env=environment)
    assert mine.returncode == UNAVAILABLE, mine.stderr
    one_clean_line(mine.stderr)
    assert f"its folder {folder} is open to other users (mode 777)" in mine.stderr
    assert f"or remove {folder}." in mine.stderr

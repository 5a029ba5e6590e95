"""`strongroom inject`: a template's references filled from the vault into an owner-only file
(the installed command; SQLite and MariaDB)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest

from app.core.config import Settings
from app.core.items import ItemDraft
from tests.command_line import command_in_pane, one_clean_line, strongroom
from tests.helpers import STRONG_PASSWORD, need
from tests.pilot import seed
from tests.terminal import STRONGROOM, terminal

TEMPLATE = (
    "host=db.example.com\nuser={{ sr://Database/username }}\npass={{sr://Database/password}}\n"
)
FILLED = "host=db.example.com\nuser=deploy\npass=db-pa55word-9f2\n"


@pytest.fixture
def vault(settings: Settings) -> Settings:
    seed(
        settings,
        ItemDraft("Database", "deploy", "db-pa55word-9f2"),
        ItemDraft("Git one", "a", "git-one-secret"),
        ItemDraft("Git two", "b", "git-two-secret"),
    )
    return settings


def test_the_filled_file_is_owner_only(vault: Settings, tmp_path: Path) -> None:
    template = tmp_path / "app.env.tpl"
    template.write_text(TEMPLATE)
    out = tmp_path / "app.env"
    done = strongroom(vault, "inject", "-i", str(template), "-o", str(out))
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert out.read_text() == FILLED
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    again = strongroom(vault, "inject", "-i", str(template), "-o", str(out))
    assert again.returncode == 2
    one_clean_line(again.stderr)
    assert "--force" in again.stderr
    out.chmod(0o644)
    assert (
        strongroom(vault, "inject", "-i", str(template), "-o", str(out), "--force").returncode == 0
    )
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    # From standard input to standard output (a pipe).
    piped = strongroom(vault, "inject", stdin=TEMPLATE)
    assert (piped.returncode, piped.stdout) == (0, FILLED)
    # Every read is in the security log by item id; no value, no title.
    log = vault.security_log_path.read_text()
    reads = [json.loads(line) for line in log.splitlines() if '"item_read"' in line]
    assert reads
    assert all(entry["detail"].startswith("item ") for entry in reads)
    assert "db-pa55word-9f2" not in log
    assert "Database" not in log


def test_errors_name_the_reference(vault: Settings, tmp_path: Path) -> None:
    out = tmp_path / "out"
    ambiguous = strongroom(vault, "inject", "-o", str(out), stdin="{{ sr://Git/password }}\n")
    assert ambiguous.returncode == 3
    assert ambiguous.stderr.startswith("strongroom: sr://Git/password: 2 items match")
    assert "secret" not in ambiguous.stderr
    assert not out.exists()  # nothing written
    unclosed = strongroom(vault, "inject", stdin="a\n{{ sr://Database/password }\n")
    assert unclosed.returncode == 2
    one_clean_line(unclosed.stderr)
    assert "line 2" in unclosed.stderr
    malformed = strongroom(vault, "inject", stdin="a\n{{ sr://hunter2secret }}\n")
    assert malformed.returncode == 2
    one_clean_line(malformed.stderr)
    assert "standard input line 2" in malformed.stderr
    assert "hunter2" not in malformed.stderr  # a line may hold a secret: named by number only


def test_a_huge_template_a_fifo_and_a_link_to_a_device_are_refused(
    vault: Settings, tmp_path: Path
) -> None:
    huge = strongroom(vault, "inject", stdin="x" * (1024 * 1024 + 1))
    assert huge.returncode == 2
    one_clean_line(huge.stderr)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    zero = tmp_path / "zero"
    zero.symlink_to("/dev/zero")
    for path in (fifo, zero, tmp_path):
        refused = strongroom(vault, "inject", "-i", str(path))
        assert refused.returncode == 2
        one_clean_line(refused.stderr)
        assert "not a regular file" in refused.stderr


def test_a_terminal_is_refused_for_the_output(vault: Settings, tmp_path: Path) -> None:
    template = tmp_path / "t"
    template.write_text(TEMPLATE)
    with terminal(vault) as screen:
        screen.run(command_in_pane(vault, "inject", "-i", str(template)))
        screen.wait_for("EXIT=2")
        assert "Not writing secrets to the terminal" in screen.screen()
        assert "db-pa55word" not in screen.screen()
        screen.run(
            "clear; " + command_in_pane(vault, "inject", "-i", str(template), "-o", "/dev/tty")
        )
        screen.wait_for("EXIT=2")
        assert "a terminal or a device" in screen.screen()
        assert "db-pa55word" not in screen.screen()


def test_a_locked_vault_asks_on_the_terminal_never_on_standard_input(
    vault: Settings, tmp_path: Path
) -> None:
    assert strongroom(vault, "lock").returncode == 0
    # The template is standard input: its first line is never taken as the password.
    done = strongroom(vault, "inject", stdin=STRONG_PASSWORD + "\n{{ sr://Database/password }}\n")
    assert done.returncode == 4
    one_clean_line(done.stderr)
    assert strongroom(vault, "inject", "--no-input", stdin=TEMPLATE).returncode == 4
    template = tmp_path / "t"
    template.write_text(TEMPLATE)
    out = tmp_path / "out"
    with terminal(vault) as screen:
        screen.run(command_in_pane(vault, "inject", "-i", str(template), "-o", str(out)))
        screen.wait_for("Master password for alice")
        screen.type(STRONG_PASSWORD)
        screen.keys("Enter")
        screen.wait_for("EXIT=0")
    assert out.read_text() == FILLED


def test_bash_completes_the_template_the_output_and_env_files(tmp_path: Path) -> None:
    need("bash")
    code = r"""
source <(strongroom completion bash)
complete_line() {
    read -ra COMP_WORDS <<< "$1"
    COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
    _strongroom
    printf '%s|' "${COMPREPLY[@]}"; echo
}
complete_line "strongroom inject -i app.e"
complete_line "strongroom inject -i app.env.tpl -o app"
complete_line "strongroom run --env-file app.e"
complete_line "strongroom ru"
"""
    (tmp_path / "app.env.tpl").write_text("")
    env = {"PATH": f"{STRONGROOM.parent}:/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run(
        ["bash", "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["app.env.tpl|", "app.env.tpl|", "app.env.tpl|", "run|"]

"""`get QUERY --field` completes to the item's own custom field names too, in real bash and
fish: read without a prompt or a value (`show --field-names`), and never expanded by the shell."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import pytest

from app.core.config import Settings
from app.core.items import CustomField, ItemDraft
from tests.command_line import strongroom
from tests.helpers import need
from tests.pilot import seed
from tests.terminal import STRONGROOM, terminal

HOSTILE_NAME = "$(touch pwned)"


@pytest.fixture
def completing(settings: Settings, tmp_path: Path) -> dict[str, str]:
    seed(
        settings,
        ItemDraft(
            "My Bank",
            "alice",
            "bank-secret",
            fields=(
                CustomField("PIN code", "4321", secret=True),
                CustomField("Branch", "North"),
                CustomField(HOSTILE_NAME, "x"),
            ),
        ),
        ItemDraft("GitHub", "alice", "gh-secret"),
    )
    assert strongroom(settings, "status").returncode == 0  # writes the test's config file
    return {
        "PATH": f"{STRONGROOM.parent}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "STRONGROOM_CONFIG_DIR": str(settings.config_dir),
        "STRONGROOM_DATABASE_URL": settings.database_url,
    }


def in_shell(
    shell: list[str], code: str, env: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    need(shell[0])
    return subprocess.run(
        [*shell, code], capture_output=True, text=True, env=env, cwd=cwd, timeout=120
    )


def test_show_field_names_prints_names_alone(settings: Settings, tmp_path: Path) -> None:
    seed(settings, ItemDraft("Bank", fields=(CustomField("PIN", "4321", secret=True),)))
    done = strongroom(settings, "show", "Bank", "--field-names", "--no-input")
    assert (done.returncode, done.stdout) == (0, "PIN\n")
    assert strongroom(settings, "lock").returncode == 0
    locked = strongroom(settings, "show", "Bank", "--field-names", "--no-input")
    assert (locked.returncode, locked.stdout) == (4, "")


def test_bash_completes_the_items_field_names(completing: dict[str, str], tmp_path: Path) -> None:
    code = r"""
source <(strongroom completion bash)
complete_words() {
    COMP_WORDS=("$@")
    COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
    _strongroom
    printf '%s|' "${COMPREPLY[@]}"; echo
}
complete_words strongroom get 'My\ Bank' --field ''
complete_words strongroom get "'My Bank'" -f B
complete_words strongroom get GitHub --field ''
"""
    done = in_shell(["bash", "-c"], code, completing, tmp_path)
    assert done.returncode == 0, done.stderr
    every, branch, none = done.stdout.splitlines()
    assert every.split("|")[:3] == [r"PIN\ code", "Branch", r"\$\(touch\ pwned\)"]
    assert "password" in every.split("|")  # the fixed fields as before
    assert branch == "Branch|"
    assert none == "password|username|url|notes|totp|title|"
    assert "4321" not in done.stdout
    assert not (tmp_path / "pwned").exists()


def test_fish_completes_the_items_field_names(completing: dict[str, str], tmp_path: Path) -> None:
    code = (
        "strongroom completion fish | source; "
        "complete -C \"strongroom get 'My Bank' --field \"; echo ---; "
        "complete -C 'strongroom get My\\ Bank -f B'"
    )
    done = in_shell(["fish", "-c"], code, completing, tmp_path)
    assert done.returncode == 0, done.stderr
    every, branch = done.stdout.split("---\n")
    assert {"PIN code", "Branch", HOSTILE_NAME, "password", "title"} <= set(every.splitlines())
    assert branch.splitlines() == ["Branch"]
    assert "4321" not in done.stdout
    assert not (tmp_path / "pwned").exists()


def test_zsh_completes_the_items_field_names_in_its_own_completion_system(
    settings: Settings, completing: dict[str, str], tmp_path: Path
) -> None:
    """Real zsh with compinit, at a prompt in tmux: Tab completes a field name (quoted as zsh
    quotes it) and a hostile name stays text."""
    need("zsh")
    rc = tmp_path / "zdotdir"
    rc.mkdir()
    (rc / ".zshrc").write_text(
        "PS1='zsh> '\n"
        "autoload -U compinit && compinit -u -d " + shlex.quote(str(tmp_path / "zcompdump")) + "\n"
        "source <(strongroom completion zsh)\n"
    )
    exports = " ".join(f"{key}={shlex.quote(value)}" for key, value in completing.items())
    with terminal(settings, 120, 30) as term:
        term.run(f"cd {shlex.quote(str(tmp_path))} && env -i {exports} ZDOTDIR={rc} TERM=xterm zsh")
        term.wait_for("zsh>")
        term.type("strongroom get 'My Bank' --field Bra")
        term.keys("Tab")
        term.wait_for("--field Branch")
        term.keys("C-u")
        term.type("strongroom edit My\\ Bank --field PI")
        term.keys("Tab")
        term.wait_for("--field PIN\\ code")
        term.keys("C-u")
        term.type("strongroom get 'My Bank' --field '$(")
        term.keys("Tab")
        term.wait_for("--field '$(touch pwned)'")
        term.keys("C-u")
        assert "4321" not in term.screen()
    assert not (tmp_path / "pwned").exists()

"""git with Strongroom as its credential helper, set up exactly as the README says, and what a
refused password may (and may not) move to the trash: real git, the installed commands."""

from __future__ import annotations

import re
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from app.core.config import Settings
from app.core.items import CustomField, ItemDraft
from tests.command_line import strongroom
from tests.pilot import seed
from tests.terminal import STRONGROOM, write_config

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_helper_lines() -> list[str]:
    """The `git config --global credential.helper ...` lines the README gives."""
    text = README.read_text()
    return re.findall(r"git config --global credential\.helper (?:'[^']*'|\S+)", text)


@pytest.fixture
def person(settings: Settings, tmp_path: Path) -> tuple[Settings, dict[str, str]]:
    """A person's home: Strongroom's default folders in it, git's global config there, and
    the folder Strongroom was installed to on PATH; the vault holds their GitHub web login."""
    home = tmp_path / "home"
    home.mkdir()
    mine = replace(
        settings,
        config_dir=home / ".config" / "strongroom",
        data_dir=home / ".local" / "share" / "strongroom",
    )
    write_config(mine)
    seed(
        mine,
        ItemDraft(
            "GitHub",
            "alice",
            "web-secret",
            ("https://github.com",),
            notes="recovery codes in the safe",
            totp="JBSWY3DPEHPK3PXP",
            fields=(CustomField("PIN", "4321", secret=True),),
        ),
    )
    env = {
        "PATH": f"{STRONGROOM.parent}:/usr/bin:/bin",
        "HOME": str(home),
        "GIT_TERMINAL_PROMPT": "0",  # git must not ask on a terminal when the helper has nothing
        "STRONGROOM_DATABASE_URL": mine.database_url,
    }
    return mine, env


def git(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        start_new_session=True,
        cwd=env["HOME"],
    )


@pytest.mark.parametrize("which", [0, 1], ids=["strongroom", "!strongroom git-credential"])
def test_the_readme_line_sets_git_up(person: tuple[Settings, dict[str, str]], which: int) -> None:
    """Each line the README gives, run as given in a shell, makes git answer from the vault
    (`credential.helper strongroom` runs the installed git-credential-strongroom)."""
    _, env = person
    lines = readme_helper_lines()
    assert lines[0] == "git config --global credential.helper strongroom"
    assert lines[1] == "git config --global credential.helper '!strongroom git-credential'"
    set_up = subprocess.run(
        ["/bin/sh", "-c", lines[which]], env=env, cwd=env["HOME"], capture_output=True, text=True
    )
    assert set_up.returncode == 0, set_up.stderr
    assert (STRONGROOM.parent / "git-credential-strongroom").exists()
    filled = git(env, "credential", "fill", stdin="protocol=https\nhost=github.com\n\n")
    assert filled.returncode == 0, filled.stderr
    assert "username=alice\npassword=web-secret\n" in filled.stdout


def test_help_gives_the_line_that_works(settings: Settings) -> None:
    helped = strongroom(settings, "git-credential", "--help")
    assert "credential.helper strongroom" in " ".join(helped.stdout.split())
    assert "'strongroom git-credential'" not in helped.stdout


def test_a_refused_password_never_trashes_an_item_the_person_made(
    person: tuple[Settings, dict[str, str]],
) -> None:
    """git rejects the web login's password: the login stays, whole, and git says so; what
    git stores next is an item of its own, answered first, and only that one is trashed when
    the server refuses it."""
    mine, env = person
    assert git(env, "config", "--global", "credential.helper", "strongroom").returncode == 0
    web = "protocol=https\nhost=github.com\nusername=alice\npassword=web-secret\n\n"
    rejected = git(env, "credential", "reject", stdin=web)
    assert rejected.returncode == 0, rejected.stderr
    assert "which is yours, so it stays" in rejected.stderr
    assert "web-secret" not in rejected.stderr
    whole = strongroom(mine, "get", "GitHub", "--json")
    assert whole.returncode == 0, whole.stderr
    assert '"notes": "recovery codes in the safe"' in whole.stdout
    assert '"totp": "JBSWY3DPEHPK3PXP"' in whole.stdout
    assert '"PIN"' in whole.stdout

    token = web.replace("web-secret", "ghp-token")
    assert git(env, "credential", "approve", stdin=token).returncode == 0
    assert strongroom(mine, "get", "GitHub", "--field", "password").stdout == "web-secret\n"
    filled = git(env, "credential", "fill", stdin="protocol=https\nhost=github.com\n\n")
    assert "password=ghp-token\n" in filled.stdout  # what git stored comes first for git
    listed = strongroom(mine, "ls", "github.com")
    assert len(listed.stdout.splitlines()) == 2, listed.stdout

    refused = git(env, "credential", "reject", stdin=token)
    assert "which git stored, to the trash" in refused.stderr
    after = strongroom(mine, "ls", "github.com").stdout.splitlines()
    assert len(after) == 1
    assert after[0].startswith("GitHub\talice")
    nothing = git(env, "credential", "reject", stdin=web.replace("web-secret", "other"))
    assert "nothing was moved" in nothing.stderr
    assert strongroom(mine, "get", "GitHub").stdout == "web-secret\n"
    log = mine.security_log_path.read_text()
    assert "item_trashed" in log
    for secret in ("web-secret", "ghp-token"):
        assert secret not in log

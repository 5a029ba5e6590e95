"""A plain `pip install .` must carry the stylesheets that live outside the package."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from app.app import stylesheet_paths
from tests.helpers import once_per_run

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This checkout built as a wheel, once per test run (the workers share it)."""

    def build(folder: Path) -> None:
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(folder), str(ROOT)],
            check=True,
            capture_output=True,
        )

    (built,) = once_per_run(tmp_path_factory, "wheel", build).glob("strongroom-*.whl")
    return built


def test_wheel_contains_the_stylesheets_and_migrations(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "app/styles/app.tcss" in names
    assert "app/migrations/env.py" in names
    assert "app/migrations/script.py.mako" in names
    assert "app/migrations/versions/0001_accounts.py" in names
    assert "app/data/eff_large_wordlist.txt" in names
    entry_points = zipfile.ZipFile(wheel).read(
        next(n for n in names if n.endswith("entry_points.txt"))
    )
    assert b"strongroom = app.__main__:main" in entry_points


def test_stylesheets_resolve_in_a_checkout() -> None:
    (sheet,) = stylesheet_paths()
    assert sheet.is_file()
    assert sheet.parent.name == "styles"


def test_command_line_help_and_version() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "app", "--version"], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().startswith("strongroom ")


def test_bad_config_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    (config / "config.toml").write_text("[security]\nbcrypt_cost = 4\n")
    result = subprocess.run(
        [sys.executable, "-m", "app", "--config-dir", str(config), "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "strongroom: bcrypt_cost must be between 10 and 16."
    assert "Traceback" not in result.stderr


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Path:
    """`pip install 'strongroom[mariadb]'` from the wheel into a new virtual environment, once
    per test run: its bin folder."""

    def install(folder: Path) -> None:
        subprocess.run([sys.executable, "-m", "venv", str(folder / "venv")], check=True)
        done = subprocess.run(
            [str(folder / "venv" / "bin" / "pip"), "install", "-q", f"{wheel}[mariadb]"],
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert done.returncode == 0, done.stderr[-2000:]

    return once_per_run(tmp_path_factory, "fresh-install", install) / "venv" / "bin"


SEED = """
import sys
from pathlib import Path
from app.core.config import load_settings
from app.core.items import ItemDraft
from app.services.backend import Backend
settings = load_settings(Path(sys.argv[1]), Path(sys.argv[2]))
backend = Backend(settings)
backend.accounts().register("alice", sys.argv[3], sys.argv[3])
active = backend.accounts().login("alice", sys.argv[3], remember=True)
backend.vault().add(active, ItemDraft("Bank", totp="JBSWY3DPEHPK3PXP"))
backend.close()
"""


def test_every_command_from_a_fresh_install(
    installed: Path, database_url: str, tmp_path: Path
) -> None:
    """The installed `strongroom` (not this checkout), on SQLite and MariaDB: an account made
    as the app makes it, then every command a script would use."""
    config, data = tmp_path / "config", tmp_path / "data"
    config.mkdir(mode=0o700)
    (config / "config.toml").write_text(
        "command_line_agent = false\n[security]\nargon2_memory_kib = 19456\n"
        "argon2_iterations = 2\nargon2_parallelism = 1\nbcrypt_cost = 10\n"
    )
    (config / "config.toml").chmod(0o600)
    env = {
        "PATH": f"{installed}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "STRONGROOM_DATABASE_URL": database_url,
    }
    password = "correct horse battery staple"
    subprocess.run(
        [str(installed / "python"), "-c", SEED, str(config), str(data), password],
        check=True,
        env=env,
        capture_output=True,
    )

    def strongroom(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                str(installed / "strongroom"),
                "--config-dir",
                str(config),
                "--data-dir",
                str(data),
                *args,
            ],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            start_new_session=True,
        )

    def ok(*args: str, stdin: str = "") -> str:
        done = strongroom(*args, stdin=stdin)
        assert done.returncode == 0, (args, done.stderr)
        assert "Traceback" not in done.stderr
        return done.stdout

    assert len(ok("generate", "--length", "24").strip()) == 24
    ok("add", "GitHub", "-u", "alice", "--url", "https://github.com", stdin="gh-secret\n")
    assert ok("get", "GitHub") == "gh-secret\n"
    assert '"username": "alice"' in ok("get", "GitHub", "--json")
    assert "GitHub\talice\thttps://github.com" in ok("ls")
    ok("edit", "GitHub", "--tag", "work")
    assert len(ok("totp", "Bank").strip()) == 6
    assert "password=gh-secret" in ok(
        "git-credential", "get", stdin="protocol=https\nhost=github.com\n\n"
    )
    assert "complete -F _strongroom strongroom" in ok("completion", "bash")
    assert "up to date" in ok("db", "upgrade")
    assert "user: alice, unlocked" in ok("status")
    ok("lock")
    assert strongroom("get", "GitHub", "--no-input").returncode == 4
    assert ok("get", "GitHub", stdin=f"{password}\n") == "gh-secret\n"  # this command only
    ok("unlock", stdin=f"{password}\n")
    exported = tmp_path / "vault.json"
    secret = "another long export passphrase"
    ok("export", "--format", "bitwarden-encrypted-json", "-o", str(exported),
       stdin=f"{password}\n{secret}\n{secret}\n")  # fmt: skip
    chrome = tmp_path / "Chrome Passwords.csv"
    chrome.write_text("name,url,username,password\nForum,https://forum.example,al,forum-pw\n")
    assert "Read 1 items" in strongroom("import", str(chrome)).stderr
    assert ok("get", "Forum") == "forum-pw\n"
    again = strongroom("import", str(exported), stdin=f"{secret}\n")
    assert again.returncode == 0, again.stderr
    assert "were already in the vault" in again.stderr
    ok("rm", "GitHub")
    assert strongroom("get", "GitHub").returncode == 1
    ok("logout")
    assert strongroom("status").returncode == 4


def test_the_readme_puts_strongroom_on_path(installed: Path, tmp_path: Path) -> None:
    """The Quick start's line, run as written from a clone whose `.venv` is a fresh install,
    leaves `strongroom` and git's helper on the PATH of a shell that has `~/.local/bin`."""
    readme = (ROOT / "README.md").read_text()
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    (line,) = [
        line for line in quick_start.splitlines() if line.startswith("mkdir -p ~/.local/bin")
    ]
    clone = tmp_path / "clone"
    clone.mkdir()
    (clone / ".venv").symlink_to(installed.parent)
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    subprocess.run(["bash", "-c", line], cwd=clone, env=env, check=True, timeout=60)
    env["PATH"] = f"{tmp_path}/.local/bin:/usr/bin:/bin"
    found = subprocess.run(
        ["bash", "-c", "command -v git-credential-strongroom && strongroom --version"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert found.returncode == 0, found.stderr
    assert found.stdout.splitlines()[0] == f"{tmp_path}/.local/bin/git-credential-strongroom"
    assert found.stdout.splitlines()[1].startswith("strongroom ")

"""Each start-up path imports only what it must (app/core/deferrals.py lists what each keeps
off, and why): checked in a fresh interpreter, as the installed command starts."""

from __future__ import annotations

import subprocess
import sys

from app.core.config import Settings
from app.core.deferrals import COMMAND_DEFERRED, FIRST_FRAME_DEFERRED, HANDOFF_PATH
from tests.command_line import strongroom
from tests.helpers import STRONG_PASSWORD


def loaded_by(code: str, *, cwd: str | None = None) -> set[str]:
    """The modules ``code`` adds to those Python itself starts with (the probe imports nothing
    itself, so a module the code loads is never hidden by one the probe loaded first)."""
    program = (
        "import sys\n"
        "before = set(sys.modules)\n"
        f"{code}\n"
        "sys.stdout.write('\\nMODULES ' + ' '.join(sorted(set(sys.modules) - before)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True, cwd=cwd
    )
    last = done.stdout.splitlines()[-1]
    assert last.startswith("MODULES ")
    return set(last.split()[1:])


def test_the_handoff_of_a_read_imports_nothing_heavy() -> None:
    """With no agent to answer, the hand-off gives up having loaded only its short list."""
    loaded = loaded_by(
        "import app.__main__\n"
        "from app.cli.quick import handoff\n"
        "assert handoff(['get', 'X']) is None\n"
    )
    assert "app.cli.quick" in loaded  # the probe works
    assert loaded <= HANDOFF_PATH, sorted(loaded - HANDOFF_PATH)


def test_the_first_frame_keeps_the_database_stack_off() -> None:
    loaded = {name.split(".")[0] for name in loaded_by("import app.factory")}
    assert loaded.isdisjoint(FIRST_FRAME_DEFERRED), sorted(loaded & set(FIRST_FRAME_DEFERRED))


def test_a_cold_get_loads_the_services_and_nothing_more(sqlite_settings: Settings) -> None:
    """`strongroom get` on a vault opened by its remembered session, without the agent."""
    settings = sqlite_settings
    lines = f"alice\n{STRONG_PASSWORD}\n{STRONG_PASSWORD}\n"
    assert strongroom(settings, "register", stdin=lines).returncode == 0
    assert strongroom(settings, "login", "--remember", stdin=lines).returncode == 0
    assert strongroom(settings, "add", "Mail", stdin="s3cret\n").returncode == 0
    argv = [
        "strongroom",
        "--config-dir",
        str(settings.config_dir),
        "--data-dir",
        str(settings.data_dir),
        "get",
        "Mail",
    ]
    code = (
        "import os\n"
        f"os.environ['STRONGROOM_DATABASE_URL'] = {settings.database_url!r}\n"
        f"sys.argv = {argv!r}\n"
        "import app.__main__\n"
        "assert app.__main__.main() == 0\n"
    )
    loaded = {name.split(".")[0] for name in loaded_by(code)}
    assert "sqlalchemy" in loaded  # the probe works: the vault was opened
    assert loaded.isdisjoint(COMMAND_DEFERRED), sorted(loaded & set(COMMAND_DEFERRED))

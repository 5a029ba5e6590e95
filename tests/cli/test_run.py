"""`strongroom run`: references in a program's environment read from the vault, its output
masked, its exit code and signals passed on (the installed command; SQLite and MariaDB)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.core.config import Settings
from app.core.items import CustomField, ItemDraft
from app.services.backend import Backend
from tests.command_line import agent_socket, command_in_pane, one_clean_line, strongroom
from tests.helpers import STRONG_PASSWORD, need
from tests.pilot import seed
from tests.terminal import STRONGROOM, terminal, write_config

CONCEALED = "<concealed by strongroom>"
PRINT_ENV = [sys.executable, "-c", "import os, sys; print(os.environ[sys.argv[1]])"]


@pytest.fixture
def vault(settings: Settings) -> Settings:
    seed(
        settings,
        ItemDraft(
            "Database",
            "deploy",
            "db-pa55word-9f2",
            ("https://db.example.com",),
            fields=(CustomField("API key", "key-7a1c0e55", secret=True),),
        ),
        ItemDraft("Work/VPN", "alice", "vpn-secret-41"),
        ItemDraft("Git one", "a", "git-one-secret"),
        ItemDraft("Git two", "b", "git-two-secret"),
    )
    return settings


def test_a_reference_in_the_environment_reaches_the_program_and_its_output_is_masked(
    vault: Settings,
) -> None:
    done = strongroom(
        vault,
        "run",
        "--",
        *PRINT_ENV,
        "DB_PASSWORD",
        env={"DB_PASSWORD": "sr://Database/password"},
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, CONCEALED + "\n", "")
    # The program saw the value: it can compare it, only not show it.
    check = [sys.executable, "-c", "import os; print(os.environ['P'] == 'db-pa55word-9f2')"]
    done = strongroom(vault, "run", "--", *check, env={"P": "sr://Database/password"})
    assert done.stdout == "True\n"
    unmasked = strongroom(
        vault, "run", "--no-masking", "--", *PRINT_ENV, "P", env={"P": "sr://Database/password"}
    )
    assert unmasked.stdout == "db-pa55word-9f2\n"


def test_fields_percent_encoding_and_a_value_that_only_contains_a_reference(
    vault: Settings,
) -> None:
    show = [sys.executable, "-c", "import os; print(os.environ['A'] == 'key-7a1c0e55', "
            "os.environ['B'] == 'vpn-secret-41', os.environ['C'], os.environ['D'])"]  # fmt: skip
    done = strongroom(
        vault,
        "run",
        "--no-masking",
        "--",
        *show,
        env={
            "A": "sr://Database/API%20key",  # a custom field, its space percent-encoded
            "B": "sr://Work%2FVPN/password",  # a / in the title
            "C": "sr://Database/username",
            "D": "x sr://Database/password",  # not the whole value: left as it is
        },
    )
    assert done.stdout == "True True deploy x sr://Database/password\n", done.stderr


def test_env_files_later_ones_win_and_win_over_the_environment(
    vault: Settings, tmp_path: Path
) -> None:
    first = tmp_path / "first.env"
    first.write_text("# a comment\nexport A=sr://Database/username\nB='plain value'\n")
    second = tmp_path / "second.env"
    second.write_text('A="sr://Work%2FVPN/username"\n\n')
    show = [sys.executable, "-c", "import os; print(os.environ['A'], os.environ['B'])"]
    done = strongroom(
        vault,
        "run",
        "--no-masking",  # a username is masked too: every value read is
        "--env-file",
        str(first),
        "--env-file",
        str(second),
        "--",
        *show,
        env={"A": "from the environment", "B": "from the environment"},
    )
    assert done.stdout == "alice plain value\n", done.stderr


def test_errors_name_the_reference_and_why(vault: Settings) -> None:
    def run_with(value: str) -> subprocess.CompletedProcess[str]:
        return strongroom(vault, "run", "--", "true", env={"X": value})

    missing = run_with("sr://Nothing%20like%20it/password")
    assert missing.returncode == 1
    one_clean_line(missing.stderr)
    assert "sr://Nothing%20like%20it/password" in missing.stderr
    assert "No item matches" in missing.stderr
    ambiguous = run_with("sr://Git/password")
    assert ambiguous.returncode == 3
    first, *listed = ambiguous.stderr.splitlines()
    assert first.startswith("strongroom: sr://Git/password: 2 items match")
    assert len(listed) == 2
    assert all(re.match(r"  id:\d+  Git (one|two)  [ab]$", line) for line in listed), listed
    assert "secret" not in ambiguous.stderr
    no_field = run_with("sr://Database/colour")
    assert no_field.returncode == 1
    one_clean_line(no_field.stderr)
    assert "sr://Database/colour" in no_field.stderr
    assert "has no field 'colour'" in no_field.stderr
    malformed = run_with("sr://Database")
    assert malformed.returncode == 2
    one_clean_line(malformed.stderr)
    bad_escape = run_with("sr://Data%zzbase/password")
    assert bad_escape.returncode == 2
    one_clean_line(bad_escape.stderr)
    nothing = strongroom(vault, "run", "--")
    assert nothing.returncode == 2
    one_clean_line(nothing.stderr)
    not_there = strongroom(vault, "run", "--", "/no/such/program")
    assert not_there.returncode == 127
    one_clean_line(not_there.stderr)


def test_a_malformed_reference_is_named_by_its_line_or_variable_never_its_text(
    vault: Settings, tmp_path: Path
) -> None:
    env_file = tmp_path / "app.env"
    env_file.write_text("A=1\nTOKEN=sr://hunter2secret\n")
    done = strongroom(vault, "run", "--env-file", str(env_file), "--", "true")
    assert done.returncode == 2
    one_clean_line(done.stderr)
    assert f"{env_file} line 2" in done.stderr
    assert "hunter2" not in done.stderr
    real = strongroom(vault, "run", "--", "true", env={"TOKEN": "sr://hunter2secret"})
    assert real.returncode == 2
    one_clean_line(real.stderr)
    assert "TOKEN" in real.stderr
    assert "hunter2" not in real.stderr


def test_the_exit_code_and_a_signal_are_passed_on(vault: Settings) -> None:
    code = strongroom(vault, "run", "--", sys.executable, "-c", "raise SystemExit(42)")
    assert code.returncode == 42
    killed = strongroom(
        vault, "run", "--", sys.executable, "-c", "import os; os.kill(os.getpid(), 9)"
    )
    assert killed.returncode == 128 + 9


def script(tmp_path: Path, name: str, body: str) -> str:
    """A Python program in a file (its code is not on argv either)."""
    path = tmp_path / name
    path.write_text(body)
    return str(path)


def test_a_secret_written_in_two_pieces_is_masked(vault: Settings, tmp_path: Path) -> None:
    halves = script(
        tmp_path,
        "halves.py",
        "import os, sys, time\n"
        "s = os.environ['P']\n"
        "for out in (sys.stdout, sys.stderr):\n"
        "    out.write('before ' + s[:6]); out.flush(); time.sleep(0.3)\n"
        "    out.write(s[6:] + ' after\\n'); out.flush()\n",
    )
    done = strongroom(
        vault, "run", "--", sys.executable, halves, env={"P": "sr://Database/password"}
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"before {CONCEALED} after\n"
    assert done.stderr == f"before {CONCEALED} after\n"


def started(vault: Settings, *program: str, **popen: object) -> subprocess.Popen[bytes]:
    """The installed `strongroom run -- PROGRAM` in a session of its own (no terminal), the
    agent off, P a reference to the Database's password."""
    write_config(vault)
    config = vault.config_dir / "config.toml"
    config.write_text("command_line_agent = false\n" + config.read_text())
    return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
        [str(STRONGROOM), "--config-dir", str(vault.config_dir), "--data-dir",
         str(vault.data_dir), "run", "--", *program],
        env={"STRONGROOM_DATABASE_URL": vault.database_url, "PATH": "/usr/bin:/bin",
             "P": "sr://Database/password"},
        stdin=subprocess.DEVNULL, start_new_session=True, **popen,
    )  # fmt: skip


def test_a_secret_split_between_stdout_and_stderr_of_one_file_is_masked(
    vault: Settings, tmp_path: Path
) -> None:
    """`> both.out 2>&1`: one stream, masked as one (two pipes would each hold half)."""
    halves = script(
        tmp_path,
        "split.py",
        "import os, sys, time\n"
        "s = os.environ['P']\n"
        "sys.stdout.write('out ' + s[:6]); sys.stdout.flush(); time.sleep(0.3)\n"
        "sys.stderr.write(s[6:] + ' err\\n'); sys.stderr.flush()\n",
    )
    both = tmp_path / "both.out"
    with both.open("wb") as output:
        process = started(vault, sys.executable, halves, stdout=output, stderr=subprocess.STDOUT)
        assert process.wait(timeout=60) == 0
    assert both.read_text() == f"out {CONCEALED} err\n"


@pytest.mark.parametrize("number", [signal.SIGQUIT, signal.SIGUSR1])
def test_any_signal_that_would_end_run_reaches_the_program(
    vault: Settings, tmp_path: Path, number: signal.Signals
) -> None:
    """QUIT ends the program (its default) and run says so; USR1 is caught by it, and run
    goes on to its end. Either way the program never outlives run."""
    got = tmp_path / "got"
    program = script(
        tmp_path,
        "waits.py",
        "import signal, sys, time\n"
        "def usr1(number, frame):\n"
        f"    open({str(got)!r}, 'w').write('USR1')\n"
        "    sys.exit(5)\n"
        "signal.signal(signal.SIGUSR1, usr1)\n"
        "print('READY', flush=True)\n"
        "time.sleep(60)\n",
    )
    process = started(vault, sys.executable, program, stdout=subprocess.PIPE)
    try:
        assert process.stdout is not None
        assert process.stdout.readline() == b"READY\n"
        child = int(Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()[0])
        os.kill(process.pid, number)  # run only, not its group
        code = process.wait(timeout=20)
        alive = Path(f"/proc/{child}").exists()  # run reaps it before it exits
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # an orphan left in run's group
        process.wait()
    assert not alive  # gone, not orphaned with the secret in its environment
    if number == signal.SIGUSR1:
        assert (code, got.read_text()) == (5, "USR1")
    else:
        assert code == 128 + signal.SIGQUIT


def _cmdlines() -> str:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                found.append((entry / "cmdline").read_bytes().decode("utf-8", "replace"))
            except OSError:
                continue
    return "\n".join(found)


def test_nothing_resolved_is_on_argv_on_disk_or_in_the_security_log(
    vault: Settings, tmp_path: Path
) -> None:
    write_config(vault)
    config = vault.config_dir / "config.toml"
    config.write_text("command_line_agent = false\n" + config.read_text())
    process = subprocess.Popen(
        [str(STRONGROOM), "--config-dir", str(vault.config_dir), "--data-dir",
         str(vault.data_dir), "run", "--", "sh", "-c", "echo READY; sleep 30"],
        env={"STRONGROOM_DATABASE_URL": vault.database_url, "PATH": "/usr/bin:/bin",
             "P": "sr://Database/password"},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        assert process.stdout.readline() == b"READY\n"
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
        assert children  # the program runs, with the value in its environment only
        environ = Path(f"/proc/{children[0]}/environ").read_bytes()
        assert b"P=db-pa55word-9f2" in environ.split(b"\0")
        assert "db-pa55word-9f2" not in _cmdlines()
        own = Path(f"/proc/{process.pid}/environ").read_bytes()
        assert b"db-pa55word-9f2" not in own  # Strongroom's own holds the reference
        assert b"P=sr://Database/password" in own.split(b"\0")
        os.killpg(process.pid, signal.SIGTERM)
        assert process.wait(timeout=20) == 128 + signal.SIGTERM
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    log = vault.security_log_path.read_text()
    reads = [json.loads(line) for line in log.splitlines() if '"item_read"' in line]
    assert [entry["detail"] for entry in reads] == [
        re.match(r"item \d+, password, strongroom run$", reads[0]["detail"]).group(0)  # type: ignore[union-attr]
    ]
    assert "db-pa55word-9f2" not in log
    assert "Database" not in log
    for path in [*vault.data_dir.rglob("*"), *vault.config_dir.rglob("*")]:
        if path.is_file() and path.suffix not in (".db", ".db-wal"):
            assert b"db-pa55word-9f2" not in path.read_bytes(), path


def test_a_warm_agent_answers_and_logs_each_read_by_id(
    vault: Settings, agent_runtime: Path
) -> None:
    runtime = agent_runtime
    # A run that read the vault (found unlocked) itself starts the agent for the next.
    first = strongroom(vault, "run", "--", "true", agent=runtime, env={"P": "sr://Database/url"})
    assert first.returncode == 0, first.stderr
    agent_socket(runtime)
    done = strongroom(
        vault, "run", "--", *PRINT_ENV, "P", agent=runtime, env={"P": "sr://Database/password"}
    )
    assert (done.returncode, done.stdout) == (0, CONCEALED + "\n")
    missing = strongroom(vault, "run", "--", "true", agent=runtime, env={"P": "sr://Nope/password"})
    assert missing.returncode == 1
    assert missing.stderr.startswith("strongroom: sr://Nope/password: No item matches")
    log = vault.security_log_path.read_text()
    assert re.search(r'"item \d+, password \(agent\)"', log)
    assert "db-pa55word-9f2" not in log
    assert strongroom(vault, "lock", agent=runtime).returncode == 0
    locked = strongroom(
        vault, "run", "--", "true", agent=runtime, env={"P": "sr://Database/password"}
    )
    assert locked.returncode == 4  # the agent held nothing after the lock; no terminal
    one_clean_line(locked.stderr)


def test_a_locked_vault_without_a_terminal_exits_locked(vault: Settings, tmp_path: Path) -> None:
    assert strongroom(vault, "lock").returncode == 0
    # Standard input is the program's: its first line is never taken as the password.
    piped = strongroom(
        vault, "run", "--", "cat", env={"P": "sr://Database/password"}, stdin=STRONG_PASSWORD
    )
    assert piped.returncode == 4
    assert piped.stdout == ""
    one_clean_line(piped.stderr)
    refused = strongroom(
        vault, "run", "--no-input", "--", "true", env={"P": "sr://Database/password"}
    )
    assert refused.returncode == 4
    # Without a reference, nothing is read and nothing is asked.
    assert strongroom(vault, "run", "--no-input", "--", "true").returncode == 0


def test_another_accounts_item_is_not_found(vault: Settings) -> None:
    backend = Backend(vault, device_label="other")
    accounts = backend.accounts()
    accounts.register("mallory", STRONG_PASSWORD, STRONG_PASSWORD)
    mallory = accounts.login("mallory", STRONG_PASSWORD, remember=False)
    theirs = backend.vault().add(mallory, ItemDraft("Theirs", "m", "mallory-secret"))
    backend.close()
    item_id = getattr(theirs, "id", theirs)
    done = strongroom(vault, "run", "--", "true", env={"P": f"sr://id:{item_id}/password"})
    assert done.returncode == 1
    one_clean_line(done.stderr)
    assert "No item matches" in done.stderr
    assert "mallory-secret" not in done.stderr


def test_an_env_file_that_is_a_fifo_or_a_link_to_a_device_is_refused(
    vault: Settings, tmp_path: Path
) -> None:
    fifo = tmp_path / "fifo.env"
    os.mkfifo(fifo)
    zero = tmp_path / "zero.env"
    zero.symlink_to("/dev/zero")
    big = tmp_path / "big.env"
    big.write_text("A=" + "x" * (1024 * 1024) + "\n")
    for path in (fifo, zero, big, tmp_path / "missing.env"):
        done = strongroom(vault, "run", "--env-file", str(path), "--", "true")
        assert done.returncode == 2, path
        one_clean_line(done.stderr)
        assert str(path) in done.stderr


COLOUR = (
    "import os, sys\n"
    "print('TTY', sys.stdout.isatty())\n"
    "print('\\x1b[31m' + os.environ['P'] + '\\x1b[0m \\x1b[32mGREEN-OK\\x1b[0m')\n"
)


def test_in_a_terminal_output_is_masked_and_keeps_its_colours(
    vault: Settings, tmp_path: Path
) -> None:
    program = script(tmp_path, "colour.py", COLOUR)
    with terminal(vault) as screen:
        line = command_in_pane(vault, "run", "--", sys.executable, program)
        screen.run("P=sr://Database/password " + line)
        screen.wait_for("EXIT=0")
        shown = screen.screen()
        assert "TTY True" in shown  # the program still sees a terminal
        assert CONCEALED in shown
        assert "db-pa55word" not in screen.scrollback()
        coloured = screen.tmux("capture-pane", "-p", "-e", "-t", "t")
        assert re.search(r"\x1b\[31m<concealed by strongroom>", coloured), coloured
        assert re.search(r"\x1b\[32mGREEN-OK", coloured), coloured


def test_in_a_terminal_the_program_reads_the_keyboard(vault: Settings, tmp_path: Path) -> None:
    program = script(
        tmp_path,
        "ask.py",
        "import os\n"
        "typed = input('Your password: ')\n"
        "print('RIGHT' if typed == os.environ['P'] else 'WRONG', len(typed))\n"
        "print('echoed:', typed)\n",
    )
    with terminal(vault) as screen:
        line = command_in_pane(
            vault, "run", "--", sys.executable, program, after="echo EXIT=$?; stty -a"
        )
        screen.run("P=sr://Database/password " + line)
        screen.wait_for("Your password:")
        screen.type("db-pa55word-9f2")
        screen.keys("Enter")
        screen.wait_for("EXIT=0")
        shown = screen.screen()
        assert "RIGHT 15" in shown
        assert "db-pa55word" not in screen.scrollback()  # its echo is masked too
        # The terminal is itself again: line editing and echo back on.
        assert re.search(r"(?<!-)icanon", shown)
        assert re.search(r"(?<!-)echo ", shown)


def test_in_a_terminal_signals_and_ctrl_c_reach_the_program(
    vault: Settings, tmp_path: Path
) -> None:
    program = script(
        tmp_path, "wait.py", "import time\nprint('WAITING', flush=True)\ntime.sleep(60)\n"
    )
    with terminal(vault) as screen:
        after = "echo EXIT=$?; stty -a"
        screen.run(command_in_pane(vault, "run", "--", sys.executable, program, after=after))
        screen.wait_for("WAITING")
        screen.keys("C-c")
        screen.wait_for("EXIT=130")
        assert re.search(r"(?<!-)icanon", screen.screen())
        screen.run(command_in_pane(vault, "run", "--", sys.executable, program))
        screen.wait_for("WAITING")
        screen.signal(signal.SIGTERM)
        screen.wait_for(f"EXIT={128 + signal.SIGTERM}")


def test_a_closed_terminal_hangs_the_program_up_too(vault: Settings, tmp_path: Path) -> None:
    said = tmp_path / "hup"
    program = script(
        tmp_path,
        "hup.py",
        "import signal, sys, time\n"
        "def hup(*_):\n"
        "    open(sys.argv[1], 'w').write('HUP')\n"
        "    sys.exit(0)\n"
        "signal.signal(signal.SIGHUP, hup)\n"
        "print('WAITING', flush=True)\n"
        "time.sleep(60)\n",
    )
    with terminal(vault) as screen:
        screen.run(command_in_pane(vault, "run", "--", sys.executable, program, str(said)))
        screen.wait_for("WAITING")
        pid = screen.app_pid()
        screen.close()  # the terminal goes: SIGHUP
        deadline = time.monotonic() + 20
        while Path(f"/proc/{pid}").exists() or not said.exists():
            assert time.monotonic() < deadline, "the program or strongroom outlived the terminal"
            time.sleep(0.05)
    assert said.read_text() == "HUP"


def test_in_a_terminal_the_program_follows_the_window_size(vault: Settings, tmp_path: Path) -> None:
    program = script(
        tmp_path,
        "size.py",
        "import os, signal, time\n"
        "def say(*_):\n"
        "    size = os.get_terminal_size()\n"
        "    print(f'SIZE {size.columns}x{size.lines}', flush=True)\n"
        "signal.signal(signal.SIGWINCH, say)\n"
        "say()\n"
        "time.sleep(30)\n",
    )
    with terminal(vault, width=100, height=30) as screen:
        screen.run(command_in_pane(vault, "run", "--", sys.executable, program))
        screen.wait_for("SIZE 100x30")
        screen.tmux("resize-window", "-t", "t", "-x", "90", "-y", "25")
        screen.wait_for("SIZE 90x25")


def test_a_locked_vault_asks_on_the_terminal(vault: Settings, tmp_path: Path) -> None:
    assert strongroom(vault, "lock").returncode == 0
    program = script(tmp_path, "colour.py", COLOUR)
    with terminal(vault) as screen:
        line = command_in_pane(vault, "run", "--", sys.executable, program)
        screen.run("P=sr://Database/password " + line)
        screen.wait_for("Master password for alice")
        screen.type(STRONG_PASSWORD)
        screen.keys("Enter")
        screen.wait_for("EXIT=0")
        assert CONCEALED in screen.screen()


@pytest.mark.mariadb
def test_the_mariadb_client_logs_in_with_a_password_only_the_vault_holds(
    sqlite_settings: Settings, mariadb_server: str
) -> None:
    need("mariadb")
    user = f"sr_run_{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(24)
    admin = create_engine(mariadb_server)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE USER '{user}'@'%' IDENTIFIED BY :pw"), {"pw": password})
    try:
        seed(sqlite_settings, ItemDraft("MariaDB login", user, password))
        url = make_url(mariadb_server)
        client = ["mariadb", "-h", url.host or "127.0.0.1", "-P", str(url.port or 3306)]
        query = [*client, "-u", user, "-N", "-e", "SELECT CURRENT_USER()"]
        without = strongroom(sqlite_settings, "run", "--", *query)
        assert without.returncode != 0  # no password: refused
        done = strongroom(
            sqlite_settings,
            "run",
            "--",
            *query,
            env={"MYSQL_PWD": "sr://MariaDB%20login/password"},
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == f"{user}@%"
        assert password not in _cmdlines()
        assert password not in sqlite_settings.security_log_path.read_text()
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP USER IF EXISTS '{user}'@'%'"))
        admin.dispose()


def test_run_leaving_on_an_error_of_its_own_terminates_the_program(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Strongroom failing while the program runs does not leave it running on its own."""
    from app.cli.commands import child

    pids: list[int] = []

    def broken(program: child.Program, *_: object, **__: object) -> None:
        pids.append(program.pid)
        raise RuntimeError("broken")

    monkeypatch.setattr(child, "_pump", broken)
    with pytest.raises(RuntimeError):
        child.run_program(["sleep", "20"], {"PATH": "/usr/bin:/bin"}, ["x"], masking=True)
    _, status = os.waitpid(pids[0], 0)  # 20 s and exit 0 when it is left running
    assert os.WIFSIGNALED(status)
    assert os.WTERMSIG(status) == signal.SIGTERM


def test_in_a_terminal_ctrl_z_stops_the_program_and_fg_brings_it_back(
    vault: Settings, tmp_path: Path
) -> None:
    program = script(
        tmp_path,
        "stops.py",
        "import signal\n"
        "signal.signal(signal.SIGCONT, lambda *_: print('CONTINUED', flush=True))\n"
        "typed = input('READY ')\n"
        "print('GOT', typed[::-1])\n",
    )
    with terminal(vault) as screen:
        screen.run("PS1='PROMPT> ' bash --norc --noprofile -i")  # a shell with job control
        screen.wait_for("PROMPT>")
        line = command_in_pane(vault, "run", "--", sys.executable, program, after=":")
        screen.type("P=sr://Database/password " + line.removesuffix("; :; sleep 60") + "\n")
        screen.wait_for("READY")
        screen.keys("C-z")
        screen.wait_for("Stopped")  # the shell has its job back, and its prompt
        screen.type("echo SHELL-$((6 * 7))\n")
        screen.wait_for("SHELL-42")
        screen.type("fg\n")
        screen.wait_for("CONTINUED")
        screen.type("olleh\n")
        screen.wait_for("GOT hello")  # its keyboard works again: the terminal is raw again
        screen.wait_until(
            lambda: screen.screen().rstrip().endswith("GOT hello\nPROMPT>"), "the prompt"
        )
        screen.type("echo CODE=$?\n")
        screen.wait_for("CODE=0")

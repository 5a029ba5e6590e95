"""The command line, run as a person's script runs it: the installed `strongroom`, as a
subprocess, with its exit code, standard output and standard error (SQLite and MariaDB)."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from app.core.config import Settings
from app.core.items import ItemDraft
from app.models import User
from app.services.backend import Backend
from tests.command_line import ESC, agent_socket, one_clean_line, strongroom
from tests.helpers import STRONG_PASSWORD, make_settings, need, sql
from tests.pilot import seed
from tests.terminal import STRONGROOM, write_config

HOSTILE = f"{ESC}]52;c;ZXZpbA=={ESC}\\Evil{ESC}[2J"  # an OSC 52 copy and a screen clear


@pytest.fixture
def three_items(settings: Settings) -> Settings:
    seed(
        settings,
        ItemDraft("GitHub", "alice", "gh-secret", ("https://github.com",), tags=("work",)),
        ItemDraft("GitLab", "alice.l", "gl-secret", ("https://gitlab.com",)),
        ItemDraft("Bank", "a.smith", "bank-secret", totp="JBSWY3DPEHPK3PXP"),
    )
    return settings


def test_get_prints_a_field_and_names_the_ambiguous_and_the_missing(three_items: Settings) -> None:
    done = strongroom(three_items, "get", "GitHub")
    assert (done.returncode, done.stdout, done.stderr) == (0, "gh-secret\n", "")
    assert strongroom(three_items, "get", "github", "-n").stdout == "gh-secret"
    assert strongroom(three_items, "get", "GitLab", "--field", "username").stdout == "alice.l\n"
    assert strongroom(three_items, "get", "Bank", "--field", "url").stdout == "\n"
    ambiguous = strongroom(three_items, "get", "git")
    assert ambiguous.returncode == 3
    assert ambiguous.stdout == ""
    assert "GitHub" in ambiguous.stderr
    assert "GitLab" in ambiguous.stderr
    assert "secret" not in ambiguous.stderr
    ids = re.findall(r"id:\d+", ambiguous.stderr)
    by_id = strongroom(three_items, "get", ids[0])
    assert by_id.returncode == 0
    assert by_id.stdout in ("gh-secret\n", "gl-secret\n")
    missing = strongroom(three_items, "get", "nothing-like-it")
    assert missing.returncode == 1
    one_clean_line(missing.stderr)
    no_field = strongroom(three_items, "get", "GitHub", "--field", "colour")
    assert no_field.returncode == 1
    one_clean_line(no_field.stderr)
    whole = json.loads(strongroom(three_items, "get", "GitHub", "--json").stdout)
    assert whole["password"] == "gh-secret"
    assert whole["tags"] == ["work"]


def test_ls_and_totp(three_items: Settings) -> None:
    listed = strongroom(three_items, "ls")
    assert listed.returncode == 0
    assert "secret" not in listed.stdout  # never a password
    assert {line.split("\t")[0] for line in listed.stdout.splitlines()} == {
        "GitHub",
        "GitLab",
        "Bank",
    }
    assert strongroom(three_items, "ls", "--tag", "work").stdout.startswith("GitHub\talice\t")
    rows = json.loads(strongroom(three_items, "ls", "--json").stdout)
    assert {row["title"] for row in rows} == {"GitHub", "GitLab", "Bank"}
    code = strongroom(three_items, "totp", "Bank")
    assert code.returncode == 0
    assert code.stdout.strip().isdigit()
    assert len(code.stdout.strip()) == 6
    assert code.stderr.endswith("s left\n")
    assert strongroom(three_items, "totp", "GitHub").returncode == 1


def test_a_locked_vault_asks_on_stdin_throttles_and_stays_locked(three_items: Settings) -> None:
    assert strongroom(three_items, "lock").returncode == 0
    refused = strongroom(three_items, "get", "GitHub", "--no-input")
    assert refused.returncode == 4
    one_clean_line(refused.stderr)
    wrong = strongroom(three_items, "get", "GitHub", stdin="not the password\n")
    assert wrong.returncode == 6
    assert wrong.stdout == ""
    one_clean_line(wrong.stderr)
    assert "not the password" not in wrong.stderr
    right = strongroom(three_items, "get", "GitHub", stdin=STRONG_PASSWORD + "\n")
    assert (right.returncode, right.stdout) == (0, "gh-secret\n")
    # One command's password does not unlock the device: the app still asks.
    assert "locked" in strongroom(three_items, "status").stdout
    assert strongroom(three_items, "unlock", stdin=STRONG_PASSWORD + "\n").returncode == 0
    assert "unlocked" in strongroom(three_items, "status").stdout
    assert strongroom(three_items, "get", "GitHub", "--no-input").stdout == "gh-secret\n"
    # Five wrong passwords, then even the right one waits.
    strongroom(three_items, "lock")
    for _ in range(5):
        strongroom(three_items, "get", "GitHub", stdin="wrong again\n")
    throttled = strongroom(three_items, "get", "GitHub", stdin=STRONG_PASSWORD + "\n")
    assert throttled.returncode == 6
    assert throttled.stdout == ""
    one_clean_line(throttled.stderr)


def test_logged_out_the_password_opens_one_command(three_items: Settings) -> None:
    assert strongroom(three_items, "logout").returncode == 0
    status = strongroom(three_items, "status")
    assert status.returncode == 4
    assert "not logged in" in status.stdout
    assert strongroom(three_items, "get", "GitHub", "--no-input").returncode == 4
    done = strongroom(three_items, "get", "GitHub", stdin=STRONG_PASSWORD + "\n")
    assert (done.returncode, done.stdout) == (0, "gh-secret\n")
    assert strongroom(three_items, "status").returncode == 4  # and nothing was remembered


def test_hostile_text_never_reaches_the_terminal_raw(settings: Settings) -> None:
    # What the vault accepts (a bidi override reorders what a terminal shows) and what only
    # someone writing the database can put there (an escape sequence in the username).
    flip = "\u202e"
    seed(settings, ItemDraft(f"Evil{flip}lived", f"user{flip}", f"pw{flip}[bold]x", notes=flip))
    listed = strongroom(settings, "ls")
    assert listed.returncode == 0
    assert flip not in listed.stdout
    assert "Evil" in listed.stdout
    whole = strongroom(settings, "get", "Evil", "--json")
    assert flip not in whole.stdout  # escaped as \u202e
    assert json.loads(whole.stdout)["notes"] == flip  # and kept exactly
    # The password itself is written exactly as stored: it is what a script asked for.
    assert strongroom(settings, "get", "Evil", "-n").stdout == f"pw{flip}[bold]x"
    missing = strongroom(settings, "get", f"nothing{ESC}[2J{flip}")
    assert ESC not in missing.stderr
    assert flip not in missing.stderr
    sql(settings, update(User).values(username=HOSTILE))
    for args in (("status",), ("lock",), ("get", "Evil")):
        done = strongroom(settings, *args, stdin="whatever\n")
        assert ESC not in done.stdout + done.stderr, args
        assert "Traceback" not in done.stderr


def test_every_use_is_in_the_security_log_by_id_never_by_title(three_items: Settings) -> None:
    strongroom(three_items, "get", "GitHub")
    strongroom(three_items, "totp", "Bank")
    strongroom(three_items, "ls")
    strongroom(three_items, "add", "Shop", stdin="shop-secret\n")
    strongroom(three_items, "edit", "Shop", "--username", "a.smith")
    strongroom(three_items, "rm", "Shop")
    log = three_items.security_log_path.read_text()
    events = [json.loads(line) for line in log.splitlines()]
    used = [e for e in events if e["event"].startswith("item")]
    assert [e["event"] for e in used] == [
        "item_read",
        "item_read",
        "items_listed",
        "item_added",
        "item_changed",
        "item_trashed",
    ]
    assert all(re.match(r"item \d+, |\d+ items", e["detail"]) for e in used), used
    assert "Shop" not in log
    assert "GitHub" not in log
    assert "Bank" not in log
    assert "secret" not in log


def test_generate_needs_no_account_and_refuses_what_it_cannot_make(settings: Settings) -> None:
    made = strongroom(settings, "generate", "--length", "32", "--no-symbols")
    assert made.returncode == 0
    assert len(made.stdout.strip()) == 32
    assert made.stdout.strip().isalnum()
    assert len(strongroom(settings, "generate", "--words", "4").stdout.split("-")) == 4
    refused = strongroom(settings, "generate", "--length", "5")
    assert refused.returncode == 2
    one_clean_line(refused.stderr)


def test_no_account_and_an_unreachable_database_say_so(settings: Settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    empty = strongroom(settings, "get", "GitHub")
    assert empty.returncode == 4
    one_clean_line(empty.stderr)
    unreachable = make_settings(
        tmp_path / "other", "mariadb+mariadbconnector://strongroom@127.0.0.1:1/strongroom"
    )
    down = strongroom(unreachable, "status")
    assert down.returncode == 5
    one_clean_line(down.stderr)


def test_add_edit_and_rm(three_items: Settings) -> None:
    added = strongroom(
        three_items, "add", "Mail", "--username", "me@mail", "--url", "https://mail.example",
        "--tag", "home", stdin="mail-secret\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert added.stdout == ""  # the password was read, never echoed
    assert "mail-secret" not in added.stderr
    assert strongroom(three_items, "get", "Mail").stdout == "mail-secret\n"
    assert (
        strongroom(three_items, "get", "Mail", "--field", "url").stdout == "https://mail.example\n"
    )
    generated = strongroom(three_items, "add", "Shop", "--generate", "32")
    assert generated.returncode == 0
    assert len(strongroom(three_items, "get", "Shop", "-n").stdout) == 32
    assert strongroom(three_items, "add", "Tiny", "--generate", "5").returncode == 2
    assert strongroom(three_items, "add", "", stdin="pw\n").returncode == 2  # no title
    # Edit changes only what it names; the old password goes to the item's history.
    edited = strongroom(
        three_items, "edit", "Mail", "--password", "--tag", "mail", stdin="new-one\n"
    )
    assert edited.returncode == 0, edited.stderr
    assert strongroom(three_items, "get", "Mail").stdout == "new-one\n"
    whole = json.loads(strongroom(three_items, "get", "Mail", "--json").stdout)
    assert whole["username"] == "me@mail"
    assert whole["tags"] == ["home", "mail"]  # --tag adds
    assert strongroom(three_items, "edit", "Mail").returncode == 2  # nothing to change
    # A locked vault: the master password is the first line, the item's the next.
    strongroom(three_items, "lock")
    both = strongroom(three_items, "add", "Locked add", stdin=f"{STRONG_PASSWORD}\nitem-pw\n")
    assert both.returncode == 0, both.stderr
    assert strongroom(three_items, "get", "Locked add", stdin=STRONG_PASSWORD + "\n").stdout == (
        "item-pw\n"
    )
    removed = strongroom(three_items, "rm", "Mail", stdin=STRONG_PASSWORD + "\n")
    assert removed.returncode == 0
    gone = strongroom(three_items, "get", "Mail", stdin=STRONG_PASSWORD + "\n")
    assert gone.returncode == 1


def test_db_upgrade_as_a_deploy_step(settings: Settings) -> None:
    """With migrate_on_start = false an older schema is an error naming `strongroom db
    upgrade`, which brings it up to date (and says so), once."""
    from alembic import command
    from alembic.config import Config

    from app.services.database import MIGRATIONS_PACKAGE, SCHEMA_HEAD, create_database_engine

    engine = create_database_engine(settings.database_url)
    config = Config()
    config.set_main_option("script_location", MIGRATIONS_PACKAGE)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0005_vault_key_check")
    engine.dispose()
    manual = "migrate_on_start = false\n"

    refused = strongroom(settings, "status", config_head=manual)
    assert refused.returncode == 5
    one_clean_line(refused.stderr)
    assert "0005_vault_key_check" in refused.stderr
    assert "strongroom db upgrade" in refused.stderr

    upgraded = strongroom(settings, "db", "upgrade", config_head=manual)
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"from 0005_vault_key_check to {SCHEMA_HEAD}" in upgraded.stdout
    again = strongroom(settings, "db", "upgrade", config_head=manual)
    assert f"is up to date ({SCHEMA_HEAD})" in again.stdout
    assert strongroom(settings, "status", config_head=manual).returncode == 4  # no one yet


def git_helper(settings: Settings) -> str:
    """git's credential.helper setting for the installed command on this test's vault."""
    command = [str(STRONGROOM), "--config-dir", str(settings.config_dir)]
    command += ["--data-dir", str(settings.data_dir), "git-credential"]
    return "!" + shlex.join(command)


def test_git_uses_strongroom_as_its_credential_helper(
    three_items: Settings, tmp_path: Path
) -> None:
    """Real git, `credential fill / approve / reject`, with `strongroom git-credential` as its
    helper: it answers from the item for the host, saves what git stores, trashes what git
    reports refused, and logs each read by item id."""
    write_config(three_items)
    helper = git_helper(three_items)
    home = tmp_path / "git-home"
    home.mkdir()
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "GIT_TERMINAL_PROMPT": "0",  # git must not ask on a terminal when the helper has nothing
        "STRONGROOM_DATABASE_URL": three_items.database_url,
    }

    def git(action: str, request: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["git", "-c", f"credential.helper={helper}", "credential", action],
            input=request + "\n",
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            start_new_session=True,
        )

    filled = git("fill", "protocol=https\nhost=github.com\n")
    assert filled.returncode == 0, filled.stderr
    assert "username=alice\npassword=gh-secret\n" in filled.stdout

    new = "protocol=https\nhost=git.example.org\nusername=bob\npassword=first-secret\n"
    assert git("approve", new).returncode == 0
    assert "password=first-secret" in git("fill", "protocol=https\nhost=git.example.org\n").stdout
    assert git("approve", new.replace("first-secret", "second-secret")).returncode == 0
    asked = "protocol=https\nhost=git.example.org\nusername=bob\n"
    assert "password=second-secret" in git("fill", asked).stdout
    listed = strongroom(three_items, "ls", "git.example.org")
    assert listed.stdout.count("git.example.org") >= 1
    assert len(listed.stdout.splitlines()) == 1  # stored once, then its password changed

    assert git("reject", new.replace("first-secret", "second-secret")).returncode == 0
    refused = git("fill", asked)
    assert refused.returncode != 0  # nothing to answer with, and no terminal to ask on
    assert "password=" not in refused.stdout
    assert "No item is for git.example.org" in refused.stderr

    log = three_items.security_log_path.read_text()
    assert "git credential" in log
    for secret in ("gh-secret", "first-secret", "second-secret"):
        assert secret not in log
        assert secret not in refused.stderr


def test_git_credential_on_a_locked_vault_without_a_terminal_says_so(three_items: Settings) -> None:
    assert strongroom(three_items, "lock").returncode == 0
    done = strongroom(
        three_items, "git-credential", "get", stdin="protocol=https\nhost=github.com\n\n"
    )
    assert done.returncode == 4
    assert done.stdout == ""
    one_clean_line(done.stderr)
    assert "no terminal" in done.stderr


# -- shell completion ------------------------------------------------------------------------

HOSTILE_TITLE = "$(touch pwned)"


@pytest.fixture
def completing(three_items: Settings, tmp_path: Path) -> dict[str, str]:
    """The environment a shell completes in: the installed command on PATH, this vault, and a
    title that would create ./pwned if a shell ever expanded it."""
    seed_more = strongroom(three_items, "add", HOSTILE_TITLE, stdin="x\n")
    assert seed_more.returncode == 0, seed_more.stderr
    return {
        "PATH": f"{STRONGROOM.parent}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "STRONGROOM_CONFIG_DIR": str(three_items.config_dir),
        "STRONGROOM_DATABASE_URL": three_items.database_url,
    }


def in_shell(
    shell: list[str], code: str, env: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    need(shell[0])
    return subprocess.run(
        [*shell, code], capture_output=True, text=True, env=env, cwd=cwd, timeout=60
    )


def test_bash_completes_commands_options_values_and_titles(
    completing: dict[str, str], tmp_path: Path
) -> None:
    code = r"""
source <(strongroom completion bash)
complete_line() {
    read -ra COMP_WORDS <<< "$1"
    [[ $1 == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
    _strongroom
    printf '%s|' "${COMPREPLY[@]}"; echo
}
complete_line "strongroom g"
complete_line "strongroom get Git"
complete_line "strongroom get --field u"
complete_line "strongroom git-credential "
complete_line "strongroom rm "
complete_line "strongroom import bit"
complete_line "strongroom export -o vault"
"""
    (tmp_path / "bitwarden_export.json").write_text("{}")
    (tmp_path / "vault.json").write_text("{}")
    done = in_shell(["bash", "-c"], code, completing, tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "get|generate|git-credential|"
    assert lines[1] == "GitHub|GitLab|"
    assert lines[2] == "username|url|"
    assert lines[3] == "get|store|erase|"
    assert r"\$\(touch\ pwned\)" in lines[4].split("|")  # quoted, to be typed as it is
    assert not (tmp_path / "pwned").exists()
    assert lines[5] == "bitwarden_export.json|"  # the file to import is one of the shell's
    assert lines[6] == "vault.json|"


def test_fish_completes_titles_as_literal_text(completing: dict[str, str], tmp_path: Path) -> None:
    code = (
        "strongroom completion fish | source; "
        "complete -C 'strongroom get Git'; echo ---; complete -C 'strongroom totp '; "
        "echo ---; complete -C 'strongroom import exp'"
    )
    (tmp_path / "export.1pux").write_text("")
    done = in_shell(["fish", "-c"], code, completing, tmp_path)
    assert done.returncode == 0, done.stderr
    titles, rest, files = done.stdout.split("---\n")
    assert files.splitlines() == ["export.1pux"]
    assert titles.splitlines() == ["GitHub", "GitLab"]
    assert HOSTILE_TITLE in rest.splitlines()
    assert not (tmp_path / "pwned").exists()


def test_zsh_completion_offers_titles_as_literal_candidates(
    completing: dict[str, str], tmp_path: Path
) -> None:
    """zsh's completion system matches and quotes what the function offers; the function's
    part (which candidates, from where) is checked with compadd and compdef standing in."""
    code = r"""
compdef() { }
_describe() { local -a listed; listed=("${(@P)2}"); print -l -- "${listed[@]%%:*}" }
compadd() {
    if [[ $1 == -a ]]; then print -l -- "${(@P)2}"; return; fi
    [[ $1 == -- ]] && shift
    print -l -- "$@"
}
source <(strongroom completion zsh)
words=(strongroom get Gi); CURRENT=3; PREFIX=Gi; _strongroom; print -- ---
words=(strongroom get --field ''); CURRENT=4; PREFIX=''; _strongroom
"""
    done = in_shell(["zsh", "-f", "-c"], code, completing, tmp_path)
    assert done.returncode == 0, done.stderr
    titles, values = done.stdout.split("---\n")
    assert set(titles.splitlines()) == {"GitHub", "GitLab", "Bank", HOSTILE_TITLE}
    assert values.splitlines() == ["password", "username", "url", "notes", "totp", "title"]
    assert not (tmp_path / "pwned").exists()


def test_completion_offers_no_titles_when_the_vault_is_locked(
    completing: dict[str, str], tmp_path: Path, three_items: Settings
) -> None:
    assert strongroom(three_items, "lock").returncode == 0
    code = (
        "source <(strongroom completion bash); "
        'COMP_WORDS=(strongroom get ""); COMP_CWORD=2; _strongroom; echo "${#COMPREPLY[@]}"'
    )
    done = in_shell(["bash", "-c"], code, completing, tmp_path)
    assert done.stdout.strip() == "0"  # and nothing asked: the command ran with --no-input


# -- the agent -------------------------------------------------------------------------------


def agent_pid(path: Path) -> int | None:
    """The process listening on the socket ``path`` (from ss), or None."""
    listed = subprocess.run(["ss", "-xlpn"], capture_output=True, text=True, check=False).stdout
    for line in listed.splitlines():
        if str(path) in line:
            found = re.search(r"pid=(\d+)", line)
            return int(found.group(1)) if found else None
    return None


def test_reads_are_answered_by_the_agent_until_the_vault_is_locked(
    three_items: Settings, agent_runtime: Path
) -> None:
    """After a read with the vault unlocked, an agent answers the next reads (checking the
    database for the session and the vault's changes each time); locking anywhere ends it."""
    runtime = agent_runtime
    first = strongroom(three_items, "get", "GitHub", agent=runtime)
    assert (first.returncode, first.stdout) == (0, "gh-secret\n")
    path = agent_socket(runtime)
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    deadline = time.monotonic() + 20
    while (pid := agent_pid(path)) is None:
        assert time.monotonic() < deadline, "the agent never listened"
        time.sleep(0.05)
    assert "agent" in Path(f"/proc/{pid}/cmdline").read_text()
    try:
        answered = strongroom(three_items, "get", "GitHub", "--field", "username", agent=runtime)
        assert (answered.returncode, answered.stdout, answered.stderr) == (0, "alice\n", "")
        assert strongroom(three_items, "get", "Nothing", agent=runtime).returncode == 1
        assert strongroom(three_items, "get", "--bogus", agent=runtime).returncode == 2

        # Another device changes the item: the agent's next answer has the change.
        backend = Backend(three_items, device_label="other device")
        other = backend.accounts().login("alice", STRONG_PASSWORD, remember=False)
        item = next(i for i in backend.vault().list_items(other) if i.title == "GitHub")
        draft = replace(item.draft(), password="changed-elsewhere")
        backend.vault().update(other, item.id, item.version, draft)
        assert (
            strongroom(three_items, "get", "GitHub", agent=runtime).stdout == "changed-elsewhere\n"
        )
        events = [
            json.loads(line) for line in three_items.security_log_path.read_text().splitlines()
        ]
        by_agent = [e for e in events if e.get("detail", "").endswith("(agent)")]
        assert len(by_agent) >= 2  # the reads it answered are logged as its own

        # Locked elsewhere (the app, another command): the agent hands the read back and exits.
        assert strongroom(three_items, "lock", agent=runtime).returncode == 0
        locked = strongroom(three_items, "get", "GitHub", "--no-input", agent=runtime)
        assert locked.returncode == 4
        assert locked.stdout == ""
        deadline = time.monotonic() + 20
        while Path(f"/proc/{pid}").exists() and "agent" in _cmdline(pid):
            assert time.monotonic() < deadline, "the agent outlived the lock"
            time.sleep(0.05)
        assert not path.exists()
        backend.close()
    finally:
        if Path(f"/proc/{pid}").exists() and "agent" in _cmdline(pid):
            os.kill(pid, signal.SIGTERM)


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text()
    except OSError:
        return ""


class GitServer:
    """A bare repository behind HTTP basic auth, served by `git http-backend` (git's own CGI
    program), on 127.0.0.1."""

    def __init__(self, root: Path, username: str, password: str) -> None:
        import base64
        import threading
        from wsgiref.simple_server import WSGIRequestHandler, make_server

        self.root = root
        subprocess.run(
            ["git", "init", "-q", "--bare", "-b", "main", str(root / "repo.git")], check=True
        )
        subprocess.run(
            ["git", "-C", str(root / "repo.git"), "config", "http.receivepack", "true"],
            check=True,
        )
        expected = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
        self.refused = 0

        def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
            if environ.get("HTTP_AUTHORIZATION") != expected:
                self.refused += 1
                start_response("401 Unauthorized", [("WWW-Authenticate", 'Basic realm="git"')])
                return [b"who are you?\n"]
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            cgi = {
                "GIT_PROJECT_ROOT": str(root),
                "GIT_HTTP_EXPORT_ALL": "1",
                "REMOTE_USER": username,
                **{
                    key: str(environ.get(key, ""))
                    for key in ("REQUEST_METHOD", "PATH_INFO", "QUERY_STRING", "CONTENT_TYPE")
                },
                "CONTENT_LENGTH": str(len(body)),
                "PATH": "/usr/bin:/bin",
            }
            done = subprocess.run(
                ["/usr/lib/git-core/git-http-backend"], input=body, env=cgi, capture_output=True
            )
            head, _, payload = done.stdout.partition(b"\r\n\r\n")
            headers = [tuple(line.split(": ", 1)) for line in head.decode().split("\r\n")]
            status = next((value for name, value in headers if name == "Status"), "200 OK")
            start_response(status, [(n, v) for n, v in headers if n != "Status"])
            return [payload]

        class Quiet(WSGIRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = make_server("127.0.0.1", 0, app, handler_class=Quiet)
        self.url = f"http://127.0.0.1:{self.server.server_port}/repo.git"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


def test_git_pushes_and_clones_over_http_with_the_password_from_strongroom(
    three_items: Settings, tmp_path: Path
) -> None:
    """A real push and clone over HTTP with basic auth: the server refuses git until it sends
    the password that only Strongroom's item holds."""
    server = GitServer(tmp_path / "served", "alice", "git-secret")
    added = strongroom(
        three_items, "add", "Local git", "-u", "alice", "--url", server.url, stdin="git-secret\n"
    )
    assert added.returncode == 0, added.stderr
    helper = git_helper(three_items)
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "GIT_TERMINAL_PROMPT": "0",
        "STRONGROOM_DATABASE_URL": three_items.database_url,
        "GIT_AUTHOR_NAME": "Alice",
        "GIT_AUTHOR_EMAIL": "alice@example.org",
        "GIT_COMMITTER_NAME": "Alice",
        "GIT_COMMITTER_EMAIL": "alice@example.org",
    }

    def git(*args: str, cwd: Path = tmp_path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["git", "-c", f"credential.helper={helper}", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=cwd,
            timeout=60,
            start_new_session=True,
        )

    try:
        work = tmp_path / "work"
        subprocess.run(["git", "init", "-q", "-b", "main", str(work)], check=True, env=env)
        (work / "README").write_text("hello\n")
        subprocess.run(["git", "-C", str(work), "add", "README"], check=True, env=env)
        subprocess.run(["git", "-C", str(work), "commit", "-qm", "first"], check=True, env=env)
        pushed = git("push", "-q", server.url, "main", cwd=work)
        assert pushed.returncode == 0, pushed.stderr
        cloned = git("clone", "-q", server.url, str(tmp_path / "clone"))
        assert cloned.returncode == 0, cloned.stderr
        assert (tmp_path / "clone" / "README").read_text() == "hello\n"
        assert server.refused >= 1  # the first request of each went without the password
        for output in (pushed.stderr, cloned.stderr):
            assert "git-secret" not in output
    finally:
        server.close()

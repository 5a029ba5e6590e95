"""git with Strongroom as its credential helper, set up exactly as the README says: which item
answers which protocol, host, port and path, what git's store and a refused password may (and
may not) change or move to the trash, and requests git would never send: real git, the
installed commands. tests/cli/test_git_servers.py has git talk to real servers."""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from app.core.config import Settings
from app.core.credential import GIT_MARK
from app.core.items import CustomField, ItemDraft
from app.services.backend import Backend
from tests.command_line import strongroom
from tests.helpers import STRONG_PASSWORD
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


def add(settings: Settings, *drafts: ItemDraft) -> None:
    """These items in alice's vault (the person fixture made it)."""
    backend = Backend(settings, device_label="test")
    active = backend.accounts().login("alice", STRONG_PASSWORD, remember=False)
    for draft in drafts:
        backend.vault().add(active, draft)
    backend.close()


def fill(env: dict[str, str], request: str, *config: str) -> str:
    """The password git gets for ``request`` ("" when none), the helper as the README says."""
    options = [part for setting in config for part in ("-c", setting)]
    filled = git(env, *options, "credential", "fill", stdin=request + "\n\n")
    return next(
        (line[9:] for line in filled.stdout.splitlines() if line.startswith("password=")), ""
    )


def test_only_the_items_protocol_host_and_port_answer(
    person: tuple[Settings, dict[str, str]],
) -> None:
    """As git's own store matches: protocol, host (any case, Unicode or its ASCII form) and
    port (none is the protocol's own) must all agree; a URL without a scheme is https only;
    a URL's user part names no host; git's path, when it sends one, picks among paths."""
    mine, env = person
    assert git(env, "config", "--global", "credential.helper", "strongroom").returncode == 0
    add(
        mine,
        ItemDraft("Corp", "alice", "corp-secret", ("https://git.corp.test",)),
        ItemDraft("Corp 8443", "alice", "8443-secret", ("git.corp.test:8443",)),
        ItemDraft("Books", "alice", "books-secret", ("https://Bücher.Corp.Test/",)),
        ItemDraft("Trick", "alice", "trick-secret", ("https://git.corp.test@evil.corp.test",)),
        ItemDraft("Team", "carol", "team-secret", ("https://code.corp.test/team/repo.git/",)),
        ItemDraft("Other", "dave", "other-secret", ("https://code.corp.test/other.git",)),
        ItemDraft("Bob", "bob", "bob-secret", ("https://x:y@bob.corp.test:444/",)),
        ItemDraft("German", "alice", "ss-secret", ("https://straße.corp.test",)),
    )
    answers = {
        "protocol=https\nhost=git.corp.test": "corp-secret",
        "protocol=https\nhost=GIT.Corp.TEST:443": "corp-secret",
        "protocol=https\nhost=git.corp.test\nusername=alice": "corp-secret",
        "protocol=https\nhost=git.corp.test\nusername=bob": "",
        "protocol=http\nhost=git.corp.test": "",
        "protocol=http\nhost=git.corp.test:443": "",
        "protocol=ftp\nhost=git.corp.test": "",
        "protocol=smtp\nhost=git.corp.test": "",
        "protocol=https\nhost=git.corp.test:8443": "8443-secret",
        "protocol=http\nhost=git.corp.test:8443": "",
        "protocol=https\nhost=git.corp.test:8444": "",
        "protocol=https\nhost=xn--bcher-kva.corp.test": "books-secret",
        "protocol=https\nhost=BÜCHER.corp.test": "books-secret",
        "protocol=https\nhost=evil.corp.test": "trick-secret",
        "protocol=https\nhost=bob.corp.test:444": "bob-secret",
        "protocol=https\nhost=x": "",
        "protocol=https\nhost=strasse.corp.test": "",
        "protocol=https\nhost=straße.corp.test": "",
        "url=https://code.corp.test/team/repo.git": "",  # no path from git: two items, so none
    }
    for request, password in answers.items():
        assert fill(env, request) == password, request
    paths = {
        "url=https://code.corp.test/team/repo.git": "team-secret",
        "url=https://code.corp.test/other.git": "other-secret",
        "url=https://code.corp.test/third.git": "",
        "url=https://git.corp.test/team/repo.git": "",
    }
    for request, password in paths.items():
        assert fill(env, request, "credential.useHttpPath=true") == password, request
    several = git(env, "credential", "fill", stdin="protocol=https\nhost=code.corp.test\n\n")
    assert "2 items are for code.corp.test over https" in several.stderr


def test_store_and_erase_touch_only_git_s_item_for_exactly_that_place(
    person: tuple[Settings, dict[str, str]],
) -> None:
    """What git approves for another protocol, port, path or username is a new item of git's;
    what it rejects there moves nothing; the exact match is changed or trashed, and standard
    error says what was done."""
    mine, env = person
    assert git(env, "config", "--global", "credential.helper", "strongroom").returncode == 0
    add(mine, ItemDraft("Corp git", "alice", "old", ("https://git.corp.test",), fields=(GIT_MARK,)))

    path: tuple[str, ...] = ("-c", "credential.useHttpPath=true")  # else git sends no path

    def approve(place: str, password: str, *options: str) -> None:
        request = f"{place}\nusername=alice\npassword={password}\n\n"
        assert git(env, *options, "credential", "approve", stdin=request).returncode == 0

    others: tuple[tuple[str, tuple[str, ...]], ...] = (
        ("protocol=http\nhost=git.corp.test", ()),
        ("protocol=https\nhost=git.corp.test:8443", ()),
        ("url=https://git.corp.test/team/repo.git", path),
    )
    for place, options in others:
        request = f"{place}\nusername=alice\npassword=old\n\n"
        rejected = git(env, *options, "credential", "reject", stdin=request)
        assert "nothing was moved" in rejected.stderr, place
    for number, (place, options) in enumerate(others):
        approve(place, f"new-{number}", *options)
    bob = "protocol=https\nhost=git.corp.test\nusername=bob\npassword=bobs\n\n"
    assert git(env, "credential", "approve", stdin=bob).returncode == 0
    assert strongroom(mine, "get", "Corp git").stdout == "old\n"
    listed = strongroom(mine, "ls", "git.corp.test", "--json")
    urls = sorted(url for item in json.loads(listed.stdout) for url in item["urls"])
    assert urls == [
        "http://git.corp.test",
        "https://git.corp.test",
        "https://git.corp.test",
        "https://git.corp.test/team/repo.git",
        "https://git.corp.test:8443",
    ]
    assert fill(env, "protocol=http\nhost=git.corp.test") == "new-0"
    assert fill(env, "protocol=https\nhost=git.corp.test:8443") == "new-1"

    approve("protocol=https\nhost=git.corp.test:443", "newer")  # the same place as no port
    assert strongroom(mine, "get", "Corp git").stdout == "newer\n"
    request = "protocol=https\nhost=git.corp.test\nusername=alice\npassword=newer\n\n"
    erased = git(env, "credential", "reject", stdin=request)
    assert "git was refused for git.corp.test over https: moved id:" in erased.stderr
    titles = [item["title"] for item in json.loads(strongroom(mine, "ls", "--json").stdout)]
    assert "Corp git" not in titles
    assert len(titles) == 5  # GitHub and the four git stored beside it
    assert fill(env, "protocol=http\nhost=git.corp.test") == "new-0"


REFUSED_REQUESTS = {
    "no equals sign": b"protocol=https\nhost git.corp.test\npassword=p\n\n",
    "a host twice": b"protocol=https\nhost=git.corp.test\nhost=evil.test\npassword=p\n\n",
    "no protocol": b"host=git.corp.test\npassword=p\n\n",
    "no host": b"protocol=https\npassword=p\n\n",
    "a port past 65535": b"protocol=https\nhost=git.corp.test:99999\npassword=p\n\n",
    "a space in the host": b"protocol=https\nhost=git corp.test\npassword=p\n\n",
    "a user part in the host": b"protocol=https\nhost=me@git.corp.test\npassword=p\n\n",
    "not UTF-8": b"protocol=https\nhost=git.corp.test\npassword=\xff\xfe\n\n",
}


@pytest.mark.parametrize("action", ["get", "store", "erase"])
def test_a_malformed_request_is_one_line_and_changes_nothing(
    person: tuple[Settings, dict[str, str]], action: str
) -> None:
    """git-credential-strongroom, as git runs it, given lines git would never send: one line on
    standard error, exit 2, nothing answered, stored or trashed."""
    mine, env = person
    add(mine, ItemDraft("Corp git", "alice", "p", ("https://git.corp.test",), fields=(GIT_MARK,)))
    before = strongroom(mine, "ls", "--json").stdout
    for name, request in REFUSED_REQUESTS.items():
        done = subprocess.run(
            ["git-credential-strongroom", action],
            input=request,
            capture_output=True,
            env=env,
            timeout=60,
            cwd=env["HOME"],
        )
        assert done.returncode == 2, (name, done.stderr)
        assert done.stdout == b"", name
        assert len(done.stderr.decode().splitlines()) == 1, (name, done.stderr)
        assert b"Traceback" not in done.stderr
        assert b"nothing was done" in done.stderr, name
    assert strongroom(mine, "ls", "--json").stdout == before


def test_attributes_git_adds_are_ignored_and_never_echoed(
    person: tuple[Settings, dict[str, str]],
) -> None:
    """wwwauth[], capability[], password_expiry_utc and oauth_refresh_token (newer gits send
    them) change no answer, are never written back, and are never stored."""
    mine, _ = person
    extra = (
        'wwwauth[]=Basic realm="corp"\nwwwauth[]=Bearer realm="corp"\ncapability[]=authtype\n'
        "capability[]=state\npassword_expiry_utc=1999999999\noauth_refresh_token=refresh-secret\n"
    )
    asked = strongroom(
        mine, "git-credential", "get", stdin=f"protocol=https\n{extra}host=github.com\n\n"
    )
    assert asked.returncode == 0, asked.stderr
    assert asked.stdout == "username=alice\npassword=web-secret\n"
    stored = f"protocol=https\nhost=git.corp.test\nusername=alice\npassword=tok\n{extra}\n"
    saved = strongroom(mine, "git-credential", "store", stdin=stored)
    assert saved.returncode == 0, saved.stderr
    assert "refresh-secret" not in saved.stderr + saved.stdout
    whole = strongroom(mine, "get", "git.corp.test", "--json")
    assert '"password": "tok"' in whole.stdout
    for word in ("refresh-secret", "1999999999", "realm", "authtype"):
        assert word not in whole.stdout

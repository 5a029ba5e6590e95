"""git's credential helper against what an attacker tries: reading every item through it past
the bulk-read limit, a file whose import would make an item git's own (answered ahead of the
person's), and a ``url=`` that cannot be split. The installed command, real tmux."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import access as reads
from app.core.config import Settings
from app.core.credential import GIT_MARK
from app.core.items import ItemDraft
from app.services.backend import Backend
from tests.command_line import command_in_pane, one_clean_line, strongroom
from tests.helpers import STRONG_PASSWORD
from tests.terminal import terminal

LINES = f"alice\n{STRONG_PASSWORD}\n{STRONG_PASSWORD}\n"


def seed_many(settings: Settings) -> list[int]:
    """Alice, remembered and unlocked, with READS + 2 items for https://hN.example, each with
    password "secret-N"; their ids in order."""
    backend = Backend(settings, device_label="seed")
    try:
        accounts = backend.accounts()
        accounts.register("alice", STRONG_PASSWORD, STRONG_PASSWORD)
        active = accounts.login("alice", STRONG_PASSWORD, remember=True)
        vault = backend.vault()
        for n in range(reads.READS + 2):
            url = f"https://h{n}.example"
            vault.add(active, ItemDraft(f"Item {n}", "alice", f"secret-{n}", (url,)))
        return sorted(item.id for item in vault.list_items(active))
    finally:
        backend.close()


def read_up_to_the_limit(settings: Settings, ids: list[int]) -> None:
    for n, item_id in enumerate(ids[: reads.READS]):
        done = strongroom(settings, "get", f"id:{item_id}", "--no-input")
        assert (done.returncode, done.stdout) == (0, f"secret-{n}\n"), done.stderr


def request(n: int) -> str:
    return f"protocol=https\nhost=h{n}.example\n\n"


def test_git_credential_get_counts_toward_the_bulk_read_limit(settings: Settings) -> None:
    """Past READS different items' secrets, git's get asks for the master password as `get`
    does: without --no-input and without a terminal too (git's standard input is the
    request, never the password), one line, exit 4, nothing answered."""
    ids = seed_many(settings)
    read_up_to_the_limit(settings, ids)
    n = reads.READS
    for flags in (("--no-input",), ()):
        over = strongroom(settings, "git-credential", "get", *flags, stdin=request(n))
        assert (over.returncode, over.stdout) == (4, ""), (flags, over.stderr)
        one_clean_line(over.stderr)
    again = strongroom(settings, "git-credential", "get", "--no-input", stdin=request(0))
    assert again.stdout == "username=alice\npassword=secret-0\n", again.stderr  # one read before


def test_git_credential_get_past_the_limit_asks_on_the_terminal(sqlite_settings: Settings) -> None:
    """git pipes its request in; the master password is asked for on the terminal, and the
    answer follows it, logged as typed (the count starts again)."""
    settings = sqlite_settings
    ids = seed_many(settings)
    read_up_to_the_limit(settings, ids)
    n = reads.READS
    printf = "printf '" + request(n).replace("\n", "\\n") + "' | "
    with terminal(settings, 80, 24) as term:
        term.run(printf + command_in_pane(settings, "git-credential", "get"))
        term.wait_for("Master password for alice:")
        term.type(STRONG_PASSWORD)
        term.keys("Enter")
        term.wait_for("EXIT=0")
        assert f"password=secret-{n}" in term.screen()
    log = settings.security_log_path.read_text().splitlines()
    last = json.loads(log[-1])
    assert last["detail"] == f"item {ids[n]}, git credential, {reads.TYPED}"


def test_an_imported_file_cannot_make_an_item_git_s_own(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    """A file carrying git's mark on an item for a host the person has a login for: after the
    import git is not answered with the file's password, and the field's value is kept, under
    another name."""
    settings = sqlite_settings
    assert strongroom(settings, "register", stdin=LINES).returncode == 0
    assert strongroom(settings, "login", "--remember", stdin=LINES).returncode == 0
    added = strongroom(settings, "add", "Forge", "--username", "alice", "--url",
                       "https://git.corp.test", stdin="my-own-secret\n")  # fmt: skip
    assert added.returncode == 0, added.stderr
    asked = "protocol=https\nhost=git.corp.test\n\n"
    mark = {"name": f" {GIT_MARK.name} ", "value": GIT_MARK.value, "type": 0}
    planted = {
        "encrypted": False,
        "items": [
            {
                "type": 1,
                "name": "team logins",
                "login": {
                    "username": "alice",
                    "password": "someone-elses",
                    "uris": [{"uri": "https://git.corp.test"}],
                },
                "fields": [mark, {**mark, "name": f"{GIT_MARK.name} (imported)"}],
            }
        ],
    }
    export = tmp_path / "team.json"
    export.write_text(json.dumps(planted))
    imported = strongroom(settings, "import", str(export))
    assert imported.returncode == 0, imported.stderr
    after = strongroom(settings, "git-credential", "get", stdin=asked)
    assert "someone-elses" not in after.stdout, "the imported item answered git ahead of mine"
    shown = strongroom(settings, "get", "team logins", "--json")
    fields = {f["name"]: f["value"] for f in json.loads(shown.stdout)["fields"]}
    assert fields == {
        f"{GIT_MARK.name} (imported)": GIT_MARK.value,
        f"{GIT_MARK.name} (imported 2)": GIT_MARK.value,
    }, shown.stdout


@pytest.mark.parametrize("url", ["https://[::1", "https://h]ost", "http://[v1.x"])
def test_a_url_that_cannot_be_split_is_one_line(sqlite_settings: Settings, url: str) -> None:
    settings = sqlite_settings
    assert strongroom(settings, "register", stdin=LINES).returncode == 0
    assert strongroom(settings, "login", "--remember", stdin=LINES).returncode == 0
    for action in ("get", "store", "erase"):
        done = strongroom(settings, "git-credential", action, stdin=f"url={url}\npassword=x\n\n")
        assert (done.returncode, done.stdout) == (2, ""), (action, done.stderr)
        one_clean_line(done.stderr)
        assert "nothing was done" in done.stderr
    assert json.loads(strongroom(settings, "ls", "--json").stdout) == []

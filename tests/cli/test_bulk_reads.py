"""Reading the whole vault without the master password: an unlocked session reads one item at a
time, `ls` prints no secret, an export asks for the master password, and a script reading item
after item is seen (each read in the security log by id) and, after READS different items in
WINDOW, asked for the master password again, whether the agent or the command answers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.cli import access as reads
from app.cli.exits import REFUSED
from app.core.config import Settings
from app.core.items import CustomField, ItemDraft
from app.services.backend import Backend
from tests.command_line import agent_socket, one_clean_line, strongroom
from tests.helpers import STRONG_PASSWORD

COUNT = reads.READS + 2
TOTP = "JBSWY3DPEHPK3PXP"


def seed_many(settings: Settings) -> list[int]:
    """Alice, remembered and unlocked, with COUNT items "Item 0".."Item N" (password
    "secret-N", notes "notes-N"); their ids."""
    backend = Backend(settings, device_label="seed")
    try:
        accounts = backend.accounts()
        accounts.register("alice", STRONG_PASSWORD, STRONG_PASSWORD)
        active = accounts.login("alice", STRONG_PASSWORD, remember=True)
        vault = backend.vault()
        for number in range(COUNT):
            draft = ItemDraft(
                f"Item {number}", "alice", f"secret-{number}", notes=f"notes-{number}", totp=TOTP
            )
            vault.add(active, draft)
        return sorted(item.id for item in vault.list_items(active))
    finally:
        backend.close()


def log_entries(settings: Settings) -> list[dict[str, str]]:
    lines = settings.security_log_path.read_text().splitlines()
    return [json.loads(line) for line in lines]


def test_a_script_reading_every_item_is_asked_for_the_master_password_after_the_limit(
    settings: Settings, agent_runtime: Path
) -> None:
    ids = seed_many(settings)
    first = strongroom(settings, "get", f"id:{ids[0]}", "--no-input", agent=agent_runtime)
    assert first.returncode == 0, first.stderr
    agent_socket(agent_runtime)  # the rest are answered warm, as a script's loop would be
    for number, item_id in enumerate(ids[: reads.READS]):
        done = strongroom(settings, "get", f"id:{item_id}", "--no-input", agent=agent_runtime)
        assert (done.returncode, done.stdout) == (0, f"secret-{number}\n"), done.stderr
    assert log_entries(settings)[-1]["detail"].endswith("(agent)")

    # One more item: not without the master password, from the agent or the command alike.
    over = ids[reads.READS]
    refused = strongroom(settings, "get", f"id:{over}", "--no-input", agent=agent_runtime)
    assert (refused.returncode, refused.stdout) == (4, "")
    assert "master password" in refused.stderr
    one_clean_line(refused.stderr)
    for other in (("totp", f"id:{over}"), ("show", f"id:{over}", "--reveal")):
        again = strongroom(settings, *other, "--no-input", agent=agent_runtime)
        assert again.returncode == 4, (other, again.stdout, again.stderr)
        assert f"secret-{reads.READS}" not in again.stdout
    # What was read already still is; fields that are not secret too.
    reread = strongroom(settings, "get", f"id:{ids[0]}", "--no-input", agent=agent_runtime)
    assert (reread.returncode, reread.stdout) == (0, "secret-0\n"), reread.stderr
    name = strongroom(settings, "get", f"id:{over}", "-f", "username", "--no-input")
    assert (name.returncode, name.stdout) == (0, "alice\n"), name.stderr
    masked = strongroom(settings, "show", f"id:{over}", "--no-input", agent=agent_runtime)
    assert masked.returncode == 0, masked.stderr
    assert f"secret-{reads.READS}" not in masked.stdout
    assert f"notes-{reads.READS}" not in masked.stdout  # notes are a secret, as to get -f notes
    notes = strongroom(settings, "get", f"id:{over}", "-f", "notes", "--no-input")
    assert (notes.returncode, notes.stdout) == (4, ""), notes.stderr

    wrong = strongroom(settings, "get", f"id:{over}", stdin="not the password\n")
    assert (wrong.returncode, wrong.stdout) == (REFUSED, ""), wrong.stderr
    typed = strongroom(settings, "get", f"id:{over}", stdin=f"{STRONG_PASSWORD}\n")
    assert (typed.returncode, typed.stdout) == (0, f"secret-{reads.READS}\n"), typed.stderr
    assert log_entries(settings)[-1]["detail"] == f"item {over}, password, master password typed"
    # Typed, the count starts again.
    last = ids[reads.READS + 1]
    after = strongroom(settings, "get", f"id:{last}", "--no-input", agent=agent_runtime)
    assert (after.returncode, after.stdout) == (0, f"secret-{reads.READS + 1}\n"), after.stderr


def test_reads_older_than_the_window_do_not_count(settings: Settings) -> None:
    ids = seed_many(settings)
    old = datetime.now(UTC) - reads.WINDOW - timedelta(minutes=1)
    lines = [
        {"time": old.isoformat(), "event": "item_read", "username": "alice", "detail": f"item {i}"}
        for i in ids[: reads.READS]
    ]
    with settings.security_log_path.open("a") as log:
        log.writelines(json.dumps(line) + "\n" for line in lines)
    later = strongroom(settings, "get", f"id:{ids[reads.READS]}", "--no-input")
    assert (later.returncode, later.stdout) == (0, f"secret-{reads.READS}\n"), later.stderr
    # The same reads within the window: the next item asks.
    recent = datetime.now(UTC) - timedelta(minutes=1)
    with settings.security_log_path.open("a") as log:
        for line in lines:
            log.write(json.dumps(line | {"time": recent.isoformat()}) + "\n")
    asked = strongroom(settings, "get", f"id:{ids[reads.READS + 1]}", "--no-input")
    assert (asked.returncode, asked.stdout) == (4, ""), asked.stderr


def test_ls_prints_no_secret(settings: Settings, agent_runtime: Path) -> None:
    backend = Backend(settings, device_label="seed")
    accounts = backend.accounts()
    accounts.register("alice", STRONG_PASSWORD, STRONG_PASSWORD)
    active = accounts.login("alice", STRONG_PASSWORD, remember=True)
    draft = ItemDraft(
        "Bank",
        "alice",
        "pw-secret-1",
        ("https://bank.example",),
        notes="notes-secret-2",
        totp="JBSWY3DPEHPK3PXP",
        fields=(CustomField("PIN", "pin-secret-3", secret=True),),
    )
    backend.vault().add(active, draft)
    backend.close()
    secrets = ("pw-secret-1", "notes-secret-2", "JBSWY3DPEHPK3PXP", "pin-secret-3")
    for args in (("ls",), ("ls", "--json"), ("ls", "Bank"), ("ls", "--json")):
        listed = strongroom(settings, *args, "--no-input", agent=agent_runtime)
        assert listed.returncode == 0, listed.stderr
        assert "Bank" in listed.stdout
        assert not [secret for secret in secrets if secret in listed.stdout + listed.stderr]

"""What another user of the machine, or a full disk, can do to a written export or health report.

A replaced export is a new owner-only file renamed over the old one: another user who opened the
old, readable file before keeps that descriptor, and reads the old text through it, never a
password. ``health --csv --force`` writes as export does: never into another user's file. An
export to standard output that cannot be written says so in one line, with no success message.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from app.core.config import Settings
from app.core.items import ItemDraft
from tests.command_line import strongroom
from tests.helpers import STRONG_PASSWORD
from tests.pilot import seed
from tests.terminal import STRONGROOM
from tests.transfer import export

SECRET = "bank-secret-for-the-export"
OLD = "an old, harmless export\n"
# Another user's process: opens the file, says so, waits, then reads it from the start.
READER = """
import sys
handle = open(sys.argv[1])
print("open", flush=True)
sys.stdin.readline()
handle.seek(0)
sys.stdout.write(handle.read())
"""


def reachable_by_others(folder: Path) -> None:
    """``folder`` and the folders above it under /tmp open to others, as a home 0755 is."""
    folder.chmod(0o755)
    for above in folder.parents:
        if Path(tempfile.gettempdir()) in above.parents:
            above.chmod(above.stat().st_mode | 0o011)


def test_a_replaced_export_is_not_readable_through_a_descriptor_opened_before(
    settings: Settings, tmp_path: Path, other_user: str
) -> None:
    seed(settings, ItemDraft("Bank", "alice", SECRET))
    shared = tmp_path / "shared"
    shared.mkdir()
    reachable_by_others(shared)
    target = shared / "vault.csv"
    target.write_text(OLD)
    os.chmod(target, 0o644)
    user = pwd.getpwnam(other_user)
    reader = subprocess.Popen(
        ["/usr/bin/python3", "-c", READER, str(target)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        user=user.pw_uid,
        group=user.pw_gid,
        extra_groups=[],
    )
    assert reader.stdout is not None
    assert reader.stdout.readline() == "open\n"
    done = export(settings, "--format", "keepassxc-csv", "-o", str(target), "--force")
    assert done.returncode == 0, done.stderr
    seen, _ = reader.communicate("go\n", timeout=60)
    assert SECRET not in seen, "another user read the export through an old descriptor"
    assert seen == OLD
    assert (os.stat(target).st_mode & 0o777) == 0o600
    assert SECRET in target.read_text()
    assert [path.name for path in shared.iterdir()] == ["vault.csv"]  # no file left beside it


def test_health_csv_never_writes_into_another_users_file(
    sqlite_settings: Settings, other_user: str
) -> None:
    settings = sqlite_settings
    seed(settings, ItemDraft("Secret Project Title", "alice", "abc"))
    shared = Path(tempfile.mkdtemp(prefix="strongroom-shared-"))  # others reach it, as /tmp
    try:
        shared.chmod(0o1777)
        planted = shared / "report.csv"
        subprocess.run(
            ["su", other_user, "-s", "/bin/sh", "-c", f"umask 0; echo planted > {planted}"],
            check=True,
        )
        done = strongroom(settings, "health", "--csv", str(planted), "--force")
        written = planted.read_text()
        owner = planted.stat().st_uid
    finally:
        shutil.rmtree(shared, ignore_errors=True)
    assert "Secret Project Title" not in written, "the titles went into another user's file"
    assert written == "planted\n"
    assert owner == pwd.getpwnam(other_user).pw_uid
    assert done.returncode == 2
    assert "belongs to another user" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_export_to_standard_output_that_fails_does_not_say_it_was_written(
    settings: Settings,
) -> None:
    """Standard output that cannot take the text (a full disk; /dev/full here): one line, no
    "Exported N items", no Python "Exception ignored", and not 0."""
    seed(settings, ItemDraft("Bank", "alice", SECRET))
    strongroom(settings, "status")  # the config file, as the command line's tests write it
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [
                str(STRONGROOM),
                "--config-dir",
                str(settings.config_dir),
                "--data-dir",
                str(settings.data_dir),
                "export",
                "--format",
                "keepassxc-csv",
            ],
            input=f"{STRONG_PASSWORD}\n",
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env={"STRONGROOM_DATABASE_URL": settings.database_url, "PATH": "/usr/bin:/bin"},
            timeout=120,
            start_new_session=True,
        )
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [
        "strongroom: cannot write the output: No space left on device"
    ], done.stderr

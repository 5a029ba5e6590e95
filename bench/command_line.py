"""The command line against other managers' on the same items: `strongroom get`, `ls`,
`totp` and `run -- true` beside `pass show` / `pass ls` and `keepassxc-cli show`.

    python -m bench.command_line [--items 10000] [--runs 10] [--kdf-ms 500]

Strongroom's vault is on SQLite with a remembered session, as after a login on this device;
`get` is timed warm (answered by the agent a first read started) and cold (the agent turned
off: imports, connection and listing every time). The same items go into a `pass` store, under
a GnuPG key without a passphrase (what gpg-agent holding the key amounts to), encrypted by one
gpg run, and into a KeePassXC database whose key derivation takes ``--kdf-ms`` (Strongroom's
own cost). `strongroom run -- true` runs with one reference in its environment (the same
item's password, read through the agent and masked in the program's output, which is empty):
the whole of what `run` adds to a program. Every command is a fresh process, timed from start
to exit, the same entry each time, all of them in turn so that each round sees the same
machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from bench import keepass
from bench.startup import PASSWORD
from bench.vault import Samples, drafts, prepare, settings_for

STRONGROOM = Path(sys.executable).parent / "strongroom"
# The floor under a `get` without the agent: Python started and SQLAlchemy imported, nothing else.
SQLALCHEMY_ALONE = "python -c 'import sqlalchemy.orm'"
TOTP_SECRET = "JBSWY3DPEHPK3PXP"


def available() -> str | None:
    """Why the peers cannot be measured here, or None."""
    for tool in ("pass", "gpg", keepass.KEEPASSXC_CLI):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    return None


def _pass_store(root: Path, count: int) -> dict[str, str]:
    """A pass store of the seeded items; the environment pass needs."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(root),
        "GNUPGHOME": str(root / "gnupg"),
        "PASSWORD_STORE_DIR": str(root / "store"),
    }
    (root / "gnupg").mkdir(mode=0o700)
    run = {"env": env, "check": True, "capture_output": True}
    subprocess.run(
        ["gpg", "--batch", "--passphrase", "", "--quick-gen-key", "Bench <bench@example.org>"],
        **run,  # type: ignore[call-overload]
    )
    listed = subprocess.run(
        ["gpg", "--list-keys", "--with-colons"],
        text=True,
        **run,  # type: ignore[call-overload]
    ).stdout
    key = next(line.split(":")[9] for line in listed.splitlines() if line.startswith("fpr"))
    subprocess.run(["pass", "init", key], **run)  # type: ignore[call-overload]
    plain = root / "plain"
    plain.mkdir()
    names = []
    for draft in drafts(count):
        name = draft.title.replace("/", "-")
        body = f"{draft.password}\nusername: {draft.username}\nurl: {draft.urls[0]}\n"
        (plain / name).write_text(body + (f"notes: {draft.notes}\n" if draft.notes else ""))
        names.append(name)
    # One gpg run for every entry (pass insert would start a shell and gpg per entry).
    subprocess.run(
        [
            "gpg",
            "--batch",
            "--yes",
            "--trust-model",
            "always",
            "-r",
            key,
            "--multifile",
            "--encrypt",
            *(str(plain / name) for name in names),
        ],
        **run,  # type: ignore[call-overload]
    )
    for name in names:
        (plain / f"{name}.gpg").rename(root / "store" / f"{name}.gpg")
    shutil.rmtree(plain)
    return env


def _timed(command: list[str], env: dict[str, str], stdin: str = "", expect: str = "") -> float:
    started = time.perf_counter()
    done = subprocess.run(command, input=stdin, capture_output=True, text=True, env=env)
    elapsed = (time.perf_counter() - started) * 1000
    if done.returncode != 0 or expect not in done.stdout:
        raise RuntimeError(f"{command[0]} {command[1]} failed: {done.stderr.strip()[-300:]}")
    return elapsed


def measure_command_line(count: int, runs: int, kdf_ms: int) -> Samples:
    from app.core.items import ItemDraft
    from app.services.backend import Backend

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        url = f"sqlite:///{root / 'data' / 'strongroom.db'}"
        prepare(url, root, count)
        backend = Backend(settings_for(root, url), device_label="bench")  # type: ignore[arg-type]
        session = backend.accounts().startup().session
        assert session is not None
        totp_item = ItemDraft("Bench TOTP", totp=TOTP_SECRET)
        backend.vault().add(session, totp_item)
        backend.close()
        # The same device, twice: with the agent (the default), and with it turned off.
        cold = root / "config-cold"
        shutil.copytree(root / "config", cold)
        (cold / "config.toml").write_text("command_line_agent = false\n")
        (cold / "config.toml").chmod(0o600)
        runtime = root / "run"
        runtime.mkdir(mode=0o700)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(root),
            "XDG_RUNTIME_DIR": str(runtime),
            "STRONGROOM_DATABASE_URL": url,
        }

        def strongroom(config: Path, *args: str) -> list[str]:
            return [
                str(STRONGROOM),
                "--config-dir",
                str(config),
                "--data-dir",
                str(root / "data"),
                *args,
            ]

        pass_env = _pass_store(root, count)
        xml, database = root / "items.xml", root / "items.kdbx"
        keepass.write_xml(count, xml)
        keepass.import_database(xml, database, kdf_ms)
        target = drafts(count)[count // 2]
        name = target.title.replace("/", "-")
        run_env = {**env, "BENCH_SECRET": f"sr://{quote(target.title, safe='')}/password"}
        commands = {
            "strongroom get": (strongroom(root / "config", "get", target.title), env, ""),
            "strongroom get, no agent": (strongroom(cold, "get", target.title), env, ""),
            "strongroom ls": (strongroom(root / "config", "ls"), env, ""),
            "strongroom totp": (strongroom(root / "config", "totp", "Bench TOTP"), env, ""),
            "strongroom run -- true": (
                strongroom(root / "config", "run", "--", "true"),
                run_env,
                "",
            ),
            "pass show": (["pass", "show", name], pass_env, ""),
            SQLALCHEMY_ALONE: ([sys.executable, "-c", "import sqlalchemy.orm"], env, ""),
            "pass ls": (["pass", "ls"], pass_env, ""),
            "keepassxc-cli show": (
                [
                    keepass.KEEPASSXC_CLI,
                    "show",
                    "-q",
                    "-a",
                    "Password",
                    str(database),
                    target.title,
                ],
                dict(os.environ),
                f"{PASSWORD}\n",
            ),
        }
        expected = {
            "strongroom get": target.password,
            "pass show": target.password,
            "keepassxc-cli show": target.password,
        }
        try:
            # A first round unmeasured: it starts the agent and warms every cache alike.
            for label, (command, command_env, stdin) in commands.items():
                _timed(command, command_env, stdin, expected.get(label, ""))
            time.sleep(1)
            samples: Samples = {label: [] for label in commands}
            for _ in range(runs):
                for label, (command, command_env, stdin) in commands.items():
                    samples[label].append(
                        _timed(command, command_env, stdin, expected.get(label, ""))
                    )
        finally:
            subprocess.run(
                ["pkill", "-f", "--", f"--config-dir {root / 'config'} .* agent"], check=False
            )
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--kdf-ms", type=int, default=500)
    args = parser.parse_args()
    samples = measure_command_line(args.items, args.runs, args.kdf_ms)
    reference = statistics.median(samples["pass show"])
    for label, values in samples.items():
        median = statistics.median(values)
        print(f"{label:<32} {median:8.1f} ms  {median / reference:5.2f}x pass show")


if __name__ == "__main__":
    main()

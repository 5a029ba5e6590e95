"""An SSH signature through Strongroom's agent beside OpenSSH's ssh-agent holding the same key.

    python -m bench.ssh [--signatures 300] [--runs 5]

Each signature is made as a client makes one: connect to the agent's socket, one sign request
(an Ed25519 key, and an RSA-3072 key with the SHA-512 flag), read the answer, close. The same
private key is kept in the vault (Strongroom's agent, started by `strongroom ssh agent` on a
vault with a remembered, unlocked session) and loaded into ssh-agent by ssh-add. The first
signature's approval is given before the clock starts (the whole run is one terminal session,
as a person approves once). Rounds alternate between the two agents, so that both see the same
machine; a round's figure is its mean time per signature.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.vault import Samples, prepare, settings_for

STRONGROOM = Path(sys.executable).parent / "strongroom"
KINDS = ("ed25519", "rsa")
DATA = b"x" * 256  # about what ssh asks to sign for a login


def available() -> str | None:
    """Why ssh-agent cannot be measured here, or None."""
    for tool in ("ssh-agent", "ssh-add"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    return None


def _ask(path: Path, message: bytes) -> bytes:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.connect(str(path))
        connection.sendall(message)
        size = int.from_bytes(connection.recv(4, socket.MSG_WAITALL), "big")
        return connection.recv(size, socket.MSG_WAITALL)


def _wait_for(path: Path) -> None:
    deadline = time.monotonic() + 20
    while not path.exists():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{path} never appeared")
        time.sleep(0.02)


def measure_ssh(signatures: int, runs: int) -> Samples:
    """Mean milliseconds per signature in each round, by agent and key type."""
    from app.core import ssh, ssh_crypto
    from app.services.backend import Backend
    from app.services.ssh import key_draft
    from app.services.ssh_approvals import decide, waiting

    samples: Samples = {}
    with tempfile.TemporaryDirectory(prefix="strongroom-bench-ssh-") as folder:
        root = Path(folder)
        url = f"sqlite:///{root / 'strongroom.db'}"
        prepare(url, root, 10)
        backend = Backend(settings_for(root, url), device_label="bench")  # type: ignore[arg-type]
        session = backend.accounts().startup().session
        assert session is not None
        keys = {kind: ssh.generate(kind) for kind in KINDS}
        for kind, key in keys.items():
            backend.vault().add(session, key_draft(f"bench {kind}", key, []))
        backend.close()
        runtime = root / "run"
        runtime.mkdir(mode=0o700)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(root),
            "XDG_RUNTIME_DIR": str(runtime),
            "STRONGROOM_DATABASE_URL": url,
        }
        folders = ["--config-dir", str(root / "config"), "--data-dir", str(root / "data")]
        started = subprocess.run(
            [str(STRONGROOM), *folders, "ssh", "agent"],
            env=env, capture_output=True, text=True, check=True,
        )  # fmt: skip
        ours = Path(started.stdout.split("=", 1)[1].split(";", 1)[0])
        theirs = root / "openssh.sock"
        openssh = subprocess.Popen(
            ["ssh-agent", "-D", "-a", str(theirs)], stdout=subprocess.DEVNULL
        )
        try:
            _wait_for(theirs)
            for kind, key in keys.items():
                file = root / f"id_{kind}"
                file.write_text(ssh_crypto.private_text(key))
                file.chmod(0o600)
                subprocess.run(
                    ["ssh-add", "-q", str(file)], env={**env, "SSH_AUTH_SOCK": str(theirs)},
                    check=True, capture_output=True,
                )  # fmt: skip
            requests = {
                kind: ssh.sign_request(ssh.public_blob(key), DATA, ssh.RSA_SHA2_512)
                for kind, key in keys.items()
            }
            approvals = ours.with_suffix(".approve")
            stop = threading.Event()

            def approve() -> None:  # the person, answering the first use of each key
                while not stop.is_set():
                    for request in waiting(approvals) or []:
                        decide(approvals, request.number, True)
                    time.sleep(0.01)

            approver = threading.Thread(target=approve, daemon=True)
            approver.start()
            for request in requests.values():
                assert _ask(ours, request)[0] == ssh.SIGN_RESPONSE, "not approved"
            stop.set()
            approver.join()
            for _ in range(runs):
                for kind, request in requests.items():
                    for name, path in (("Strongroom agent", ours), ("ssh-agent", theirs)):
                        began = time.perf_counter()
                        for _ in range(signatures):
                            answer = _ask(path, request)
                        elapsed = time.perf_counter() - began
                        assert answer[0] == ssh.SIGN_RESPONSE, name
                        label = f"{kind} signature, {name}"
                        samples.setdefault(label, []).append(elapsed * 1000 / signatures)
        finally:
            openssh.terminate()
            openssh.wait(10)
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
                try:
                    probe.connect(str(ours))
                    pid = int.from_bytes(
                        probe.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12)[:4], "little"
                    )
                    os.kill(pid, signal.SIGTERM)
                except OSError:
                    pass
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--signatures", type=int, default=300, help="per round and agent")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    missing = available()
    if missing:
        sys.exit(f"skipped: {missing}")
    samples = measure_ssh(args.signatures, args.runs)
    for label, values in samples.items():
        print(f"{label}: {statistics.median(values):.3f} ms per signature")
    for kind in KINDS:
        ours = statistics.median(samples[f"{kind} signature, Strongroom agent"])
        theirs = statistics.median(samples[f"{kind} signature, ssh-agent"])
        print(f"{kind}: Strongroom agent / ssh-agent = {ours / theirs:.2f}x")


if __name__ == "__main__":
    main()

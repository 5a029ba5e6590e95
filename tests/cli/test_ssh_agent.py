"""The SSH agent with the real OpenSSH: `ssh` logs in to a throwaway sshd (run as another Unix
user, ``MaxAuthTries 2``) with Ed25519, RSA-3072 and ECDSA keys kept in the vault among ten
keys, each offered only to the host it is bound to; `ssh-add -l` lists, `ssh-add` is refused;
`ssh-keygen -Y sign` and `git commit -S` sign with a vault key; after a lock nothing is listed
and a login fails; another user's connection is refused."""

from __future__ import annotations

import base64
import contextlib
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from app.core import ssh as core_ssh
from app.core.config import Settings
from app.core.ssh_crypto import fingerprint
from app.services.backend import Backend
from app.services.ssh import VaultKey, key_draft
from tests.command_line import strongroom
from tests.helpers import STRONG_PASSWORD
from tests.sshd import (
    Approver,
    Sshd,
    agent_env,
    agent_pid,
    need_openssh,
    seed,
    ssh,
    sshd,
    start_agent,
    stop_agent,
)

TYPES = {"ed25519": "ED25519", "rsa": "RSA", "ecdsa": "ECDSA"}


@dataclass
class World:
    settings: Settings
    runtime: Path
    home: Path
    servers: dict[str, Sshd]  # by key type: each server takes only its own key
    known_hosts: Path
    sock: Path
    pubkeys: dict[str, str] = field(default_factory=dict)

    def run(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return strongroom(
            self.settings, *args, agent=self.runtime, env=agent_env(self.home), stdin=stdin
        )

    def pubkey(self, title: str) -> str:
        """The key's authorized_keys line, as `strongroom ssh pubkey` prints it (once)."""
        if title not in self.pubkeys:
            done = self.run("ssh", "pubkey", title)
            assert done.returncode == 0, done.stderr
            self.pubkeys[title] = done.stdout.strip()
        return self.pubkeys[title]


def offered(stderr: str) -> list[str]:
    """The keys `ssh -v` offered, by their comment (the item's title)."""
    return re.findall(r"Offering public key: (.+?) (?:ED25519|RSA|ECDSA) SHA256", stderr)


@pytest.fixture
def world(
    sqlite_settings: Settings, agent_runtime: Path, other_user: str, tmp_path: Path
) -> Iterator[World]:
    """Three servers and ten keys: one of each type bound to its server, six bound to hosts
    elsewhere, and one bound to none ("Signing key"); the agent started by `ssh agent`. (The
    commands that make keys are proved in test_ssh_commands; here keys are added as they do,
    in this process, as the machine is slow enough already.)"""
    need_openssh()
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    settings = sqlite_settings
    drafts = [
        key_draft(f"Elsewhere {n}", core_ssh.generate("ed25519"), [f"host{n}.example.org"])
        for n in range(6)
    ]
    drafts.append(key_draft("Signing key", core_ssh.generate("ed25519"), []))
    pubkeys = {}
    with contextlib.ExitStack() as stack:
        servers = {kind: stack.enter_context(sshd(other_user)) for kind in TYPES}
        for kind, server in servers.items():
            key = core_ssh.generate(kind)
            drafts.append(key_draft(f"{kind} key", key, [f"127.0.0.1:{server.port}"]))
            pubkeys[f"{kind} key"] = VaultKey(0, f"{kind} key", b"", key).authorized_line
            server.authorize(pubkeys[f"{kind} key"])
        seed(settings, drafts)
        known_hosts = home / ".ssh" / "known_hosts"
        known_hosts.write_text("".join(s.known_hosts_line + "\n" for s in servers.values()))
        sock = start_agent(settings, agent_runtime, home)
        stack.callback(stop_agent, sock)
        yield World(settings, agent_runtime, home, servers, known_hosts, sock, pubkeys)


def test_ssh_logs_in_with_each_key_type_among_ten_keys(world: World) -> None:
    listed = subprocess.run(
        ["ssh-add", "-l"], env={"SSH_AUTH_SOCK": str(world.sock)}, capture_output=True, text=True
    )
    assert len(listed.stdout.splitlines()) == 10, listed
    with Approver(world.sock) as approver:
        for kind, server in world.servers.items():
            done = ssh(world.sock, server, world.known_hosts, "-v")
            assert (done.returncode, done.stdout) == (0, "ok\n"), done.stderr[-2000:]
            # Only its own key and the unbound one: never "Too many authentication failures".
            assert set(offered(done.stderr)) <= {f"{kind} key", "Signing key"}
            assert f"{kind} key" in offered(done.stderr)
            fingerprint = world.pubkey(f"{kind} key")
            assert f"ssh2: {TYPES[kind]} " in server.log()
            assert fingerprint
    assert sorted(set(approver.asked)) == sorted(f"{kind} key" for kind in TYPES)


def test_a_key_bound_to_another_host_is_neither_offered_nor_used(world: World) -> None:
    """The RSA server also authorizes the Ed25519 key, which is bound to another server: it
    is never offered there, and the login takes the RSA key; with the RSA key no longer
    authorized, nothing else gets in."""
    rsa_server = world.servers["rsa"]
    rsa_server.authorize(world.pubkey("ed25519 key"), world.pubkey("rsa key"))
    with Approver(world.sock) as approver:
        done = ssh(world.sock, rsa_server, world.known_hosts, "-v")
        assert (done.returncode, done.stdout) == (0, "ok\n"), done.stderr[-2000:]
        assert "ed25519 key" not in offered(done.stderr)
        assert "Elsewhere 0" not in offered(done.stderr)
        assert approver.asked == ["rsa key"]
        rsa_server.authorize(world.pubkey("ed25519 key"))
        refused = ssh(world.sock, rsa_server, world.known_hosts, "-v")
    assert refused.returncode != 0
    assert "ed25519 key" not in offered(refused.stderr)
    assert approver.asked == ["rsa key"]  # a refused key was never asked to sign


def test_a_forwarded_agent_offers_no_bound_key(world: World) -> None:
    """`ssh -A` to the Ed25519 server: there, the forwarded agent lists only the unbound key,
    and a login from there to the RSA server (its key bound to that server) fails."""
    first, second = world.servers["ed25519"], world.servers["rsa"]
    remote_known_hosts = first.folder / "known_hosts"
    remote_known_hosts.write_text(second.known_hosts_line + "\n")
    shutil.chown(remote_known_hosts, first.user)
    inner = (
        "ssh-add -l; ssh -F /dev/null -o BatchMode=yes -o IdentityFile=none "
        f"-o UserKnownHostsFile={remote_known_hosts} -o GlobalKnownHostsFile=/dev/null "
        f"-o StrictHostKeyChecking=yes -p {second.port} {second.user}@127.0.0.1 echo inner; "
        "echo rc=$?"
    )
    with Approver(world.sock) as approver:
        done = ssh(world.sock, first, world.known_hosts, "-A", command=inner)
    assert done.returncode == 0, done.stderr
    listed = [line for line in done.stdout.splitlines() if "SHA256:" in line]
    assert len(listed) == 1
    assert "Signing key (ED25519)" in listed[0]
    assert "inner" not in done.stdout.splitlines()
    assert "rc=255" in done.stdout
    assert approver.asked == ["ed25519 key"]  # the bound RSA key was never even asked for


def test_rsa_signatures_use_the_hash_the_client_asks_for(world: World) -> None:
    """sshd checks that the signature's algorithm is the one the client named: SHA-256 and
    SHA-512 each log in only when the agent honours the flag."""
    server = world.servers["rsa"]
    with Approver(world.sock):
        for algorithm in ("rsa-sha2-256", "rsa-sha2-512"):
            done = ssh(
                world.sock, server, world.known_hosts, f"-oPubkeyAcceptedAlgorithms={algorithm}"
            )
            assert (done.returncode, done.stdout) == (0, "ok\n"), (algorithm, done.stderr)


def test_without_bindings_ten_keys_are_too_many(world: World) -> None:
    """What binding spares: the same login with every key offered fails after two (the
    server whose key the agent lists last, behind at least two others)."""
    env = {"SSH_AUTH_SOCK": str(world.sock)}
    backend = Backend(world.settings, device_label="test")
    try:
        session = backend.accounts().startup().session
        assert session is not None
        for item in backend.vault().list_items(session):
            backend.vault().update(session, item.id, item.version, replace(item.draft(), urls=()))
    finally:
        backend.close()
    listed = subprocess.run(["ssh-add", "-l"], env=env, capture_output=True, text=True).stdout
    titles = [line.split(" ", 2)[2].rsplit(" (", 1)[0] for line in listed.splitlines()]
    last = max(TYPES, key=lambda kind: titles.index(f"{kind} key"))
    assert titles.index(f"{last} key") >= 2
    server = world.servers[last]
    with Approver(world.sock):
        done = ssh(world.sock, server, world.known_hosts, "-v")
    assert len(offered(done.stderr)) == 2
    assert done.returncode != 0
    assert "Too many authentication failures" in done.stderr + server.log()


def test_ssh_add_lists_and_cannot_add_or_remove(world: World, tmp_path: Path) -> None:
    env = {"SSH_AUTH_SOCK": str(world.sock), "PATH": "/usr/bin:/bin"}
    listed = subprocess.run(["ssh-add", "-l"], env=env, capture_output=True, text=True)
    assert listed.returncode == 0
    assert "Signing key (ED25519)" in listed.stdout
    assert "rsa key (RSA)" in listed.stdout
    assert listed.stdout.startswith(("256 SHA256:", "3072 SHA256:"))
    key = tmp_path / "id_extra"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    added = subprocess.run(["ssh-add", str(key)], env=env, capture_output=True, text=True)
    assert added.returncode != 0
    assert "Could not add identity" in added.stderr
    removed = subprocess.run(["ssh-add", "-D"], env=env, capture_output=True, text=True)
    assert removed.returncode != 0
    after = subprocess.run(["ssh-add", "-l"], env=env, capture_output=True, text=True)
    assert after.stdout == listed.stdout


def test_ssh_keygen_and_git_sign_with_a_vault_key(world: World, tmp_path: Path) -> None:
    public = tmp_path / "signing.pub"
    public.write_text(world.pubkey("Signing key") + "\n")
    message = tmp_path / "message"
    message.write_text("hello\n")
    env = {"SSH_AUTH_SOCK": str(world.sock), "PATH": "/usr/bin:/bin", "HOME": str(world.home)}
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(f"alice@example.org {world.pubkey('Signing key')}\n")
    with Approver(world.sock):
        signed = subprocess.run(
            ["ssh-keygen", "-Y", "sign", "-f", str(public), "-n", "file", str(message)],
            env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        assert signed.returncode == 0, signed.stderr
        verified = subprocess.run(
            ["ssh-keygen", "-Y", "verify", "-f", str(allowed), "-I", "alice@example.org",
             "-n", "file", "-s", f"{message}.sig"],
            env=env, input="hello\n", capture_output=True, text=True,
        )  # fmt: skip
        assert verified.returncode == 0, verified.stderr
        assert 'Good "file" signature' in verified.stdout
        repo = tmp_path / "repo"
        git = ["git", "-C", str(repo), "-c", "user.name=Alice", "-c", "user.email=a@example.org"]
        git += ["-c", "gpg.format=ssh", "-c", f"user.signingkey={public}"]
        git += ["-c", f"gpg.ssh.allowedSignersFile={allowed}"]
        subprocess.run(["git", "init", "-q", str(repo)], check=True, env=env)
        commit = subprocess.run(
            [*git, "commit", "-q", "-S", "--allow-empty", "-m", "signed"],
            env=env, capture_output=True, text=True,
        )  # fmt: skip
        assert commit.returncode == 0, commit.stderr
    check = subprocess.run([*git, "verify-commit", "HEAD"], env=env, capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    assert 'Good "git" signature for alice@example.org' in check.stderr
    # The bound key refuses to sign what is not a login to its host.
    bound = tmp_path / "bound.pub"
    bound.write_text(world.pubkey("ed25519 key") + "\n")
    with Approver(world.sock):
        refused = subprocess.run(
            ["ssh-keygen", "-Y", "sign", "-f", str(bound), "-n", "file", str(message)],
            env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    assert refused.returncode != 0


def test_after_a_lock_nothing_is_listed_and_a_login_fails(world: World) -> None:
    env = {"SSH_AUTH_SOCK": str(world.sock), "PATH": "/usr/bin:/bin"}
    server = world.servers["ed25519"]
    with Approver(world.sock):
        assert ssh(world.sock, server, world.known_hosts).returncode == 0
        locked = world.run("lock")
        assert locked.returncode == 0, locked.stderr
        listed = subprocess.run(["ssh-add", "-l"], env=env, capture_output=True, text=True)
        assert listed.stdout.strip() == "The agent has no identities."
        assert listed.returncode == 1
        failed = ssh(world.sock, server, world.known_hosts)
        assert failed.returncode != 0
        assert "Permission denied" in failed.stderr
        opened = world.run("unlock", stdin=STRONG_PASSWORD + "\n")
        assert opened.returncode == 0, opened.stderr
        assert len(subprocess.run(
            ["ssh-add", "-l"], env=env, capture_output=True, text=True
        ).stdout.splitlines()) == 10  # fmt: skip
        # A lock in the app (this device's session row) drops them too.
        backend = Backend(world.settings, device_label="the app")
        session = backend.accounts().startup().session
        assert session is not None
        backend.accounts().lock(session)
        backend.close()
        listed = subprocess.run(["ssh-add", "-l"], env=env, capture_output=True, text=True)
        assert listed.stdout.strip() == "The agent has no identities."
        assert ssh(world.sock, server, world.known_hosts).returncode != 0


def test_another_user_cannot_use_the_socket(world: World, other_user: str) -> None:
    """The folder keeps them out; opened up, the agent's peer check still refuses them."""
    command = ["runuser", "-u", other_user, "--", "env", f"SSH_AUTH_SOCK={world.sock}"]
    command += ["ssh-add", "-l"]
    refused = subprocess.run(command, capture_output=True, text=True)
    assert refused.returncode != 0
    assert "SHA256" not in refused.stdout
    folder = world.sock.parent
    mode = folder.stat().st_mode
    try:
        folder.chmod(0o755)
        world.sock.chmod(0o777)
        refused = subprocess.run(command, capture_output=True, text=True)
    finally:
        world.sock.chmod(0o600)
        folder.chmod(mode)
    assert refused.returncode != 0
    assert "SHA256" not in refused.stdout


def test_a_refused_approval_means_no_signature(world: World) -> None:
    server = world.servers["ed25519"]
    with Approver(world.sock, refuse=True) as approver:
        done = ssh(world.sock, server, world.known_hosts)
    assert done.returncode != 0
    assert approver.asked == ["ed25519 key"]


def test_approval_is_asked_once_per_terminal_session(world: World) -> None:
    """Two logins from one session ask once; a login from another session asks again."""
    server = world.servers["ed25519"]
    with Approver(world.sock) as approver:
        first = ssh(world.sock, server, world.known_hosts)
        assert first.returncode == 0
        assert approver.asked == ["ed25519 key"]
        script = " && ".join(
            ["ssh -F /dev/null -o IdentityAgent=\"$1\" -o UserKnownHostsFile=\"$2\" "
             "-o GlobalKnownHostsFile=/dev/null -o BatchMode=yes -o IdentityFile=none "
             f"-p {server.port} {server.user}@127.0.0.1 echo ok"] * 2
        )  # fmt: skip
        both = subprocess.run(
            ["sh", "-c", script, "sh", str(world.sock), str(world.known_hosts)],
            capture_output=True, text=True, start_new_session=True, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        assert both.stdout == "ok\nok\n", both.stderr
        assert approver.asked == ["ed25519 key", "ed25519 key"]


def test_ssh_approve_answers_on_the_terminal(world: World) -> None:
    server = world.servers["ed25519"]
    login = subprocess.Popen(
        ["ssh", "-F", "/dev/null", "-o", f"IdentityAgent={world.sock}", "-o",
         f"UserKnownHostsFile={world.known_hosts}", "-o", "BatchMode=yes", "-o",
         "IdentityFile=none", "-p", str(server.port), f"{server.user}@127.0.0.1", "echo ok"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(200):
            answered = world.run("ssh", "approve", stdin="y\n")
            assert answered.returncode == 0, answered.stderr
            if "Approved." in answered.stderr:
                break
        assert "asks to use the SSH key 'ed25519 key' (SHA256:" in answered.stderr
        out, err = login.communicate(timeout=60)
        assert (login.returncode, out) == (0, "ok\n"), err
    finally:
        if login.poll() is None:
            login.kill()
    nothing = world.run("ssh", "approve")
    assert "Nothing is waiting for approval." in nothing.stderr


def test_a_lock_drops_the_private_keys_from_the_agents_memory(world: World) -> None:
    """The Ed25519 key's private seed is in the agent's memory while it serves, and gone
    (cleared, not only unreferenced) once a lock dropped it; its text from the vault too."""
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
    )

    from tests.cli.test_agent_drops_key import found_in_memory

    backend = Backend(world.settings, device_label="test")
    try:
        session = backend.accounts().startup().session
        assert session is not None
        item = next(i for i in backend.vault().list_items(session) if i.title == "Signing key")
        text = next(f.value for f in item.fields if f.name == "Private key")
    finally:
        backend.close()
    key = core_ssh.load_private_key(text)
    seed_bytes = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    # The key's base64 past its first two lines (which every such key shares: the format's
    # name, "none", the key type and the public key): the private part.
    lines = [line.encode() for line in text.splitlines() if not line.startswith("-----")]
    private = lines[2:-1]
    assert private
    env = {"SSH_AUTH_SOCK": str(world.sock), "PATH": "/usr/bin:/bin"}
    pid = agent_pid(world.sock)
    assert subprocess.run(["ssh-add", "-l"], env=env, capture_output=True).returncode == 0
    assert found_in_memory(pid, [seed_bytes]) == {seed_bytes}
    assert world.run("lock").returncode == 0
    listed = subprocess.run(["ssh-add", "-l"], env=env, capture_output=True, text=True)
    assert listed.stdout.strip() == "The agent has no identities."
    assert agent_pid(world.sock) == pid  # the same agent, still serving
    assert found_in_memory(pid, [seed_bytes, *private]) == set()


@pytest.mark.parametrize("event", ["revoked from another device", "logout"])
def test_a_revoked_session_or_a_logout_drops_the_keys(world: World, event: str) -> None:
    from tests.cli.test_agent_drops_key import revoke_from_another_device

    env = {"SSH_AUTH_SOCK": str(world.sock), "PATH": "/usr/bin:/bin"}
    server = world.servers["ecdsa"]
    with Approver(world.sock):
        assert ssh(world.sock, server, world.known_hosts).returncode == 0
        if event == "logout":
            assert world.run("logout").returncode == 0
        else:
            revoke_from_another_device(world.settings, world.runtime)
        listed = subprocess.run(["ssh-add", "-l"], env=env, capture_output=True, text=True)
        assert listed.stdout.strip() == "The agent has no identities."
        assert ssh(world.sock, server, world.known_hosts).returncode != 0


def test_hostile_clients_are_cut_off_and_the_agent_serves_on(world: World) -> None:
    """A message longer than the protocol allows, one cut short, and a client that never
    finishes: each connection is closed (or left waiting) without harm to the next client;
    SIGTERM ends the agent and takes its sockets with it."""
    import os
    import signal
    import socket
    import time

    env = {"SSH_AUTH_SOCK": str(world.sock), "PATH": "/usr/bin:/bin"}
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as huge:
        huge.connect(str(world.sock))
        huge.sendall((0xFFFFFFFF).to_bytes(4, "big") + b"\x0b")
        huge.settimeout(20)
        try:
            answered = huge.recv(16)
        except ConnectionResetError:  # closed with the rest unread
            answered = b""
        assert answered == b""  # closed, unanswered
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as stuck:
        stuck.connect(str(world.sock))
        stuck.sendall((100).to_bytes(4, "big") + b"\x0d")  # and never the rest
        listed = subprocess.run(["ssh-add", "-l"], env=env, capture_output=True, text=True)
        assert len(listed.stdout.splitlines()) == 10  # another client is served meanwhile
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as garbage:
        garbage.connect(str(world.sock))
        garbage.sendall((5).to_bytes(4, "big") + b"\x0d\xff\xff\xff\xff")
        garbage.settimeout(20)
        assert garbage.recv(16) == (1).to_bytes(4, "big") + bytes([core_ssh.FAILURE])
    pid = agent_pid(world.sock)
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    while world.sock.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not world.sock.exists()
    assert not world.sock.with_suffix(".approve").exists()


def _answered(approver: Approver, count: int) -> list[str]:
    """The keys ``approver`` was asked for, once it has answered ``count`` (it notes each
    answer just after the agent has it, so the signature may come back first)."""
    import time

    deadline = time.monotonic() + 30
    while len(approver.asked) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    return approver.asked


def _ask(connection: socket.socket, message: bytes) -> int:
    """Send one framed message; the answer's type byte (ConnectionError: closed unanswered)."""
    connection.sendall(message)
    connection.settimeout(90)

    def read(size: int) -> bytes:
        got = b""
        while len(got) < size:
            chunk = connection.recv(size - len(got))
            if not chunk:
                raise ConnectionError("closed")
            got += chunk
        return got

    return read(int.from_bytes(read(4), "big"))[0]


def test_a_forwarded_connection_asks_again_and_names_the_host(
    sqlite_settings: Settings, agent_runtime: Path, tmp_path: Path
) -> None:
    """A key approved for local use in this terminal session signs again locally unasked, but
    a connection whose session-bind says it was forwarded (as ``ssh -A`` binds the channel it
    opens for the remote host) waits for its own approval, which names the host it was
    forwarded to (its host key's fingerprint and known_hosts name); the security log says the
    signature was forwarded."""
    need_openssh()
    from app.core import ssh_crypto
    from tests.core.test_ssh import bound

    key = core_ssh.generate("ed25519")
    seed(sqlite_settings, [key_draft("Laptop key", key, [])])
    host = core_ssh.generate("ed25519")
    host_line = VaultKey(0, "", b"", host).authorized_line.split()
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "known_hosts").write_text(f"jump.example.org {' '.join(host_line[:2])}\n")
    host_fingerprint = ssh_crypto.fingerprint(core_ssh.public_blob(host))
    blob = core_ssh.public_blob(key)
    sock = start_agent(sqlite_settings, agent_runtime, home)
    try:
        with Approver(sock) as approver:
            for _ in range(2):  # asked once: the same terminal session
                with socket.socket(socket.AF_UNIX) as local:
                    local.connect(str(sock))
                    assert (
                        _ask(local, core_ssh.sign_request(blob, b"local")) == core_ssh.SIGN_RESPONSE
                    )
            assert _answered(approver, 1) == ["Laptop key"]
            assert approver.requests[0].forwarded == ""
            with socket.socket(socket.AF_UNIX) as forwarded:
                forwarded.connect(str(sock))
                bind = bound(host, os.urandom(32), forwarding=True)
                assert _ask(forwarded, core_ssh.frame(bind[0], bind[1:])) == core_ssh.SUCCESS
                assert (
                    _ask(forwarded, core_ssh.sign_request(blob, b"remote"))
                    == core_ssh.SIGN_RESPONSE
                )
            assert _answered(approver, 2) == ["Laptop key", "Laptop key"]
            request = approver.requests[1]
            assert request.forwarded == f"host {host_fingerprint} (jump.example.org)"
            assert f"FORWARDED to host {host_fingerprint} (jump.example.org)" in request.question
        with socket.socket(socket.AF_UNIX) as other:
            other.connect(str(sock))  # forwarded to another host: not covered by the first
            bind = bound(core_ssh.generate("ed25519"), os.urandom(32), forwarding=True)
            assert _ask(other, core_ssh.frame(bind[0], bind[1:])) == core_ssh.SUCCESS
            answers: list[int] = []
            asking = threading.Thread(
                target=lambda: answers.append(
                    _ask(other, core_ssh.sign_request(blob, b"elsewhere"))
                )
            )
            asking.start()
            for _ in range(500):  # `strongroom ssh approve`, as a person at the terminal
                refused = strongroom(
                    sqlite_settings, "ssh", "approve", agent=agent_runtime, stdin="n\n"
                )
                if "Refused." in refused.stderr:
                    break
            asking.join(90)
            assert answers == [core_ssh.FAILURE]
            assert "asks to use the SSH key 'Laptop key' (SHA256:" in refused.stderr
            assert ", FORWARDED to host SHA256:" in refused.stderr
            assert "(not in known_hosts)." in refused.stderr
    finally:
        stop_agent(sock)
    log = sqlite_settings.security_log_path.read_text()
    signatures = [line for line in log.splitlines() if "ssh signature" in line]
    assert len(signatures) == 3
    assert sum(f"forwarded to host {host_fingerprint}" in line for line in signatures) == 1


def test_ssh_a_asks_again_before_the_remote_host_signs(world: World, tmp_path: Path) -> None:
    """In one terminal session: `ssh-keygen -Y sign` here with the unbound key (approved),
    then `ssh -A` to the Ed25519 server, where `ssh-keygen -Y sign` through the forwarded
    agent with that same key waits for an approval of its own, which names the server's host
    key and its known_hosts name; refused, nothing is signed there."""
    server = world.servers["ed25519"]
    public = world.pubkey("Signing key")
    shared = Path(tempfile.mkdtemp(prefix="strongroom-fwd-", dir="/tmp"))
    try:
        shared.chmod(0o755)
        (shared / "signing.pub").write_text(public + "\n")
        (shared / "local").write_text("here\n")
        (shared / "remote").write_text("there\n")
        for path in (shared, *shared.iterdir()):
            shutil.chown(path, server.user)
        sign = "ssh-keygen -Y sign -f {0}/signing.pub -n file {0}/{1}"
        script = (
            f'SSH_AUTH_SOCK="$1" {sign.format(shared, "local")} && ssh -A -F /dev/null '
            '-o IdentityAgent="$1" -o UserKnownHostsFile="$2" -o GlobalKnownHostsFile=/dev/null '
            "-o BatchMode=yes -o IdentityFile=none -o StrictHostKeyChecking=yes "
            f"-p {server.port} {server.user}@127.0.0.1 "
            f"'{sign.format(shared, 'remote')}; echo rc=$?'"
        )
        host_key = fingerprint(base64.b64decode(server.host_key.split()[1]))
        with Approver(world.sock, refuse_when=lambda request: bool(request.forwarded)) as approver:
            done = subprocess.run(
                ["sh", "-c", script, "sh", str(world.sock), str(world.known_hosts)],
                capture_output=True, text=True, start_new_session=True,
                stdin=subprocess.DEVNULL, timeout=120,
            )  # fmt: skip
        assert "rc=" in done.stdout, done.stderr
        assert (shared / "local.sig").exists()
        assert not (shared / "remote.sig").exists()
        assert "rc=0" not in done.stdout
        assert _answered(approver, 3) == ["Signing key", "ed25519 key", "Signing key"]
        forwarded = approver.requests[2].forwarded
        assert forwarded.startswith(f"host {host_key} ([127.0.0.1]:{server.port})"), forwarded
        assert [r.forwarded for r in approver.requests[:2]] == ["", ""]
    finally:
        shutil.rmtree(shared, ignore_errors=True)


@contextlib.contextmanager
def foreground_agent(
    settings: Settings, runtime: Path, descriptors: int | None = None
) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    """`strongroom ssh agent --foreground` with one unbound key ("Laptop key"), its stderr
    piped; ``descriptors``: the most file descriptors it may open (RLIMIT_NOFILE)."""
    import resource
    import time

    from tests.terminal import STRONGROOM

    seed(settings, [key_draft("Laptop key", core_ssh.generate("ed25519"), [])])
    assert strongroom(settings, "ssh", "keys", agent=runtime).returncode == 0  # config.toml

    def limited() -> None:
        if descriptors is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (descriptors, descriptors))

    command = [str(STRONGROOM), "--config-dir", str(settings.config_dir)]
    command += ["--data-dir", str(settings.data_dir), "ssh", "agent", "--foreground"]
    environment = {"STRONGROOM_DATABASE_URL": settings.database_url, "PATH": "/usr/bin:/bin"}
    environment |= {"XDG_RUNTIME_DIR": str(runtime), "HOME": str(runtime)}
    process = subprocess.Popen(
        command, env=environment, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True, start_new_session=True, preexec_fn=limited,
    )  # fmt: skip
    folder = runtime / f"strongroom-{os.getuid()}"
    deadline = time.monotonic() + 30
    while not list(folder.glob("ssh-*.sock")) and process.poll() is None:
        assert time.monotonic() < deadline, "the SSH agent did not start"
        time.sleep(0.05)
    try:
        assert process.poll() is None, process.communicate()[1]
        yield process, next(folder.glob("ssh-*.sock"))
    finally:
        if process.poll() is None:
            process.terminate()
        process.communicate(timeout=30)


def _connected(sock: Path, held: list[socket.socket]) -> bool:
    """One more connection to ``sock``, added to ``held``; False when none is taken within
    five seconds (the agent's backlog full, or the agent gone)."""
    import time

    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        connection = socket.socket(socket.AF_UNIX)
        connection.setblocking(False)
        try:
            connection.connect(str(sock))
        except OSError:  # EAGAIN: the backlog is full for now
            connection.close()
            time.sleep(0.01)
            continue
        held.append(connection)
        return True
    return False


def test_running_out_of_descriptors_does_not_end_the_agent(
    sqlite_settings: Settings, agent_runtime: Path
) -> None:
    """With 64 file descriptors at most, connections held open make accept fail (EMFILE):
    the agent pauses and goes on; once they close, `ssh-add -l` lists the key, and nothing
    reached its stderr."""
    import time

    need_openssh()
    with foreground_agent(sqlite_settings, agent_runtime, descriptors=64) as (agent, sock):
        held: list[socket.socket] = []
        try:
            while len(held) < 150 and _connected(sock, held):
                pass
            assert len(held) > 40  # the agent took all it could
            deadline = time.monotonic() + 10  # after its pause, it takes what is waiting
            while len(os.listdir(f"/proc/{agent.pid}/fd")) < 60:
                assert time.monotonic() < deadline, os.listdir(f"/proc/{agent.pid}/fd")
                time.sleep(0.05)
        finally:
            for connection in held:
                connection.close()
        env = {"SSH_AUTH_SOCK": str(sock), "PATH": "/usr/bin:/bin"}
        listed = subprocess.run(["ssh-add", "-l"], env=env, capture_output=True, text=True)
        assert "Laptop key (ED25519)" in listed.stdout, listed.stderr
        assert agent.poll() is None
        agent.terminate()
        _, err = agent.communicate(timeout=30)
    assert err == ""


@pytest.mark.parametrize("quit_signal", ["SIGTERM", "SIGINT", "SIGHUP"])
def test_only_the_main_thread_takes_a_quit_signal(
    sqlite_settings: Settings, agent_runtime: Path, quit_signal: str
) -> None:
    """Every other thread of the agent (its watch, its approvals, a client's) blocks SIGTERM,
    SIGINT and SIGHUP, so the kernel hands them to the main thread, whose blocking accept
    they interrupt: the agent ends as soon as it is told to, and no thread is left in an
    accept on a socket that is gone (which printed a traceback as the agent ended). Each of
    the three, sent twice at once, ends it with its sockets removed and nothing on stderr."""
    import signal
    import time

    need_openssh()
    quit_bits = sum(1 << (number - 1) for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP))
    with foreground_agent(sqlite_settings, agent_runtime) as (agent, sock):
        with socket.socket(socket.AF_UNIX) as client:
            client.connect(str(sock))
            request = core_ssh.frame(core_ssh.REQUEST_IDENTITIES)
            assert _ask(client, request) == core_ssh.IDENTITIES_ANSWER
            tasks = os.listdir(f"/proc/{agent.pid}/task")
            assert len(tasks) >= 4  # the main thread, the watch, the approvals, this client

            def blocked(task: str) -> int:
                status = Path(f"/proc/{agent.pid}/task/{task}/status").read_text()
                return int(
                    next(ln for ln in status.splitlines() if ln.startswith("SigBlk:")).split()[1],
                    16,
                )

            assert blocked(str(agent.pid)) & quit_bits == 0
            for task in tasks:
                if task != str(agent.pid):
                    assert blocked(task) & quit_bits == quit_bits, task
            started = time.monotonic()
            os.kill(agent.pid, getattr(signal, quit_signal))
            os.kill(agent.pid, getattr(signal, quit_signal))  # the second, during the cleanup
            _, err = agent.communicate(timeout=30)
        assert time.monotonic() - started < 5
    assert agent.returncode == 0
    assert err == ""
    assert not list(sock.parent.glob("ssh-*"))  # the agent's socket and its approvals socket


def test_past_64_connections_one_more_is_closed_at_once(
    sqlite_settings: Settings, agent_runtime: Path
) -> None:
    """64 clients are served at once (a thread each); the 65th and 66th are closed unanswered,
    and once one of the 64 goes, a new client is served."""
    need_openssh()
    request = core_ssh.frame(core_ssh.REQUEST_IDENTITIES)
    with foreground_agent(sqlite_settings, agent_runtime) as (_, sock):
        held = []
        try:
            for _ in range(66):
                connection = socket.socket(socket.AF_UNIX)
                held.append(connection)
                connection.connect(str(sock))
            answers: list[int | None] = []
            for connection in held:
                try:
                    answers.append(_ask(connection, request))
                except OSError:  # closed unanswered
                    answers.append(None)
            assert answers == [core_ssh.IDENTITIES_ANSWER] * 64 + [None, None]
            held.pop(0).close()
            env = {"SSH_AUTH_SOCK": str(sock), "PATH": "/usr/bin:/bin"}
            for _ in range(100):  # the freed slot is taken back as its thread ends
                listed = subprocess.run(["ssh-add", "-l"], env=env, capture_output=True, text=True)
                if listed.returncode == 0:
                    break
            assert "Laptop key (ED25519)" in listed.stdout, listed.stderr
        finally:
            for connection in held:
                connection.close()

"""SSH keys and the agent protocol without sockets: signatures byte for byte as OpenSSH's own
ssh-agent makes them (Ed25519 and RSA are deterministic; ECDSA verified), the RSA flags, the
wire format on hostile input, session-bind's host signature, known_hosts lookups (hashed by
ssh-keygen -H), and what a bound, unbound or forwarded connection may list and sign."""

from __future__ import annotations

import base64
import os
import shutil
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core import ssh, ssh_crypto, ssh_hosts
from app.services.ssh import AgentConnection, VaultKey

DATA = b"the data a client asks to have signed"


def agent_request(path: Path, message: bytes) -> bytes:
    """One framed message to the agent at ``path``; its answer (type byte and body)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.connect(str(path))
        connection.sendall(message)
        size = int.from_bytes(connection.recv(4, socket.MSG_WAITALL), "big")
        return connection.recv(size, socket.MSG_WAITALL)


@pytest.fixture
def openssh_agent(tmp_path: Path) -> Iterator[Path]:
    """OpenSSH's own ssh-agent, on a socket of this test's."""
    if shutil.which("ssh-agent") is None or shutil.which("ssh-add") is None:
        pytest.skip("needs ssh-agent and ssh-add")
    path = tmp_path / "agent.sock"
    process = subprocess.Popen(["ssh-agent", "-D", "-a", str(path)], stdout=subprocess.DEVNULL)
    try:
        for _ in range(200):
            if path.exists():
                break
            process.wait(0.05) if process.poll() is not None else os.sched_yield()
        yield path
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(10)


def loaded(agent: Path, key: object, folder: Path) -> None:
    file = folder / "id_test"
    file.write_text(ssh_crypto.private_text(key))
    file.chmod(0o600)
    subprocess.run(["ssh-add", "-q", str(file)], env={"SSH_AUTH_SOCK": str(agent)}, check=True)


@pytest.mark.parametrize(
    ("kind", "flags", "algorithm"),
    [
        ("ed25519", 0, "ssh-ed25519"),
        ("rsa", 0, "ssh-rsa"),
        ("rsa", ssh.RSA_SHA2_256, "rsa-sha2-256"),
        ("rsa", ssh.RSA_SHA2_512, "rsa-sha2-512"),
        ("rsa", ssh.RSA_SHA2_256 | ssh.RSA_SHA2_512, "rsa-sha2-256"),
    ],
)
def test_signatures_are_openssh_agents_own(
    openssh_agent: Path, tmp_path: Path, kind: str, flags: int, algorithm: str
) -> None:
    key = ssh.generate(kind)
    loaded(openssh_agent, key, tmp_path)
    theirs = ssh.parse_sign_response(
        agent_request(openssh_agent, ssh.sign_request(ssh.public_blob(key), DATA, flags))
    )
    ours = ssh_crypto.sign(key, DATA, flags)
    assert ours == theirs
    assert ssh.Reader(ours).text() == algorithm


@pytest.mark.parametrize("curve", ["nistp256", "nistp384", "nistp521"])
def test_ecdsa_signatures_are_two_mpints_openssh_accepts(curve: str, tmp_path: Path) -> None:
    """Ours verified by ssh-keygen -Y check-novalidate, from an SSHSIG blob built around it."""
    from cryptography.hazmat.primitives.asymmetric import ec

    curves: dict[str, ec.EllipticCurve] = {
        "nistp256": ec.SECP256R1(),
        "nistp384": ec.SECP384R1(),
        "nistp521": ec.SECP521R1(),
    }
    key = ec.generate_private_key(curves[curve])
    blob = ssh.public_blob(key)
    signature = ssh_crypto.sign(key, DATA)
    assert ssh.Reader(signature).text() == f"ecdsa-sha2-{curve}"
    assert ssh.verify(blob, signature, DATA)
    assert not ssh.verify(blob, signature, DATA + b"!")
    # The same signature wrapped as ssh-keygen -Y signs a message: OpenSSH checks it.
    import hashlib

    message = b"hello\n"
    signed = (
        b"SSHSIG" + ssh.string("file") + ssh.string(b"") + ssh.string("sha512")
        + ssh.string(hashlib.sha512(message).digest())
    )  # fmt: skip
    wrapped = (
        b"SSHSIG" + ssh.u32(1) + ssh.string(blob) + ssh.string("file") + ssh.string(b"")
        + ssh.string("sha512") + ssh.string(ssh_crypto.sign(key, signed))
    )  # fmt: skip
    armour = base64.b64encode(wrapped).decode()
    lines = [armour[i : i + 70] for i in range(0, len(armour), 70)]
    sig = tmp_path / "message.sig"
    sig.write_text(
        "-----BEGIN SSH SIGNATURE-----\n" + "\n".join(lines) + "\n-----END SSH SIGNATURE-----\n"
    )
    checked = subprocess.run(
        ["ssh-keygen", "-Y", "check-novalidate", "-n", "file", "-s", str(sig)],
        input=message, capture_output=True,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stderr


def test_keys_round_trip_and_fingerprints_are_ssh_keygens(tmp_path: Path) -> None:
    for kind in ssh.KEY_TYPES:
        key = ssh.generate(kind)
        again = ssh.load_private_key(ssh_crypto.private_text(key))
        assert ssh.public_blob(again) == ssh.public_blob(key)
        public = tmp_path / f"{kind}.pub"
        public.write_text(ssh_crypto.public_line(key) + " comment\n")
        printed = subprocess.run(
            ["ssh-keygen", "-lf", str(public)], capture_output=True, text=True, check=True
        ).stdout.split()
        assert printed[1] == ssh_crypto.fingerprint(ssh.public_blob(key))
    assert ssh_crypto.key_bits(ssh.generate("rsa")) == 3072


def test_keys_that_cannot_be_used_say_why() -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import (
        BestAvailableEncryption,
        Encoding,
        PrivateFormat,
    )

    with pytest.raises(ssh_crypto.SshKeyUnreadable, match="not a private key"):
        ssh.load_private_key("hello")
    with pytest.raises(ssh_crypto.SshKeyUnreadable, match="damaged"):
        ssh.load_private_key(
            "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----"
        )
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 (refused: the point)
    with pytest.raises(ssh_crypto.SshKeyUnreadable, match="1024 bits is too weak"):
        ssh.load_private_key(ssh_crypto.private_text(weak))
    key = ssh.generate("ed25519")
    locked = key.private_bytes(
        Encoding.PEM, PrivateFormat.OpenSSH, BestAvailableEncryption(b"open sesame")
    ).decode()
    with pytest.raises(ssh_crypto.SshKeyEncrypted):
        ssh.load_private_key(locked)
    with pytest.raises(ssh_crypto.SshKeyEncrypted):
        ssh.load_private_key(locked, b"wrong")
    opened = ssh.load_private_key(locked, b"open sesame")
    assert ssh.public_blob(opened) == ssh.public_blob(key)


def test_the_wire_format_refuses_what_is_cut_short_or_left_over() -> None:
    assert ssh.mpint(0) == ssh.u32(0)
    assert ssh.mpint(0x80) == ssh.u32(2) + b"\x00\x80"
    assert ssh.Reader(ssh.mpint(0x80)).mpint() == 0x80
    with pytest.raises(ssh.WireError):
        ssh.Reader(ssh.u32(10) + b"short").string()
    with pytest.raises(ssh.WireError):
        ssh.parse_sign_request(ssh.string(b"k") + ssh.string(b"d") + ssh.u32(0) + b"x")
    with pytest.raises(ssh.WireError):
        ssh.Reader(ssh.u32(0xFFFFFFFF)).string()
    with pytest.raises(ssh.WireError):
        ssh.Reader(ssh.string(b"\x80")).mpint()  # negative


def bound(host_key: object, session_id: bytes, *, forwarding: bool = False) -> bytes:
    """A session-bind@openssh.com extension message, signed by ``host_key``."""
    blob = ssh.public_blob(host_key)
    signature = ssh_crypto.sign(host_key, session_id, ssh.RSA_SHA2_256)
    body = ssh.string(ssh.SESSION_BIND) + ssh.string(blob) + ssh.string(session_id)
    body += ssh.string(signature) + bytes([forwarding])
    return bytes([ssh.EXTENSION]) + body


def userauth(session_id: bytes, key_blob: bytes) -> bytes:
    return (
        ssh.string(session_id) + bytes([50]) + ssh.string("alice") + ssh.string("ssh-connection")
        + ssh.string("publickey") + bytes([1]) + ssh.string("ssh-ed25519") + ssh.string(key_blob)
    )  # fmt: skip


@pytest.mark.parametrize("kind", ssh.KEY_TYPES)
def test_a_session_bind_is_taken_only_with_the_host_keys_signature(kind: str) -> None:
    host = ssh.generate(kind)
    session_id = os.urandom(32)
    good = AgentConnection(lambda _: [], lambda _: True, lambda _: None)
    assert good.answer(bound(host, session_id)) == ssh.frame(ssh.SUCCESS)
    assert good.connection.destination == ssh.public_blob(host)
    forged = bytearray(bound(host, session_id))
    forged[-5] ^= 1  # a byte of the signature
    other = AgentConnection(lambda _: [], lambda _: True, lambda _: None)
    assert other.answer(bytes(forged)) == ssh.frame(ssh.FAILURE)
    assert other.connection.binds == []
    sha1 = ssh.string("ssh-rsa") + ssh.string(b"x" * 384)
    assert not ssh.verify(ssh.public_blob(ssh.generate("rsa")), sha1, session_id)


KNOWN = "[127.0.0.1]:2222 ssh-ed25519 {a}\nexample.org,!bad.example.org ssh-ed25519 {b}\n"


def test_known_hosts_lookups(tmp_path: Path) -> None:
    a, b = ssh.generate("ed25519"), ssh.generate("ed25519")
    line_a = ssh_crypto.public_line(a).split()[1]
    line_b = ssh_crypto.public_line(b).split()[1]
    text = KNOWN.format(a=line_a, b=line_b) + f"*.wild.org ssh-ed25519 {line_b}\n"
    text += f"@revoked example.org ssh-ed25519 {line_a}\n"
    assert ssh_hosts.host_keys_for(["[127.0.0.1]:2222"], text) == {ssh.public_blob(a)}
    assert ssh_hosts.host_keys_for(["127.0.0.1"], text) == set()  # another port
    assert ssh_hosts.host_keys_for(["1"], text) == set()  # [ ] is no character class
    assert ssh_hosts.host_keys_for(["example.org"], text) == {ssh.public_blob(b)}
    assert ssh_hosts.host_keys_for(["bad.example.org"], text) == set()
    assert ssh_hosts.host_keys_for(["a.wild.org"], text) == {ssh.public_blob(b)}
    # Hashed by OpenSSH itself.
    file = tmp_path / "known_hosts"
    file.write_text(text)
    subprocess.run(["ssh-keygen", "-q", "-H", "-f", str(file)], check=True, capture_output=True)
    hashed = file.read_text()
    assert "127.0.0.1" not in hashed
    assert ssh_hosts.host_keys_for(["[127.0.0.1]:2222"], hashed) == {ssh.public_blob(a)}
    assert ssh_hosts.host_keys_for(["[127.0.0.2]:2222"], hashed) == set()


def agent_keys() -> tuple[VaultKey, VaultKey, object, object]:
    """A key bound to host A's key, an unbound key; host A's and host B's keys."""
    host_a, host_b = ssh.generate("ed25519"), ssh.generate("ecdsa")
    mine, free = ssh.generate("ed25519"), ssh.generate("rsa")
    binding = ssh_hosts.Binding(host_keys=frozenset({ssh.public_blob(host_a)}))
    bound_key = VaultKey(1, "bound", ssh.public_blob(mine), mine, binding)
    return bound_key, VaultKey(2, "free", ssh.public_blob(free), free), host_a, host_b


def listed(connection: AgentConnection) -> list[bytes]:
    answer = connection.answer(bytes([ssh.REQUEST_IDENTITIES]))
    reader = ssh.Reader(answer[5:])
    assert answer[4] == ssh.IDENTITIES_ANSWER
    blobs = []
    for _ in range(reader.u32()):
        blobs.append(reader.string())
        reader.string()
    return blobs


def test_what_each_connection_may_list_and_sign() -> None:
    bound_key, free, host_a, host_b = agent_keys()
    signed: list[str] = []

    def fresh() -> AgentConnection:
        return AgentConnection(
            lambda _: [bound_key, free], lambda _: True, lambda k: signed.append(k.title)
        )

    def sign(connection: AgentConnection, key: VaultKey, data: bytes) -> int:
        return connection.answer(ssh.sign_request(key.blob, data)[4:])[4]

    local = fresh()  # ssh-add -l, ssh-keygen -Y: every key listed, a bound one never signs
    assert listed(local) == [bound_key.blob, free.blob]
    assert sign(local, bound_key, DATA) == ssh.FAILURE
    assert sign(local, free, DATA) == ssh.SIGN_RESPONSE
    to_a, session = fresh(), os.urandom(32)
    assert to_a.answer(bound(host_a, session))[4] == ssh.SUCCESS
    assert listed(to_a) == [bound_key.blob, free.blob]
    assert sign(to_a, bound_key, DATA) == ssh.FAILURE  # not a login
    assert sign(to_a, bound_key, userauth(os.urandom(32), bound_key.blob)) == ssh.FAILURE
    assert sign(to_a, bound_key, userauth(session, free.blob)) == ssh.FAILURE
    assert sign(to_a, bound_key, userauth(session, bound_key.blob)) == ssh.SIGN_RESPONSE
    assert to_a.answer(bound(host_b, os.urandom(32)))[4] == ssh.FAILURE  # bound already
    to_b, session_b = fresh(), os.urandom(32)
    to_b.answer(bound(host_b, session_b))
    assert listed(to_b) == [free.blob]
    assert sign(to_b, bound_key, userauth(session_b, bound_key.blob)) == ssh.FAILURE
    forwarded, hop = fresh(), os.urandom(32)
    assert forwarded.answer(bound(host_b, hop, forwarding=True))[4] == ssh.SUCCESS
    assert forwarded.answer(bound(host_a, session))[4] == ssh.SUCCESS  # the next hop: A
    assert listed(forwarded) == [free.blob]
    assert sign(forwarded, bound_key, userauth(session, bound_key.blob)) == ssh.FAILURE
    assert signed == ["free", "bound"]


def test_adding_removing_locking_and_unknown_messages_are_refused() -> None:
    _, free, _, _ = agent_keys()
    connection = AgentConnection(lambda _: [free], lambda _: True, lambda _: None)
    for kind in sorted(ssh.REFUSED):
        assert connection.answer(bytes([kind]) + b"anything") == ssh.frame(ssh.FAILURE)
    assert connection.answer(b"") == ssh.frame(ssh.FAILURE)
    assert connection.answer(bytes([200])) == ssh.frame(ssh.FAILURE)
    unknown = bytes([ssh.EXTENSION]) + ssh.string("query") + b""
    assert connection.answer(unknown) == ssh.frame(ssh.FAILURE)
    assert connection.answer(bytes([ssh.EXTENSION]) + b"\xff\xff") == ssh.frame(ssh.FAILURE)
    assert connection.answer(bytes([ssh.SIGN_REQUEST]) + b"\x00") == ssh.frame(ssh.FAILURE)
    assert listed(connection) == [free.blob]


def test_locked_or_refused_nothing_is_listed_or_signed() -> None:
    _, free, _, _ = agent_keys()
    locked = AgentConnection(lambda _: None, lambda _: True, lambda _: None)
    assert listed(locked) == []
    assert locked.answer(ssh.sign_request(free.blob, DATA)[4:]) == ssh.frame(ssh.FAILURE)
    refused = AgentConnection(lambda _: [free], lambda _: False, lambda _: None)
    assert refused.answer(ssh.sign_request(free.blob, DATA)[4:]) == ssh.frame(ssh.FAILURE)

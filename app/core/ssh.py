"""SSH keys and the OpenSSH agent protocol (draft-miller-ssh-agent), without any I/O.

A key item is an ordinary item tagged ``SSH key`` (the tag the Bitwarden and 1Password
importers give their SSH keys) with a field holding an unencrypted private key, in OpenSSH's
format or PEM; ``strongroom ssh generate`` and ``ssh import`` make items of that shape: the
fields ``Private key`` (secret), ``Public key`` (the ``authorized_keys`` line) and
``Fingerprint``. Keys are read, written and used only through ``cryptography``
(app.core.ssh_crypto).

Which hosts a key is for, and what a bound connection may use: app.core.ssh_hosts.

This module parses and encodes the agent's messages and key blobs, and finds key items.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.core import ssh_crypto
from app.core.text import visible_text

if TYPE_CHECKING:
    from collections.abc import Iterable

    from app.core.items import Item, ItemDraft

# Messages (draft-miller-ssh-agent, section 6.1).
FAILURE = 5
SUCCESS = 6
REQUEST_IDENTITIES = 11
IDENTITIES_ANSWER = 12
SIGN_REQUEST = 13
SIGN_RESPONSE = 14
ADD_IDENTITY = 17
REMOVE_IDENTITY = 18
REMOVE_ALL_IDENTITIES = 19
ADD_SMARTCARD_KEY = 20
REMOVE_SMARTCARD_KEY = 21
LOCK = 22
UNLOCK = 23
ADD_ID_CONSTRAINED = 25
ADD_SMARTCARD_KEY_CONSTRAINED = 26
EXTENSION = 27
EXTENSION_FAILURE = 28
# What the agent refuses: keys are items of the vault, never added or removed through it.
REFUSED = frozenset(
    {
        ADD_IDENTITY,
        REMOVE_IDENTITY,
        REMOVE_ALL_IDENTITIES,
        ADD_SMARTCARD_KEY,
        REMOVE_SMARTCARD_KEY,
        LOCK,
        UNLOCK,
        ADD_ID_CONSTRAINED,
        ADD_SMARTCARD_KEY_CONSTRAINED,
    }
)
RSA_SHA2_256 = ssh_crypto.RSA_SHA2_256
RSA_SHA2_512 = ssh_crypto.RSA_SHA2_512
SESSION_BIND = "session-bind@openssh.com"
MAX_MESSAGE = 256 * 1024  # ssh-agent's own limit for one message

KEY_TAG = "SSH key"
PRIVATE_FIELD = "Private key"
PUBLIC_FIELD = "Public key"
FINGERPRINT_FIELD = "Fingerprint"
HOST_KEY_FIELD = "Host key"
KEY_TYPES = ("ed25519", "rsa", "ecdsa")
MAX_KEY_FILE = 64 * 1024


class WireError(ValueError):
    """A message that is not what the protocol says (cut short, too long, the wrong shape)."""


# -- the wire format (RFC 4251 section 5) --------------------------------------------------------


class Reader:
    """Reads the fields of one message, in order; WireError on anything short or left over."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    def take(self, size: int) -> bytes:
        if size < 0 or self.at + size > len(self.data):
            raise WireError("a message was cut short")
        chunk = self.data[self.at : self.at + size]
        self.at += size
        return chunk

    def byte(self) -> int:
        return self.take(1)[0]

    def u32(self) -> int:
        return int.from_bytes(self.take(4), "big")

    def string(self) -> bytes:
        return self.take(self.u32())

    def text(self) -> str:
        try:
            return self.string().decode("utf-8")
        except UnicodeDecodeError:
            raise WireError("a name is not UTF-8") from None

    def boolean(self) -> bool:
        return self.byte() != 0

    def mpint(self) -> int:
        raw = self.string()
        if raw and raw[0] & 0x80:
            raise WireError("a negative number where none may be")
        return int.from_bytes(raw, "big")

    def done(self) -> bool:
        return self.at == len(self.data)

    def end(self) -> None:
        if not self.done():
            raise WireError("a message has bytes left over")


def u32(value: int) -> bytes:
    return value.to_bytes(4, "big")


def string(value: bytes | str) -> bytes:
    raw = value.encode("utf-8") if isinstance(value, str) else value
    return u32(len(raw)) + raw


def mpint(value: int) -> bytes:
    if value == 0:
        return string(b"")
    # A leading zero byte when the top bit is set: an mpint is signed.
    raw = value.to_bytes((value.bit_length() + 8) // 8, "big")
    return string(raw)


def frame(kind: int, body: bytes = b"") -> bytes:
    """One agent message: its length, its type, its body."""
    return u32(len(body) + 1) + bytes([kind]) + body


def identities_answer(keys: Iterable[tuple[bytes, str]]) -> bytes:
    listed = list(keys)
    body = u32(len(listed)) + b"".join(string(blob) + string(comment) for blob, comment in listed)
    return frame(IDENTITIES_ANSWER, body)


def sign_response(signature: bytes) -> bytes:
    return frame(SIGN_RESPONSE, string(signature))


@dataclass(frozen=True)
class SignRequest:
    key_blob: bytes
    data: bytes
    flags: int


def parse_sign_request(body: bytes) -> SignRequest:
    reader = Reader(body)
    request = SignRequest(reader.string(), reader.string(), reader.u32())
    reader.end()
    return request


def sign_request(key_blob: bytes, data: bytes, flags: int = 0) -> bytes:
    """A client's SSH_AGENTC_SIGN_REQUEST (what ``ssh`` sends; the tests and the benchmark)."""
    return frame(SIGN_REQUEST, string(key_blob) + string(data) + u32(flags))


def parse_sign_response(message: bytes) -> bytes:
    """The signature blob of an SSH_AGENT_SIGN_RESPONSE (its type byte and body)."""
    if not message or message[0] != SIGN_RESPONSE:
        raise WireError("the agent refused to sign")
    reader = Reader(message[1:])
    signature = reader.string()
    reader.end()
    return signature


@dataclass(frozen=True)
class SessionBind:
    """What ``session-bind@openssh.com`` says: the server's host key, the session's id, the
    host's signature over it, and whether this connection is the one forwarded to that host."""

    host_key: bytes
    session_id: bytes
    signature: bytes
    forwarding: bool


def parse_extension(body: bytes) -> tuple[str, bytes]:
    reader = Reader(body)
    name = reader.text()
    return name, body[reader.at :]


def parse_session_bind(rest: bytes) -> SessionBind:
    reader = Reader(rest)
    bind = SessionBind(reader.string(), reader.string(), reader.string(), reader.boolean())
    reader.end()
    if not bind.session_id or len(bind.session_id) > 128:
        raise WireError("a session id of the wrong size")
    return bind


# -- keys (read, made and used in app.core.ssh_crypto) -------------------------------------------


def load_private_key(text: str, passphrase: bytes | None = None) -> Any:
    """See app.core.ssh_crypto.load_private_key (SshKeyEncrypted, SshKeyUnreadable)."""
    return ssh_crypto.load_private_key(text, passphrase)


def generate(kind: str) -> Any:
    if kind not in KEY_TYPES:
        raise ssh_crypto.SshKeyUnreadable(f"no key type {kind!r}: one of {', '.join(KEY_TYPES)}")
    return ssh_crypto.generate(kind)


def public_blob(key: Any) -> bytes:
    return base64.b64decode(ssh_crypto.public_line(key).split()[1])


def key_type(blob: bytes) -> str:
    try:
        return Reader(blob).text()
    except WireError:
        return "unknown"


def type_label(blob: bytes) -> str:
    """ED25519, RSA or ECDSA, as ``ssh-keygen -l`` ends its line."""
    name = key_type(blob)
    if name == "ssh-ed25519":
        return "ED25519"
    if name == "ssh-rsa":
        return "RSA"
    if name.startswith("ecdsa-"):
        return "ECDSA"
    return visible_text(name.upper())


def verify(host_key: bytes, signature: bytes, data: bytes) -> bool:
    """Whether ``signature`` (a signature blob) is ``host_key``'s over ``data``. RSA only with
    SHA-256 or SHA-512 (OpenSSH signs the session id with the key exchange's algorithm)."""
    try:
        key = Reader(host_key)
        kind = key.text()
        blob = Reader(signature)
        algorithm = blob.text()
        raw = blob.string()
        blob.end()
        if kind == "ssh-ed25519" and algorithm == kind:
            public = key.string()
            key.end()
            return ssh_crypto.verify_ed25519(public, raw, data)
        if kind.startswith("ecdsa-sha2-") and algorithm == kind:
            curve = key.text()
            point = key.string()
            key.end()
            numbers = Reader(raw)
            r, s = numbers.mpint(), numbers.mpint()
            numbers.end()
            if kind != f"ecdsa-sha2-{curve}":
                return False
            return ssh_crypto.verify_ecdsa(curve, point, r, s, data)
        if kind == "ssh-rsa" and algorithm in ("rsa-sha2-256", "rsa-sha2-512"):
            exponent, modulus = key.mpint(), key.mpint()
            key.end()
            sha = "sha256" if algorithm == "rsa-sha2-256" else "sha512"
            return ssh_crypto.verify_rsa(exponent, modulus, sha, raw, data)
    except WireError:
        return False
    return False


# -- key items -----------------------------------------------------------------------------------


def is_key_item(item: Item) -> bool:
    return any(tag.casefold() == KEY_TAG.casefold() for tag in item.tags)


def private_field(item: Item) -> str | None:
    """The private key text an SSH key item holds: its ``Private key`` field, else the first
    field that is one (1Password names it ``private key``, Bitwarden ``Private key``)."""
    candidates = sorted(
        (f for f in item.fields if "PRIVATE KEY-----" in f.value),
        key=lambda f: f.name.casefold() != PRIVATE_FIELD.casefold(),
    )
    return candidates[0].value if candidates else None


def with_public_fields(draft: ItemDraft) -> ItemDraft:
    """An imported key item that holds only its private key (as 1Password's export gives it)
    gets its public key and fingerprint as fields, as ``ssh generate`` and ``ssh import`` make
    them, so that the app shows both. Any other item, or a key that does not open without a
    passphrase, is left as it is."""
    if not any(tag.casefold() == KEY_TAG.casefold() for tag in draft.tags):
        return draft
    names = {field.name.casefold() for field in draft.fields}
    wanted = [name for name in (PUBLIC_FIELD, FINGERPRINT_FIELD) if name.casefold() not in names]
    text = next((f.value for f in draft.fields if "PRIVATE KEY-----" in f.value), None)
    if not wanted or text is None:
        return draft
    try:
        key = load_private_key(text)
    except ssh_crypto.SshKeyUnreadable:
        return draft
    from dataclasses import replace

    from app.core.items import CustomField

    made = {
        PUBLIC_FIELD: ssh_crypto.public_line(key),
        FINGERPRINT_FIELD: ssh_crypto.fingerprint(public_blob(key)),
    }
    added = tuple(CustomField(name, made[name]) for name in wanted)
    return replace(draft, fields=(*draft.fields, *added))

"""Which hosts an SSH key is for, and what a bound agent connection may list and sign.

A key item's ``ssh://HOST[:PORT]`` URLs name its hosts, and its ``Host key`` fields may hold
host public keys themselves (``known_hosts`` lines or bare keys, a line each). OpenSSH's
``session-bind@openssh.com`` gives the agent the server's *host key* (signed over the session
id), never its name, so names are turned into host keys through the user's ``known_hosts``
files (hashed names too), as ``ssh`` itself checks a host. A key with a binding is listed on a
connection bound to one of its host keys, and signs only a login to that host over that very
session; a key without one is listed and used everywhere, as ssh-agent's keys are.
"""

from __future__ import annotations

import base64
import re
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from app.core import ssh_crypto
from app.core.ssh import HOST_KEY_FIELD, Reader, SessionBind, WireError, key_type

if TYPE_CHECKING:
    from collections.abc import Iterable

    from app.core.items import Item


@dataclass(frozen=True)
class Binding:
    """The hosts a key item is for: names (``host`` or ``[host]:port``, as known_hosts writes
    them) to look up, and host keys (blobs) it names itself."""

    names: tuple[str, ...] = ()
    host_keys: frozenset[bytes] = frozenset()

    @property
    def bound(self) -> bool:
        return bool(self.names or self.host_keys)


def binding(item: Item) -> Binding:
    """The item's ``ssh://`` URLs and ``Host key`` fields (see the module)."""
    from urllib.parse import urlsplit

    names: list[str] = []
    for url in item.urls:
        if not url.casefold().startswith("ssh://"):
            continue
        try:
            parts = urlsplit(url)
            host, port = parts.hostname, parts.port
        except ValueError:
            continue
        if host:
            names.append(host_name(host, port))
    keys: set[bytes] = set()
    for custom in item.fields:
        if custom.name.casefold() == HOST_KEY_FIELD.casefold():
            keys |= {key for _, key in known_hosts_entries(custom.value, bare=True)}
    return Binding(tuple(names), frozenset(keys))


def host_name(host: str, port: int | None) -> str:
    """How known_hosts names a host: ``host``, or ``[host]:port`` off port 22."""
    host = host.casefold()
    return host if port in (None, 22) else f"[{host}]:{port}"


KEY_NAMES = (
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
)


def known_hosts_entries(text: str, *, bare: bool = False) -> list[tuple[str, bytes]]:
    """(host patterns, host key blob) of each usable line: ``@cert-authority`` and
    ``@revoked`` lines and lines that do not parse are left out. ``bare``: a line may be a key
    alone (``TYPE BASE64``), matched for any host."""
    entries: list[tuple[str, bytes]] = []
    for line in text.splitlines():
        words = line.split()
        if not words or words[0].startswith("#") or words[0].startswith("@"):
            continue
        if bare and words[0] in KEY_NAMES:
            words = ["*", *words]
        if len(words) < 3 or words[1] not in KEY_NAMES:
            continue
        try:
            blob = base64.b64decode(words[2], validate=True)
        except ValueError:
            continue
        if key_type(blob) == words[1]:
            entries.append((words[0], blob))
    return entries


def _hashed_match(pattern: str, name: str) -> bool:
    """``|1|SALT|HASH``: HMAC-SHA1 of the name under the salt (OpenSSH's HashKnownHosts)."""
    try:
        _, kind, salt, digest = pattern.split("|")
        if kind != "1":
            return False
        salt_raw, digest_raw = base64.b64decode(salt), base64.b64decode(digest)
    except ValueError:
        return False
    return secrets.compare_digest(ssh_crypto.hashed_host(salt_raw, name), digest_raw)


def wildcard_match(pattern: str, name: str) -> bool:
    """OpenSSH's pattern: ``*`` any run of characters, ``?`` any one; nothing else is special
    (``[host]:port`` is a name, not a character class)."""
    wanted = "".join(
        ".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern
    )
    return re.fullmatch(wanted, name, re.DOTALL) is not None


def host_matches(patterns: str, name: str) -> bool:
    """Whether a known_hosts line's host field names ``name`` (wildcards, ``!`` negation, and
    hashed names as OpenSSH writes them)."""
    if patterns.startswith("|"):
        return _hashed_match(patterns, name)
    matched = False
    for pattern in patterns.split(","):
        negated = pattern.startswith("!")
        if wildcard_match(pattern.removeprefix("!").casefold(), name):
            if negated:
                return False
            matched = True
    return matched


def host_keys_for(names: Iterable[str], known_hosts: str) -> frozenset[bytes]:
    """Every host key ``known_hosts`` holds for any of ``names``."""
    entries = known_hosts_entries(known_hosts)
    wanted = list(names)
    return frozenset(
        blob for patterns, blob in entries if any(host_matches(patterns, n) for n in wanted)
    )


def names_of(host_key: bytes, known_hosts: str) -> list[str]:
    """The names ``known_hosts`` gives ``host_key`` in plain text (hashed names cannot be read
    back; wildcard and negated patterns name no one host)."""
    names: list[str] = []
    for patterns, blob in known_hosts_entries(known_hosts):
        if blob != host_key or patterns.startswith("|"):
            continue
        for pattern in patterns.split(","):
            if pattern and not any(char in pattern for char in "*?!") and pattern not in names:
                names.append(pattern)
    return names


# -- what a bound connection may use -------------------------------------------------------------


@dataclass
class Connection:
    """One client's session binds, in order (a forwarded agent sees its hops bound in turn)."""

    binds: list[SessionBind] = field(default_factory=list)

    @property
    def destination(self) -> bytes | None:
        """The host key this connection is now authenticating to; None unbound."""
        return self.binds[-1].host_key if self.binds else None

    @property
    def forwarded(self) -> bool:
        """Whether this connection was forwarded to another host (``ssh -A``): its first bind
        says so, and every request on it comes from that host, or through it."""
        return any(bind.forwarding for bind in self.binds)

    @property
    def forwarded_to(self) -> bytes | None:
        """The host key of the host this connection was forwarded to: its first forwarding
        bind, which the local ``ssh`` sent (later binds are that host's own claims); None when
        the connection is local."""
        return next((bind.host_key for bind in self.binds if bind.forwarding), None)

    def may_list(self, allowed: frozenset[bytes] | None) -> bool:
        """Whether a key bound to ``allowed`` host keys (None: unbound) is listed here. An
        unbound connection is a local program (``ssh-add -l``, ``ssh-keygen``): it sees every
        key, as with ssh-agent; a bound one sees the keys for its host and the unbound ones;
        a forwarded one sees only the unbound ones (a key bound to hosts is never used
        through another host: ProxyJump keeps such a login on this machine)."""
        if allowed is None or not self.binds:
            return True
        if self.forwarded:
            return False
        return self.destination in allowed


def userauth_session(data: bytes) -> tuple[bytes, bytes, bytes | None] | None:
    """(session id, key blob, server host key or None) of an SSH_MSG_USERAUTH_REQUEST for
    public key authentication, which ``ssh`` asks the agent to sign; None for anything else."""
    reader = Reader(data)
    try:
        session_id = reader.string()
        if reader.byte() != 50:  # SSH_MSG_USERAUTH_REQUEST
            return None
        reader.string()  # user
        reader.string()  # service
        method = reader.text()
        if method not in ("publickey", "publickey-hostbound-v00@openssh.com"):
            return None
        if not reader.boolean():
            return None
        reader.string()  # algorithm
        blob = reader.string()
        host_key = reader.string() if method.startswith("publickey-hostbound") else None
        reader.end()
    except WireError:
        return None
    return session_id, blob, host_key


def may_sign(
    connection: Connection, allowed: frozenset[bytes] | None, key_blob: bytes, data: bytes
) -> bool:
    """Whether a key bound to ``allowed`` (None: unbound) may sign ``data`` here: a bound key
    signs only a user authentication for the session the connection bound last, to one of its
    hosts; never on an unbound connection (as ssh-agent treats destination-constrained
    keys), nor on one forwarded to another host."""
    if allowed is None:
        return True
    if not connection.binds or not connection.may_list(allowed):
        return False  # unbound (a local program) or forwarded: never a bound key
    request = userauth_session(data)
    if request is None:
        return False
    session_id, blob, host_key = request
    last = connection.binds[-1]
    if session_id != last.session_id or blob != key_blob:
        return False
    return host_key is None or host_key == last.host_key

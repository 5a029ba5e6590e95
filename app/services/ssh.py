"""SSH keys kept as vault items, and the SSH agent's answers to one client connection.

The keys: :func:`vault_keys` finds the key items among the vault's items (see app.core.ssh for
their shape) and opens each private key once; :func:`key_draft` makes the item ``ssh generate``
and ``ssh import`` add. The answers: :class:`AgentConnection` reads one client's messages and
answers them from the keys the agent holds now (none while the vault is locked), after asking
its approval callback before a signature. Sockets, the peer check and what drops the keys on a
lock are the command line's agent's (app.cli.agent); nothing here touches a socket.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.core import ssh, ssh_crypto, ssh_hosts
from app.core.items import CustomField, ItemDraft
from app.core.text import visible_text

if TYPE_CHECKING:
    from app.core.items import Item

KNOWN_HOSTS_LIMIT = 8 * 1024 * 1024  # a known_hosts file past this is not read


@dataclass(frozen=True)
class VaultKey:
    """One usable key item: its id and title, public key blob and opened private key, and the
    hosts it is bound to."""

    item_id: int
    title: str
    blob: bytes
    key: Any = field(repr=False, compare=False)
    binding: ssh_hosts.Binding = field(default_factory=ssh_hosts.Binding)

    @property
    def fingerprint(self) -> str:
        return ssh_crypto.fingerprint(self.blob)

    @property
    def bits(self) -> int:
        return ssh_crypto.key_bits(self.key)

    @property
    def authorized_line(self) -> str:
        """The ``authorized_keys`` line: the public key and the item's title as comment."""

        comment = " ".join(visible_text(self.title).split())
        return f"{ssh_crypto.public_line(self.key)} {comment}".rstrip()


def vault_keys(items: list[Item]) -> tuple[list[VaultKey], list[tuple[Item, str]]]:
    """The usable keys among ``items`` (those tagged ``SSH key``), in the vault's order, and
    each key item that cannot be used with why (no private key, encrypted, damaged)."""
    keys: list[VaultKey] = []
    problems: list[tuple[Item, str]] = []
    for item in items:
        if item.damage or item.shown.error or not ssh.is_key_item(item):
            continue
        if item.error:
            problems.append((item, "its fields cannot be read"))
            continue
        text = ssh.private_field(item)
        if text is None:
            problems.append((item, "no field holds a private key"))
            continue
        try:
            key = ssh.load_private_key(text)
        except ssh_crypto.SshKeyUnreadable as error:
            problems.append((item, str(error)))
            continue
        keys.append(
            VaultKey(item.id, item.title, ssh.public_blob(key), key, ssh_hosts.binding(item))
        )
    return keys, problems


def key_draft(title: str, key: Any, hosts: list[str]) -> ItemDraft:
    """A new key item: tagged ``SSH key``, the private key (secret), the public key and its
    fingerprint as fields, and ``ssh://HOST`` URLs for the hosts it is bound to."""
    blob = ssh.public_blob(key)
    return ItemDraft(
        title=title,
        urls=tuple(f"ssh://{host}" for host in hosts),
        tags=(ssh.KEY_TAG,),
        fields=(
            CustomField(ssh.PRIVATE_FIELD, ssh_crypto.private_text(key), secret=True),
            CustomField(ssh.PUBLIC_FIELD, ssh_crypto.public_line(key)),
            CustomField(ssh.FINGERPRINT_FIELD, ssh_crypto.fingerprint(blob)),
        ),
    )


def known_hosts_files() -> list[Path]:
    """Where ``ssh`` looks a host's keys up: the user's files, then the system's."""
    home = Path(os.path.expanduser("~")) / ".ssh"
    return [home / "known_hosts", home / "known_hosts2", Path("/etc/ssh/ssh_known_hosts")]


def read_known_hosts(paths: list[Path] | None = None) -> str:
    """The known_hosts files' text (those that exist, can be read and are not too large)."""
    texts = []
    for path in paths if paths is not None else known_hosts_files():
        try:
            with path.open("rb") as file:
                raw = file.read(KNOWN_HOSTS_LIMIT + 1)
        except OSError:
            continue
        if len(raw) <= KNOWN_HOSTS_LIMIT:
            texts.append(raw.decode("utf-8", "replace"))
    return "\n".join(texts)


# Whether a key may sign now (it has been approved, or the person approved it just now).
Approve = Callable[[VaultKey], bool]


class AgentConnection:
    """One client's connection: its session binds and the answers to its messages.

    ``keys`` gives the keys the agent holds now (None: the vault is locked, and nothing is
    listed or signed; its argument: read them again if the vault changed, as before a list);
    ``approve`` is asked before every signature; ``signed`` is told of each one made (for the
    security log)."""

    BINDS = 16  # as ssh-agent: a connection bound more often than this is refused

    def __init__(
        self,
        keys: Callable[[bool], list[VaultKey] | None],
        approve: Approve,
        signed: Callable[[VaultKey], None],
        known_hosts: Callable[[], str] = read_known_hosts,
    ) -> None:
        self._keys = keys
        self._approve = approve
        self._signed = signed
        self._known_hosts = known_hosts
        self._hosts_text: str | None = None
        self.connection = ssh_hosts.Connection()

    def _hosts(self) -> str:
        if self._hosts_text is None:
            self._hosts_text = self._known_hosts()
        return self._hosts_text

    def forwarded_to(self) -> str | None:
        """Where this connection was forwarded to, for the approval prompt and the security
        log: ``host SHA256:... (its known_hosts names)``; None for a local connection."""
        host_key = self.connection.forwarded_to
        if host_key is None:
            return None
        names = ssh_hosts.names_of(host_key, self._hosts())
        shown = f" ({', '.join(names[:3])})" if names else " (not in known_hosts)"
        return f"host {ssh_crypto.fingerprint(host_key)}{shown}"

    def allowed(self, key: VaultKey) -> frozenset[bytes] | None:
        """The host keys ``key`` is bound to (None: it is not bound)."""
        if not key.binding.bound:
            return None
        found = key.binding.host_keys
        if key.binding.names:
            found = found | ssh_hosts.host_keys_for(key.binding.names, self._hosts())
        return found

    def answer(self, message: bytes) -> bytes:
        """The answer to one message (its type byte and body, without the length)."""
        if not message:
            return ssh.frame(ssh.FAILURE)
        kind, body = message[0], message[1:]
        try:
            if kind == ssh.REQUEST_IDENTITIES:
                return self._identities()
            if kind == ssh.SIGN_REQUEST:
                return self._sign(ssh.parse_sign_request(body))
            if kind == ssh.EXTENSION:
                return self._extension(body)
        except ssh.WireError:
            return ssh.frame(ssh.FAILURE)
        return ssh.frame(ssh.FAILURE)  # adding, removing, locking: keys are vault items

    def _identities(self) -> bytes:
        keys = self._keys(True) or []
        shown = [k for k in keys if self.connection.may_list(self.allowed(k))]
        return ssh.identities_answer((k.blob, k.title) for k in shown)

    def _sign(self, request: ssh.SignRequest) -> bytes:
        keys = self._keys(False)
        key = next((k for k in keys or [] if k.blob == request.key_blob), None)
        if key is None:
            return ssh.frame(ssh.FAILURE)
        if not ssh_hosts.may_sign(self.connection, self.allowed(key), key.blob, request.data):
            return ssh.frame(ssh.FAILURE)
        if not self._approve(key):
            return ssh.frame(ssh.FAILURE)
        signature = ssh_crypto.sign(key.key, request.data, request.flags)
        self._signed(key)
        return ssh.sign_response(signature)

    def _extension(self, body: bytes) -> bytes:
        name, rest = ssh.parse_extension(body)
        if name != ssh.SESSION_BIND:
            return ssh.frame(ssh.FAILURE)
        bind = ssh.parse_session_bind(rest)
        binds = self.connection.binds
        if len(binds) >= self.BINDS:
            return ssh.frame(ssh.FAILURE)
        if binds and not binds[-1].forwarding:
            # Bound for authentication already: only a forwarded connection binds again.
            return ssh.frame(ssh.FAILURE)
        if not ssh.verify(bind.host_key, bind.signature, bind.session_id):
            return ssh.frame(ssh.FAILURE)
        binds.append(bind)
        return ssh.frame(ssh.SUCCESS)

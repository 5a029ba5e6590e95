"""What every command runs with: the settings, the services, and what this process keeps
between commands.

A command is a function of its parsed arguments and a :class:`Context`. One process runs one
command, except the agent, which runs many with one context: its services stay open and its
:class:`ItemCache` spares listing the vault again while nothing changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from app.core.accounts import ActiveSession
    from app.core.config import Settings
    from app.core.items import Item
    from app.services.backend import Backend

# (user, vault key, the vault's (counter, head)): what a listing was made of.
Mark = tuple[int, bytes, tuple[int, bytes]]


@dataclass
class ItemCache:
    """The vault's live items, listed once per change, and what ``ls`` printed for them."""

    listed: tuple[Mark, list[Item]] | None = None
    rendered: dict[tuple[object, ...], str] = field(default_factory=dict)

    def items(self, backend: Backend, session: ActiveSession) -> list[Item]:
        """Listed again only when the vault's integrity record has moved (in the agent, that
        spares opening 10,000 titles for every request). Every call checks the whole vault
        against that record first (VaultTampered, VaultRolledBack): a row changed outside
        Strongroom since the listing is never answered from it."""
        from app.core.errors import VaultRolledBack, VaultTampered

        vault = backend.vault()
        try:
            mine = (session.user_id, session.vault_key)
            listed = self.listed
            if (
                listed is not None
                and listed[0][:2] == mine
                and listed[0][2] == vault.verify(session)
            ):
                return listed[1]
            items, state, _ = vault.list_checked(session)
        except VaultTampered as error:
            self.forget()
            event = (
                "rollback_detected" if isinstance(error, VaultRolledBack) else "tampering_detected"
            )
            damaged = ", ".join(f"item {item_id}" for item_id in error.damaged[:20])
            backend.security_log().record(event, session.username, damaged or None)
            raise
        self.listed = ((session.user_id, session.vault_key, state), items)
        self.rendered.clear()
        return items

    def forget(self) -> None:
        self.listed = None
        self.rendered.clear()


class Context:
    """The settings and the services for the commands of one process (see the module)."""

    def __init__(self, settings: Settings, *, answered_by: str = "") -> None:
        self.settings = settings
        # Said in the security log after each read (" (agent)" when the agent answered).
        self.answered_by = answered_by
        # Whether the vault was found unlocked by this device's remembered session: then the
        # agent, which can only use that, may start, and an export asks for the password.
        self.remembered_unlocked = False
        # The session this command opened with the master password (the agent may then hold
        # it), or that it borrowed from the agent, which held it so: either way no remembered
        # session opened it. See app.cli.agent.
        self.opened: ActiveSession | None = None
        self.borrowed = False
        # In the agent: the session a command's master password opened, held until this
        # device's session is no longer as it was then (app.cli.access.still_held).
        self.held: ActiveSession | None = None
        self.cache = ItemCache()
        # Starts the agent (set by app.cli.main): `run` calls it once its references are read
        # from a vault found unlocked, before its program starts, so that the next is warm;
        # `login --remember` (``ready=True``: once it listens) when this device keeps the vault
        # unlocked.
        self.warm: Callable[..., None] | None = None
        self._backend: Backend | None = None

    @property
    def backend(self) -> Backend:
        """The services, opened on first use (``generate`` and ``completion`` never do)."""
        if self._backend is None:
            from app.core.accounts import device_label
            from app.services.backend import Backend

            self._backend = Backend(self.settings, device_label=device_label("command line"))
        return self._backend

    def close(self) -> None:
        """Drop the decrypted items and close the database."""
        self.cache.forget()
        if self._backend is not None:
            self._backend.close()
            self._backend = None

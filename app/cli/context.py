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
    from app.services.integrity_check import Marks

# (user, vault key, what the listing was read from).
Mark = tuple[int, bytes, "Marks"]


@dataclass
class ItemCache:
    """The vault's live items, listed once per change, and what ``ls`` printed for them."""

    listed: tuple[Mark, list[Item]] | None = None
    rendered: dict[tuple[object, ...], str] = field(default_factory=dict)

    def find(
        self, backend: Backend, session: ActiveSession, pick: Callable[[list[Item]], Item]
    ) -> Item:
        """The item ``pick`` chooses from the live items (or its refusal, an Exit). From the
        listing held when the vault still stands as it was listed, which VaultService.still_at
        tells from every item's tag, the head, and the chosen item's row checked in full
        against its tag; else from :meth:`items`, which checks the whole vault. So the agent
        answers an item in a few milliseconds, never from a row changed since its listing."""
        from app.cli.exits import Exit

        listed = self.listed
        if listed is not None and listed[0][:2] == (session.user_id, session.vault_key):
            chosen: Item | None = None
            refusal: Exit | None = None
            try:
                chosen = pick(listed[1])
            except Exit as error:  # not found, or several: said only once the vault is known
                refusal = error
            item_id = None if chosen is None else chosen.id
            if backend.vault().still_at(session, listed[0][2], item_id):
                if refusal is not None:
                    raise refusal
                assert chosen is not None
                return chosen
        return pick(self.items(backend, session))

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
                and listed[0][2].state == vault.verify(session, listed[0][2])
            ):
                return listed[1]
            items, marks, _ = vault.list_checked(session)
        except VaultTampered as error:
            self.forget()
            event = (
                "rollback_detected" if isinstance(error, VaultRolledBack) else "tampering_detected"
            )
            damaged = ", ".join(f"item {item_id}" for item_id in error.damaged[:20])
            backend.security_log().record(event, session.username, damaged or None)
            raise
        self.listed = ((session.user_id, session.vault_key, marks), items)
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

    def list_ahead(self) -> None:
        """In the agent, once it listens: list and check the vault now, as the first read
        would, so that the first answer is as quick as the next (a request meanwhile waits in
        the socket's queue). What goes wrong is left for that answer to meet and say: it checks
        the listing again anyway."""
        from app.core.errors import UserError

        try:
            # Read without writing: this runs unasked, and must not wait on a lock another
            # transaction holds on this device's session row while a stop request waits.
            session = self.held or self.backend.accounts().remembered()
            if session is not None and session.vault_key:
                self.cache.items(self.backend, session)
                if self.cache.listed is not None:
                    self.cache.listed[0][2].prepare()
        except UserError:
            self.cache.forget()

    def close(self) -> None:
        """Drop the decrypted items and close the database."""
        self.cache.forget()
        if self._backend is not None:
            self._backend.close()
            self._backend = None

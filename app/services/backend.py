"""The app's way to its data: opened on first use, in a worker thread, off the first frame.

Importing SQLAlchemy, Alembic and the crypto libraries costs more than drawing the first screen,
so nothing here is imported until a worker first asks for a service.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from app.core.config import Settings

SEEN_FILENAME = "vault-seen.json"

if TYPE_CHECKING:
    from app.core.accounts import Clock
    from app.services.accounts import AccountService
    from app.services.audit import SecurityLog
    from app.services.database import Database
    from app.services.vault import VaultService


class Backend:
    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        device_label: str | None = None,
        reads_ahead: bool = False,
    ) -> None:
        """``reads_ahead``: a login or unlock starts reading the vault, for the listing that
        follows it in the app (the command line lists from its agent, or not at all)."""
        self.settings = settings
        self._reads_ahead = reads_ahead
        self._clock = clock
        self._device_label = device_label
        self._lock = threading.Lock()
        self._database: Database | None = None
        self._accounts: AccountService | None = None
        self._vault: VaultService | None = None
        # Called (from the worker that noticed) when the database moves to another host.
        self.on_reconnect: Callable[[str, str], None] | None = None

    def login_hint(self) -> str | None:
        """The username to offer on an immediate login form, before the database is open.

        None when there is no such name, or when a saved login exists: then the first screen
        depends on what the database says of that session.
        """
        from app.services.tokens import LastUsername

        if self.settings.token_path.exists():
            return None
        return LastUsername(self.settings.last_username_path).load()

    def _open(self) -> Database:
        """Connect and migrate, once; then freeze what that loaded (see core.memory)."""
        if self._database is None:
            from app.core.memory import freeze_long_lived
            from app.services.database import open_database

            self._database = open_database(
                self.settings.database_url,
                migrate=self.settings.migrate_on_start,
                on_switch=self._switched,
            )
            freeze_long_lived()
        return self._database

    def _switched(self, old: str, new: str) -> None:
        """A node went away and the next one answered: say so, quietly."""
        self.security_log().record("database_failover", None, f"from {old} to {new}")
        if self.on_reconnect is not None:
            self.on_reconnect(old, new)

    def accounts(self) -> AccountService:
        """The account service, connecting and migrating the database the first time."""
        with self._lock:
            if self._accounts is None:
                from app.core.accounts import utc_now
                from app.services.accounts import AccountService
                from app.services.audit import SecurityLog
                from app.services.secret_keys import DeviceSecretKeys
                from app.services.tokens import DatabaseIdentity, LastUsername, TokenStore

                database = self._open()
                issuer = DatabaseIdentity(database.database_id, database.target)
                data_dir = self.settings.data_dir
                self._accounts = AccountService(
                    database.sessions,
                    TokenStore(self.settings.token_path, issuer),
                    self.settings.security,
                    last_username=LastUsername(self.settings.last_username_path),
                    audit=SecurityLog(self.settings.security_log_path, self._clock),
                    target=database.target,
                    clock=self._clock or utc_now,
                    device_label=self._device_label,
                    secret_keys=DeviceSecretKeys(data_dir, database.database_id, database.target),
                    read_ahead=self._read_ahead if self._reads_ahead else None,
                )
            return self._accounts

    def security_log(self) -> SecurityLog:
        """The security log the accounts write to (for the command line's reads)."""
        from app.services.audit import SecurityLog

        return SecurityLog(self.settings.security_log_path, self._clock)

    def vault(self) -> VaultService:
        """The vault service, on the same database as the accounts."""
        with self._lock:
            if self._vault is None:
                from app.core.accounts import utc_now
                from app.services.seen import SeenStore
                from app.services.vault import VaultService

                database = self._open()
                # What this device has seen of each vault, beside its saved login.
                seen = SeenStore(self.settings.config_dir / SEEN_FILENAME, database.database_id)
                self._vault = VaultService(
                    database.sessions,
                    target=database.target,
                    clock=self._clock or utc_now,
                    seen=seen,
                )
            return self._vault

    def _read_ahead(self, user_id: int) -> None:
        """Start reading the vault for the listing after a login or unlock, while it checks
        the password (see :mod:`app.services.read_ahead`)."""
        from contextlib import suppress

        with suppress(Exception):  # only a head start: the listing reads for itself
            self.vault().read_ahead(user_id)

    def warm_up(self) -> None:
        """The one warm-up: run the login's and the unlock's reads once, for a user that
        cannot exist, while the login form waits for a password.

        SQLAlchemy compiles a statement the first time it runs; doing it here takes that
        (about 25 ms each) off the first login and the first unlock. Only a head start: should
        it fail but for the database being down, the log has it and nothing else does.
        """
        from app.core.errors import DatabaseUnavailable
        from app.core.logs import log_failure

        try:
            self.accounts().warm_up()
            self.vault().warm_up()
        except DatabaseUnavailable:
            raise
        except Exception as error:
            log_failure("warm-up", error)

    def close(self) -> None:
        with self._lock:
            if self._vault is not None:
                self._vault.flush_seen()
            if self._database is not None:
                self._database.dispose()
            self._database = None
            self._accounts = None
            self._vault = None

"""The app's way to its data: opened on first use, in a worker thread, off the first frame.

Importing SQLAlchemy, Alembic and the crypto libraries costs more than drawing the first screen,
so nothing here is imported until a worker calls :meth:`Backend.open`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from app.config import Settings

if TYPE_CHECKING:
    from app.controllers.accounts import AccountController
    from app.controllers.vault import VaultController
    from app.db import Database


class Backend:
    def __init__(
        self,
        settings: Settings,
        *,
        clock: Callable[[], datetime] | None = None,
        device_label: str | None = None,
    ) -> None:
        self.settings = settings
        self._clock = clock
        self._device_label = device_label
        self._lock = threading.Lock()
        self._database: Database | None = None
        self._accounts: AccountController | None = None
        self._vault: VaultController | None = None

    def login_hint(self) -> str | None:
        """The username to offer on an immediate login form, before the database is open.

        None when there is no such name, or when a saved login exists: then the first screen
        depends on what the database says of that session.
        """
        from app.tokens import LastUsername

        if self.settings.token_path.exists():
            return None
        return LastUsername(self.settings.last_username_path).load()

    def accounts(self) -> AccountController:
        """The account controller, connecting and migrating the database the first time."""
        with self._lock:
            if self._accounts is None:
                from app.audit import SecurityLog
                from app.controllers.accounts import AccountController, utc_now
                from app.db import open_database
                from app.tokens import LastUsername, TokenStore

                database = open_database(self.settings.database_url)
                self._database = database
                self._accounts = AccountController(
                    database.sessions,
                    TokenStore(self.settings.token_path),
                    self.settings.security,
                    last_username=LastUsername(self.settings.last_username_path),
                    audit=SecurityLog(self.settings.security_log_path, self._clock),
                    target=database.target,
                    clock=self._clock or utc_now,
                    device_label=self._device_label,
                )
            return self._accounts

    def vault(self) -> VaultController:
        """The vault controller, on the same database as the accounts."""
        self.accounts()
        with self._lock:
            if self._vault is None:
                from app.controllers.accounts import utc_now
                from app.controllers.vault import VaultController

                assert self._database is not None
                self._vault = VaultController(
                    self._database.sessions,
                    target=self._database.target,
                    clock=self._clock or utc_now,
                )
            return self._vault

    def warm_up(self) -> None:
        """Compile the login's and the unlock's statements ahead of the first login."""
        self.accounts().warm_up()
        self.vault().warm_up()

    def close(self) -> None:
        with self._lock:
            if self._database is not None:
                self._database.dispose()
            self._database = None
            self._accounts = None
            self._vault = None

"""The security log in the app: read in a worker, shown on its own screen.

The worker reads the newest entries of this device's log (a local file: no database, no vault
key). A lock closes the screen with every other one over the vault, and an answer that arrives
after that is for a screen no longer there: it is dropped.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

from textual import on, work
from textual.message import Message

from app.flows.base import Flow

if TYPE_CHECKING:
    from app.core.security_log import LogPage
    from app.screens.security_log import SecurityLogScreen

APP_LIMIT = 500  # entries the screen holds, newest first; `strongroom log -n` reaches further


class SecurityLogFlow(Flow):
    class SecurityLogRead(Message):
        def __init__(self, page: LogPage) -> None:
            super().__init__()
            self.page = page

    _log_screen: weakref.ref[SecurityLogScreen] | None = None

    def show_security_log(self) -> None:
        """The log's screen, and the worker that fills it."""
        from app.screens.security_log import SecurityLogScreen

        if not self.unlocked:
            return
        screen = SecurityLogScreen()
        self._log_screen = weakref.ref(screen)
        self.push_screen(screen, self._security_log_closed)
        self.asked(self.read_security_log(), screen)

    @work(
        thread=True,
        exclusive=True,
        group="security-log",
        exit_on_error=False,
        description="security log",
    )
    def read_security_log(self) -> None:
        from app.services.security_log import read_log

        self.post_message(
            self.SecurityLogRead(read_log(self.backend.settings.security_log_path, APP_LIMIT))
        )

    @on(SecurityLogRead)
    def _security_log_read(self, message: SecurityLogRead) -> None:
        screen = self._log_screen() if self._log_screen is not None else None
        if screen is None or not screen.is_attached or not self.unlocked:
            return  # closed, or locked, before it was read
        screen.show_page(message.page)

    def _security_log_closed(self, result: None) -> None:
        self._log_screen = None

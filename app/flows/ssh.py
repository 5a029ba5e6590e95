"""Approving the SSH agent's signatures in the app, while it runs.

Every APPROVAL_SECONDS a thread worker asks the SSH agent of this app's folders (its approvals
socket: app.services.ssh_approvals) what waits for approval; the first request not yet shown
opens a dialog naming the program, the key's title and fingerprint (and the host, for a
connection forwarded to one), where yes takes a
deliberate key (the confirm dialog's Ctrl+D: no letter says yes) and Esc refuses. The answer
goes back on the same socket; a request answered meanwhile elsewhere (`strongroom ssh
approve`) or dropped by a lock is said to be gone. No agent running: nothing is asked, and
nothing is shown.
"""

from __future__ import annotations

import os
from pathlib import Path

from textual import work

from app.flows.base import Flow
from app.screens.confirm import ConfirmScreen

APPROVAL_SECONDS = 1.0


class SshApprovalFlow(Flow):
    def start_ssh_approvals(self) -> None:
        self._ssh_shown: set[int] = set()
        self.set_interval(APPROVAL_SECONDS, self._look_for_ssh_approvals)

    def _approvals_socket(self) -> Path:
        from app.cli.quick import socket_folder
        from app.services.ssh_approvals import socket_paths

        settings = self.backend.settings
        folders = (os.path.realpath(settings.config_dir), os.path.realpath(settings.data_dir))
        return socket_paths(socket_folder(), *folders)[1]

    def _look_for_ssh_approvals(self) -> None:
        path = self._approvals_socket()
        if path.exists() and not any(isinstance(s, ConfirmScreen) for s in self.screen_stack):
            self._ask_agent(path)

    @work(thread=True, exclusive=True, group="ssh", exit_on_error=False, description="ssh_waiting")
    def _ask_agent(self, path: Path) -> None:
        from app.services.ssh_approvals import waiting

        pending = [p for p in waiting(path) or [] if p.number not in self._ssh_shown]
        if pending:
            self.call_from_thread(self._show_ssh_approval, path, pending[0])

    def _show_ssh_approval(self, path: Path, request: object) -> None:
        from app.services.ssh_approvals import Waiting

        assert isinstance(request, Waiting)
        if request.number in self._ssh_shown:
            return
        self._ssh_shown.add(request.number)
        question = f"{request.question} Approve it?"

        def answered(yes: bool | None) -> None:
            self._answer_agent(path, request.number, bool(yes))

        self.push_screen(ConfirmScreen(question, yes="Approve", no="Refuse"), answered)

    @work(thread=True, group="ssh", exit_on_error=False, description="ssh_answer")
    def _answer_agent(self, path: Path, number: int, yes: bool) -> None:
        from app.services.ssh_approvals import decide

        if not decide(path, number, yes):
            self.call_from_thread(
                self.notify, "That SSH request is no longer waiting.", severity="warning"
            )

"""The SSH agent's approval asked in the running app (tmux, 80x24): the dialog names the program
and the key; Ctrl+D approves and the signature is made, Esc refuses and it is not; a forwarded
connection's use of the key approved here is asked again, and the dialog says FORWARDED."""

from __future__ import annotations

import os
import socket
import subprocess
import threading
from pathlib import Path

from app.core import ssh as core_ssh
from app.core.config import Settings
from app.services.ssh import VaultKey, key_draft
from tests.sshd import need_openssh, seed, start_agent, stop_agent
from tests.terminal import terminal


def sign(sock: Path, public: Path, message: Path) -> subprocess.Popen[str]:
    """``ssh-keygen -Y sign`` with the agent's key, in a terminal session of its own."""
    return subprocess.Popen(
        ["ssh-keygen", "-Y", "sign", "-f", str(public), "-n", "file", str(message)],
        env={"SSH_AUTH_SOCK": str(sock), "PATH": "/usr/bin:/bin"},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


class ForwardedSign(threading.Thread):
    """A signature asked on a connection bound as forwarded (as ``ssh -A`` binds the channel
    it opens for the remote host), from this process; ``answers``: the agent's answer."""

    def __init__(self, sock: Path, blob: bytes) -> None:
        super().__init__(daemon=True)
        self.sock, self.blob, self.answers = sock, blob, list[int]()
        self.start()

    def run(self) -> None:
        from tests.cli.test_ssh_agent import _ask
        from tests.core.test_ssh import bound

        with socket.socket(socket.AF_UNIX) as connection:
            connection.connect(str(self.sock))
            bind = bound(core_ssh.generate("ed25519"), os.urandom(32), forwarding=True)
            assert _ask(connection, core_ssh.frame(bind[0], bind[1:])) == core_ssh.SUCCESS
            self.answers.append(_ask(connection, core_ssh.sign_request(self.blob, b"there")))


def test_the_app_asks_and_its_answer_decides(
    sqlite_settings: Settings, agent_runtime: Path, tmp_path: Path
) -> None:
    need_openssh()
    settings = sqlite_settings
    key = core_ssh.generate("ed25519")
    seed(settings, [key_draft("Laptop key", key, [])])
    public = tmp_path / "laptop.pub"
    public.write_text(VaultKey(0, "Laptop key", b"", key).authorized_line + "\n")
    fingerprint = VaultKey(0, "", core_ssh.public_blob(key), key).fingerprint
    home = tmp_path / "home"
    home.mkdir()
    sock = start_agent(settings, agent_runtime, home)
    try:
        with terminal(settings, 80, 24) as term:
            term.launch()
            term.wait_for("1 item in your vault")
            first = tmp_path / "first"
            first.write_text("hello\n")
            signing = sign(sock, public, first)
            term.wait_for("asks to use the SSH key")
            screen = term.screen()
            assert "ssh-keygen -Y sign" in screen
            assert "Laptop key" in screen
            assert fingerprint[:20] in screen.replace("\n", "")  # may wrap
            assert "Approve" in screen
            assert "Refuse" in screen
            term.keys("C-d")
            _, err = signing.communicate(timeout=60)
            assert signing.returncode == 0, err
            assert (tmp_path / "first.sig").exists()
            term.wait_until(lambda: "asks to use" not in term.screen(), "the dialog gone")
            second = tmp_path / "second"
            second.write_text("again\n")
            refused = sign(sock, public, second)  # another terminal session: asked again
            term.wait_for("asks to use the SSH key")
            term.keys("Escape")
            refused.communicate(timeout=60)
            assert refused.returncode != 0
            assert not (tmp_path / "second.sig").exists()
            term.wait_until(lambda: "asks to use" not in term.screen(), "the dialog gone")
            forwarded = ForwardedSign(sock, core_ssh.public_blob(key))
            term.wait_for("FORWARDED")  # approved here before: asked again (lines may wrap)
            assert "known_hosts)" in term.screen()
            term.keys("Escape")
            forwarded.join(60)
            assert forwarded.answers == [core_ssh.FAILURE]
    finally:
        stop_agent(sock)

"""The device's remembered-session token: one small owner-only file in the config directory.

Also the last username, which lets the login form be the very first frame.

The file alone opens nothing (the database holds the wrapped vault key) and the database alone
opens nothing (it holds only the token's SHA-256). A file that others could read, or that belongs
to someone else, is refused rather than trusted.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import stat
from pathlib import Path

from app.core.accounts import TOKEN_BYTES
from app.core.files import privacy_problem, write_private_file

_FORMAT = 1


class TokenFileError(Exception):
    """The token file exists but cannot be trusted or read; the message says why."""

    def __init__(self, message: str, *, exposed_token: bytes | None = None) -> None:
        super().__init__(message)
        self.message = message
        # A token other users may have read: its session must be revoked, not just ignored.
        self.exposed_token = exposed_token


class TokenStore:
    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> bytes | None:
        """The stored token, None when there is none, or TokenFileError."""
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
        except FileNotFoundError:
            return None
        except OSError as error:
            raise TokenFileError(
                f"The saved login at {self.path} could not be opened ({error.strerror})."
            ) from None
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise TokenFileError(f"The saved login at {self.path} is not a regular file.")
            raw = handle.read(4096)
        token = self._parse(raw)
        problem = privacy_problem(info)
        if problem is not None:
            raise TokenFileError(
                f"The saved login at {self.path} {problem}, so it was not used and has been "
                "revoked.",
                exposed_token=token,
            )
        if token is None:
            raise TokenFileError(f"The saved login at {self.path} is damaged.")
        return token

    @staticmethod
    def _parse(raw: bytes) -> bytes | None:
        try:
            document = json.loads(raw)
            if document.get("format") != _FORMAT:
                return None
            token = base64.urlsafe_b64decode(document["token"])
        except (ValueError, KeyError, TypeError, AttributeError, binascii.Error):
            return None
        return token if len(token) == TOKEN_BYTES else None

    def save(self, token: bytes) -> None:
        """Write the token atomically, 0600 inside a 0700 directory, whatever the umask."""
        document = {"format": _FORMAT, "token": base64.urlsafe_b64encode(token).decode("ascii")}
        write_private_file(self.path, json.dumps(document).encode("ascii"))

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


class LastUsername:
    """The name last logged in on this device, so the login form can open at once, pre-filled.

    Not a secret (the database holds every username), but kept owner-only all the same.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> str | None:
        try:
            document = json.loads(self.path.read_bytes()[:1024])
            name = document["username"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return name if isinstance(name, str) and name.isascii() and name.isprintable() else None

    def save(self, username: str) -> None:
        write_private_file(self.path, json.dumps({"username": username}).encode("ascii"))

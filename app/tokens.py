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

TOKEN_BYTES = 32
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


def privacy_problem(info: os.stat_result) -> str | None:
    """Why a file that holds a secret cannot be trusted, or None: it must be the user's own and
    readable by nobody else (as ssh asks of its keys)."""
    if hasattr(os, "geteuid") and info.st_uid != os.geteuid():
        return "belongs to another user"
    if info.st_mode & 0o077:
        return f"could be read by other users (mode {stat.S_IMODE(info.st_mode):o})"
    return None


def write_private_file(path: Path, content: bytes) -> None:
    """Replace ``path`` atomically with an owner-only (0600) file in an owner-only (0700) folder."""
    directory = path.parent
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    temporary = directory / f".{path.name}.{os.getpid()}.tmp"
    temporary.unlink(missing_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(temporary, flags, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


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

"""The device's remembered-session token: one small owner-only file in the config directory.

Also the last username, which lets the login form be the very first frame.

The file alone opens nothing (the database holds the wrapped vault key) and the database alone
opens nothing (it holds only the token's SHA-256). A file that others could read, or that belongs
to someone else, is refused rather than trusted.

The file also names the database that issued the token (its random id, and its URL with any
password masked, neither a secret): run with the same folders against another database, the
saved login is refused as it is, never taken for ended and deleted, which would leave its
session on the real database open.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from app.core.accounts import TOKEN_BYTES
from app.core.errors import DatabaseUnavailable
from app.core.files import privacy_problem, write_private_file

_FORMAT = 1
_URL_LIMIT = 1024


class TokenFileError(Exception):
    """The token file exists but cannot be trusted or read; the message says why."""

    def __init__(self, message: str, *, exposed_token: bytes | None = None) -> None:
        super().__init__(message)
        self.message = message
        # A token other users may have read: its session must be revoked, not just ignored.
        self.exposed_token = exposed_token


@dataclass(frozen=True)
class DatabaseIdentity:
    """Which database a saved login belongs to: its random id (see
    app.services.database.read_database_id), and its URL as it may be shown."""

    id: str
    target: str


class SavedLoginElsewhere(DatabaseUnavailable):
    """This device's saved login was issued by another database: it is neither used nor
    changed, and neither is anything in this database."""

    def __init__(self, path: Path, issued_by: str, database: DatabaseIdentity) -> None:
        super().__init__(
            database.target,
            f"this device's saved login ({path}) belongs to another database, {issued_by}.",
            f"Use the folders and database that go together: run with {issued_by} (database_url "
            "in config.toml, or STRONGROOM_DATABASE_URL), or give this database folders of its "
            "own (--config-dir, --data-dir). To end that saved login, log out with that "
            "database: strongroom logout.",
        )
        self.message = (
            f"The saved login at {path} belongs to another database ({issued_by}), not to "
            f"{database.target}; nothing was changed. Run with that database, or with folders "
            "of this database's own (--config-dir, --data-dir)."
        )


class TokenStore:
    def __init__(self, path: Path, database: DatabaseIdentity | None = None) -> None:
        self.path = path
        # The database this store serves: a saved login another one issued is refused as it
        # is (SavedLoginElsewhere), and a new one is saved with this one's identity.
        self.database = database

    def load(self) -> bytes | None:
        """The stored token, None when there is none, or TokenFileError."""
        try:
            # Without waiting: a named pipe in its place would block the open until written.
            flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
            fd = os.open(self.path, flags)
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
        issued_by = self._issued_by(raw)
        if self.database is not None and issued_by and issued_by[0] != self.database.id:
            # Checked first: a refusal below would revoke, or delete, another database's login.
            raise SavedLoginElsewhere(self.path, issued_by[1], self.database)
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

    @staticmethod
    def _issued_by(raw: bytes) -> tuple[str, str] | None:
        """The (id, URL) of the database the file names, or None: a file saved before saved
        logins named their database, or one too damaged to say."""
        try:
            named = json.loads(raw)["database"]
            found = (named["id"], named["url"])
        except (ValueError, KeyError, TypeError):
            return None
        if not all(isinstance(part, str) and part.isprintable() for part in found):
            return None
        return found

    def save(self, token: bytes) -> None:
        """Write the token atomically, 0600 inside a 0700 directory, whatever the umask, with
        the identity of the database that issued it."""
        document: dict[str, object] = {
            "format": _FORMAT,
            "token": base64.urlsafe_b64encode(token).decode("ascii"),
        }
        if self.database is not None:
            # Shortened: the whole file is read back in 4 KiB (a long host list, say).
            url = self.database.target
            url = url if len(url) <= _URL_LIMIT else url[: _URL_LIMIT - 3] + "..."
            document["database"] = {"id": self.database.id, "url": url}
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

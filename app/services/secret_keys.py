"""This device's copies of Secret Keys (see app.core.secret_key), and the Emergency Kit file.

One small owner-only file per account, named by the database's random id and the account's id,
so that the same person on two databases, or two accounts on one, each find their own. A file
that is a symbolic link, not a regular file, or readable by others is refused with a clear
message, as the saved login is (app.services.tokens). Logging out keeps the file: it belongs
to the device, as 1Password's does; deleting the account removes it, and its kit.

A new key is kept here (and its kit written) BEFORE the database is told of it: a process killed
in between leaves a copy of a key the account does not have, which is harmless (the row's key id
decides which key is used), never an account that needs a key nobody holds.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import stat
from pathlib import Path

from app.core import secret_key
from app.core.accounts import EmergencyKit, utc_now
from app.core.errors import UserError
from app.core.files import (
    make_private_dir,
    privacy_problem,
    write_new_private_file,
    write_private_file,
)
from app.core.regular_file import NotARegularFile, read_regular_file
from app.models import User

_FORMAT = 1
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


class SecretKeyFileError(UserError):
    """This device's Secret Key file cannot be trusted or read; the message says why."""


class DeviceSecretKeys:
    """The Secret Keys this device holds for the accounts of one database."""

    def __init__(self, data_dir: Path, database_id: str, database: str) -> None:
        self.folder = data_dir / "secret-keys"
        self.kits = data_dir / "kits"
        self._database_id = database_id if re.fullmatch(r"[0-9a-f]{1,64}", database_id) else ""
        self.database = database  # where the database is, without its password

    def path(self, user_id: int) -> Path:
        return self.folder / f"{self._database_id or 'database'}-account-{user_id}.json"

    def load(self, user: User) -> bytes | None:
        """The key this device holds for ``user`` (None when it holds none for that account),
        or SecretKeyFileError."""
        path = self.path(user.id)
        try:
            # Not app.core.regular_file's reader: that one follows a link, this one refuses it
            # (and checks who may read the file); both open without waiting on a named pipe.
            flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
            fd = os.open(path, flags)
        except FileNotFoundError:
            return None
        except OSError as error:
            raise SecretKeyFileError(
                f"This device's Secret Key file {path} could not be opened ({error.strerror}): "
                "if it is a symbolic link, replace it with the file itself."
            ) from None
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise SecretKeyFileError(f"This device's Secret Key file {path} is not a file.")
            problem = privacy_problem(info)
            if problem is not None:
                raise SecretKeyFileError(
                    f"This device's Secret Key file {path} {problem}, so it was not used: "
                    f"make it yours and private (chmod 600 {path}), or delete it and enter the "
                    "Secret Key from your Emergency Kit."
                )
            raw = handle.read(4096)
        try:
            document = json.loads(raw)
            if document["format"] != _FORMAT or document["account"] != user.username_key:
                return None  # another account that once had this id
            return secret_key.parse(document["secret_key"])
        except (ValueError, KeyError, TypeError):
            raise SecretKeyFileError(
                f"This device's Secret Key file {path} is damaged: delete it and enter the "
                "Secret Key from your Emergency Kit."
            ) from None

    def save(self, user: User, key: bytes) -> None:
        document = {
            "format": _FORMAT,
            "database": self.database,
            "account": user.username_key,
            "username": user.username,
            "key_id": secret_key.key_id(key),
            "secret_key": secret_key.printable(key),
        }
        write_private_file(self.path(user.id), json.dumps(document).encode("utf-8"))

    def remove(self, user_id: int, key_id: str | None = None) -> None:
        """Forget the account's key on this device; with ``key_id``, its kit file too."""
        self.path(user_id).unlink(missing_ok=True)
        if key_id is not None:
            for kit in self.kits.glob("strongroom-kit-*.txt"):  # those named by username alone too
                if self._kit_key_id(kit) == key_id:
                    kit.unlink(missing_ok=True)

    def _kit_key_id(self, kit: Path) -> str | None:
        """The id of the key a kit of this database holds (None for anything else)."""
        try:
            text = read_regular_file(kit, 4096).decode("utf-8")
        except (OSError, NotARegularFile, UnicodeDecodeError):
            return None
        lines = text.splitlines()
        if f"Database:   {self.database}" not in lines:
            return None
        for line in lines:
            if line.startswith("Secret Key: "):
                with contextlib.suppress(secret_key.SecretKeyFormatError):
                    return secret_key.key_id(secret_key.parse(line.removeprefix("Secret Key: ")))
        return None

    @property
    def _short_id(self) -> str:
        return self._database_id[:8] or "database"

    def keep(self, user: User, key: bytes) -> EmergencyKit:
        """Save a new key for ``user`` on this device and write its kit, before the database
        is told of the key; SecretKeyFileError (nothing left behind) when either cannot be."""
        written: list[Path] = []
        try:
            self.save(user, key)
            written.append(self.path(user.id))
            make_private_dir(self.kits)
            written.append(self._write_kit(user, key))
        except OSError as error:
            for path in written:
                path.unlink(missing_ok=True)
            where = error.filename or self.folder
            raise SecretKeyFileError(
                f"The Secret Key could not be saved on this device ({where}: "
                f"{error.strerror or error}), so nothing was changed: free some space or make "
                f"{self.folder} and {self.kits} folders of yours, then try again."
            ) from None
        return EmergencyKit(user.username, secret_key.printable(key), self.database, written[1])

    def _write_kit(self, user: User, key: bytes) -> Path:
        """The printable kit (owner-only), named by account, database and key, so that the same
        name on two databases, or a kit left before, is never overwritten."""
        created = utc_now().strftime("%Y-%m-%d %H:%M UTC")
        text = secret_key.kit_text(key, user.username, self.database, created)
        stem = f"strongroom-kit-{_UNSAFE.sub('_', user.username)}-{self._short_id}"
        stem += f"-{secret_key.key_id(key)}"
        for number in range(1, 100):
            path = self.kits / (f"{stem}.txt" if number == 1 else f"{stem}-{number}.txt")
            try:
                write_new_private_file(path, text)
            except FileExistsError:
                continue
            return path
        raise FileExistsError(errno.EEXIST, "too many kits of this key", str(self.kits))

    def discard(self, user_id: int, key: bytes, kit: EmergencyKit) -> None:
        """Take back what :meth:`keep` wrote, for a key the database did not take."""
        try:
            held = json.loads(self.path(user_id).read_bytes()).get("key_id")
        except (OSError, ValueError, AttributeError):
            held = None
        if held == secret_key.key_id(key):
            self.path(user_id).unlink(missing_ok=True)
        if kit.path is not None:
            kit.path.unlink(missing_ok=True)


def login_key(user: User, device: DeviceSecretKeys | None, typed: str | None) -> bytes | None:
    """The Secret Key to derive ``user``'s keys with: None for an account without one; the
    typed one, else this device's; SecretKeyNeeded (before any password is checked, so no guess
    is spent) when neither is this account's."""
    wanted = user.secret_key_id
    if wanted is None:
        return None
    if typed:
        try:
            key = secret_key.parse(typed)
        except secret_key.SecretKeyFormatError as error:
            raise secret_key.SecretKeyNeeded(str(error)) from None
        if secret_key.key_id(key) != wanted:
            raise secret_key.SecretKeyNeeded(
                "That Secret Key is not this account's (wrong Secret Key). Please enter the one "
                "from this account's Emergency Kit."
            )
        return key
    held = device.load(user) if device is not None else None
    if held is not None and secret_key.key_id(held) == wanted:
        return held
    raise secret_key.SecretKeyNeeded()


def holds(device: DeviceSecretKeys | None, user: User) -> bool:
    """Whether this device holds a readable Secret Key for ``user``."""
    try:
        return device is not None and device.load(user) is not None
    except SecretKeyFileError:
        return False


STRIPPED = (
    " This device holds a Secret Key for this account, yet the database says the account has "
    "none: if the password is right, the account's row was changed outside Strongroom."
)

"""Files that hold a secret or a setting: owner-only, written atomically, refused when others
could read them (as ssh asks of its keys)."""

from __future__ import annotations

import os
import stat
from pathlib import Path


def privacy_problem(info: os.stat_result) -> str | None:
    """Why a file that holds a secret cannot be trusted, or None: it must be the user's own and
    readable by nobody else (as ssh asks of its keys)."""
    if hasattr(os, "geteuid") and info.st_uid != os.geteuid():
        return "belongs to another user"
    if info.st_mode & 0o077:
        return f"could be read by other users (mode {stat.S_IMODE(info.st_mode):o})"
    return None


def tamper_problem(info: os.stat_result) -> str | None:
    """Why a file that Strongroom reads settings from, or writes, cannot be trusted, or None:
    it must be a regular file (not a symbolic link), the user's own, writable by nobody else."""
    if stat.S_ISLNK(info.st_mode):
        return "is a symbolic link"
    if not stat.S_ISREG(info.st_mode):
        return "is not a regular file"
    if hasattr(os, "geteuid") and info.st_uid != os.geteuid():
        return "belongs to another user"
    if info.st_mode & 0o022:
        return f"could be changed by other users (mode {stat.S_IMODE(info.st_mode):o})"
    return None


def folder_problem(info: os.stat_result) -> str | None:
    """Why a folder that holds Strongroom's files cannot be trusted, or None: it must be the
    user's own and writable by nobody else. The sticky bit does not help: in a folder like
    /tmp, others cannot replace a file, but they can create one first, under the name Strongroom
    is about to use (a SQLite database's -wal or -shm, say)."""
    if not stat.S_ISDIR(info.st_mode):
        return "is not a folder"
    if hasattr(os, "geteuid") and info.st_uid != os.geteuid():
        return "belongs to another user"
    if info.st_mode & 0o022:
        return f"could be written by other users (mode {stat.S_IMODE(info.st_mode):o})"
    return None


def make_private_dir(path: Path) -> None:
    """Create ``path`` and any missing parents owner-only (0700), whatever the umask."""
    missing = []
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing.append(folder)
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            continue
        os.chmod(folder, 0o700)


def write_private_file(path: Path, content: bytes) -> None:
    """Replace ``path`` atomically with an owner-only (0600) file in an owner-only (0700) folder."""
    directory = path.parent
    make_private_dir(directory)
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


def write_new_private_file(path: Path, text: str, *, replace: bool = False) -> None:
    """Create ``path`` readable by its owner alone (an export, say). An existing file raises
    FileExistsError unless ``replace``; a replaced one keeps no looser mode. A symbolic link
    at ``path`` is never followed."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | (os.O_TRUNC if replace else os.O_EXCL)
    descriptor = os.open(path, flags, 0o600)
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)

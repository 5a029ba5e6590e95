"""The programs Strongroom runs (keepassxc-cli, gpg), found on PATH as a shell would, but only
where the working folder and other users cannot put one.

A PATH with an empty or relative entry (``PATH=:/usr/bin``, ``.``) makes a shell, and
``shutil.which``, run a ``gpg`` from whatever folder the command is run in: a cloned project or
a shared folder another user wrote. Here such entries are passed over, and so is a program that
a user other than root or its runner could change (the file or its folder writable by group or
others, or owned by someone else): it would run with the user's rights and see the passwords
it is handed.
"""

from __future__ import annotations

import os
import stat


def _trusted(path: str) -> bool:
    """Whether only root or this user can change ``path`` (followed to the real file)."""
    real = os.path.realpath(path)
    for where in (real, os.path.dirname(real)):
        try:
            info = os.stat(where)
        except OSError:
            return False
        if info.st_uid not in (0, os.getuid()) or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            return False
    return stat.S_ISREG(os.stat(real).st_mode)


def find_program(name: str, path: str | None = None) -> str | None:
    """``name``'s absolute path in the first absolute folder of PATH that has it and that no one
    else could have written to; None when there is none."""
    folders = (os.environ.get("PATH", os.defpath) if path is None else path).split(os.pathsep)
    for folder in folders:
        if not os.path.isabs(folder):
            continue  # "", "." and other relative entries name the working folder
        candidate = os.path.join(folder, name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK) and _trusted(candidate):
            return candidate
    return None


def not_found(name: str) -> str:
    """What to say when ``find_program`` found nothing."""
    return (
        f"{name} was not found in an absolute folder of PATH that only you or root can change "
        "(empty and relative PATH entries, and programs others could write, are never run)"
    )

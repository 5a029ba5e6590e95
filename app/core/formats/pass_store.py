"""A ``pass`` password store: a folder of gpg-encrypted files, decrypted by the installed
``gpg`` (with the key gpg-agent holds, or asks for through its own pinentry).

Each file is an item: its path is the title (``Email/work`` is the title ``work`` with the tag
``Email``); its first line is the password; ``key: value`` lines after it are the username
(``login``, ``username``, ``user``, ``email``), URLs (``url``, ``website``) or custom fields; an
``otpauth://`` line (pass-otp's) is the TOTP; every other line is kept in the notes.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from pathlib import Path

from app.core.formats import (
    MAX_ENTRIES,
    MAX_FILE_BYTES,
    Ask,
    Format,
    ImportFailed,
    Parsed,
    add,
    decode,
    split_tags,
    too_many,
    when,
)
from app.core.formats.shapes import quoted
from app.core.items import CustomField, ImportedItem, ItemDraft
from app.core.programs import find_program, not_found

MAX_ENTRY_BYTES = 4 * 1024 * 1024  # an entry's every field at the vault's limits, and more
USERNAME_KEYS = {"login", "username", "user", "email", "e-mail"}
URL_KEYS = {"url", "website", "site", "web"}
_KEY_VALUE = re.compile(r"^([A-Za-z][\w .-]{0,40}):\s?(.*)$")


def _entry(text: str, name: str) -> ItemDraft:
    lines = text.replace("\r\n", "\n").split("\n")
    password, rest = lines[0], lines[1:]
    username, urls, totp = "", [], ""
    fields: list[CustomField] = []
    notes: list[str] = []
    for line in rest:
        if line.startswith("otpauth://") and not totp:
            totp = line.strip()
            continue
        match = _KEY_VALUE.match(line)
        if match is None or match.group(2).startswith("//"):  # "https://…" is not a key
            notes.append(line)
            continue
        key, value = match.group(1).strip(), match.group(2).strip()
        if key.casefold() in USERNAME_KEYS and not username:
            username = value
        elif key.casefold() in URL_KEYS:
            urls.append(value)
        else:
            fields.append(CustomField(key, value))
    parent, _, title = name.rpartition("/")
    return ItemDraft(
        title=title,
        username=username,
        password=password,
        urls=tuple(urls),
        notes="\n".join(notes).strip("\n"),
        tags=split_tags(parent),
        totp=totp,
        fields=tuple(fields),
    )


def _decrypted(program: str, file: Path, name: str, budget: int) -> bytes:
    """What gpg decrypts ``file`` to, read no further than ``budget`` bytes (gpg expands a
    compressed message without a limit of its own)."""
    with (
        tempfile.TemporaryFile() as said,
        subprocess.Popen(  # noqa: S603 (our arguments; the file is gpg's to judge)
            [program, "--quiet", "--yes", "--decrypt", os.fspath(file)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=said,
        ) as gpg,
    ):
        assert gpg.stdout is not None
        out = gpg.stdout.read(budget + 1)
        if len(out) > budget:
            gpg.kill()
            raise ImportFailed(f"{quoted(name)} decrypts to more than an import takes.")
        if gpg.wait() != 0:
            said.seek(max(0, said.seek(0, os.SEEK_END) - 1000))
            lines = said.read().decode("utf-8", "replace").strip().splitlines()
            raise ImportFailed(
                f"gpg could not decrypt {quoted(name)}: "
                f"{lines[-1] if lines else 'no reason given'}. "
                "Unlock your key first (for example with 'pass show' of one entry)."
            )
        return out


def read_store(path: Path, ask: Ask) -> Parsed:
    program = find_program("gpg")
    if program is None:
        raise ImportFailed(f"Importing a pass store needs gpg: {not_found('gpg')}.")
    if not (path / ".gpg-id").exists():
        raise ImportFailed(f"{str(path)!r} is not a pass password store (it has no .gpg-id).")
    files: list[Path] = []
    for file in path.rglob("*.gpg"):
        if ".git" not in file.relative_to(path).parts and file.is_file():
            files.append(file)
            if len(files) > MAX_ENTRIES:
                raise too_many(len(files))
    parsed = Parsed("pass")
    budget = MAX_FILE_BYTES  # what every entry decrypts to, together
    for file in sorted(files):
        name = file.relative_to(path).with_suffix("").as_posix()
        out = _decrypted(program, file, name, min(budget, MAX_ENTRY_BYTES))
        budget -= len(out)
        draft = _entry(decode(out, name), name)
        modified = when(file.stat().st_mtime)
        add(parsed, ImportedItem(draft, updated_at=modified), f"entry {quoted(name)}")
    return parsed


FORMATS = (Format("pass", "pass password store (a folder, through gpg)", read_store),)

"""Import and export, shared by the app and the command line: one path in, one path out.

An import reads the file first (:func:`read_file`, nothing written), so the caller can show a
summary; :func:`import_parsed` then writes every item in one transaction. An export checks
nothing itself: the caller has asked for the master password (see
AccountService.check_master_password) before calling :func:`export_text`.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from app.core.accounts import ActiveSession
from app.core.config import Settings
from app.core.errors import ValidationError
from app.core.exports import ENCRYPTED_FORMATS, FORMATS, Exported, bitwarden_encrypted_json
from app.core.formats import Ask, Parsed, read
from app.core.formats.bitwarden import ARGON2ID, Kdf
from app.core.passwords import PasswordPolicy
from app.services.audit import SecurityLog
from app.services.bulk import Commit, Progress, import_items
from app.services.vault import VaultService

EXPORT_FORMATS = (*ENCRYPTED_FORMATS, *FORMATS)


@dataclass(frozen=True)
class ExportResult:
    text: str
    count: int
    damaged: int  # items that could not be opened, left out


def export_kdf(settings: Settings) -> Kdf:
    """Argon2id for an encrypted export, at least as costly as the vault's own and never
    under Bitwarden's default (64 MiB, 3 iterations, 4 lanes)."""
    return Kdf(
        ARGON2ID,
        iterations=min(10, max(3, settings.security.argon2_iterations)),
        memory_mib=min(1024, max(64, settings.security.argon2_memory_kib // 1024)),
        parallelism=min(16, max(4, settings.security.argon2_parallelism)),
    )


def export_text(
    vault: VaultService,
    active: ActiveSession,
    format_name: str,
    *,
    settings: Settings,
    password: str = "",
) -> ExportResult:
    """The whole vault (the trash and password history too) in ``format_name``; an encrypted
    format is sealed with ``password``, which must resist guessing offline as a master password
    does (the file travels): ValidationError (field ``file_password``) says why it does not."""
    encrypted = format_name in ENCRYPTED_FORMATS
    if encrypted:
        problems = PasswordPolicy().assess(password).problems
        if problems:
            reason = f"That password cannot protect an export: {problems[0]}"
            raise ValidationError(reason, "file_password")
    items = vault.list_items(active) + vault.list_items(active, trash=True)
    history = vault.all_history(active)
    created = vault.created_dates(active)
    entries = [
        Exported(item, history.get(item.id, []), created.get(item.id))
        for item in items
        if not item.error
    ]
    if encrypted:
        text = bitwarden_encrypted_json(entries, password, export_kdf(settings))
    else:
        text = FORMATS[format_name](entries)
    return ExportResult(text, len(entries), len(items) - len(entries))


class ExportTarget(ValidationError):
    """The export file cannot be written where it was asked for (it exists, or the folder
    refuses it): ``exists`` says which, so a caller can ask "Replace it?"."""

    def __init__(self, message: str, *, exists: bool) -> None:
        super().__init__(message, "path")
        self.exists = exists


def save_export(
    log: SecurityLog,
    active: ActiveSession,
    result: ExportResult,
    format_name: str,
    path: Path | None,
    *,
    replace: bool = False,
) -> None:
    """Write an export to ``path``, created owner-only and never replacing a file unless
    ``replace`` (ExportTarget otherwise), and record it in the security log. ``path`` None: the
    caller has sent the text elsewhere (a pipe) and only the record is made.

    Only a file or a named pipe (a script's reader) is written: a terminal, however it is
    named (``/dev/tty``, ``/dev/pts/N``, ``/proc/self/fd/1``, a link to one), or any other
    device is refused with nothing written, judged on the descriptor opened, not on the name."""
    if path is not None:
        _write_export(path, result.text, replace=replace)
    log.record("vault_exported", active.username, f"{result.count} items, {format_name}")


def write_private_file(path: Path, text: str, *, replace: bool = False) -> None:
    """Write a file that holds secrets (an export, a health report) as :func:`save_export`
    does: owner-only, never through a link, never a terminal or another device, never another
    user's file, an existing one only with ``replace`` and then by a new file renamed over it.
    ExportTarget says why not (nothing written)."""
    _write_export(path, text, replace=replace)


def _not_a_file(path: Path) -> ExportTarget:
    return ExportTarget(
        f"Not writing every password to {path}: it is a terminal or another device, not a file.",
        exists=False,
    )


def _refusal(path: Path, error: OSError) -> ExportTarget:
    """What to say when ``path`` could not be opened (nothing was written)."""
    if error.errno in (errno.EEXIST, errno.ELOOP):
        try:
            info = path.stat()  # what the name leads to, for the message only
        except OSError:
            info = None
        if info is not None and (stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode)):
            return _not_a_file(path)
        if error.errno == errno.ELOOP:
            return ExportTarget(f"{path} is a symbolic link: name the file itself.", exists=False)
        return ExportTarget(f"{path} exists.", exists=True)
    if error.errno == errno.ENXIO:  # a named pipe that nothing reads from
        return ExportTarget(f"Nothing is reading from the pipe {path}.", exists=False)
    return ExportTarget(f"{path} cannot be written: {error.strerror}.", exists=False)


def _write_export(path: Path, text: str, *, replace: bool) -> None:
    """Create ``path`` owner-only (0600), never through a symbolic link, and write ``text``.
    What was opened is checked on its descriptor before a byte is written (a name swapped in
    between changes nothing): a regular file or a named pipe only. With ``replace``, an existing
    file of the user's is not reused (whoever opened it before would read the new text through
    that descriptor): a new owner-only file is written beside it and renamed over it; a named
    pipe is written as it is."""
    flags = os.O_WRONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
    try:
        # O_NONBLOCK: a pipe nobody reads fails. Without replace, an existing name is refused.
        descriptor = os.open(path, flags | (0 if replace else os.O_CREAT | os.O_EXCL), 0o600)
    except OSError as error:
        if replace and error.errno == errno.ENOENT:  # nothing to replace: a new file
            return _write_export(path, text, replace=False)
        raise _refusal(path, error) from None
    try:
        info = os.fstat(descriptor)
        if os.isatty(descriptor) or not (stat.S_ISREG(info.st_mode) or stat.S_ISFIFO(info.st_mode)):
            raise _not_a_file(path)
        if info.st_uid != os.geteuid():
            raise ExportTarget(f"{path} belongs to another user.", exists=False)
        if replace and stat.S_ISREG(info.st_mode):
            _replace_file(path, text)
            return
        os.set_blocking(descriptor, True)
        os.fchmod(descriptor, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8", closefd=False) as file:
            file.write(text)
    except OSError as error:
        raise ExportTarget(f"{path} cannot be written: {error.strerror}.", exists=False) from None
    finally:
        os.close(descriptor)


def _replace_file(path: Path, text: str) -> None:
    """Write ``text`` to a new owner-only file beside ``path`` (a random name, created
    exclusively, never through a link), flush it to disk, and rename it over ``path``: the
    old file's readers keep the old text. Nothing is left behind if this fails."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_NOCTTY | os.O_CLOEXEC
    descriptor = os.open(temporary, flags, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            os.fchmod(descriptor, 0o600)
            file.write(text)
            file.flush()
            os.fsync(descriptor)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def read_file(path: Path, ask: Ask, format_name: str | None = None) -> Parsed:
    """What ``path`` holds, as items; ImportFailed (nothing read) when it cannot be imported."""
    return read(path, ask, format_name)


def import_parsed(
    vault: VaultService,
    log: SecurityLog,
    active: ActiveSession,
    parsed: Parsed,
    progress: Progress | None = None,
    commit: Commit | None = None,
) -> tuple[int, int]:
    """Write what :func:`read_file` read, in one transaction: (added, already in the vault)."""
    added, already = import_items(vault, active, parsed.items, progress, commit=commit)
    log.record(
        "vault_imported",
        active.username,
        f"{added} items added, {already} already there, {len(parsed.skipped)} skipped, "
        f"{parsed.format}",
    )
    return added, already

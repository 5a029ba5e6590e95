"""The account row's MAC (see app.services.integrity): its verifier, salt, key settings,
wrapped key, Secret Key id and a counter bound together under a key only the master password
yields, and the counter checked against the one the vault's head recorded, at every login."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core import integrity_keys
from app.core.errors import AccountDataError
from app.models import User
from app.services.integrity import HEADS, framed, head_mac, vault_mac_key

T = TypeVar("T")


def account_mac(wrapping_key: bytes, user: User) -> bytes:
    """The MAC of ``user``'s key material and counter, under a key its master password yields."""
    text = (
        f"strongroom/account/v1/user/{user.id}/name/{user.username_key}/"
        f"counter/{user.account_counter}/kdf/{user.kdf_algorithm}/{user.kdf_memory_kib}/"
        f"{user.kdf_iterations}/{user.kdf_parallelism}/key/{user.vault_key_algorithm}/"
        f"{user.key_format_version}/"
    ).encode()
    if user.secret_key_id is not None:  # absent before Secret Keys: older rows' MACs still hold
        text += f"secret-key/{user.secret_key_id}/".encode()
    parts = (user.kdf_salt, user.verifier.encode(), user.vault_key_wrapped, user.vault_key_check)
    key = integrity_keys.account_integrity_key(wrapping_key)
    return integrity_keys.mac(key, text + b"".join(framed(p) for p in parts))


def seal_account(user: User, wrapping_key: bytes) -> None:
    """Raise the account's counter and MAC its row anew (a registration, a password change,
    a rotation, or an account made before the MAC existed)."""
    user.account_counter = (user.account_counter or 0) + 1
    user.account_mac = account_mac(wrapping_key, user)


_ACCOUNT_TAMPERED = (
    "This account's stored keys do not belong together: its row was changed or copied from "
    "another account outside Strongroom. The database has been tampered with."
)


def check_account_row(user: User, wrapping_key: bytes) -> None:
    """At login, once the password matched the verifier and before the vault key is unwrapped:
    the row's MAC matches (AccountDataError if not). A row without a MAC (made before it
    existed) passes here, to be sealed; :func:`check_account` tells it from one whose MAC was
    taken away."""
    if user.account_mac is not None and not secrets.compare_digest(
        user.account_mac, account_mac(wrapping_key, user)
    ):
        raise AccountDataError(_ACCOUNT_TAMPERED)


class RowMoved(AccountDataError):
    """The account's row changed between its read and its check: another device's password
    change or rotation during this login's KDF. The login starts again, once, from the new row
    (a rotation still opens with the password; a changed password no longer does)."""

    def __init__(self) -> None:
        super().__init__(
            "This account changed on another device while it was being opened. Try again."
        )


def again_if_moved(work: Callable[[], T]) -> T:
    try:
        return work()
    except RowMoved:
        return work()


def check_account(db: Session, user: User, wrapping_key: bytes, vault_key: bytes) -> None:
    """At login: the account row is whole and no older than its vault's head says; else
    AccountDataError, or RowMoved if the row changed since ``user`` was read. A row without a
    MAC (made before it existed) passes, to be sealed."""
    try:
        _check_account(db, user, wrapping_key, vault_key)
    except AccountDataError:
        if (
            db.scalar(select(User.account_counter).where(User.id == user.id))
            != user.account_counter
        ):
            raise RowMoved() from None
        raise


def _check_account(db: Session, user: User, wrapping_key: bytes, vault_key: bytes) -> None:
    tampered = _ACCOUNT_TAMPERED
    check_account_row(user, wrapping_key)
    row = db.execute(select(HEADS).where(HEADS.c.user_id == user.id)).first()
    if row is None:
        return
    key = vault_mac_key(vault_key)
    if not secrets.compare_digest(
        row.mac, head_mac(key, user.id, row.counter, row.account_counter, row.head)
    ):
        raise AccountDataError(
            "This account's vault record does not match its key: the database has been "
            "tampered with."
        )
    if user.account_mac is None and row.account_counter > 0:
        raise AccountDataError(tampered)  # its MAC taken away, to pass a row that has none
    if row.account_counter > (user.account_counter or 0):
        raise AccountDataError(
            "This account's row is older than its vault: an earlier copy of it (from before "
            "a password change) was put back outside Strongroom. Log in with the newest "
            "password once the newest row is restored."
        )

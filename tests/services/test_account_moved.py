"""Another device changes the account while this one's login or unlock is in its KDF (the row
was read before it): a rotation of the vault key still opens the vault with the password, a
new master password makes the old one fail as a wrong password. Never the "tampered" refusal,
which the head the other device moved would otherwise give against the row read before."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from app.core.accounts import ActiveSession
from app.core.config import Settings
from app.core.errors import LoginFailed
from app.core.items import ItemDraft
from app.services.backend import Backend
from tests.helpers import STRONG_PASSWORD
from tests.pilot import seed

NEW_PASSWORD = "violet kettles hum under winter"


def _rotate(other: Backend, active: ActiveSession) -> None:
    other.accounts().rotate_vault_key(active, STRONG_PASSWORD)


def _new_password(other: Backend, active: ActiveSession) -> None:
    other.accounts().change_password(active, STRONG_PASSWORD, NEW_PASSWORD, NEW_PASSWORD)


def _during_the_kdf(backend: Backend, change: Callable[[], None]) -> None:
    """``change`` runs once, right after this device's next password check (the KDF)."""
    credentials = backend.accounts()._credentials
    check = credentials.check

    def checked(*args: Any) -> Any:
        keys = check(*args)
        credentials.check = check  # type: ignore[method-assign]
        change()
        return keys

    credentials.check = checked  # type: ignore[method-assign,assignment]


@pytest.mark.parametrize("opening", ["login", "unlock"])
@pytest.mark.parametrize("change", [_rotate, _new_password], ids=["rotation", "new password"])
def test_a_change_on_another_device_during_the_kdf_is_no_tamper_alarm(
    settings: Settings, opening: str, change: Callable[[Backend, ActiveSession], None]
) -> None:
    seed(settings, ItemDraft("Mail", password="one"), remember=False)
    here, other = Backend(settings, device_label="here"), Backend(settings, device_label="other")
    try:
        there = other.accounts().login("alice", STRONG_PASSWORD, remember=False)
        locked = here.accounts().login("alice", STRONG_PASSWORD, remember=True)
        _during_the_kdf(here, lambda: change(other, there))

        def open_here() -> ActiveSession:
            if opening == "login":
                return here.accounts().login("alice", STRONG_PASSWORD, remember=False)
            return here.accounts().unlock(locked.user_id, locked.session_id, STRONG_PASSWORD)

        if change is _new_password:
            with pytest.raises(LoginFailed):
                open_here()
            return
        active = open_here()
        assert [item.password for item in here.vault().list_items(active)] == ["one"]
    finally:
        here.close()
        other.close()

"""Whether this device's session still stands (app.services.standing), as the open app asks
before every action and on its timer: each way a session ends elsewhere gives its own reason,
and this device's own doings (a password change here, an unlock) end nothing. Both backends."""

from __future__ import annotations

import pytest

from app.core.accounts import ActiveSession
from app.core.config import Settings
from app.core.errors import AccountGone, VaultKeyChanged
from app.core.standing import ENDED, EXPIRED, LOCKED_HERE, PASSWORD_CHANGED, SessionEnded
from app.services.accounts import AccountService
from app.services.database import Database
from tests.helpers import STRONG_PASSWORD, FakeClock, make_controller

NEW = "a brand new master passphrase"


@pytest.fixture
def here(accounts: AccountService) -> ActiveSession:
    accounts.register("alice", STRONG_PASSWORD, STRONG_PASSWORD)
    return accounts.login("alice", STRONG_PASSWORD, remember=True)


@pytest.fixture
def phone(database: Database, settings: Settings, clock: FakeClock) -> AccountService:
    return make_controller(database, settings, clock, settings.config_dir / "phone.token")


def ended(accounts: AccountService, active: ActiveSession, stamp: bytes | None) -> SessionEnded:
    with pytest.raises(SessionEnded) as raised:
        accounts.standing(active, stamp)
    return raised.value


def test_a_standing_session_answers_its_stamp(
    accounts: AccountService, here: ActiveSession, phone: AccountService
) -> None:
    stamp = accounts.standing(here, None)
    phone.login("alice", STRONG_PASSWORD, remember=True)  # another device logs in: nothing ends
    assert accounts.standing(here, stamp) == stamp


def test_revoked_from_another_device(
    accounts: AccountService, here: ActiveSession, phone: AccountService
) -> None:
    stamp = accounts.standing(here, None)
    theirs = phone.login("alice", STRONG_PASSWORD, remember=True)
    assert here.session_id is not None
    phone.revoke_session(theirs, here.session_id)
    refusal = ended(accounts, here, stamp)
    assert refusal.message == ENDED
    assert not refusal.locked
    assert (refusal.user_id, refusal.session_id) == (here.user_id, here.session_id)


def test_a_password_changed_on_another_device(
    accounts: AccountService, here: ActiveSession, phone: AccountService
) -> None:
    stamp = accounts.standing(here, None)
    theirs = phone.login("alice", STRONG_PASSWORD, remember=True)
    phone.change_password(theirs, STRONG_PASSWORD, NEW, NEW)
    assert ended(accounts, here, stamp).message == PASSWORD_CHANGED
    # A login that was not remembered has no row to lose: the new salt tells it.
    accounts.change_password(theirs, NEW, STRONG_PASSWORD, STRONG_PASSWORD)
    unremembered = accounts.login("alice", STRONG_PASSWORD, remember=False)
    stamp = accounts.standing(unremembered, None)
    phone.change_password(theirs, STRONG_PASSWORD, NEW, NEW)
    assert ended(accounts, unremembered, stamp).message == PASSWORD_CHANGED


def test_this_devices_own_password_change_ends_nothing(
    accounts: AccountService, here: ActiveSession
) -> None:
    stamp = accounts.standing(here, None)
    accounts.change_password(here, STRONG_PASSWORD, NEW, NEW)
    assert accounts.standing(here, stamp) != stamp  # the new stamp, no refusal


def test_past_its_time_limit(
    accounts: AccountService, here: ActiveSession, settings: Settings, clock: FakeClock
) -> None:
    stamp = accounts.standing(here, None)
    clock.advance(days=settings.security.session_absolute_limit.days)
    assert ended(accounts, here, stamp).message == EXPIRED


def test_locked_by_this_devices_command_line(accounts: AccountService, here: ActiveSession) -> None:
    accounts.lock(here)  # as `strongroom lock` does, from another process
    refusal = ended(accounts, here, None)
    assert refusal.message == LOCKED_HERE
    assert refusal.locked


def test_rotated_or_deleted_elsewhere(
    accounts: AccountService, here: ActiveSession, phone: AccountService
) -> None:
    theirs = phone.login("alice", STRONG_PASSWORD, remember=True)
    phone.rotate_vault_key(theirs, STRONG_PASSWORD)
    with pytest.raises(VaultKeyChanged):
        accounts.standing(here, None)
    phone.delete_account(theirs, STRONG_PASSWORD)
    with pytest.raises(AccountGone):
        accounts.standing(here, None)

"""The app opened on a vault changed outside Strongroom, or older than this device saw: a
dialog says what it means and what to do, the list is still there with what does not match
shown as damaged (never opened), and the security log has it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import text

from app.core.config import Settings
from app.core.items import ItemDraft
from app.factory import make_app
from app.screens.integrity import IntegrityScreen
from app.screens.vault import VaultScreen
from app.services.backend import Backend
from tests.helpers import STRONG_PASSWORD, rows, sql
from tests.pilot import seed, settle, text_of


async def test_a_changed_row_is_a_dialog_and_a_damaged_item(settings: Settings) -> None:
    seed(settings, ItemDraft("GitHub", "alice", "first"), ItemDraft("Shop", "a", "shop"))
    [(old,)] = rows(settings, "SELECT password_sealed FROM items WHERE id = 1")
    backend = Backend(settings)
    try:
        active = backend.accounts().login("alice", STRONG_PASSWORD, remember=True)
        item = backend.vault().list_items(active)[0]
        backend.vault().update(active, item.id, item.version, ItemDraft("GitHub", password="2"))
    finally:
        backend.close()
    sql(settings, text("UPDATE items SET password_sealed = :old WHERE id = 1").bindparams(old=old))

    app = make_app(settings)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, IntegrityScreen)
        assert "changed outside Strongroom" in text_of(app, "#integrity-title")
        assert "item #1 (GitHub) does not match" in text_of(app, "#integrity-message")
        assert "strongroom db accept-restore" in text_of(app, "#integrity-advice")
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, VaultScreen)
        shown = {item.title: item for item in screen._items}
        assert sorted(shown) == ["Damaged item #1", "Shop"]
        assert shown["Damaged item #1"].damage is not None
        assert shown["Damaged item #1"].password == ""  # never opened
    assert '"event": "tampering_detected"' in settings.security_log_path.read_text()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_an_older_database_file_is_the_rollback_dialog(settings: Settings) -> None:
    seed(settings, ItemDraft("GitHub", "alice", "first"))
    path = Path(settings.database_url.removeprefix("sqlite:///"))
    shutil.copyfile(path, path.with_name("copy.db"))
    backend = Backend(settings)
    try:  # this device's saved login, which the older copy holds too
        active = backend.accounts().startup().session
        assert active is not None
        backend.vault().add(active, ItemDraft("Later", password="later"))
    finally:
        backend.close()
    shutil.copyfile(path.with_name("copy.db"), path)

    app = make_app(settings)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, IntegrityScreen)
        assert "older than this device saw" in text_of(app, "#integrity-title")
        assert "older than what this device saw on 20" in text_of(app, "#integrity-message")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, VaultScreen)
    assert '"event": "rollback_detected"' in settings.security_log_path.read_text()

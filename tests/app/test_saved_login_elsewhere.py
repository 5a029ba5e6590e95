"""The app started with this device's folders against a database that did not issue its saved
login: the database screen says which database the login belongs to, and nothing changes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from app.core.config import Settings
from app.factory import make_app
from app.screens.database_error import DatabaseErrorScreen
from app.screens.vault import VaultScreen
from app.services.database import describe_url
from tests.helpers import rows
from tests.pilot import seed, settle, text_of


async def test_the_app_on_another_database_leaves_the_saved_login_alone(
    settings: Settings, tmp_path: Path
) -> None:
    seed(settings)  # alice, remembered and unlocked on database A
    saved = (settings.token_path.read_bytes(), settings.token_path.stat().st_mtime_ns)
    sessions = rows(settings, "SELECT id, vault_key_wrapped FROM sessions")

    other = replace(settings, database_url=f"sqlite:///{tmp_path / 'b' / 'b.db'}")
    app = make_app(other)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, DatabaseErrorScreen)
        reason = text_of(app, "#reason")
        assert "belongs to another database" in reason
        assert describe_url(settings.database_url) in reason
        await pilot.click("#quit")
    assert (settings.token_path.read_bytes(), settings.token_path.stat().st_mtime_ns) == saved
    assert rows(settings, "SELECT id, vault_key_wrapped FROM sessions") == sessions

    app = make_app(settings)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, VaultScreen)

"""The MariaDB server stops while Strongroom is open, then comes back."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input

from app.core.config import Settings
from app.core.errors import DatabaseUnavailable
from app.core.items import ItemDraft
from app.screens.item_form import ItemFormScreen
from app.screens.vault import VaultScreen
from app.services.backend import Backend
from app.widgets.item_list import ItemList
from tests.helpers import FAST_SECURITY, STRONG_PASSWORD, ThrowawayMariaDB
from tests.pilot import settle, type_into

pytestmark = pytest.mark.mariadb


def settings_for(server: ThrowawayMariaDB, tmp_path: Path) -> Settings:
    return Settings(
        config_dir=tmp_path / "config",
        data_dir=tmp_path / "data",
        database_url=server.url,
        security=FAST_SECURITY,
    )


def test_controllers_report_the_outage_and_carry_on_after_it(
    throwaway_mariadb: ThrowawayMariaDB, tmp_path: Path
) -> None:
    backend = Backend(settings_for(throwaway_mariadb, tmp_path))
    accounts = backend.accounts()
    accounts.register("alice", STRONG_PASSWORD, STRONG_PASSWORD)
    active = accounts.login("alice", STRONG_PASSWORD, remember=False)
    backend.vault().add(active, ItemDraft("Before the outage"))

    throwaway_mariadb.stop()
    for attempt in (
        lambda: accounts.login("alice", STRONG_PASSWORD, remember=False),
        lambda: backend.vault().add(active, ItemDraft("During the outage")),
        lambda: backend.vault().list_items(active),
    ):
        with pytest.raises(DatabaseUnavailable) as raised:
            attempt()
        assert raised.value.target.endswith(f"127.0.0.1:{throwaway_mariadb.port}/strongroom")
        assert raised.value.reason

    throwaway_mariadb.start()
    backend.vault().add(active, ItemDraft("After the outage"))
    titles = [item.title for item in backend.vault().list_items(active)]
    assert titles == ["After the outage", "Before the outage"]  # nothing half-written
    backend.close()


async def test_the_app_stays_up_keeps_the_form_and_saves_when_the_server_is_back(
    throwaway_mariadb: ThrowawayMariaDB, tmp_path: Path
) -> None:
    from app.factory import make_app

    settings = settings_for(throwaway_mariadb, tmp_path)
    seeding = Backend(settings)
    seeding.accounts().register("alice", STRONG_PASSWORD, STRONG_PASSWORD)
    seeding.accounts().login("alice", STRONG_PASSWORD, remember=True)
    seeding.close()

    app = make_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, VaultScreen)
        throwaway_mariadb.stop()
        app.refresh_vault()  # a background poll meets the outage
        await settle(pilot)
        assert app.database_offline
        assert "Retrying every 5 seconds" in str(app.screen.query_one("#counts").render())

        await pilot.press("ctrl+n")
        await settle(pilot)
        await type_into(pilot, "#title", "Typed while the server was down")
        await type_into(pilot, "#password", "keep-this-password")
        await pilot.press("ctrl+s")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ItemFormScreen)
        assert "cannot be reached" in str(form.query_one("#error").render())
        assert form.query_one("#title", Input).value == "Typed while the server was down"
        assert form.query_one("#password", Input).value == "keep-this-password"

        throwaway_mariadb.start()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, VaultScreen)
        assert not app.database_offline
        assert "1 item in your vault" in str(app.screen.query_one("#counts").render())
        listed = app.screen.query_one(ItemList).items
        assert [item.title for item in listed] == ["Typed while the server was down"]
        assert listed[0].password == "keep-this-password"

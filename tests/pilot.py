"""Helpers for driving the real app in Pilot tests."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from textual.geometry import Region
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Input, Static
from textual.worker import WorkerFailed

from app.app import StrongroomApp
from app.core.accounts import Clock
from app.core.config import Settings
from app.core.items import Item, ItemDraft
from app.factory import make_app
from app.screens.vault import VaultScreen
from app.services.backend import Backend
from app.widgets.item_detail import ItemDetail
from app.widgets.item_list import ItemList
from tests.helpers import STRONG_PASSWORD


def seed(
    settings: Settings, *drafts: ItemDraft, remember: bool = True, clock: Clock | None = None
) -> None:
    """The account "alice" with these items; remembered on this device unless told not to."""
    backend = Backend(settings, device_label="seed", clock=clock)
    accounts = backend.accounts()
    accounts.register("alice", STRONG_PASSWORD, STRONG_PASSWORD)
    active = accounts.login("alice", STRONG_PASSWORD, remember=remember)
    for draft in drafts:
        backend.vault().add(active, draft)
    if not remember:
        accounts.logout(active)
    backend.close()


async def settle(pilot: Pilot[None]) -> None:
    """Wait until every worker has finished and the messages it posted are handled."""
    app = pilot.app
    for _ in range(50):
        with contextlib.suppress(WorkerFailed):  # failures are the app's to report
            await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(worker.is_running for worker in app.workers):
            await pilot.pause()
            return
    raise AssertionError("workers did not settle")


async def type_into(pilot: Pilot[None], selector: str, text: str) -> None:
    field = pilot.app.screen.query_one(selector, Input)
    field.focus()
    field.value = text
    await pilot.pause()


def text_of(app: StrongroomApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def screen_text(app: StrongroomApp) -> str:
    return "\n".join(str(widget.render()) for widget in app.screen.query(Static))


def drawn(widget: Widget) -> str:
    """The lines a widget draws at its current size, as text: what the terminal would show of
    it (its content wrapped to its width), whatever it renders from."""
    region = Region(0, 0, widget.size.width, widget.size.height)
    return "\n".join(strip.text.rstrip() for strip in widget.render_lines(region))


@asynccontextmanager
async def vault_app(settings: Settings) -> AsyncIterator[tuple[StrongroomApp, Pilot[None]]]:
    """The app on the vault screen (the account remembered, as ``seed`` leaves it), settled."""
    app = make_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, VaultScreen)
        yield app, pilot


def titles(app: StrongroomApp) -> list[str]:
    return [item.title for item in app.screen.query_one(ItemList).items]


def detail(app: StrongroomApp) -> str:
    return drawn(app.screen.query_one(ItemDetail))


def seed_with_history(settings: Settings, first: ItemDraft, second: ItemDraft) -> Item:
    """The account "alice" with one item saved as ``first`` and then changed to ``second``
    (one password-history entry); the item as it is now."""
    seed(settings, first)
    backend = Backend(settings, device_label="seed")
    try:
        active = backend.accounts().login("alice", STRONG_PASSWORD, remember=True)
        vault = backend.vault()
        [item] = vault.list_items(active)
        return vault.update(active, item.id, item.version, second)
    finally:
        backend.close()

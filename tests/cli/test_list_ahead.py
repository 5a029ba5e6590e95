"""The agent lists and checks the vault once it listens, before anyone asks (Context.list_ahead),
so that the first `get` after the app or `strongroom login --remember` started it is answered
from that listing, as the next one is. Timed in bench.command_line; here what it holds."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.cli.access import find
from app.cli.context import Context
from app.core.config import Settings
from app.core.items import ItemDraft
from app.services.backend import Backend
from app.services.vault import VaultService
from tests.helpers import STRONG_PASSWORD, sql
from tests.pilot import seed


def listings(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every full listing of the vault from now on."""
    made: list[int] = []
    original = VaultService.list_checked

    def counted(self: VaultService, *args: object, **kwargs: object) -> object:
        made.append(1)
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(VaultService, "list_checked", counted)
    return made


def test_the_first_answer_is_from_the_listing_made_ahead(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(settings, ItemDraft("GitHub", "alice", "gh-pw"), ItemDraft("Shop", password="shop-pw"))
    made = listings(monkeypatch)
    ctx = Context(settings, answered_by=" (agent)")
    try:
        ctx.list_ahead()
        assert len(made) == 1
        session = ctx.backend.accounts().startup().session
        assert session is not None
        item = ctx.cache.find(ctx.backend, session, lambda items: find(items, "GitHub"))
        assert item.password == "gh-pw"
        assert len(made) == 1  # answered from the listing made ahead
    finally:
        ctx.close()


def listed_ahead(settings: Settings) -> bool:
    """Whether a new agent's context holds a listing after listing ahead."""
    ctx = Context(settings)
    try:
        ctx.list_ahead()
        return ctx.cache.listed is not None
    finally:
        ctx.close()


def test_a_locked_vault_or_a_changed_one_is_left_for_the_answer(settings: Settings) -> None:
    """Nothing is listed without a key; a listing that finds the database changed outside
    Strongroom keeps nothing and raises nothing: the answer meets it again and says it."""
    seed(settings, ItemDraft("GitHub", password="gh-pw"), remember=False)
    assert not listed_ahead(settings)

    backend = Backend(settings, device_label="seed")
    backend.accounts().login("alice", STRONG_PASSWORD, remember=True)
    backend.close()
    sql(settings, text("DELETE FROM items"))  # a row removed behind Strongroom's back
    assert not listed_ahead(settings)


@pytest.mark.parametrize("database_url", ["mariadb"], indirect=True)
def test_listing_ahead_writes_nothing_so_a_held_session_row_never_stalls_it(
    settings: Settings,
) -> None:
    """Another transaction holds this device's session row (as while the app's lock waits to
    be written): the agent's unasked listing reads past it, so the agent is free for the stop
    request that comes next. Opening the session as a command does (it marks it used) would
    wait out the server's lock wait timeout here."""
    import threading

    from sqlalchemy import create_engine

    seed(settings, ItemDraft("GitHub", password="gh-pw"))
    holder_engine = create_engine(settings.database_url)
    ctx = Context(settings, answered_by=" (agent)")
    try:
        with holder_engine.connect() as holder:
            holder.execute(text("SELECT id FROM sessions FOR UPDATE"))
            listing = threading.Thread(target=ctx.list_ahead, daemon=True)
            listing.start()
            listing.join(timeout=15)
            assert not listing.is_alive(), "the listing waited on the session row's lock"
            holder.rollback()
        assert ctx.cache.listed is not None
        with holder_engine.connect() as reader:
            [(sessions,)] = reader.execute(text("SELECT COUNT(*) FROM sessions")).all()
        assert sessions == 1  # nothing deleted or added
    finally:
        ctx.close()
        holder_engine.dispose()

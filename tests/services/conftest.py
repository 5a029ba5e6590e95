"""What the integrity tests of the services share: a vault service with this device's memory
of the record, and a write straight to the database."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.services.database import Database
from app.services.seen import SeenStore
from app.services.vault import VaultService
from tests.helpers import FakeClock


@pytest.fixture
def seen(tmp_path: Path, database: Database) -> SeenStore:
    """This device's memory of the integrity record (vault-seen.json)."""
    return SeenStore(tmp_path / "config" / "vault-seen.json", database.database_id)


@pytest.fixture
def vault(database: Database, clock: FakeClock, seen: SeenStore) -> VaultService:
    return VaultService(database.sessions, clock=clock, seen=seen)


def raw(database: Database, statement: object) -> None:
    """A write straight to the database, as anyone holding its credentials can make."""
    with database.engine.begin() as connection:
        connection.execute(statement)  # type: ignore[call-overload]

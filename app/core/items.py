"""Vault items as plain data: what a form produces and what the vault hands back.

No SQLAlchemy and no Textual here, so the screens can use these types without loading the
database stack on the way to the first frame. The rules an item must meet are in
:mod:`app.core.rules`; how its fields stay sealed until read, in :mod:`app.core.lazy_fields`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from app.core.lazy_fields import SecretFields, ShownFields


@dataclass(frozen=True)
class ItemDraft:
    """What a person typed into the item form, before validation."""

    title: str
    username: str = ""
    password: str = field(default="", repr=False)
    urls: tuple[str, ...] = ()
    notes: str = field(default="", repr=False)
    tags: tuple[str, ...] = ()
    totp: str = field(default="", repr=False)
    favourite: bool = False


@dataclass(frozen=True, slots=True, init=False)
class Item:
    """A vault item as the screens see it. ``error`` is set when it could not be opened."""

    id: int
    version: int
    title: str
    favourite: bool
    updated_at: datetime | None
    deleted_at: datetime | None
    damage: str | None
    shown: ShownFields = field(repr=False, compare=False)
    secrets: SecretFields = field(repr=False, compare=False)

    def __init__(
        self,
        id: int,
        version: int,
        title: str,
        username: str = "",
        urls: tuple[str, ...] = (),
        tags: tuple[str, ...] = (),
        favourite: bool = False,
        updated_at: datetime | None = None,
        deleted_at: datetime | None = None,
        damage: str | None = None,
        *,
        shown: ShownFields | None = None,
        secrets: SecretFields | None = None,
    ) -> None:
        put = object.__setattr__  # frozen: set once, here
        put(self, "id", id)
        put(self, "version", version)
        put(self, "title", title)
        put(self, "favourite", favourite)
        put(self, "updated_at", updated_at)
        put(self, "deleted_at", deleted_at)
        put(self, "damage", damage)
        put(self, "shown", shown if shown is not None else ShownFields(username, urls, tags))
        put(self, "secrets", secrets if secrets is not None else SecretFields())

    @property
    def username(self) -> str:
        return self.shown.username

    @property
    def urls(self) -> tuple[str, ...]:
        return self.shown.urls

    @property
    def tags(self) -> tuple[str, ...]:
        return self.shown.tags

    @property
    def password(self) -> str:
        return self.secrets.password

    @property
    def notes(self) -> str:
        return self.secrets.notes

    @property
    def totp(self) -> str:
        return self.secrets.totp

    @property
    def error(self) -> str | None:
        return self.damage or self.shown.error or self.secrets.error

    def draft(self) -> ItemDraft:
        return ItemDraft(
            self.title,
            self.username,
            self.password,
            self.urls,
            self.notes,
            self.tags,
            self.totp,
            self.favourite,
        )


@dataclass(frozen=True)
class HistoryEntry:
    password: str = field(repr=False)
    replaced_at: datetime

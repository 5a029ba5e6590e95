"""Vault items as plain data: what a form produces and what the vault hands back.

No SQLAlchemy and no Textual here, so the screens can use these types without loading the
database stack on the way to the first frame. The rules an item must meet are in
:mod:`app.core.rules`.

An item's fields stay sealed until first read. Unlocking 10,000 items opens only their titles
(the list's order needs them); every other field opens the first time it is read, by whoever
reads it first: a row being drawn, the detail pane, a copy, or the search index. A field that
fails to open spoils only its own item.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar


@dataclass(frozen=True)
class CustomField:
    """A field of an item's own (a PIN, a card's code, an API key): a name and a value.

    A secret one is masked on screen until revealed, like the password. Names are searched,
    values never are.
    """

    name: str
    value: str = field(default="", repr=False)
    secret: bool = False


# -- fields sealed until first read ---------------------------------------------------------------

Values = TypeVar("Values")
Opener = Callable[[], tuple[Values, str | None]]


class _Sealed(Generic[Values]):
    """Some of an item's fields, decrypted on first use (then the opener is dropped).

    An opener returns the values and None, or empty values and the reason they could not be
    opened; a damaged field is found when it is first read, and leaves the rest readable.
    """

    __slots__ = ("_error", "_opener", "_values")

    def __init__(self, values: Values, opener: Opener[Values] | None) -> None:
        self._opener = opener
        self._values: Values | None = None if opener else values
        self._error: str | None = None

    def _open(self) -> Values:
        # The UI thread (drawing a row) and a worker (building the search index) may both get
        # here first: either opens, and the values are the same.
        values = self._values
        if values is None:
            opener = self._opener
            if opener is None:  # the other one has just finished
                values = self._values
                assert values is not None
                return values
            values, self._error = opener()
            self._values = values
            self._opener = None  # nothing left that could open them again
        return values

    @property
    def error(self) -> str | None:
        self._open()
        return self._error


class ShownFields(_Sealed[tuple[str, tuple[str, ...], tuple[str, ...]]]):
    """An item's username, URLs and tags: opened when the item is drawn, shown or searched.

    Unlocking 10,000 items opens only their titles (the list's order needs them); the list
    draws a few dozen rows, and the search index opens the rest in the background.
    """

    __slots__ = ()

    def __init__(
        self,
        username: str = "",
        urls: tuple[str, ...] = (),
        tags: tuple[str, ...] = (),
        *,
        opener: Opener[tuple[str, tuple[str, ...], tuple[str, ...]]] | None = None,
    ) -> None:
        super().__init__((username, urls, tags), opener)

    @property
    def username(self) -> str:
        return self._open()[0]

    @property
    def urls(self) -> tuple[str, ...]:
        return self._open()[1]

    @property
    def tags(self) -> tuple[str, ...]:
        return self._open()[2]


class SecretFields(_Sealed[tuple[str]]):
    """An item's password, then its notes and TOTP secret: opened when the item is drawn,
    shown, copied or edited. The password opens on its own (``opener``), the notes and the
    TOTP secret together when first read (``rest``): the health report reads only passwords."""

    __slots__ = ("_rest",)

    def __init__(
        self,
        password: str = "",
        notes: str = "",
        totp: str = "",
        *,
        opener: Opener[tuple[str]] | None = None,
        rest: Opener[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__((password,), opener)
        self._rest = _Sealed((notes, totp), rest)

    @property
    def password(self) -> str:
        return self._open()[0]

    @property
    def notes(self) -> str:
        return self._rest._open()[0]

    @property
    def totp(self) -> str:
        return self._rest._open()[1]

    @property
    def password_error(self) -> str | None:
        """Why the password could not be opened (None: it opened), leaving the rest sealed."""
        return super().error

    @property
    def error(self) -> str | None:
        return super().error or self._rest.error


class CustomFields(_Sealed[tuple[CustomField, ...]]):
    """An item's custom fields: opened when the item is shown, copied, edited or searched
    (by name). Most items have none, and then there is nothing to open."""

    __slots__ = ()

    def __init__(
        self,
        fields: tuple[CustomField, ...] = (),
        *,
        opener: Opener[tuple[CustomField, ...]] | None = None,
    ) -> None:
        super().__init__(fields, opener)

    @property
    def fields(self) -> tuple[CustomField, ...]:
        return self._open()


# -- items ----------------------------------------------------------------------------------------


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
    fields: tuple[CustomField, ...] = ()


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
    extra: CustomFields = field(repr=False, compare=False)

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
        extra: CustomFields | None = None,
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
        put(self, "extra", extra if extra is not None else CustomFields())

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
    def fields(self) -> tuple[CustomField, ...]:
        return self.extra.fields

    def field_named(self, name: str) -> CustomField | None:
        """The custom field called ``name`` (case-insensitive when no exact match)."""
        for custom in self.fields:
            if custom.name == name:
                return custom
        folded = name.casefold()
        return next((custom for custom in self.fields if custom.name.casefold() == folded), None)

    @property
    def error(self) -> str | None:
        return self.damage or self.shown.error or self.secrets.error or self.extra.error

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
            self.fields,
        )


@dataclass(frozen=True)
class HistoryEntry:
    password: str = field(repr=False)
    replaced_at: datetime


@dataclass(frozen=True)
class ImportedItem:
    """An item read from another manager's file: what the form would hold, plus what only an
    import brings (the earlier passwords, the item's own dates, whether it was in the trash)."""

    draft: ItemDraft
    history: tuple[HistoryEntry, ...] = ()
    created_at: datetime | None = None
    updated_at: datetime | None = None
    trashed_at: datetime | None = None

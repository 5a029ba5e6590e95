"""An item's fields that stay sealed until first read.

Unlocking 10,000 items opens only their titles (the list's order needs them); every other field
opens the first time it is read, by whoever reads it first: a row being drawn, the detail pane, a
copy, or the search index. A field that fails to open spoils only its own item.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from app.core.items import CustomField

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


class SecretFields(_Sealed[tuple[str, str, str]]):
    """An item's password, notes and TOTP secret: opened when the item is drawn, shown,
    copied or edited."""

    __slots__ = ()

    def __init__(
        self,
        password: str = "",
        notes: str = "",
        totp: str = "",
        *,
        opener: Opener[tuple[str, str, str]] | None = None,
    ) -> None:
        super().__init__((password, notes, totp), opener)

    @property
    def password(self) -> str:
        return self._open()[0]

    @property
    def notes(self) -> str:
        return self._open()[1]

    @property
    def totp(self) -> str:
        return self._open()[2]


class CustomFields(_Sealed[tuple["CustomField", ...]]):
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

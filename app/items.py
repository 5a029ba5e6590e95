"""Vault items as plain data: what a form produces, what the vault hands back, and the rules.

No SQLAlchemy and no Textual here, so the screens can use these types without loading the
database stack on the way to the first frame.
"""

from __future__ import annotations

import base64
import binascii
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Generic, TypeVar

from app.passwords import ValidationError

LIMITS = {
    "title": 200,
    "username": 500,
    "password": 4096,
    "url": 2048,
    "notes": 100_000,
    "tag": 64,
    "totp": 512,
}
MAX_URLS = 20
MAX_TAGS = 32


class ItemNotFound(Exception):
    def __init__(self) -> None:
        super().__init__("That item no longer exists; it may have been deleted on another device.")
        self.message = str(self)


class EditConflict(Exception):
    """The item changed since it was opened; ``current`` is what the database holds now."""

    def __init__(self, current: Item | None) -> None:
        super().__init__("This item was changed on another device while you were editing it.")
        self.message = str(self)
        self.current = current


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


def _check_text(value: str, name: str, limit: int, *, multiline: bool = False) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(f"{name} contains characters that cannot be stored.", name) from None
    allowed = "\n\t" if multiline else "\t"
    for character in value:
        if unicodedata.category(character) == "Cc" and character not in allowed:
            raise ValidationError(
                f"{name.capitalize()} contains a control character (code {ord(character)}); "
                "remove it and try again.",
                name,
            )
    if len(value) > limit:
        raise ValidationError(
            f"{name.capitalize()} is too long: at most {limit} characters ({len(value)} now).",
            name,
        )
    return value


def normalize_totp(secret: str) -> str:
    """A base32 TOTP secret, from a bare secret or an otpauth:// URI; '' for none."""
    text = secret.strip()
    if not text:
        return ""
    if text.lower().startswith("otpauth://"):
        import pyotp

        try:
            parsed = pyotp.parse_uri(text)
        except (ValueError, binascii.Error):
            raise ValidationError("That otpauth:// link is not valid.", "totp") from None
        text = parsed.secret
    compact = "".join(text.split()).upper().rstrip("=")
    try:
        base64.b32decode(compact + "=" * (-len(compact) % 8))
    except (binascii.Error, ValueError):
        raise ValidationError(
            "The TOTP secret must be base32 (letters A-Z and digits 2-7) or an otpauth:// link.",
            "totp",
        ) from None
    if len(compact) < 16:
        raise ValidationError("The TOTP secret is too short (at least 16 characters).", "totp")
    return compact


def validate(draft: ItemDraft) -> ItemDraft:
    """The draft as it will be stored, or a ValidationError naming the field to fix."""
    title = _check_text(draft.title.strip(), "title", LIMITS["title"])
    if not title:
        raise ValidationError("Please give the item a title.", "title")
    urls = tuple(u.strip() for u in draft.urls if u.strip())
    if len(urls) > MAX_URLS:
        raise ValidationError(f"At most {MAX_URLS} URLs per item.", "url")
    tags = tuple(dict.fromkeys(t.strip() for t in draft.tags if t.strip()))
    if len(tags) > MAX_TAGS:
        raise ValidationError(f"At most {MAX_TAGS} tags per item.", "tags")
    for url in urls:
        _check_text(url, "url", LIMITS["url"])
    for tag in tags:
        _check_text(tag, "tag", LIMITS["tag"])
    return replace(
        draft,
        title=title,
        username=_check_text(draft.username.strip(), "username", LIMITS["username"]),
        password=_check_text(draft.password, "password", LIMITS["password"]),
        urls=urls,
        notes=_check_text(draft.notes, "notes", LIMITS["notes"], multiline=True),
        tags=tags,
        totp=normalize_totp(_check_text(draft.totp, "totp", LIMITS["totp"])),
    )


def plain_values(draft: ItemDraft) -> dict[str, str]:
    return {
        "title": draft.title,
        "username": draft.username,
        "password": draft.password,
        "urls": join_lines(draft.urls),
        "notes": draft.notes,
        "tags": join_lines(draft.tags),
        "totp": draft.totp,
    }


# URLs and tags are single-line (validate() refuses control characters in them), so a list of
# them is stored as its lines: cheaper to open for 10,000 items than JSON.
def join_lines(values: tuple[str, ...]) -> str:
    return "\n".join(values)


def split_lines(text: str) -> tuple[str, ...]:
    return tuple(text.split("\n")) if text else ()

"""The rules a vault item must meet: lengths, characters, URLs, tags and TOTP secrets.

One place for every limit, so the item form's fields and the checks before saving agree.
"""

from __future__ import annotations

import unicodedata
import weakref

from app.core.errors import ValidationError
from app.core.items import CustomField, ItemDraft
from app.core.passwords import PasswordPolicy
from app.core.totp import TotpError
from app.core.totp import parse as parse_totp

LIMITS = {
    "title": 200,
    "username": 500,
    "password": 4096,
    "url": 2048,
    "notes": 100_000,
    "tag": 64,
    "totp": 512,
    "field name": 100,
    "field value": 10_000,
}
# Code points Unicode reserves as never being text, which XML (KeePass's export) cannot hold;
# the control characters and lone surrogates it cannot hold either are refused already.
NOT_CHARACTERS = "\ufffe\uffff"
MAX_URLS = 20
MAX_TAGS = 32
MAX_FIELDS = 100

# An item's password is judged for the strength meter only: a site's rules, not ours, decide
# what it may be, so the floor is lower than a master password's and nothing is refused.
ITEM_PASSWORD_POLICY = PasswordPolicy(min_length=8, max_length=LIMITS["password"])


def _check_text(value: str, name: str, limit: int, *, multiline: bool = False) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(f"{name} contains characters that cannot be stored.", name) from None
    allowed = "\n\t" if multiline else "\t"
    # Printable text has no control character: the common case, checked in C.
    plain = value.replace("\n", "").replace("\t", "") if multiline else value.replace("\t", "")
    for character in "" if plain.isprintable() else value:
        if unicodedata.category(character) == "Cc" and character not in allowed:
            raise ValidationError(
                f"{name.capitalize()} contains a control character (code {ord(character)}); "
                "remove it and try again.",
                name,
            )
        if character in NOT_CHARACTERS:
            raise ValidationError(
                f"{name.capitalize()} contains U+{ord(character):04X}, which is not text "
                "(a KeePass XML export could not hold it); remove it and try again.",
                name,
            )
    if len(value) > limit:
        raise ValidationError(
            f"{name.capitalize()} is too long: at most {limit} characters ({len(value)} now).",
            name,
        )
    return value


def normalize_totp(secret: str) -> str:
    """What the vault stores for a TOTP secret or otpauth:// link (see core.totp); '' for none."""
    if not secret.strip():
        return ""
    try:
        return parse_totp(secret).stored()
    except TotpError as error:
        raise ValidationError(str(error), "totp") from None


def _check_fields(fields: tuple[CustomField, ...]) -> tuple[CustomField, ...]:
    """The custom fields as stored; an error names the row to fix as ``fields/<n>``."""
    if len(fields) > MAX_FIELDS:
        raise ValidationError(f"At most {MAX_FIELDS} custom fields per item.", "fields/0")
    seen: set[str] = set()
    clean = []
    for number, custom in enumerate(fields):
        where = f"fields/{number}"
        try:
            name = _check_text(custom.name.strip(), "field name", LIMITS["field name"])
            value = _check_text(custom.value, "field value", LIMITS["field value"], multiline=True)
        except ValidationError as error:
            raise ValidationError(str(error), where) from None
        if not name:
            raise ValidationError("Every custom field needs a name.", where)
        if name in seen:
            raise ValidationError(f"Two custom fields are called {name!r}; rename one.", where)
        seen.add(name)
        clean.append(CustomField(name, value, custom.secret))
    return tuple(clean)


# Drafts that validate() has returned: what it returns is its own fixed point, so a draft equal
# to one of them is valid as it stands (an import's items are checked once when read, and the
# vault's own check of each is then a lookup).
_CLEAN: weakref.WeakSet[ItemDraft] = weakref.WeakSet()


def validate(draft: ItemDraft) -> ItemDraft:
    """The draft as it will be stored, or a ValidationError naming the field to fix."""
    if draft in _CLEAN:
        return draft
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
    clean = ItemDraft(
        title=title,
        username=_check_text(draft.username.strip(), "username", LIMITS["username"]),
        password=_check_text(draft.password, "password", LIMITS["password"]),
        urls=urls,
        notes=_check_text(draft.notes, "notes", LIMITS["notes"], multiline=True),
        tags=tags,
        totp=normalize_totp(_check_text(draft.totp, "totp", LIMITS["totp"])),
        favourite=draft.favourite,
        fields=_check_fields(draft.fields),
    )
    _CLEAN.add(clean)
    return clean

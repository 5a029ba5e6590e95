"""What the screens ask of the App: every message a screen posts, in one light module.

Attributes down, messages up: a screen never calls the App, it posts one of these and the App
decides what happens. They live here rather than only inside their screens so that the App can
name each one in an ``@on`` handler (seen by mypy) without loading every screen before the
first frame; each screen also carries its own under its usual name (``LoginScreen.Submitted``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from textual.message import Message

if TYPE_CHECKING:
    from app.core.formats import Parsed
    from app.core.items import Item, ItemDraft
    from app.screens.account import (
        ChangePasswordScreen,
        DeleteAccountScreen,
        PasswordDialog,
        RotateKeyScreen,
        SessionsScreen,
    )
    from app.screens.item_form import ItemFormScreen
    from app.screens.transfer import ExportScreen, ImportScreen

ItemActionKind = Literal["trash", "restore", "purge", "history"]
CopyKind = Literal["username", "password", "URL", "TOTP code"]


# -- logging in and out ------------------------------------------------------------------------


@dataclass(eq=False, repr=False)
class LoginSubmitted(Message):
    username: str
    password: str = field(repr=False)
    remember: bool
    secret_key: str = field(default="", repr=False)  # typed from the kit, when asked for


class CreateAccount(Message):
    pass


@dataclass(eq=False, repr=False)
class RegisterSubmitted(Message):
    username: str
    password: str = field(repr=False)
    confirm: str = field(repr=False)
    secret_key: bool = False  # protect the account with a Secret Key as well


class BackToLogin(Message):
    pass


@dataclass(eq=False, repr=False)
class UnlockSubmitted(Message):
    password: str = field(repr=False)
    secret_key: str = field(default="", repr=False)  # typed from the kit, when asked for


class Logout(Message):
    pass


class RetryDatabase(Message):
    pass


# -- the vault ---------------------------------------------------------------------------------


@dataclass(eq=False, repr=False)
class ItemAction(Message):
    kind: ItemActionKind
    item: Item


@dataclass(eq=False, repr=False)
class Copy(Message):
    value: str = field(repr=False)
    what: str  # a CopyKind, or "field 'NAME'" for a custom field


@dataclass(eq=False, repr=False)
class Reload(Message):
    trash: bool


class Lock(Message):
    pass


@dataclass(eq=False, repr=False)
class SaveItem(Message):
    form: ItemFormScreen
    draft: ItemDraft
    item_id: int | None
    version: int | None


# -- account dialogs ---------------------------------------------------------------------------


@dataclass(eq=False, repr=False)
class ChangePasswordSubmitted(Message):
    form: ChangePasswordScreen
    current: str = field(repr=False)
    new: str = field(repr=False)
    confirm: str = field(repr=False)


@dataclass(eq=False, repr=False)
class DeleteAccountSubmitted(Message):
    form: DeleteAccountScreen
    password: str = field(repr=False)


@dataclass(eq=False, repr=False)
class AddSecretKeySubmitted(Message):
    form: PasswordDialog  # app.screens.secret_key.AddSecretKeyScreen
    password: str = field(repr=False)


@dataclass(eq=False, repr=False)
class RotateKeySubmitted(Message):
    form: RotateKeyScreen
    password: str = field(repr=False)


@dataclass(eq=False, repr=False)
class RevokeSession(Message):
    form: SessionsScreen
    session_id: int


# -- import and export -------------------------------------------------------------------------


@dataclass(eq=False, repr=False)
class ReadImportFile(Message):
    """Read the file and say what it holds; nothing is written yet."""

    form: ImportScreen
    path: str
    format_name: str | None
    password: str = field(repr=False)


@dataclass(eq=False, repr=False)
class ImportItems(Message):
    """Write what was read, in one transaction."""

    form: ImportScreen
    parsed: Parsed


@dataclass(eq=False, repr=False)
class ExportSubmitted(Message):
    form: ExportScreen
    format_name: str
    path: str
    master_password: str = field(repr=False)
    file_password: str = field(repr=False)
    confirm: str = field(repr=False)
    replace: bool = False

"""Import, export, custom fields and the tag filter in the app itself (Pilot), on SQLite and
MariaDB: the same services as the command line, reached from the command palette."""

from __future__ import annotations

import json
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Button, Input, OptionList, Select

from app.app import StrongroomApp
from app.core.config import Settings
from app.core.items import CustomField, ItemDraft
from app.screens.account import DeleteAccountScreen
from app.screens.confirm import ConfirmScreen
from app.screens.item_form import ItemFormScreen
from app.screens.tags import FieldPickerScreen, TagPickerScreen
from app.screens.transfer import ExportScreen, ImportScreen
from app.screens.vault import VaultScreen
from app.widgets.custom_fields import CustomFieldRow
from tests.helpers import STRONG_PASSWORD
from tests.pilot import detail, screen_text, seed, settle, titles, type_into, vault_app
from tests.transfer import BITWARDEN_JSON, EXPORT_PASSWORD, everything, import_file, second_account


async def palette(app: StrongroomApp, title: str) -> None:
    commands = {c.title: c for c in app.get_system_commands(app.screen)}
    commands[title].callback()


async def read_in_dialog(app: StrongroomApp, pilot: Pilot[None], path: Path) -> ImportScreen:
    """Open the import dialog from the command palette, type the file, press Enter."""
    await palette(app, "Import from another manager")
    await settle(pilot)
    form = app.screen
    assert isinstance(form, ImportScreen)
    await type_into(pilot, "#path", str(path))
    await pilot.press("enter")
    await settle(pilot)
    return form


async def test_import_reads_first_then_writes_every_item(
    settings: Settings, tmp_path: Path
) -> None:
    seed(settings, ItemDraft("Already here"))
    path = tmp_path / "bitwarden_export.json"
    path.write_text(json.dumps(BITWARDEN_JSON))
    async with vault_app(settings) as (app, pilot):
        form = await read_in_dialog(app, pilot, path)
        summary = screen_text(app)
        assert "Bitwarden JSON (encrypted too): 5 items, 14 custom fields, 1 skipped." in summary
        assert "• Skipped item 5 (''): it holds nothing" in summary
        assert titles_in_vault(app) == ["Already here"]  # nothing written yet
        assert str(form.query_one("#submit", Button).label) == "Import 5 items"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, VaultScreen)
        # Visa was in Bitwarden's trash: it is in the trash here.
        assert set(titles(app)) == {"Already here", "Router", "Me", "Note", "Key"}
        # The tag filter shows the imported folder, parents included.
        await pilot.press("g")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, TagPickerScreen)
        tags = picker.query_one(OptionList)
        assert "Servers (1)" in str(tags.get_option("Work/Servers").prompt)
        tags.highlighted = tags.get_option_index("Work")
        await pilot.press("enter")
        await settle(pilot)
        assert titles(app) == ["Router"]
        assert "Vault · Work" in str(app.screen.query_one("#items").border_title)
        await pilot.press("escape")
        await settle(pilot)
        assert len(titles(app)) == 5
        # The secret custom field is masked until revealed, and copied from the palette.
        vault = app.screen
        assert isinstance(vault, VaultScreen)
        vault.query_one("#items").focus()
        while vault.highlighted is None or vault.highlighted.title != "Router":
            await pilot.press("down")
        assert "PIN" in detail(app)
        assert "1234" not in detail(app)
        await pilot.press("ctrl+r")
        assert "1234" in detail(app)
        await palette(app, "Copy field PIN")
        await settle(pilot)
        assert app.clipboard == "1234"
        await pilot.press("f")  # the same from the keyboard: a picker of the item's fields
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, FieldPickerScreen)
        fields = picker.query_one(OptionList)
        fields.highlighted = 1
        await pilot.press("enter")
        await settle(pilot)
        assert app.clipboard == "blue"
        assert "Copied the field 'Colour'" in "\n".join(str(n.message) for n in app._notifications)


def titles_in_vault(app: object) -> list[str]:
    from app.screens.vault import VaultScreen

    screen = next(s for s in app.screen_stack if isinstance(s, VaultScreen))  # type: ignore[attr-defined]
    return [item.title for item in screen._items]


async def test_an_encrypted_file_asks_for_its_password_in_the_dialog(
    settings: Settings, tmp_path: Path
) -> None:
    from app.core.formats.bitwarden import PBKDF2, Kdf, encrypt_export

    seed(settings)
    path = tmp_path / "encrypted.json"
    path.write_text(encrypt_export(json.dumps(BITWARDEN_JSON), EXPORT_PASSWORD, Kdf(PBKDF2, 5000)))
    async with vault_app(settings) as (app, pilot):
        form = await read_in_dialog(app, pilot, path)
        assert "enter its password" in screen_text(app)
        assert app.focused is form.query_one("#file-password")
        await type_into(pilot, "#file-password", "not it")
        await pilot.press("enter")
        await settle(pilot)
        assert "not the password of this encrypted export" in screen_text(app)
        assert form.query_one("#file-password", Input).value == ""
        await type_into(pilot, "#file-password", EXPORT_PASSWORD)
        await pilot.press("enter")
        await settle(pilot)
        assert "5 items" in screen_text(app)


async def test_a_file_that_cannot_be_read_says_why_and_writes_nothing(
    settings: Settings, tmp_path: Path
) -> None:
    seed(settings)
    path = tmp_path / "broken.csv"
    path.write_text('name,url,username,password\na,https://a,"u,p\n')
    async with vault_app(settings) as (app, pilot):
        form = await read_in_dialog(app, pilot, path)
        assert app.screen is form
        assert "line 2" in screen_text(app)
        assert titles_in_vault(app) == []


async def test_export_asks_for_the_master_password_and_writes_an_encrypted_file(
    settings: Settings, tmp_path: Path
) -> None:
    seed(settings, ItemDraft("Bank", password="bank-pw", fields=(CustomField("PIN", "9", True),)))
    out = tmp_path / "out.json"
    async with vault_app(settings) as (app, pilot):
        await palette(app, "Export the vault")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ExportScreen)
        await type_into(pilot, "#file-password", "password1")
        await type_into(pilot, "#file-confirm", "password1")
        await type_into(pilot, "#path", str(out))
        await type_into(pilot, "#password", STRONG_PASSWORD)
        await pilot.press("enter")
        await settle(pilot)
        assert "That password cannot protect an export" in screen_text(app)
        assert app.focused is form.query_one("#file-password")
        assert not out.exists()
        await type_into(pilot, "#file-password", EXPORT_PASSWORD)
        await type_into(pilot, "#file-confirm", EXPORT_PASSWORD)
        await type_into(pilot, "#password", "not my password at all")
        await pilot.press("enter")
        await settle(pilot)
        assert not out.exists()
        assert app.screen is form
        await type_into(pilot, "#password", STRONG_PASSWORD)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, VaultScreen)
        assert out.stat().st_mode & 0o777 == 0o600
        assert "bank-pw" not in out.read_text()
        assert json.loads(out.read_text())["passwordProtected"] is True
    bob = second_account(settings, tmp_path)
    done = import_file(bob, str(out), passwords=(EXPORT_PASSWORD,))
    assert done.returncode == 0, done.stderr
    assert everything(bob, "bob") == everything(settings, "alice")


async def test_export_never_replaces_a_file_unasked(settings: Settings, tmp_path: Path) -> None:
    seed(settings, ItemDraft("Bank", password="bank-pw"))
    out = tmp_path / "vault.xml"
    out.write_text("keep me")
    async with vault_app(settings) as (app, pilot):
        await palette(app, "Export the vault")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ExportScreen)
        form.query_one("#format", Select).value = "keepass-xml"
        await settle(pilot)
        assert "unencrypted" in screen_text(app)
        assert not form.query_one("#file-password").display
        await type_into(pilot, "#path", str(out))
        await type_into(pilot, "#password", STRONG_PASSWORD)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")  # keep it
        await settle(pilot)
        assert out.read_text() == "keep me"
        assert isinstance(app.screen, ExportScreen)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("ctrl+d")  # replace it
        await settle(pilot)
        assert isinstance(app.screen, VaultScreen)
        assert "<KeePassFile>" in out.read_text()
        assert out.stat().st_mode & 0o777 == 0o600


async def test_deleting_the_account_offers_an_export_first(settings: Settings) -> None:
    seed(settings, ItemDraft("Keep me"))
    async with vault_app(settings) as (app, pilot):
        await palette(app, "Delete account")
        await settle(pilot)
        assert isinstance(app.screen, DeleteAccountScreen)
        assert "Export first" in screen_text(app) or app.screen.query("#export-first")
        app.screen.query_one("#export-first", Button).press()
        await settle(pilot)
        assert isinstance(app.screen, ExportScreen)
        assert "Export before deleting" in screen_text(app)


async def test_custom_fields_are_added_in_the_item_form(settings: Settings) -> None:
    seed(settings)
    async with vault_app(settings) as (app, pilot):
        await pilot.press("ctrl+n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ItemFormScreen)
        await type_into(pilot, "#title", "Router")
        form.query_one("#add-field", Button).press()
        await settle(pilot)
        row = form.query_one(CustomFieldRow)
        assert app.focused is row.query_one(".field-name")
        row.query_one(".field-name", Input).value = "Admin PIN"
        row.query_one(".field-value", Input).value = "2468"
        assert row.query_one(".field-value", Input).password is False
        row.query_one(".field-secret").toggle()  # type: ignore[attr-defined]
        await pilot.pause()
        assert row.query_one(".field-value", Input).password is True
        form.query_one("#add-field", Button).press()
        await settle(pilot)
        second = list(form.query(CustomFieldRow))[1]
        second.query_one(".field-name", Input).value = "Admin PIN"  # the same name twice
        second.query_one(".field-value", Input).value = "x"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Two custom fields are called 'Admin PIN'" in screen_text(app)
        assert app.focused is second.query_one(".field-name")
        second.query_one(".remove-field", Button).press()
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, VaultScreen)
        assert everything(settings, "alice")["Router"][6] == (
            CustomField("Admin PIN", "2468", True),
        )

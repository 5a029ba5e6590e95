"""What people see: every screen and dialog, at 80x24 (the default terminal) and 120x40
(pytest-textual-snapshot). Forms with an error are pictured with the error showing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from app.core.config import Settings
from app.core.generator import PasswordOptions
from app.core.items import ItemDraft
from app.factory import make_app
from app.screens.vault import VaultScreen
from tests.helpers import STRONG_PASSWORD, FakeClock, make_settings
from tests.pilot import seed, settle, type_into

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]

Steps = Callable[[Pilot[None]], Awaitable[None]]


async def settled(pilot: Pilot[None]) -> None:
    """Settle, and hold the text cursor steady so a blink cannot change the picture."""
    await settle(pilot)
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()


def seeded_vault(settings: Settings, *, remember: bool = True) -> None:
    """alice, remembered on this device, with a few items made at a fixed time."""
    seed(
        settings,
        ItemDraft(
            "GitHub",
            "alice",
            "gh-secret",
            ("https://github.com",),
            "2FA codes in the safe",
            ("work", "code"),
            favourite=True,
        ),
        ItemDraft("Bank of Example", "alice.smith", "bank-secret", ("https://bank.example",)),
        ItemDraft("Mail", "alice@mail.example", "mail-secret", ("https://mail.example",)),
        remember=remember,
        clock=FakeClock(),
    )


async def in_vault(pilot: Pilot[None]) -> None:
    await settle(pilot)
    assert isinstance(pilot.app.screen, VaultScreen)


def steps(*keys: str) -> Steps:
    async def run(pilot: Pilot[None]) -> None:
        await in_vault(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        await settled(pilot)

    return run


def palette(action: str) -> Steps:
    """A dialog the command palette opens (the App method behind that command)."""

    async def run(pilot: Pilot[None]) -> None:
        await in_vault(pilot)
        getattr(pilot.app, action)()
        await settled(pilot)

    return run


async def register_filled(pilot: Pilot[None]) -> None:
    await settle(pilot)
    await pilot.press(*"alice", "tab", *"password1234")
    await settled(pilot)


async def register_mismatch(pilot: Pilot[None]) -> None:
    await settle(pilot)
    await type_into(pilot, "#username", "alice")
    await type_into(pilot, "#password", STRONG_PASSWORD)
    await type_into(pilot, "#confirm", STRONG_PASSWORD + "!")
    await pilot.press("enter")
    await settled(pilot)


async def login_wrong_password(pilot: Pilot[None]) -> None:
    await settle(pilot)
    await pilot.press(*"not my password", "enter")  # the username is remembered
    await settled(pilot)


async def item_form_error(pilot: Pilot[None]) -> None:
    await in_vault(pilot)
    await pilot.press("ctrl+n")
    await settle(pilot)
    await type_into(pilot, "#username", "bob")
    await pilot.press("ctrl+s")  # no title
    await settled(pilot)


async def generator_error(pilot: Pilot[None]) -> None:
    await in_vault(pilot)
    await pilot.press("ctrl+g")
    await settle(pilot)
    await type_into(pilot, "#length", "5")
    await settled(pilot)


async def change_password_error(pilot: Pilot[None]) -> None:
    await in_vault(pilot)
    pilot.app.show_change_password()  # type: ignore[attr-defined]
    await settle(pilot)
    await type_into(pilot, "#current", STRONG_PASSWORD)
    await type_into(pilot, "#new", "short")
    await type_into(pilot, "#confirm", "short")
    await pilot.press("enter")
    await settled(pilot)


async def conflict(pilot: Pilot[None]) -> None:
    from app.screens.conflict import ConflictScreen

    await in_vault(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, VaultScreen)
    theirs = screen.highlighted
    assert theirs is not None
    mine = ItemDraft("Bank of Example", "alice.smith", "my-new-secret", ("https://bank.example",))
    pilot.app.push_screen(ConflictScreen(mine, theirs))
    await settled(pilot)


async def search_without_match(pilot: Pilot[None]) -> None:
    await in_vault(pilot)
    await pilot.press("slash", *"zzz")
    await settled(pilot)


async def trash(pilot: Pilot[None]) -> None:
    await in_vault(pilot)
    await pilot.press("delete")
    await settle(pilot)
    await pilot.press("ctrl+d")
    await settle(pilot)
    await pilot.press("t")
    await settled(pilot)


VAULT_SCENES: dict[str, Steps] = {
    "vault": steps(),
    "vault_search_without_match": search_without_match,
    "trash": trash,
    "item_form": steps("enter"),
    "item_form_error": item_form_error,
    "generator": steps("ctrl+g"),
    "generator_error": generator_error,
    "help": steps("question_mark"),
    "confirm_delete": steps("delete"),
    "conflict": conflict,
    "change_password_error": change_password_error,
    "delete_account": palette("show_delete_account"),
    "rotate_key": palette("show_rotate_key"),
    "unlock": steps("ctrl+l"),
}


@pytest.fixture
def fixed_generator(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same password every time, after the real generator has checked the options."""
    from app.core.generator import generate_password

    def fixed(options: PasswordOptions) -> str:
        generate_password(options)
        return "x7-Qm!rV2#pL9@wZ4$kD"

    monkeypatch.setattr("app.screens.generator.generate_password", fixed)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("scene", list(VAULT_SCENES))
def test_vault_scene(  # type: ignore[no-untyped-def]
    snap_compare, sqlite_settings: Settings, fixed_generator: None, scene: str, size
) -> None:
    seeded_vault(sqlite_settings)
    app = make_app(sqlite_settings, clock=FakeClock())
    assert snap_compare(app, terminal_size=size, run_before=VAULT_SCENES[scene])


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(
    "scene", [register_filled, register_mismatch], ids=["register", "register_error"]
)
def test_register_screen(snap_compare, sqlite_settings: Settings, scene: Steps, size) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(sqlite_settings), terminal_size=size, run_before=scene)


@pytest.mark.parametrize("size", SIZES)
def test_login_screen_after_wrong_password(snap_compare, sqlite_settings: Settings, size) -> None:  # type: ignore[no-untyped-def]
    seeded_vault(sqlite_settings, remember=False)
    app = make_app(sqlite_settings)
    assert snap_compare(app, terminal_size=size, run_before=login_wrong_password)


@pytest.mark.parametrize("size", SIZES)
def test_sessions_dialog(snap_compare, sqlite_settings: Settings, size) -> None:  # type: ignore[no-untyped-def]
    seeded_vault(sqlite_settings)
    app = make_app(sqlite_settings, clock=FakeClock(), device_label="laptop")
    assert snap_compare(app, terminal_size=size, run_before=palette("show_sessions"))


@pytest.mark.mariadb
@pytest.mark.parametrize("size", SIZES)
def test_database_error_screen(snap_compare, tmp_path: Path, size) -> None:  # type: ignore[no-untyped-def]
    # A server that cannot be there (port 1), and a password that must not be shown.
    url = "mariadb+mariadbconnector://strongroom:secret@127.0.0.1:1/strongroom"
    settings = make_settings(tmp_path, url)
    assert snap_compare(make_app(settings), terminal_size=size, run_before=settled)


def test_every_snapshot_belongs_to_a_test(request: pytest.FixtureRequest) -> None:
    """A picture no test compares any more fails the run: syrupy says so only when one process
    runs every test, not under pytest -n (scripts/test), so this says it in every run."""
    module = request.node.getparent(pytest.Module)
    assert module is not None
    tests = {node.name for node in module.collect()}
    folder = Path(__file__).parent / "__snapshots__" / Path(__file__).stem
    pictures = {path.stem for path in folder.glob("*.svg")}
    assert len(pictures) > 1
    assert pictures - tests == set()

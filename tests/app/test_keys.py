"""One key table: the bindings, the help page, the command palette and the README agree."""

from __future__ import annotations

from pathlib import Path

from app.screens.confirm import ConfirmScreen
from app.screens.health import HealthScreen
from app.screens.item_form import ItemFormScreen
from app.screens.keys import (
    CONFIRM_KEYS,
    HEALTH_KEYS,
    ITEM_FORM_KEYS,
    VAULT_KEYS,
    commands,
    help_rows,
)
from app.screens.vault import VaultScreen

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_key_table() -> list[str]:
    """The table that follows the README's "### Keys" heading, as its lines."""
    lines = README.read_text(encoding="utf-8").splitlines()
    rest = lines[lines.index("### Keys") + 1 :]
    start = next(n for n, line in enumerate(rest) if line.startswith("|"))
    table = []
    for line in rest[start:]:
        if not line.startswith("|"):
            break
        table.append(line)
    return table


def test_the_readme_key_table_is_the_apps() -> None:
    expected = ["| Where | Key | Action |", "| --- | --- | --- |"] + [
        f"| {where} | `{key}` | {does} |" for where, key, does in help_rows()
    ]
    assert readme_key_table() == expected


def test_the_screens_bind_what_the_table_says() -> None:
    for screen, keys in (
        (VaultScreen, VAULT_KEYS),
        (ItemFormScreen, ITEM_FORM_KEYS),
        (ConfirmScreen, CONFIRM_KEYS),
        (HealthScreen, HEALTH_KEYS),
    ):
        bound = {
            (name, binding.action)
            for name, bindings in screen._merge_bindings().key_to_bindings.items()
            for binding in bindings
        }
        for key in keys:
            for name in filter(None, key.keys.split(",")):
                assert (name, key.action) in bound, (screen.__name__, name, key.action)


def test_every_palette_command_names_a_vault_action() -> None:
    for key in commands(VAULT_KEYS):
        action = key.action.split("(")[0]
        assert callable(getattr(VaultScreen, f"action_{action}", None)), key.action

"""The house rules: data flows one way, and the first frame stays light."""

from __future__ import annotations

import subprocess
import sys

import pytest

PLAIN_MODULES = [
    "app.config",
    "app.crypto",
    "app.db",
    "app.passwords",
    "app.tokens",
    "app.backend",
    "app.models",
    "app.controllers.accounts",
    "app.controllers.vault",
    "app.items",
    "app.search",
    "app.generator",
]


def _modules_after_import(module: str) -> set[str]:
    code = f"import sys, {module}; print('\\n'.join(sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return set(result.stdout.split())


@pytest.mark.parametrize("module", PLAIN_MODULES)
def test_controllers_and_models_never_import_textual(module: str) -> None:
    loaded = _modules_after_import(module)
    assert not any(name == "textual" or name.startswith("textual.") for name in loaded)


def test_the_app_and_its_screens_load_without_the_database_stack() -> None:
    loaded = _modules_after_import("app.factory")
    heavy = {"sqlalchemy", "alembic", "argon2", "bcrypt", "zxcvbn", "cryptography", "mariadb"}
    assert heavy.isdisjoint(loaded), heavy & loaded

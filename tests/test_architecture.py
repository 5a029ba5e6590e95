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


def _imported_modules() -> dict[str, set[str]]:
    """Every top-level module each file of the app package imports."""
    import ast
    from pathlib import Path

    package = Path(__file__).resolve().parent.parent / "app"
    found: dict[str, set[str]] = {}
    for path in package.rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(package))] = names
    return found


def test_only_vetted_libraries_do_cryptography() -> None:
    """Randomness from `secrets`; ciphers, KDFs and hashes from cryptography, argon2-cffi,
    bcrypt and hashlib (the token's SHA-256) only: no `random`, no other crypto package."""
    forbidden = {"random", "Crypto", "Cryptodome", "nacl", "pyaes", "simplecrypt", "hmac"}
    crypto_users = {"cryptography", "argon2", "bcrypt", "hashlib"}
    modules = _imported_modules()
    for path, names in modules.items():
        assert not names & forbidden, (path, names & forbidden)
        if names & crypto_users:
            assert path == "crypto.py", (path, names & crypto_users)
    assert {"cryptography", "argon2", "bcrypt", "secrets"} <= modules["crypto.py"]

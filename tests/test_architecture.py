"""The house rules: data flows one way, the layers are checked statically, the first frame
stays light, and only vetted libraries do cryptography."""

from __future__ import annotations

import ast
import pkgutil
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import app

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "app"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _contracts() -> list[dict[str, object]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts: list[dict[str, object]] = config["tool"]["importlinter"]["contracts"]
    return contracts


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(ROOT / "pyproject.toml")],
        cwd=root,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        check=False,
    )


def test_every_module_is_in_a_layer_that_a_contract_checks() -> None:
    """No hand-written module list: every top-level part of the package must be a source of
    some contract (or the entry points, which may import anything)."""
    sources = {
        str(module)
        for contract in _contracts()
        for module in contract.get("source_modules", [])  # type: ignore[attr-defined]
    }
    entry = {"app.__main__", "app.factory"}
    parts = {f"app.{module.name}" for module in pkgutil.iter_modules(app.__path__)}
    assert parts, "the package has no modules?"
    assert parts - sources - entry == set()
    assert {"app.core", "app.services", "app.screens", "app.widgets", "app.app"} <= sources


def test_the_layer_contracts_hold() -> None:
    done = _lint_imports(ROOT)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "0 broken" in done.stdout


@pytest.mark.parametrize(
    ("module", "wrong_import", "contract"),
    [
        # A screen pulled into a service method, where no run-time test would notice it.
        ("services/vault.py", "from app.screens.vault import VaultScreen", "services, models"),
        ("core/search.py", "import sqlalchemy", "core imports neither"),
        ("widgets/item_list.py", "from app.services import sealing", "screens and widgets"),
        ("core/items.py", "from textual.widget import Widget", "core imports neither"),
        # The agent reaching back up to the entry point that starts it: a circle that runs.
        ("cli/agent.py", "from app.cli.main import run", "the command line reads top down"),
        # A new circle: items and the search over them, each importing the other.
        ("core/items.py", "from app.core.search import Index", "no import circles"),
        # Vault access calling up into a command.
        ("cli/access.py", "from app.cli.commands import read", "the command line reads top down"),
    ],
)
def test_a_wrong_import_breaks_the_build(
    tmp_path: Path, module: str, wrong_import: str, contract: str
) -> None:
    copy = tmp_path / "app"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    path = copy / module
    source = path.read_text(encoding="utf-8")
    # Inside a function, as a lazy import would be: still an import.
    path.write_text(source + f"\n\ndef _sneaky() -> None:\n    {wrong_import}  # noqa\n")
    done = _lint_imports(tmp_path)
    assert done.returncode != 0, done.stdout[-2000:]
    broken = [line for line in done.stdout.splitlines() if " BROKEN" in line]
    assert any(line.startswith(contract) for line in broken), done.stdout[-2000:]


def _imports_of(nodes: list[ast.AST], module: str) -> int:
    return sum(
        isinstance(node, ast.ImportFrom) and node.module == module
        for top in nodes
        for node in ast.walk(top)
    )


def test_the_circles_the_contract_ignores_are_for_type_checking_only() -> None:
    """Every edge the acyclic contract ignores is imported only under ``if TYPE_CHECKING:``."""
    (acyclic,) = [c for c in _contracts() if c["type"] == "acyclic_siblings"]
    ignored = acyclic["ignore_imports"]
    assert ignored, "the contract ignores nothing: drop this test"
    for edge in ignored:  # type: ignore[attr-defined]
        importer, imported = (part.strip() for part in str(edge).split("->"))
        tree = ast.parse((ROOT / (importer.replace(".", "/") + ".py")).read_text("utf-8"))
        checking = [
            node
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
        ]
        inside = _imports_of([stmt for block in checking for stmt in block.body], imported)
        assert inside >= 1, f"{edge}: not imported under TYPE_CHECKING"
        assert _imports_of([tree], imported) == inside, f"{edge} is imported at run time too"


MAX_LINES = 400


def test_every_module_is_readable_in_one_sitting() -> None:
    long = {
        str(path.relative_to(PACKAGE)): lines
        for path in PACKAGE.rglob("*.py")
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}, f"over {MAX_LINES} lines: {long}"


def test_the_handoff_knows_the_commands_the_agent_answers() -> None:
    """app.cli.quick loads before the command table can, so it keeps its own list."""
    from app.cli import quick, table

    assert quick.COMMANDS == table.AGENT_COMMANDS


def _modules_after_import(module: str) -> set[str]:
    code = f"import sys, {module}; print('\\n'.join(sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return set(result.stdout.split())


def test_the_app_and_its_screens_load_without_the_database_stack() -> None:
    loaded = _modules_after_import("app.factory")
    heavy = {"sqlalchemy", "alembic", "argon2", "bcrypt", "zxcvbn", "cryptography", "mariadb"}
    assert heavy.isdisjoint(loaded), heavy & loaded


def _imported_modules() -> dict[str, set[str]]:
    """Every top-level module each file of the app package imports."""
    found: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(PACKAGE))] = names
    return found


def test_only_vetted_libraries_do_cryptography() -> None:
    """Randomness from `secrets`; ciphers, KDFs and hashes from cryptography, argon2-cffi,
    bcrypt and hashlib (the token's SHA-256) only: no `random`, no other crypto package. Four
    modules call them: the vault's (core/crypto.py), SSH keys' (core/ssh_crypto.py, which
    imports cryptography and hashlib alone), the integrity record's (core/integrity_keys.py,
    cryptography alone) and the Secret Key's (core/secret_key.py, cryptography alone)."""
    forbidden = {"random", "Crypto", "Cryptodome", "nacl", "pyaes", "simplecrypt", "hmac"}
    crypto_users = {"cryptography", "argon2", "bcrypt", "hashlib"}
    modules = _imported_modules()
    for path, names in modules.items():
        assert not names & forbidden, (path, names & forbidden)
        if path == "core/ssh_crypto.py":
            assert names & crypto_users == {"cryptography", "hashlib"}, names
        elif path in ("core/integrity_keys.py", "core/secret_key.py"):
            assert names & crypto_users == {"cryptography"}, names
        elif names & crypto_users:
            assert path == "core/crypto.py", (path, names & crypto_users)
    assert {"cryptography", "argon2", "bcrypt", "secrets"} <= modules["core/crypto.py"]


def test_no_worker_is_described_by_its_arguments() -> None:
    """Textual describes a ``@work`` worker by the repr of its arguments unless it is given a
    description: a login's worker would carry the master password in a string that lives on
    with the worker and goes to Textual's logs. Every worker names itself."""
    undescribed = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for decorator in node.decorator_list:
                call = decorator if isinstance(decorator, ast.Call) else None
                named = ast.unparse(call.func if call else decorator)
                if named != "work":
                    continue
                if call is None or "description" not in {k.arg for k in call.keywords}:
                    undescribed.append(f"{path.relative_to(PACKAGE)}:{node.name}")
    assert undescribed == []

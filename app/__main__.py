"""The `strongroom` command (and `python -m app`)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from app import __version__
from app.core.config import ConfigError, Settings, load_settings


def disable_core_dumps() -> None:
    """A crash must not leave the vault key in a core file (KeePassXC does the same)."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ImportError, ValueError, OSError):
        pass
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            pr_set_dumpable = 4
            ctypes.CDLL(None, use_errno=True).prctl(pr_set_dumpable, 0, 0, 0, 0)
        except (OSError, AttributeError):
            pass


def configure_logging(log_path: Path) -> None:
    """Errors go to an owner-only file; never to the terminal the app is drawing on."""
    log_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(log_path, os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o600))
    os.chmod(log_path, 0o600)
    handler = logging.FileHandler(log_path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("strongroom")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="strongroom",
        description="A full-screen terminal password manager. Run it with no arguments.",
        epilog="The database is SQLite by default; set database_url in the config file or "
        "STRONGROOM_DATABASE_URL for MariaDB. Secrets are never taken on the command line.",
    )
    parser.add_argument("--version", action="version", version=f"strongroom {__version__}")
    parser.add_argument(
        "--config-dir",
        type=Path,
        help="use this folder for config.toml and the saved login (default: the platform's)",
    )
    parser.add_argument(
        "--data-dir", type=Path, help="use this folder for the SQLite database and the log"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        settings: Settings = load_settings(config_dir=args.config_dir, data_dir=args.data_dir)
        configure_logging(settings.log_path)
    except ConfigError as error:
        print(f"strongroom: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"strongroom: cannot create {error.filename}: {error.strerror}", file=sys.stderr)
        return 2
    disable_core_dumps()

    from app.factory import make_app

    app = make_app(settings)
    app.run()
    return app.return_code or 0


if __name__ == "__main__":
    sys.exit(main())

"""Settings: file, environment, floors and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.config import ConfigError, load_settings


def write(tmp_path: Path, text: str) -> Path:
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    (config_dir / "config.toml").write_text(text)
    return config_dir


def test_defaults_to_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "c", tmp_path / "d", environ={})
    assert settings.database_url == f"sqlite:///{tmp_path / 'd' / 'strongroom.db'}"
    assert settings.token_path == tmp_path / "c" / "session.token"
    assert settings.security.bcrypt_cost == 12
    assert settings.security.argon2_memory_kib == 65536


def test_platform_directories_are_used_by_default() -> None:
    settings = load_settings(environ={})
    assert "strongroom" in str(settings.config_dir)
    assert "strongroom" in str(settings.data_dir)


def test_file_and_environment(tmp_path: Path) -> None:
    config_dir = write(
        tmp_path,
        'database_url = "mariadb+mariadbconnector://u:p@db:3306/strongroom"\n'
        "[security]\nbcrypt_cost = 13\nsession_idle_days = 7\n",
    )
    settings = load_settings(config_dir, tmp_path / "d", environ={})
    assert settings.database_url.endswith("@db:3306/strongroom")
    assert settings.security.bcrypt_cost == 13
    assert settings.security.session_idle_limit.days == 7
    env = {"STRONGROOM_DATABASE_URL": "sqlite:////tmp/other.db"}
    assert load_settings(config_dir, tmp_path / "d", environ=env).database_url.endswith("other.db")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("database_url = ", "not valid TOML"),
        ("colour = 'red'", "Unknown setting"),
        ("[security]\nbcrypt_cost = 9", "bcrypt_cost must be between 10"),
        ("[security]\nbcrypt_cost = 'high'", "must be a whole number"),
        ("[security]\nargon2_memory_kib = 1024", "argon2_memory_kib must be at least"),
        ("[security]\nmin_password_length = 6", "at least 8"),
        ("[security]\npepper = 1", "Unknown setting in \\[security\\]"),
        ("database_url = 'postgresql://x'", "SQLite or MariaDB"),
        ("security = 3", "must be a table"),
    ],
)
def test_bad_settings_give_clear_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(write(tmp_path, text), tmp_path / "d", environ={})

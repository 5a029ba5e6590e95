"""Settings: file, environment, floors and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.config import ConfigError, load_settings


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
    (config_dir / "config.toml").chmod(0o600)  # it holds a password
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
        ("[security]\nargon2_memory_kib = 1024", "argon2_memory_kib must be between 19456"),
        ("[security]\nargon2_memory_kib = 99999999", "argon2_memory_kib must be between"),
        ("[security]\nargon2_iterations = 1000", "argon2_iterations must be between 2 and 32"),
        ("[security]\nmin_password_length = 6", "between 8 and 128"),
        ("[security]\nsession_absolute_days = 100000000", "between 1 and 3650"),
        ("[security]\nsession_idle_days = 0", "between 1 and 3650"),
        ("[security]\npepper = 1", "Unknown setting in \\[security\\]"),
        ("database_url = 'postgresql://x'", "SQLite or MariaDB"),
        ("security = 3", "must be a table"),
    ],
)
def test_bad_settings_give_clear_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(write(tmp_path, text), tmp_path / "d", environ={})


PASSWORD_URL = 'database_url = "mariadb+mariadbconnector://u:hunter2-canary@db:3306/strongroom"\n'


def test_a_database_password_in_the_environment_is_refused(tmp_path: Path) -> None:
    env = {"STRONGROOM_DATABASE_URL": "mariadb+mariadbconnector://u:hunter2-canary@db/s"}
    with pytest.raises(ConfigError, match="contains a password") as refused:
        load_settings(tmp_path / "c", tmp_path / "d", environ=env)
    assert "hunter2-canary" not in str(refused.value)


def test_a_config_file_with_a_password_must_be_owner_only(tmp_path: Path) -> None:
    config_dir = write(tmp_path, PASSWORD_URL)
    (config_dir / "config.toml").chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600") as refused:
        load_settings(config_dir, tmp_path / "d", environ={})
    assert "hunter2-canary" not in str(refused.value)
    (config_dir / "config.toml").chmod(0o600)
    assert "hunter2-canary" in load_settings(config_dir, tmp_path / "d", environ={}).database_url
    # The settings never show the URL (and so the password) in their repr.
    assert "hunter2-canary" not in repr(load_settings(config_dir, tmp_path / "d", environ={}))


def test_the_database_password_can_come_from_a_file(tmp_path: Path) -> None:
    secret = tmp_path / "db_password"
    secret.write_text("pa ss@word:/%\n")
    secret.chmod(0o600)
    config_dir = write(
        tmp_path,
        'database_url = "mariadb+mariadbconnector://strongroom@db:3306/strongroom"\n'
        f"database_password_file = '{secret}'\n",
    )
    settings = load_settings(config_dir, tmp_path / "d", environ={})
    from sqlalchemy.engine import make_url

    url = make_url(settings.database_url)
    assert (url.username, url.password, url.host) == ("strongroom", "pa ss@word:/%", "db")
    secret.chmod(0o640)
    with pytest.raises(ConfigError, match="chmod 600"):
        load_settings(config_dir, tmp_path / "d", environ={})


@pytest.mark.parametrize(
    ("url", "hosts"),
    [
        (
            "mariadb+mariadbconnector://strongroom@db1,db2,db3:3307/strongroom",
            [("db1", 3307), ("db2", 3307), ("db3", 3307)],
        ),
        (
            "mariadb+mariadbconnector://strongroom@/strongroom?host=db1:3306,db2:3307",
            [("db1", 3306), ("db2", 3307)],
        ),
    ],
    ids=["hosts on one port", "host= with ports"],
)
def test_several_hosts_take_the_password_file_too(
    tmp_path: Path, url: str, hosts: list[tuple[str, int]]
) -> None:
    """A cluster's URL names every node; the password still comes from the file."""
    from sqlalchemy.engine import make_url

    from app.services.cluster import hosts_of

    secret = tmp_path / "db_password"
    secret.write_text("cluster-secret\n")
    secret.chmod(0o600)
    config_dir = write(tmp_path, f"database_url = \"{url}\"\ndatabase_password_file = '{secret}'\n")
    parsed = make_url(load_settings(config_dir, tmp_path / "d", environ={}).database_url)
    assert (parsed.username, parsed.password) == ("strongroom", "cluster-secret")
    assert hosts_of(parsed) == hosts


@pytest.mark.parametrize(
    ("url", "content", "message"),
    [
        ("mariadb+mariadbconnector://strongroom@db/s", "", "is empty"),
        ("mariadb+mariadbconnector://db/s", "pw", "must name the user"),
        ("mariadb+mariadbconnector://u:pw@db/s", "pw", "already contains a password"),
    ],
)
def test_password_file_mistakes_are_explained(
    tmp_path: Path, url: str, content: str, message: str
) -> None:
    secret = tmp_path / "db_password"
    secret.write_text(content)
    secret.chmod(0o600)
    config_dir = write(tmp_path, f'database_url = "{url}"\n')
    (config_dir / "config.toml").chmod(0o600)
    env = {"STRONGROOM_DATABASE_PASSWORD_FILE": str(secret)}
    with pytest.raises(ConfigError, match=message):
        load_settings(config_dir, tmp_path / "d", environ=env)
    missing = {"STRONGROOM_DATABASE_PASSWORD_FILE": str(tmp_path / "missing")}
    with pytest.raises(ConfigError, match="could not be read"):
        load_settings(config_dir, tmp_path / "d", environ=missing)

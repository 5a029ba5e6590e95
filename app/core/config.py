"""Settings: where Strongroom keeps its files, which database it opens, how hard it hashes.

Settings come from an optional TOML file in the user's config directory, with the database URL
overridable by ``STRONGROOM_DATABASE_URL``. Nothing here imports SQLAlchemy or Textual, so reading
the settings costs nothing on the way to the first frame.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path

APP_NAME = "strongroom"
CONFIG_FILENAME = "config.toml"
TOKEN_FILENAME = "session.token"  # noqa: S105  (a file name, not a secret)
DATABASE_URL_ENV = "STRONGROOM_DATABASE_URL"
DATABASE_PASSWORD_FILE_ENV = "STRONGROOM_DATABASE_PASSWORD_FILE"  # noqa: S105  (a path's name)
CONFIG_DIR_ENV = "STRONGROOM_CONFIG_DIR"

# Floors that neither a config file nor a tampered database row may go below, and ceilings
# they may not go above (a huge memory cost would hang or kill every login).
ARGON2_MIN_MEMORY_KIB = 19 * 1024
ARGON2_MAX_MEMORY_KIB = 1024 * 1024  # 1 GiB
ARGON2_MIN_ITERATIONS = 2
ARGON2_MAX_ITERATIONS = 32
ARGON2_MAX_PARALLELISM = 64
MAX_SESSION_DAYS = 3650
BCRYPT_MIN_COST = 10
BCRYPT_MAX_COST = 16
MIN_PASSWORD_LENGTH_FLOOR = 8


class ConfigError(Exception):
    """The config file or an override is unusable; the message says which setting and why."""


@dataclass(frozen=True)
class SecuritySettings:
    """Costs and limits for passwords, keys and remembered sessions."""

    argon2_memory_kib: int = 64 * 1024
    argon2_iterations: int = 3
    argon2_parallelism: int = 4
    bcrypt_cost: int = 12
    min_password_length: int = 12
    max_password_length: int = 1024
    session_idle_limit: timedelta = timedelta(days=14)
    session_absolute_limit: timedelta = timedelta(days=30)
    auto_lock_minutes: int = 15
    clipboard_clear_seconds: int = 30
    # How often an unlocked app asks whether this device's session still stands (one query).
    session_check_seconds: int = 30

    def __post_init__(self) -> None:
        if not ARGON2_MIN_MEMORY_KIB <= self.argon2_memory_kib <= ARGON2_MAX_MEMORY_KIB:
            raise ConfigError(
                f"argon2_memory_kib must be between {ARGON2_MIN_MEMORY_KIB} and "
                f"{ARGON2_MAX_MEMORY_KIB}."
            )
        if not ARGON2_MIN_ITERATIONS <= self.argon2_iterations <= ARGON2_MAX_ITERATIONS:
            raise ConfigError(
                f"argon2_iterations must be between {ARGON2_MIN_ITERATIONS} and "
                f"{ARGON2_MAX_ITERATIONS}."
            )
        if not 1 <= self.argon2_parallelism <= ARGON2_MAX_PARALLELISM:
            raise ConfigError(f"argon2_parallelism must be between 1 and {ARGON2_MAX_PARALLELISM}.")
        if not BCRYPT_MIN_COST <= self.bcrypt_cost <= BCRYPT_MAX_COST:
            raise ConfigError(
                f"bcrypt_cost must be between {BCRYPT_MIN_COST} and {BCRYPT_MAX_COST}."
            )
        if not MIN_PASSWORD_LENGTH_FLOOR <= self.min_password_length <= 128:
            raise ConfigError(
                f"min_password_length must be between {MIN_PASSWORD_LENGTH_FLOOR} and 128."
            )
        if not 128 <= self.max_password_length <= 4096:
            raise ConfigError("max_password_length must be between 128 and 4096.")
        if not 1 <= self.auto_lock_minutes <= 24 * 60:
            raise ConfigError("auto_lock_minutes must be between 1 and 1440.")
        if not 5 <= self.clipboard_clear_seconds <= 600:
            raise ConfigError("clipboard_clear_seconds must be between 5 and 600.")
        if not 1 <= self.session_check_seconds <= 600:
            raise ConfigError("session_check_seconds must be between 1 and 600.")
        longest = timedelta(days=MAX_SESSION_DAYS)
        for name, limit in (
            ("session_idle_days", self.session_idle_limit),
            ("session_absolute_days", self.session_absolute_limit),
        ):
            if not timedelta(0) < limit <= longest:
                raise ConfigError(f"{name} must be between 1 and {MAX_SESSION_DAYS}.")


@dataclass(frozen=True)
class Settings:
    """Everything the factory needs to build a Strongroom app."""

    config_dir: Path
    data_dir: Path
    database_url: str = field(repr=False)  # may hold the database password
    security: SecuritySettings = field(default_factory=SecuritySettings)
    # Upgrade an older schema when the app starts; off for a cluster that upgrades it as a
    # deploy step (strongroom db upgrade).
    migrate_on_start: bool = True
    # Let the read commands start and use the agent (app/cli/agent.py).
    command_line_agent: bool = True
    # Vault health: Have I Been Pwned's SHA-1 list (a file or a folder of range files), and
    # how many days a password may stay unchanged before the report calls it old.
    breach_list: Path | None = None
    health_max_age_days: int = 365
    # The SSH agent (app/cli/commands/ssh_agent.py): started with the command line agent; whether
    # every signature asks for approval (else each key's first use in a terminal session).
    ssh_agent: bool = False
    ssh_approve_every_use: bool = False

    @property
    def token_path(self) -> Path:
        return self.config_dir / TOKEN_FILENAME

    @property
    def last_username_path(self) -> Path:
        return self.config_dir / "last-user.json"

    @property
    def config_path(self) -> Path:
        return self.config_dir / CONFIG_FILENAME

    @property
    def log_path(self) -> Path:
        return self.data_dir / "strongroom.log"

    @property
    def security_log_path(self) -> Path:
        return self.data_dir / "security.log"

    def with_security(self, **changes: object) -> Settings:
        return replace(self, security=replace(self.security, **changes))  # type: ignore[arg-type]


def default_sqlite_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'strongroom.db'}"


_SECURITY_KEYS: dict[str, type] = {
    "argon2_memory_kib": int,
    "argon2_iterations": int,
    "argon2_parallelism": int,
    "bcrypt_cost": int,
    "min_password_length": int,
    "max_password_length": int,
    "session_idle_days": int,
    "session_absolute_days": int,
    "auto_lock_minutes": int,
    "clipboard_clear_seconds": int,
    "session_check_seconds": int,
}


def _security_from(table: object) -> SecuritySettings:
    if not isinstance(table, dict):
        raise ConfigError("[security] must be a table of settings.")
    unknown = sorted(set(table) - set(_SECURITY_KEYS))
    if unknown:
        raise ConfigError(f"Unknown setting in [security]: {', '.join(unknown)}.")
    values: dict[str, object] = {}
    for key, value in table.items():
        if not isinstance(value, int) or isinstance(value, bool):
            raise ConfigError(f"[security] {key} must be a whole number.")
        if key in ("session_idle_days", "session_absolute_days") and not (
            1 <= value <= MAX_SESSION_DAYS
        ):
            raise ConfigError(f"[security] {key} must be between 1 and {MAX_SESSION_DAYS}.")
        if key == "session_idle_days":
            values["session_idle_limit"] = timedelta(days=value)
        elif key == "session_absolute_days":
            values["session_absolute_limit"] = timedelta(days=value)
        else:
            values[key] = value
    return SecuritySettings(**values)  # type: ignore[arg-type]


def load_settings(
    config_dir: Path | None = None,
    data_dir: Path | None = None,
    environ: dict[str, str] | None = None,
) -> Settings:
    """Read settings from the config file and the environment.

    Directories default to the platform's own places (``platformdirs``).
    """
    env = os.environ if environ is None else environ
    if config_dir is None or data_dir is None:
        import platformdirs

        if config_dir is None:
            override = env.get(CONFIG_DIR_ENV)
            config_dir = Path(override) if override else platformdirs.user_config_path(APP_NAME)
        if data_dir is None:
            data_dir = platformdirs.user_data_path(APP_NAME)

    config_path = config_dir / CONFIG_FILENAME
    document: dict[str, object] = {}
    if config_path.exists() or config_path.is_symlink():
        _require_trusted(config_path, "is Strongroom's settings file")
        try:
            document = tomllib.loads(config_path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise ConfigError(f"{config_path} is not valid TOML: {error}") from None
        except OSError as error:
            raise ConfigError(f"{config_path} could not be read: {error.strerror}") from None

    known = {
        "database_url",
        "database_password_file",
        "migrate_on_start",
        "command_line_agent",
        "breach_list",
        "health_max_age_days",
        "ssh_agent",
        "ssh_approve_every_use",
        "security",
    }
    unknown = sorted(set(document) - known)
    if unknown:
        raise ConfigError(f"Unknown setting in {config_path}: {', '.join(unknown)}.")

    from_env = env.get(DATABASE_URL_ENV)
    url = from_env or document.get("database_url") or default_sqlite_url(data_dir)
    if not isinstance(url, str) or not url.strip():
        raise ConfigError("database_url must be a non-empty string.")
    if not url.startswith(("sqlite", "mariadb", "mysql")):
        raise ConfigError(
            "database_url must be a SQLite or MariaDB URL, for example "
            "mariadb+mariadbconnector://user@host:3306/strongroom"
        )
    if _has_password(url):
        if from_env:
            raise ConfigError(
                f"{DATABASE_URL_ENV} contains a password. Environment variables can be read by "
                "other programs you run and end up in logs: put the password in a file named "
                f"by database_password_file or {DATABASE_PASSWORD_FILE_ENV} (owner-only), or "
                f"the whole URL in {config_path} (owner-only)."
            )
        _require_owner_only(config_path, _stat(config_path), "holds the database password")
    password_file = env.get(DATABASE_PASSWORD_FILE_ENV) or document.get("database_password_file")
    if password_file:
        if not isinstance(password_file, str):
            raise ConfigError("database_password_file must be the path of a file.")
        url = _with_password(url, _read_password_file(Path(password_file).expanduser()))

    switches = {}
    defaults = {
        "migrate_on_start": True,
        "command_line_agent": True,
        "ssh_agent": False,
        "ssh_approve_every_use": False,
    }
    for name, default in defaults.items():
        value = document.get(name, default)
        if not isinstance(value, bool):
            raise ConfigError(f"{name} must be true or false.")
        switches[name] = value
    security = _security_from(document.get("security", {}))
    return Settings(
        config_dir=config_dir,
        data_dir=data_dir,
        database_url=url.strip(),
        security=security,
        breach_list=_breach_list_from(document),
        health_max_age_days=_health_age_from(document),
        **switches,
    )


MAX_HEALTH_AGE_DAYS = 3650


def _breach_list_from(document: dict[str, object]) -> Path | None:
    """The breach list's path for the vault health report, if set."""
    path = document.get("breach_list")
    if path is None:
        return None
    if not isinstance(path, str) or not path.strip():
        raise ConfigError("breach_list must be the path of Have I Been Pwned's SHA-1 list.")
    return Path(path).expanduser()


def _health_age_from(document: dict[str, object]) -> int:
    """How many days a password may stay unchanged before the health report calls it old."""
    days = document.get("health_max_age_days", 365)
    if not isinstance(days, int) or isinstance(days, bool):
        raise ConfigError("health_max_age_days must be a whole number.")
    if not 1 <= days <= MAX_HEALTH_AGE_DAYS:
        raise ConfigError(f"health_max_age_days must be between 1 and {MAX_HEALTH_AGE_DAYS}.")
    return days


# Query parameters the MariaDB driver takes a password from: a URL may hide one there too.
PASSWORD_QUERY_KEYS = frozenset({"password", "passwd", "pwd"})


def _has_password(url: str) -> bool:
    from urllib.parse import parse_qsl, urlsplit

    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    return parts.password is not None or any(key.lower() in PASSWORD_QUERY_KEYS for key, _ in query)


def _require_trusted(path: Path, what: str) -> None:
    """A settings file must be a regular file of yours that nobody else can write."""
    try:
        status = path.lstat()
    except OSError as error:
        raise ConfigError(f"{path} could not be read: {error.strerror}") from None
    from app.core.files import tamper_problem

    problem = tamper_problem(status)
    if problem is not None:
        raise ConfigError(f"{path} {what} but {problem}, so it was not used.")


def _stat(path: Path) -> os.stat_result:
    try:
        return path.stat()
    except OSError as error:
        raise ConfigError(f"{path} could not be read: {error.strerror}") from None


def _require_owner_only(path: Path, status: os.stat_result, why: str) -> None:
    """A file that holds a secret must be yours and readable by you alone."""
    from app.core.files import privacy_problem

    problem = privacy_problem(status)
    if problem is not None:
        raise ConfigError(
            f"{path} {why} but {problem}; make it yours and owner-only: chmod 600 {path}"
        )


def _read_password_file(path: Path) -> str:
    """The database password from a file: yours and owner-only, or a container secret.

    Docker and Kubernetes mount secrets under /run/secrets as root-owned files nobody else can
    write; for an app not running as root those are accepted as they are, since only root could
    have put them there. Anywhere else the file must be yours and owner-only.
    """
    status = _stat(path)
    mounted_secret = (
        path.resolve().parent == Path("/run/secrets")
        and status.st_uid == 0
        and not status.st_mode & 0o022
    )
    if path.is_symlink() and not mounted_secret:
        raise ConfigError(f"{path} is the database password file but is a symbolic link.")
    if not (mounted_secret and hasattr(os, "geteuid") and os.geteuid() != 0):
        _require_owner_only(path, status, "is the database password file")
    try:
        password = path.read_text(encoding="utf-8").rstrip("\r\n")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "it is not UTF-8 text"
        raise ConfigError(f"{path} could not be read: {reason}") from None
    if not password:
        raise ConfigError(f"{path} is empty; it should hold the database password.")
    return password


def _with_password(url: str, password: str) -> str:
    """The URL with this password for its user (the URL itself must name the user only)."""
    from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

    parts = urlsplit(url)
    if _has_password(url):
        raise ConfigError(
            "database_url already contains a password; with database_password_file, "
            "leave it out of the URL."
        )
    listed_hosts = any(key == "host" and value for key, value in parse_qsl(parts.query))
    if not parts.username or not (parts.hostname or listed_hosts):
        raise ConfigError(
            "With database_password_file, database_url must name the user and the server, "
            "for example mariadb+mariadbconnector://strongroom@db.example:3306/strongroom "
            "(or several: strongroom@db1,db2,db3:3306/strongroom, or "
            "strongroom@/strongroom?host=db1:3306,db2:3307)"
        )
    host = parts.netloc.rsplit("@", 1)[1]
    netloc = f"{parts.username}:{quote(password, safe='')}@{host}"
    return urlunsplit(parts._replace(netloc=netloc))

"""compose.yaml and the Dockerfile cannot be started here (no Docker engine), so check what
they would run: a pinned MariaDB with a healthcheck and a volume, and the app installed with its
MariaDB extra, pointed at that server by the same URL form the MariaDB tests use."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from app.core.config import load_settings

ROOT = Path(__file__).resolve().parent.parent


def load_compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return document


def test_mariadb_service_is_pinned_healthy_and_persistent() -> None:
    mariadb = load_compose()["services"]["mariadb"]
    image, tag = mariadb["image"].split(":")
    assert image == "mariadb"
    assert tag.split(".")[0].isdigit()  # a pinned major version, never "latest"
    assert "healthcheck.sh" in mariadb["healthcheck"]["test"]
    assert any(volume.startswith("mariadb-data:") for volume in mariadb["volumes"])
    assert mariadb["env_file"] == ".env"
    assert "MARIADB_PASSWORD" in (ROOT / ".env.example").read_text()


def test_app_service_waits_for_the_database_and_reads_the_password_from_a_file(
    tmp_path: Path,
) -> None:
    compose = load_compose()
    app = compose["services"]["strongroom"]
    assert app["depends_on"]["mariadb"]["condition"] == "service_healthy"
    assert app["stdin_open"] is True
    assert app["tty"] is True
    # The password is a compose secret made from .env's MARIADB_PASSWORD, mounted as a file.
    assert app["secrets"] == ["db_password"]
    assert compose["secrets"]["db_password"] == {"environment": "MARIADB_PASSWORD"}
    environment = app["environment"]
    assert not any("PASSWORD}" in str(value) for value in environment.values())
    secret = tmp_path / "db_password"
    secret.write_text("s3cret pw\n")
    secret.chmod(0o600)
    settings = load_settings(
        tmp_path / "c",
        tmp_path / "d",
        environ={
            "STRONGROOM_DATABASE_URL": environment["STRONGROOM_DATABASE_URL"],
            "STRONGROOM_DATABASE_PASSWORD_FILE": str(secret),
        },
    )
    assert environment["STRONGROOM_DATABASE_PASSWORD_FILE"] == "/run/secrets/db_password"
    assert settings.database_url == (
        "mariadb+mariadbconnector://strongroom:s3cret%20pw@mariadb:3306/strongroom"
    )


def test_dockerfile_installs_the_mariadb_extra_and_runs_unprivileged() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "libmariadb-dev" in dockerfile
    assert "pip install --no-cache-dir '.[mariadb]'" in dockerfile
    assert "USER strongroom" in dockerfile
    assert 'ENTRYPOINT ["strongroom"]' in dockerfile


def test_the_galera_example_runs_three_nodes_with_the_tested_settings() -> None:
    """docs/galera-compose.yaml: three nodes of the pinned official image, each with the
    settings in docs/galera.cnf (which tests/galera.py starts its cluster with), only the first
    forming the cluster, and Strongroom given every node in its URL."""
    import configparser

    from sqlalchemy.engine import make_url

    from app.services.cluster import hosts_of

    compose: dict[str, Any] = yaml.safe_load((ROOT / "docs" / "galera-compose.yaml").read_text())
    services = compose["services"]
    nodes = sorted(name for name in services if name.startswith("galera"))
    assert nodes == ["galera1", "galera2", "galera3"]
    settings = configparser.ConfigParser()
    settings.read(ROOT / "docs" / "galera.cnf")
    galera = settings["galera"]
    assert galera["wsrep_cluster_address"] == "gcomm://" + ",".join(nodes)
    assert galera["binlog_format"] == "ROW"
    assert galera["innodb_autoinc_lock_mode"] == "2"
    for name in nodes:
        node = services[name]
        assert node["image"] == load_compose()["services"]["mariadb"]["image"]
        assert "./galera.cnf:/etc/mysql/conf.d/galera.cnf:ro" in node["volumes"]
        assert "--galera_online" in node["healthcheck"]["test"]
        assert f"--wsrep-node-name={name}" in node["command"]
        assert ("--wsrep-new-cluster" in node["command"]) == (name == "galera1")
        # The state transfer's password comes from a mounted file, never the command line.
        assert not any("sst-auth" in part for part in node["command"])
    app = services["strongroom"]
    url = make_url(app["environment"]["STRONGROOM_DATABASE_URL"])
    assert [host for host, _ in hosts_of(url)] == nodes
    assert app["environment"]["STRONGROOM_DATABASE_PASSWORD_FILE"] == "/run/secrets/db_password"

"""MariaDB over TLS: the URL's ssl_* options reach the driver and a verified TLS link works."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import text

from app.core.errors import DatabaseUnavailable
from app.services.database import create_database_engine, describe_url, open_database
from tests.helpers import ThrowawayMariaDB


def _write_pki(folder: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate for 127.0.0.1, written as PEM files."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Strongroom test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    import ipaddress

    server = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    paths = folder / "ca.pem", folder / "server.pem", folder / "server-key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(server.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    return paths


def test_tls_options_in_the_url_reach_the_driver() -> None:
    url = (
        "mariadb+mariadbconnector://app:pw@db.example.org:3306/strongroom"
        "?ssl_ca=/etc/strongroom/ca.pem&ssl_verify_cert=true"
    )
    engine = create_database_engine(url)
    _, options = engine.dialect.create_connect_args(engine.url)
    assert options["ssl_ca"] == "/etc/strongroom/ca.pem"
    assert options["ssl_verify_cert"] is True
    assert "pw" not in describe_url(url)
    assert "ssl_ca=%2Fetc%2Fstrongroom%2Fca.pem" in describe_url(url)  # shown, URL-encoded


@pytest.mark.mariadb
def test_verified_tls_connection_to_mariadb(tmp_path: Path) -> None:
    import socket

    ca, cert, key = _write_pki(tmp_path / "pki")
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    server = ThrowawayMariaDB(tmp_path / "mariadb", port)
    server.extra_args = [
        f"--ssl-ca={ca}",
        f"--ssl-cert={cert}",
        f"--ssl-key={key}",
        "--require-secure-transport=ON",
    ]
    server.install()
    server.start()
    try:
        base = f"mariadb+mariadbconnector://root@127.0.0.1:{port}/mysql"
        verified = open_database(f"{base}?ssl_ca={ca}&ssl_verify_cert=true")
        with verified.engine.connect() as connection:
            cipher = connection.execute(text("SHOW SESSION STATUS LIKE 'Ssl_cipher'")).one()[1]
        verified.dispose()
        assert cipher  # the session is encrypted
        # Without TLS the server refuses, and the user gets a sentence, not a traceback.
        with pytest.raises(DatabaseUnavailable) as raised:
            open_database(f"{base}?ssl=false")
        assert raised.value.reason
    finally:
        server.stop()

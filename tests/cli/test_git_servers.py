"""Real git against real servers, with Strongroom set up as the README says: which password
reaches which server, over HTTP and over HTTPS, on the default port and on another.

One server on 127.0.0.1 plays every origin: git reaches it as its HTTP proxy (``http.proxy``),
so a plain-HTTP request arrives whole (``GET http://git.corp.test/repo.git/info/refs``) and an
HTTPS one through ``CONNECT git.corp.test:443``, then TLS with a certificate git verifies
(``GIT_SSL_CAINFO``). git thus talks to ``git.corp.test`` on its default ports, as it would to
a company's server, and the server records every Authorization header it is sent, by origin.
"""

from __future__ import annotations

import base64
import datetime
import ssl
import subprocess
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from app.core.credential import GIT_MARK
from app.core.items import ItemDraft
from tests.cli.test_git import add, git, person, readme_helper_lines
from tests.command_line import strongroom

if TYPE_CHECKING:
    from collections.abc import Iterator

    from app.core.config import Settings

__all__ = ["person"]  # the fixture, shared with test_git.py

COMMIT = "1" * 40


@dataclass(frozen=True)
class Sent:
    """What git sent one request with: the origin (``https://git.corp.test:443``) and the
    Basic credentials ("" when none)."""

    origin: str
    username: str
    password: str


def certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for git.corp.test (and *.corp.test), and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "git.corp.test")])
    now = datetime.datetime.now(datetime.UTC)
    names = [x509.DNSName("git.corp.test"), x509.DNSName("*.corp.test")]
    made = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert, private = folder / "corp.pem", folder / "corp.key"
    cert.write_bytes(made.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert, private


class CorpServer:
    """git.corp.test on every port, over HTTP and HTTPS: 401 until git sends the password
    ``accepted`` names for that origin, then a dumb repository's refs; ``sent`` is what git
    sent, request by request."""

    def __init__(self, folder: Path, accepted: dict[str, tuple[str, str]]) -> None:
        self.cert, key = certificate(folder)
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(self.cert, key)
        self.sent: list[Sent] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            tunnel = ""

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_CONNECT(self) -> None:
                self.send_response(200, "Connection established")
                self.end_headers()
                self.tunnel = self.path
                self.connection = tls.wrap_socket(self.connection, server_side=True)
                self.rfile = self.connection.makefile("rb")
                self.wfile = self.connection.makefile("wb")
                self.close_connection = False
                while not self.close_connection:
                    self.handle_one_request()

            def do_GET(self) -> None:
                if self.tunnel:
                    host, _, port = self.tunnel.partition(":")
                    origin, path = f"https://{host}:{port or 443}", urlsplit(self.path).path
                else:
                    parts = urlsplit(self.path)
                    origin, path = (
                        f"{parts.scheme}://{parts.hostname}:{parts.port or 80}",
                        parts.path,
                    )
                header = self.headers.get("Authorization", "")
                decoded = base64.b64decode(header[6:]).decode() if header[:6] == "Basic " else ":"
                username, _, password = decoded.partition(":")
                server.sent.append(Sent(origin, username, password))
                if not password or accepted.get(origin) != (username, password):
                    body = b"who are you?\n"
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="corp"')
                elif path.endswith("/info/refs"):
                    body = f"{COMMIT}\trefs/heads/main\n".encode()
                    self.send_response(200)
                else:
                    body = b"ref: refs/heads/main\n"
                    self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.proxy = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def passwords(self, origin: str) -> set[str]:
        """Every password git sent to ``origin``."""
        return {sent.password for sent in self.sent if sent.origin == origin and sent.password}

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


ACCEPTED = {
    "https://git.corp.test:443": ("alice", "https-secret"),
    "https://git.corp.test:8443": ("alice", "8443-secret"),
    "http://git.corp.test:80": ("alice", "http-secret"),
}
HTTPS = "https://git.corp.test:443"
HTTP = "http://git.corp.test:80"


@pytest.fixture
def corp(tmp_path: Path) -> Iterator[CorpServer]:
    server = CorpServer(tmp_path, ACCEPTED)
    yield server
    server.close()


@pytest.fixture
def helped(person: tuple[Settings, dict[str, str]], corp: CorpServer) -> dict[str, str]:
    """git set up with the README's line, reaching git.corp.test through ``corp``."""
    _, env = person
    line = readme_helper_lines()[0]
    assert line == "git config --global credential.helper strongroom"
    done = subprocess.run(["/bin/sh", "-c", line], env=env, cwd=env["HOME"], capture_output=True)
    assert done.returncode == 0, done.stderr
    for setting in (f"http.proxy={corp.proxy}", "http.sslVerify=true"):
        key, _, value = setting.partition("=")
        assert git(env, "config", "--global", key, value).returncode == 0
    return {**env, "GIT_SSL_CAINFO": str(corp.cert)}


def ls_remote(env: dict[str, str], url: str) -> subprocess.CompletedProcess[str]:
    return git(env, "ls-remote", url)


def typed_at_the_prompt(env: dict[str, str], folder: Path, password: str) -> dict[str, str]:
    """``env`` with git's prompt answered (GIT_ASKPASS) as a person would: alice, ``password``."""
    script = folder / f"askpass-{len(list(folder.glob('askpass-*')))}"
    script.write_text(
        f'#!/bin/sh\ncase "$1" in Username*) echo alice ;; *) echo "{password}" ;; esac\n'
    )
    script.chmod(0o700)
    return {**env, "GIT_ASKPASS": str(script)}


def add_git_item(settings: Settings, url: str, password: str) -> None:
    """One item git stored (marked as git's) for ``url``."""
    add(settings, ItemDraft("Corp git", "alice", password, (url,), fields=(GIT_MARK,)))


def password_of(settings: Settings, title: str) -> str:
    got = strongroom(settings, "get", title, "--field", "password")
    assert got.returncode == 0, got.stderr
    return got.stdout.removesuffix("\n")


@pytest.mark.parametrize(
    "url", ["https://git.corp.test", "git.corp.test", "HTTPS://Git.Corp.Test:443/"]
)
def test_an_https_item_never_goes_to_an_http_server(
    person: tuple[Settings, dict[str, str]], corp: CorpServer, helped: dict[str, str], url: str
) -> None:
    """git asks for http://git.corp.test: the item for https (a URL without a scheme is https
    only) answers nothing, so the HTTP server is never sent its password, and git's erase of
    the refused request cannot trash it; over https the same item logs git in."""
    mine, _ = person
    add_git_item(mine, url, "https-secret")

    over_http = ls_remote(helped, "http://git.corp.test/repo.git")
    assert over_http.returncode != 0
    assert corp.passwords(HTTP) == set()
    assert "https-secret" not in over_http.stderr
    assert password_of(mine, "Corp git") == "https-secret"  # not trashed

    over_https = ls_remote(helped, "https://git.corp.test/repo.git")
    assert over_https.returncode == 0, over_https.stderr
    assert f"{COMMIT}\trefs/heads/main" in over_https.stdout
    assert corp.passwords(HTTPS) == {"https-secret"}
    assert corp.passwords(HTTP) == set()


def test_an_item_for_port_8443_never_goes_to_the_default_port(
    person: tuple[Settings, dict[str, str]], corp: CorpServer, helped: dict[str, str]
) -> None:
    """The item for git.corp.test:8443 answers git on :8443 only; the default port (443) gets
    the item whose URL has no port, or :443."""
    mine, _ = person
    add(mine, ItemDraft("Corp 8443", "alice", "8443-secret", ("https://git.corp.test:8443",)))

    default = ls_remote(helped, "https://git.corp.test/repo.git")
    assert default.returncode != 0
    assert corp.passwords(HTTPS) == set()
    other = ls_remote(helped, "https://git.corp.test:8443/repo.git")
    assert other.returncode == 0, other.stderr
    assert corp.passwords("https://git.corp.test:8443") == {"8443-secret"}

    added = strongroom(
        mine, "add", "Corp", "-u", "alice", "--url", "https://git.corp.test:443",
        stdin="https-secret\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    for url in ("https://git.corp.test/repo.git", "https://git.corp.test:8443/repo.git"):
        assert ls_remote(helped, url).returncode == 0
    assert corp.passwords(HTTPS) == {"https-secret"}
    assert corp.passwords("https://git.corp.test:8443") == {"8443-secret"}


def test_a_refused_http_password_never_trashes_the_https_item(
    person: tuple[Settings, dict[str, str]],
    corp: CorpServer,
    helped: dict[str, str],
    tmp_path: Path,
) -> None:
    """The person types the https item's password at git's prompt for http://git.corp.test; the
    HTTP server refuses it and git erases it: the https item stays, whether git's erase comes
    from the server's refusal or from `git credential reject` for http or another port."""
    mine, _ = person
    add_git_item(mine, "https://git.corp.test", "https-secret")

    typed = typed_at_the_prompt(helped, tmp_path, "https-secret")
    refused = ls_remote(typed, "http://git.corp.test/repo.git")
    assert refused.returncode != 0
    assert corp.passwords(HTTP) == {"https-secret"}  # the person's typing, not Strongroom's
    assert password_of(mine, "Corp git") == "https-secret"

    for place in ("protocol=http\nhost=git.corp.test", "protocol=https\nhost=git.corp.test:8443"):
        request = f"{place}\nusername=alice\npassword=https-secret\n\n"
        rejected = git(helped, "credential", "reject", stdin=request)
        assert rejected.returncode == 0, rejected.stderr
        assert "nothing was moved" in rejected.stderr
        assert password_of(mine, "Corp git") == "https-secret"

    request = "protocol=https\nhost=git.corp.test\nusername=alice\npassword=https-secret\n\n"
    rejected = git(helped, "credential", "reject", stdin=request)
    assert "which git stored, to the trash" in rejected.stderr
    assert strongroom(mine, "get", "Corp git").returncode == 1


def test_a_password_stored_from_an_http_prompt_is_a_new_item(
    person: tuple[Settings, dict[str, str]],
    corp: CorpServer,
    helped: dict[str, str],
    tmp_path: Path,
) -> None:
    """git logs in over http with what the person typed and stores it: that is a new item of
    git's for http://git.corp.test, and the https item git stored keeps its password; each
    answers its own protocol from then on."""
    mine, _ = person
    add_git_item(mine, "https://git.corp.test", "https-secret")

    typed = typed_at_the_prompt(helped, tmp_path, "http-secret")
    over_http = ls_remote(typed, "http://git.corp.test/repo.git")
    assert over_http.returncode == 0, over_http.stderr
    assert corp.passwords(HTTP) == {"http-secret"}
    assert password_of(mine, "Corp git") == "https-secret"
    listed = strongroom(mine, "ls", "git.corp.test").stdout.splitlines()
    assert len(listed) == 2, listed
    assert any("http://git.corp.test" in line for line in listed)

    for url in ("http://git.corp.test/repo.git", "https://git.corp.test/repo.git"):
        again = ls_remote(helped, url)  # no prompt now: both from the vault
        assert again.returncode == 0, again.stderr
    assert corp.passwords(HTTP) == {"http-secret"}
    assert corp.passwords(HTTPS) == {"https-secret"}

"""What someone who can write the database, or a folder beside it, leaves for the installed
command to meet: a verifier whose bcrypt cost would hang every login, SQLite's side files
planted by another Unix user, and a saved login run against a database it does not belong to."""

from __future__ import annotations

from sqlalchemy import text

from app.core.config import Settings
from tests.command_line import one_clean_line, strongroom
from tests.helpers import STRONG_PASSWORD, rows, sql

LINES = f"alice\n{STRONG_PASSWORD}\n{STRONG_PASSWORD}\n"


def test_a_stored_bcrypt_cost_past_the_ceiling_is_refused_not_run(settings: Settings) -> None:
    """``$2b$31$`` written into the verifier would take bcrypt hours of CPU at every login: the
    login is refused at once, with the damaged account's one line. (The command's own timeout
    is only a guard: before the ceiling this test failed there, never by a measured time.)"""
    assert strongroom(settings, "register", stdin=LINES).returncode == 0
    [(verifier,)] = rows(settings, "SELECT verifier FROM users")
    assert isinstance(verifier, str)
    assert verifier.startswith("$2b$10$")
    sql(settings, text("UPDATE users SET verifier = :v").bindparams(v="$2b$31$" + verifier[7:]))

    refused = strongroom(settings, "login", stdin=LINES)
    assert refused.returncode != 0
    one_clean_line(refused.stderr)
    assert "stored password verifier is damaged, or its cost is outside" in refused.stderr
    # Nothing was re-hashed or otherwise "repaired" on the way.
    assert rows(settings, "SELECT verifier FROM users") == [("$2b$31$" + verifier[7:],)]
    # An unknown name still gets the one message a wrong password gets.
    unknown = strongroom(settings, "login", stdin=f"nobody\n{STRONG_PASSWORD}\n")
    assert "Wrong username or password." in unknown.stderr

"""The start-up deferrals, in one place: what each path keeps off, and why.

Some imports sit inside the function that needs them instead of at the top of a file. Each
exists for one of the paths below; tests/test_import_hygiene.py loads each path in a fresh
interpreter and holds it to these lists, so a top-level import that drags a heavy module onto
a path fails a test rather than a benchmark weeks later. A deferral not for one of these
paths is a mistake: import at the top of the file.
"""

from __future__ import annotations

# A warm `strongroom get`: app/__main__.py hands the raw arguments to the agent (app.cli.quick)
# before anything else is imported, and the agent's answer is the whole command. Its cost is
# Python's own start plus these modules, so only C modules that load in well under a
# millisecond belong here: not `typing` (9 ms with the re, enum and collections it pulls in),
# `socket` (enum), `json` (re) or `argparse`.
HANDOFF_PATH = frozenset(
    {"__future__", "_socket", "zlib", "app", "app.__main__", "app.cli", "app.cli.quick"}
)

# Kept off the first frame: the App and every screen import none of these, so the login form
# (or the start-up view) is drawn while the services open the database in a worker.
FIRST_FRAME_DEFERRED = {
    "sqlalchemy": "the database opens in a worker, behind the first frame",
    "alembic": "a schema is checked or migrated when the database opens, not before",
    "mariadb": "the driver loads with the engine that needs it",
    "argon2": "the master password's key derivation runs at login or unlock",
    "bcrypt": "the login verifier is checked at login",
    "cryptography": "nothing is sealed or opened before the vault is",
    "zxcvbn": "its dictionaries load with the strength meter, on the registration form",
    "defusedxml": "only an import of a KeePass file reads XML",
    "pyotp": "a TOTP code is made when an item with one is shown",
}

# Kept off every command of the command line (a cold `strongroom get` opens the database
# and the vault, and nothing more).
COMMAND_DEFERRED = {
    "textual": "the command line never draws: it runs on the services alone",
    "rich": "the command line prints plain lines",
    "zxcvbn": "only `register` and an encrypted `export` judge a password's strength",
    "alembic": "only a database without this version's schema, or `db upgrade`, migrates",
    "defusedxml": "only `import` of a KeePass file reads XML",
    "pyotp": "only `totp` and `get --field totp` make a code",
}

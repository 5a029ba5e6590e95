"""The names of the import and export formats, importable at no cost: the command line's
parser offers them before anything heavier is loaded. The readers and writers behind them
are in app.core.formats and app.core.exports (a test keeps the lists and the code in step)."""

IMPORT_FORMATS = (
    "bitwarden-json",
    "bitwarden-csv",
    "keepass-xml",
    "kdbx",
    "keepassxc-csv",
    "1pux",
    "1password-csv",
    "lastpass-csv",
    "chrome-csv",
    "firefox-csv",
    "pass",
)
EXPORT_FORMATS = ("bitwarden-encrypted-json", "bitwarden-json", "keepass-xml", "keepassxc-csv")

"""The App's flows: start-up and accounts, the unlocked vault, lock and auto-lock, import and
export, the clipboard, failures."""

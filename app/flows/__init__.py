"""The App's flows: start-up and accounts, the unlocked vault, the clipboard, failures."""

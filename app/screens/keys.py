"""Every key, once: the vault's and the item form's bindings, the help page and the command
palette are all made from these tables (and a test holds the README's key table to them)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from textual.binding import Binding, BindingType


@dataclass(frozen=True)
class Key:
    """One key (or several for one action) as every place that shows it needs it."""

    display: str  # as the help page and the README write it
    does: str  # what it does, on the help page and in the palette
    keys: str = ""  # Textual's key names; "" for a key a widget handles itself
    action: str = ""  # the screen's action
    label: str = ""  # the footer's word for it; "" keeps it out of the footer
    command: str = ""  # its title in the command palette; "" keeps it out
    footer_key: str | None = None  # how the footer writes the key, when not Textual's way
    priority: bool = False

    def binding(self) -> Binding:
        return Binding(
            self.keys,
            self.action,
            self.label or self.does,
            show=bool(self.label),
            key_display=self.footer_key,
            priority=self.priority,
        )


VAULT_KEYS = (
    Key("Ctrl+N", "add an item", "ctrl+n", "add", "Add", "Add item"),
    Key("Enter / e", "edit the selected item", "enter,e", "edit", "Edit", "Edit item"),
    Key(
        "Delete / d",
        "move to the trash (in the trash: delete for good); Ctrl+D in the dialog confirms",
        "delete,d",
        "delete",
        "Delete",
        "Delete item",
    ),
    Key(
        "/ or Ctrl+F",
        "search titles, usernames, URLs and tags; Enter or Esc returns to the list",
        "slash,ctrl+f",
        "search",
        "Search",
        "Search",
        footer_key="/",
    ),
    Key("↑ ↓ / j k", "move in the list; PgUp PgDn Home End jump"),
    Key(
        "typing fast, or a paste",
        "on the list: a search for the text (keys a few ms apart are text, not commands)",
    ),
    Key("Ctrl+B", "copy the username", "ctrl+b", "copy('username')", "Copy user", "Copy username"),
    Key(
        "Ctrl+C",
        "copy the password (it does not quit: Ctrl+Q quits)",
        "ctrl+c",
        "copy('password')",
        "Copy password",
        "Copy password",
    ),
    Key("Ctrl+U", "copy the URL", "ctrl+u", "copy('URL')", "", "Copy URL"),
    Key("Ctrl+T", "copy the TOTP code", "ctrl+t", "copy('TOTP code')", "", "Copy TOTP code"),
    Key("f", "copy one of the item's custom fields", "f", "pick_field", "", "Copy a custom field"),
    Key(
        "Ctrl+R",
        "show or hide the password (hides itself after 20 s)",
        "ctrl+r",
        "reveal",
        "",
        "Show or hide password",
    ),
    Key("h", "show the password history", "h", "history", "", "Password history"),
    Key("t", "show the trash / the vault", "t", "toggle_trash", "Trash", "Trash"),
    Key("u", "restore from the trash", "u", "restore", "Restore", "Restore item"),
    Key(
        "Ctrl+G",
        "password generator (copies the result)",
        "ctrl+g",
        "generator",
        "",
        "Password generator",
    ),
    Key(
        "g",
        "show one tag or folder (g again: pick another)",
        "g",
        "pick_tag",
        "Tags",
        "Filter by tag",
    ),
    Key("F5", "load changes made on other devices", "f5", "refresh", "", "Refresh"),
    Key(
        "Ctrl+L", "lock (the session stays; the master password unlocks)", "ctrl+l", "lock", "Lock"
    ),
    Key(
        "Ctrl+O",
        "log out (ends the session on this device)",
        "ctrl+o",
        "logout",
        "Log out",
        "Log out",
    ),
    Key("? or F1", "every key on one page", "question_mark,f1", "help", "Help", "Help", "?"),
    Key("↓", "from the search box down to the results", "down", "focus_list"),
    Key("Esc", "clear the search and go back to the list", "escape", "leave_search"),
)

# What the vault's footer keeps when the terminal is narrow, most important first; the rest of
# its keys go before these do.
VAULT_FOOTER_RANKS = {
    action: rank
    for rank, action in enumerate(
        (
            "copy('password')",
            "restore",
            "add",
            "edit",
            "search",
            "lock",
            "help",
            "quit",
            "logout",
            "copy('username')",
            "toggle_trash",
            "delete",
        ),
        start=1,
    )
}

ITEM_FORM_KEYS = (
    Key("Ctrl+S", "save", "ctrl+s", "save", "Save", priority=True),
    Key(
        "Enter",
        "next field (it does not save: Ctrl+S does); in URLs and Notes: a new line; "
        "on a button or a box: press or tick it",
    ),
    Key("Ctrl+G", "generate a password", "ctrl+g", "generate", "Generate password"),
    Key(
        "Ctrl+R",
        "show or hide the password",
        "ctrl+r",
        "toggle_reveal",
        "Show/hide password",
    ),
    Key(
        "Ctrl+Z",
        "bring back the last custom field removed (in URLs and Notes: undo typing)",
        "ctrl+z",
        "restore_field",
        "Undo remove",
    ),
    Key("Esc", "cancel (asks first if you typed something)", "escape", "cancel", "Cancel"),
)

FORM_KEYS = (
    Key("Tab / Shift+Tab", "next / previous field, in reading order"),
    Key(
        "Enter",
        "log in, register, unlock, import: submit; other dialogs: next field, in the last "
        "one: submit",
    ),
    Key(
        "Enter / Space",
        "press the highlighted button; text typed on a button is not taken, a notice says so",
    ),
    Key(
        "Ctrl+R",
        "show or hide the password fields",
        "ctrl+r",
        "toggle_reveal",
        "Show/hide password",
    ),
)

CONFIRM_KEYS = (
    Key(
        "Ctrl+D",
        "yes: Delete, Discard, Revoke or Replace (no letter says yes)",
        "ctrl+d",
        "answer(True)",
    ),
    Key("Enter", "press the highlighted button: the safe answer, unless Tab moved it"),
    Key("Esc / n", "cancel", "escape,n", "answer(False)"),
)

HEALTH_KEYS = (
    Key("Enter / e", "edit the highlighted item; the report is scored again after", "e", "edit"),
    Key(
        "g",
        "edit the item with a new generated password in place (saved only when you save)",
        "g",
        "generate",
    ),
    Key(
        "i",
        "leave the item out of the report: adds the tag health:ignore (remove it to undo)",
        "i",
        "leave_out",
    ),
    Key("0-6", "show one kind of finding (its number on the filter line); 0 or again: all"),
    Key("Esc / q", "close the report", "escape,q", "dismiss(None)"),
)

LOGIN_KEYS = (Key("Ctrl+N", "create an account", "ctrl+n", "create_account", "Create account"),)

REGISTER_KEYS = (Key("Esc", "back to log in", "escape", "back", "Back to log in"),)

UNLOCK_KEYS = (Key("Ctrl+O", "log out instead of unlocking", "ctrl+o", "logout", "Log out"),)

DATABASE_ERROR_KEYS = (Key("r", "try to open the database again", "r", "retry", "Retry"),)

EVERYWHERE_KEYS = (
    Key("Ctrl+P", "command palette: every vault action, sessions, master password, account"),
    Key(
        "Ctrl+P, Rotate vault key",
        "re-seal every item under a new key; old saved logins and copies open nothing",
    ),
    Key(
        "Ctrl+P, Import",
        "bring in Bitwarden, KeePassXC, 1Password, LastPass, Chrome, Firefox or pass",
    ),
    Key("Ctrl+P, Export", "write the vault for another manager (encrypted by default)"),
    Key("Ctrl+P, Vault health", "which passwords to change first, and why (0-6 filter)"),
    Key(
        "Ctrl+P, Security log",
        "this device's logins, locks and key changes, newest first; tampering and rollback "
        "warnings marked !! in red",
    ),
    Key("Ctrl+L", "lock, from any screen of the open vault (an unsaved edit comes back)"),
    Key("Ctrl+Q", "quit (clears the clipboard)"),
)

# The help page and the README, in this order.
SECTIONS = (
    ("Vault", VAULT_KEYS),
    ("Item form", ITEM_FORM_KEYS),
    ("Forms", FORM_KEYS),
    ("Confirm", CONFIRM_KEYS),
    ("Vault health", HEALTH_KEYS),
    ("Log in", LOGIN_KEYS),
    ("Register", REGISTER_KEYS),
    ("Unlock", UNLOCK_KEYS),
    ("Database error", DATABASE_ERROR_KEYS),
    ("Everywhere", EVERYWHERE_KEYS),
)


def bindings(keys: tuple[Key, ...]) -> list[BindingType]:
    """Each key's bindings: the footer shows its first key; the others work unseen. Split so
    that a key a focused field types (``/``, ``?``) leaves the footer while that field has
    focus, instead of being shown for its Ctrl or F-key twin."""
    made: list[BindingType] = []
    for key in keys:
        if not key.keys:
            continue
        first, *others = key.keys.split(",")
        made.append(replace(key, keys=first).binding())
        if others:
            made.append(replace(key, keys=",".join(others), label="").binding())
    return made


def help_rows() -> list[tuple[str, str, str]]:
    """(where, key, what it does), for every key."""
    return [(where, key.display, key.does) for where, keys in SECTIONS for key in keys]


def commands(keys: tuple[Key, ...]) -> list[Key]:
    """The keys whose actions are in the command palette too."""
    return [key for key in keys if key.command]

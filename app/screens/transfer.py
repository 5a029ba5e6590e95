"""Import from another manager, export for one: two dialogs over the vault.

Importing reads the file first and says what it holds (items, custom fields, what is skipped
and why) before anything is written; the second press writes it all in one transaction, with a
progress bar. Exporting asks for the master password first, and is encrypted by default.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path, PurePath

from textual import on
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.widgets import Button, Input, Label, ProgressBar, Select, Static

from app.core.exports import CSV_WARNING, ENCRYPTED_FORMATS, LABELS, PLAINTEXT_WARNING
from app.core.format_names import EXPORT_FORMATS, IMPORT_FORMATS
from app.core.formats import Parsed, formats
from app.screens import messages
from app.screens.confirm import ConfirmScreen
from app.screens.form import DialogForm, FieldsScroll
from app.widgets.literal import literal, visible_text
from app.widgets.secret_input import SecretInput

SHOWN_SKIPPED = 200  # reasons listed in the summary (it scrolls); past that, counted


class ImportScreen(DialogForm):
    Read = messages.ReadImportFile
    Import = messages.ImportItems

    FIELDS = {"file": ("path",), "password": ("file-password",)}

    def __init__(self) -> None:
        super().__init__()
        self.parsed: Parsed | None = None
        self.importing = False

    def compose(self) -> ComposeResult:
        with FieldsScroll(can_focus=False, classes="dialog transfer"):
            yield Static("Import from another manager", classes="form-title")
            yield Static(
                "Bitwarden, KeePassXC, 1Password, LastPass, Chrome, Firefox or a pass store. "
                "The file is read first: nothing is saved until you have seen what it holds.",
                classes="form-text",
            )
            yield Label("File to import (for pass: the store's folder)", classes="field-label")
            yield Input(placeholder="~/Downloads/bitwarden_export.json", id="path")
            yield Label("Format", classes="field-label")
            known = formats()
            options = [(known[name].label, name) for name in IMPORT_FORMATS]
            yield Select(options, prompt="Found from the file", id="format", compact=True)
            yield Label("", id="password-label", classes="field-label", markup=False)
            yield SecretInput(id="file-password")
            yield Static("", id="summary", classes="form-text", markup=False)
            yield ProgressBar(id="progress", show_eta=False)
            yield from self.compose_actions("Read file")

    def on_mount(self) -> None:
        for hidden in ("#password-label", "#file-password", "#summary", "#progress"):
            self.query_one(hidden).display = False
        self.query_one("#path", Input).focus()

    def action_next_field(self) -> None:
        raise SkipAction()  # Enter reads the file (or imports what was read)

    def submit(self) -> None:
        if self.importing or self.query_one("#submit", Button).loading:
            return
        self.query_one("#error").display = False
        if self.parsed is not None and self.parsed.items:
            self.importing = True
            self.set_busy(True)
            self.query_one("#progress").display = True
            self.post_message(self.Import(self, self.parsed))
            return
        path = self.query_one("#path", Input).value.strip()
        if not path:
            self.show_error("Please enter the file to import.", "file")
            return
        chosen = self.query_one("#format", Select).value
        self.set_busy(True)
        self.post_message(
            self.Read(
                self,
                path,
                chosen if isinstance(chosen, str) else None,
                self.query_one("#file-password", Input).value,
            )
        )

    @on(Input.Changed, "#path")
    @on(Select.Changed, "#format")
    def _file_changed(self) -> None:
        """Another file (or format): what was read no longer holds."""
        self.parsed = None
        self.query_one("#summary").display = False
        self.query_one("#submit", Button).label = "Read file"
        self.query_one("#file-password", Input).clear()
        self.query_one("#password-label").display = False
        self.query_one("#file-password").display = False

    def ask_password(self, prompt: str) -> None:
        """The file is encrypted: show where its password goes."""
        label = self.query_one("#password-label", Label)
        # The prompt names the file: drawn as the characters it has, never as markup.
        label.update(literal(visible_text(prompt.rstrip(": ")) + ":"))
        label.display = True
        self.query_one("#file-password").display = True
        self.show_error("This file is encrypted: enter its password, then Read file.", "password")

    def show_summary(self, parsed: Parsed) -> None:
        self.set_busy(False)
        self.parsed = parsed
        count = len(parsed.items)
        known = formats()
        label = known[parsed.format].label if parsed.format in known else parsed.format
        lines = [f"{label}: {parsed.counts()}."]
        lines += [
            f"• Skipped {visible_text(s.where)}: {visible_text(s.reason)}"
            for s in parsed.skipped[:SHOWN_SKIPPED]
        ]
        if len(parsed.skipped) > SHOWN_SKIPPED:
            more = len(parsed.skipped) - SHOWN_SKIPPED
            lines.append(f"• … and {more} more (strongroom import --dry-run lists every one)")
        if parsed.adjusted:
            lines.append(parsed.adjusted_note())
        if count:
            lines.append("Items already in the vault are not added twice.")
        summary = self.query_one("#summary", Static)
        summary.update("\n".join(lines))
        summary.display = True
        button = self.query_one("#submit", Button)
        button.label = f"Import {count} items" if count else "Read file"
        button.focus()
        self.call_after_refresh(self.query_one(".dialog").scroll_end, animate=False)

    def show_progress(self, done: int, total: int) -> None:
        bar = self.query_one(ProgressBar)
        bar.display = True
        bar.update(total=max(total, 1), progress=done)

    def show_error(self, message: str, field: str | None = None) -> None:
        self.importing = False
        self.query_one("#progress").display = False
        super().show_error(message, field)
        if field == "format":  # the file's format was not recognised: choose it here
            self.query_one("#format", Select).focus()


class ExportScreen(DialogForm):
    Submitted = messages.ExportSubmitted

    FIELDS = {
        "password": ("password",),
        "file_password": ("file-password", "file-confirm"),
        "path": ("path",),
    }

    def __init__(self, *, heading: str = "Export the vault", note: str = "") -> None:
        super().__init__()
        self._heading = heading
        self._note = note
        self._suggested = self._default_path(EXPORT_FORMATS[0])  # the name offered, untyped

    def compose(self) -> ComposeResult:
        with FieldsScroll(can_focus=False, classes="dialog transfer"):
            yield Static(self._heading, classes="form-title")
            yield Static(
                self._note
                or "Every item, with the trash and password history, in a file that another "
                "manager imports.",
                classes="form-text",
            )
            yield Label("Format", classes="field-label")
            options = [(LABELS[name], name) for name in EXPORT_FORMATS]
            yield Select(
                options, value=EXPORT_FORMATS[0], allow_blank=False, id="format", compact=True
            )
            yield Static(PLAINTEXT_WARNING, id="plaintext", classes="form-error", markup=False)
            yield Static(CSV_WARNING, id="spreadsheet", classes="form-error", markup=False)
            yield Label("A password for the file (asked when it is imported)", id="file-label")
            yield SecretInput(id="file-password")
            yield Label("The same password again", id="confirm-label", classes="field-label")
            yield SecretInput(id="file-confirm")
            yield Label("Save to", classes="field-label")
            yield Input(self._suggested, id="path")
            yield Label("Please enter your password:", classes="field-label")
            yield SecretInput(id="password")
            yield from self.compose_actions("Export")

    def on_mount(self) -> None:
        self._show_format(EXPORT_FORMATS[0])
        self.query_one("#format", Select).focus()

    @staticmethod
    def _suffix(format_name: str) -> str:
        return {"keepass-xml": ".xml", "keepassxc-csv": ".csv"}.get(format_name, ".json")

    @classmethod
    def _default_path(cls, format_name: str) -> str:
        return f"~/strongroom-export-{dt.date.today().isoformat()}{cls._suffix(format_name)}"

    @classmethod
    def _renamed(cls, typed: str, format_name: str) -> str:
        """A name of one's own keeps its stem; an extension another format writes becomes this
        format's (backup.json -> backup.xml), as KeePassXC's and Bitwarden's dialogs do. Any
        other ending (.txt, none) is the person's choice and stays."""
        known = {cls._suffix(name) for name in EXPORT_FORMATS}
        suffix = PurePath(typed).suffix
        if suffix.lower() not in known or not typed.endswith(suffix):
            return typed
        return typed[: -len(suffix)] + cls._suffix(format_name)

    @on(Select.Changed, "#format")
    def _format_changed(self, event: Select.Changed) -> None:
        if isinstance(event.value, str):
            self._show_format(event.value)
            # The file name follows the format: the name offered, or the extension of a name
            # typed (the field still holding the name offered last is not one of the person's).
            path = self.query_one("#path", Input)
            if path.value == self._suggested:
                self._suggested = self._default_path(event.value)
                path.value = self._suggested
            else:
                renamed = self._renamed(path.value, event.value)
                if renamed != path.value:
                    path.value = renamed

    def _show_format(self, format_name: str) -> None:
        encrypted = format_name in ENCRYPTED_FORMATS
        self.query_one("#plaintext").display = not encrypted
        self.query_one("#spreadsheet").display = format_name == "keepassxc-csv"
        for name in ("#file-label", "#file-password", "#confirm-label", "#file-confirm"):
            self.query_one(name).display = encrypted

    def submit(self, replace: bool = False) -> None:
        chosen = self.query_one("#format", Select).value
        format_name = chosen if isinstance(chosen, str) else EXPORT_FORMATS[0]
        self.set_busy(True)
        self.query_one("#error").display = False
        self.post_message(
            self.Submitted(
                self,
                format_name,
                self.query_one("#path", Input).value.strip(),
                self.query_one("#password", Input).value,
                self.query_one("#file-password", Input).value,
                self.query_one("#file-confirm", Input).value,
                replace,
            )
        )

    def confirm_replace(self, path: Path) -> None:
        """The file exists: replace it only if the person says so."""
        self.set_busy(False)

        def answer(yes: bool | None) -> None:
            if yes and self.is_attached:
                self.submit(replace=True)

        question = f"{visible_text(str(path))} exists. Replace it?"
        self.app.push_screen(ConfirmScreen(question, yes="Replace", no="Keep it"), answer)

"""The App's import and export flow: the dialogs' requests run on the same services as
`strongroom import` and `strongroom export` (app.services.transfer), each in one worker."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from textual import on, work
from textual.message import Message

from app.flows.base import Flow
from app.screens import messages

if TYPE_CHECKING:
    from app.core.formats import Parsed
    from app.screens.transfer import ExportScreen, ImportScreen


class PasswordNeeded(Exception):
    """The file is encrypted and no password was typed yet."""

    def __init__(self, prompt: str) -> None:
        super().__init__(prompt)
        self.prompt = prompt


class ShowsNewItems(Protocol):
    """What the transfer flow needs from the vault flow, where it calls into it (``self`` is
    typed so there), with that handler's own step. StrongroomApp, which has both, fits."""

    def close_import(self, message: TransferFlow.Imported) -> None: ...

    def reload_shown(self) -> None: ...  # the vault flow's


class TransferFlow(Flow):
    @dataclass(eq=False, repr=False)
    class ImportRead(Message):
        form: ImportScreen
        parsed: Parsed | None
        prompt: str = ""  # set when the file needs its password

    @dataclass(eq=False, repr=False)
    class ImportProgress(Message):
        form: ImportScreen
        done: int
        total: int

    @dataclass(eq=False, repr=False)
    class Imported(Message):
        form: ImportScreen
        added: int
        already: int

    @dataclass(eq=False, repr=False)
    class Exported(Message):
        form: ExportScreen
        count: int
        path: Path
        format_name: str

    @dataclass(eq=False, repr=False)
    class ExportExists(Message):
        form: ExportScreen
        path: Path

    # -- workers ------------------------------------------------------------------------------

    @work(
        thread=True,
        exclusive=True,
        group="transfer",
        exit_on_error=False,
        description="read_import",
    )
    def read_import(
        self, form: ImportScreen, path: str, format_name: str | None, password: str
    ) -> None:
        from app.core.formats import ImportFailed, UnknownFormat
        from app.services.transfer import read_file

        def ask(prompt: str) -> str:
            if not password:
                raise PasswordNeeded(prompt)
            return password

        self.session()  # locked meanwhile: say so rather than read
        try:
            parsed = read_file(Path(path).expanduser(), ask, format_name)
        except PasswordNeeded as needed:
            self.post_message(self.ImportRead(form, None, needed.prompt))
            return
        except UnknownFormat as unknown:
            # Not the command line's --format: the dialog's own selector, where the cursor goes.
            raise ImportFailed(
                f"{unknown.file_name} is not a format Strongroom recognises by itself. Choose "
                "its format under Format above, or export again as CSV or JSON.",
                "format",
            ) from None
        self.post_message(self.ImportRead(form, parsed))

    @work(
        thread=True,
        exclusive=True,
        group="transfer",
        exit_on_error=False,
        description="import_items",
    )
    def import_items(self, form: ImportScreen, parsed: Parsed) -> None:
        from app.services.transfer import import_parsed

        def progress(done: int, total: int) -> None:
            self.post_message(self.ImportProgress(form, done, total))

        added, already = import_parsed(
            self.backend.vault(), self.backend.security_log(), self.session(), parsed, progress
        )
        self.post_message(self.Imported(form, added, already))

    @work(
        thread=True,
        exclusive=True,
        group="transfer",
        exit_on_error=False,
        description="export_vault",
    )
    def export_vault(self, request: messages.ExportSubmitted) -> None:
        from app.core.errors import ValidationError
        from app.core.exports import ENCRYPTED_FORMATS
        from app.services.transfer import ExportTarget, export_text, save_export

        session = self.session()
        self.backend.accounts().check_master_password(session, request.master_password)
        encrypted = request.format_name in ENCRYPTED_FORMATS
        if encrypted and request.file_password != request.confirm:
            raise ValidationError("The two file passwords do not match.", "file_password")
        if not request.path:
            raise ValidationError("Please enter where to save the export.", "path")
        # Written (and its password judged) before the file is looked at: "Replace it?" is
        # asked only of an export that can go ahead.
        result = export_text(
            self.backend.vault(),
            session,
            request.format_name,
            settings=self.backend.settings,
            password=request.file_password,
        )
        path = Path(request.path).expanduser()
        try:
            save_export(
                self.backend.security_log(),
                session,
                result,
                request.format_name,
                path,
                replace=request.replace,
            )
        except ExportTarget as refused:
            if not refused.exists:
                raise
            self.post_message(self.ExportExists(request.form, path))
            return
        self.post_message(self.Exported(request.form, result.count, path, request.format_name))

    # -- what the screens ask for -------------------------------------------------------------

    @on(messages.ReadImportFile)
    def _read_import(self, message: messages.ReadImportFile) -> None:
        worker = self.read_import(message.form, message.path, message.format_name, message.password)
        self.asked(worker, message.form)

    @on(messages.ImportItems)
    def _import_items(self, message: messages.ImportItems) -> None:
        self.asked(self.import_items(message.form, message.parsed), message.form)

    @on(messages.ExportSubmitted)
    def _export(self, message: messages.ExportSubmitted) -> None:
        self.asked(self.export_vault(message), message.form)

    def show_import(self) -> None:
        from app.screens.transfer import ImportScreen

        if self.unlocked:
            self.push_screen(ImportScreen())

    def show_export(self) -> None:
        from app.screens.transfer import ExportScreen

        if self.unlocked:
            self.push_screen(ExportScreen())

    # -- what the workers report --------------------------------------------------------------

    @on(ImportRead)
    def _import_read(self, message: ImportRead) -> None:
        if not message.form.is_attached:
            return
        if message.parsed is None:
            message.form.set_busy(False)
            message.form.ask_password(message.prompt)
        else:
            message.form.show_summary(message.parsed)

    @on(ImportProgress)
    def _import_progress(self, message: ImportProgress) -> None:
        if message.form.is_attached:
            message.form.show_progress(message.done, message.total)

    @on(Imported)
    def _imported(self: ShowsNewItems, message: Imported) -> None:
        self.close_import(message)
        self.reload_shown()

    def close_import(self, message: Imported) -> None:
        """The import dialog goes, and a notice says what was added."""
        if message.form.is_attached:
            message.form.dismiss(None)
        there = f"; {message.already} were already in the vault" if message.already else ""
        self.notify(f"Imported {message.added} items{there}.", markup=False)

    @on(ExportExists)
    def _export_exists(self, message: ExportExists) -> None:
        if message.form.is_attached:
            message.form.confirm_replace(message.path)

    @on(Exported)
    def _exported(self, message: Exported) -> None:
        from app.core.exports import written_note
        from app.widgets.literal import visible_text

        if message.form.is_attached:
            message.form.dismiss(None)
        note = written_note(message.format_name)
        where = visible_text(str(message.path))
        self.notify(f"Exported {message.count} items to {where}. {note}", markup=False)

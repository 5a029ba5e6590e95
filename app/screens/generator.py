"""The password generator dialog: a random password or an EFF-wordlist passphrase."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Footer, Input, Label, RadioButton, RadioSet, Static

from app.core.generator import (
    GeneratorError,
    PassphraseOptions,
    PasswordOptions,
    generate_passphrase,
    generate_password,
)
from app.core.rules import ITEM_PASSWORD_POLICY
from app.widgets.strength import StrengthMeter


class GeneratorScreen(ModalScreen[str | None]):
    """Dismisses with the chosen password (Use it, or Copy from the vault), or None (Escape).

    Only the options of the chosen mode are shown: a password's length and character classes,
    or a passphrase's words, separator, capitals and digit.
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+g", "generate", "New password"),
        Binding("ctrl+s", "use", "Use it / Copy"),
    ]

    def __init__(self, *, use_label: str = "Use it") -> None:
        super().__init__()
        self._use_label = use_label

    def compose(self) -> ComposeResult:
        with VerticalScroll(can_focus=False, classes="dialog generator"):
            yield Static("Password generator", classes="form-title")
            with RadioSet(id="mode"):
                yield RadioButton("Password", value=True, id="mode-password")
                yield RadioButton("Passphrase", id="mode-passphrase")
            with Vertical(id="password-options"):
                with Horizontal(classes="options"):
                    yield Label("Length (8-128):")
                    yield Input("20", id="length", type="integer", max_length=3)
                with Horizontal(classes="options"):
                    yield Checkbox("a-z", value=True, id="lowercase")
                    yield Checkbox("A-Z", value=True, id="uppercase")
                    yield Checkbox("0-9", value=True, id="digits")
                    yield Checkbox("!@#", value=True, id="symbols")
                    yield Checkbox("No look-alikes", id="look-alikes")
            with Vertical(id="passphrase-options"):
                with Horizontal(classes="options"):
                    yield Label("Words (3-20):")
                    yield Input("5", id="words", type="integer", max_length=2)
                    yield Label("Separator:")
                    yield Input("-", id="separator", max_length=3)
                with Horizontal(classes="options"):
                    yield Checkbox("Capitalise words", id="capitalize")
                    yield Checkbox("Add a digit", id="digit")
            yield Static("", id="result", classes="generated", markup=False)
            yield StrengthMeter(ITEM_PASSWORD_POLICY, id="strength")
            with Vertical(classes="form-actions"):
                yield Static("", id="error", classes="form-error", markup=False)
                with Horizontal(classes="form-buttons"):
                    yield Button(self._use_label, id="use", variant="primary")
                    yield Button("New", id="generate")
                    yield Button("Cancel", id="cancel")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#error", Static).display = False
        self.action_generate()
        self.query_one("#use", Button).focus()

    value = ""

    @on(Input.Changed)
    @on(Checkbox.Changed)
    @on(RadioSet.Changed)
    def _changed(self) -> None:
        self.action_generate()

    def action_generate(self) -> None:
        error = self.query_one("#error", Static)
        passphrase = self.query_one("#mode-passphrase", RadioButton).value
        self.query_one("#password-options").display = not passphrase
        self.query_one("#passphrase-options").display = passphrase
        try:
            if passphrase:
                words = int(self.query_one("#words", Input).value or 0)
                value = generate_passphrase(
                    PassphraseOptions(
                        words=words,
                        separator=self.query_one("#separator", Input).value,
                        capitalize=self.query_one("#capitalize", Checkbox).value,
                        include_digit=self.query_one("#digit", Checkbox).value,
                    )
                )
            else:
                length = int(self.query_one("#length", Input).value or 0)
                value = generate_password(
                    PasswordOptions(
                        length=length,
                        lowercase=self.query_one("#lowercase", Checkbox).value,
                        uppercase=self.query_one("#uppercase", Checkbox).value,
                        digits=self.query_one("#digits", Checkbox).value,
                        symbols=self.query_one("#symbols", Checkbox).value,
                        avoid_look_alikes=self.query_one("#look-alikes", Checkbox).value,
                    )
                )
        except (GeneratorError, ValueError) as problem:
            error.update(str(problem))
            error.display = True
            self.query_one("#use", Button).disabled = True
            # Nothing to copy or use that does not match the options on screen.
            self.value = ""
            self.query_one("#result", Static).update("")
            self.query_one(StrengthMeter).assess("")
            return
        error.display = False
        self.query_one("#use", Button).disabled = False
        self.value = value
        self.query_one("#result", Static).update(value)
        self.query_one(StrengthMeter).assess(value)

    @on(Button.Pressed, "#use")
    def action_use(self) -> None:
        if not self.query_one("#use", Button).disabled:
            self.dismiss(self.value)

    @on(Button.Pressed, "#generate")
    def _new(self) -> None:
        self.action_generate()

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

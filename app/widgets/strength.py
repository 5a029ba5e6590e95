"""A password strength meter fed by zxcvbn's score, with the reason a password falls short."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.message import Message
from textual.widgets import Static

from app.core.passwords import Assessment, PasswordPolicy

_STYLES = ("red", "red", "yellow", "green", "bold green")


class StrengthMeter(Static):
    """Call :meth:`assess` on every keystroke; the judging runs in a thread worker."""

    DEFAULT_CSS = """
    StrengthMeter {
        height: auto;
        color: $text-muted;
        margin: 0 0 1 0;
    }
    """

    @dataclass
    class _Assessed(Message):
        assessment: Assessment | None
        generation: int

    def __init__(self, policy: PasswordPolicy | None = None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._policy = policy or PasswordPolicy()
        # Thread workers cannot be stopped mid-way, so an older assessment may finish after a
        # newer one: each carries the generation it was asked for, and only the newest is shown.
        self._generation = 0

    def on_mount(self) -> None:
        self.show(None)

    def assess(self, password: str, username: str = "") -> None:
        self._generation += 1
        self._judge(password, username, self._generation)

    @work(thread=True, exclusive=True, group="strength", exit_on_error=False, description="_judge")
    def _judge(self, password: str, username: str, generation: int) -> None:
        result = self._policy.assess(password, username) if password else None
        self.post_message(self._Assessed(result, generation))

    @on(_Assessed)
    def _assessed(self, message: _Assessed) -> None:
        message.stop()
        if message.generation == self._generation:
            self.show(message.assessment)

    def show(self, assessment: Assessment | None) -> None:
        if assessment is None:
            self.update(Text("Strength: type a password to see how strong it is."))
            return
        filled = assessment.score + 1
        style = _STYLES[assessment.score]
        line = Text("Strength: ")
        line.append("■" * filled, style=style)
        line.append("□" * (5 - filled), style="dim")
        line.append(f" {assessment.label}", style=style)
        if assessment.problems:
            line.append("\n" + assessment.problems[0])
        elif assessment.suggestions:
            line.append("\n" + assessment.suggestions[0])
        self.update(line)

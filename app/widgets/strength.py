"""A password strength meter fed by zxcvbn's score, with the reason a password falls short."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from app.passwords import Assessment

_STYLES = ("red", "red", "yellow", "green", "bold green")


class StrengthMeter(Static):
    DEFAULT_CSS = """
    StrengthMeter {
        height: auto;
        color: $text-muted;
        margin: 0 0 1 0;
    }
    """

    def on_mount(self) -> None:
        self.show(None)

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

"""A password field: masked, pasteable, revealable, and never a way around the clipboard guard.

Textual's Input copies and cuts its selection with Ctrl+C / Ctrl+X and lets the mouse select its
text; a secret copied that way would stay on the clipboard for good. Here neither works: a
secret leaves the app only through the App's clipboard guard, which clears it.
"""

from __future__ import annotations

from textual.dom import DOMNode
from textual.widgets import Input


class SecretInput(Input):
    ALLOW_SELECT = False

    def __init__(
        self,
        value: str | None = None,
        placeholder: str = "",
        *,
        id: str | None = None,
        classes: str | None = None,
        max_length: int = 0,
    ) -> None:
        super().__init__(
            value, placeholder, password=True, id=id, classes=classes, max_length=max_length
        )

    def action_copy(self) -> None:
        """Nothing: a secret is not copied from the field it is typed into."""

    def action_cut(self) -> None:
        """Nothing, for the same reason (and what was typed stays)."""


def toggle_reveal(root: DOMNode) -> None:
    """Ctrl+R on a form: show every password field under ``root``, or mask them again."""
    for field in root.query(SecretInput):
        field.password = not field.password

"""Controllers: plain-Python user actions between the screens and the models (no Textual here)."""

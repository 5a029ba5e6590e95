"""Strongroom's screens: Textual only; they post messages and the App decides what happens."""

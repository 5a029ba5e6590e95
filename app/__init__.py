"""Strongroom: a full-screen terminal password manager with an end-to-end encrypted vault."""

__version__ = "0.1.0"

"""Reusable Strongroom widgets."""

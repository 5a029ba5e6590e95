"""Strongroom's core: plain Python that imports neither Textual nor SQLAlchemy."""

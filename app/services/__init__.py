"""Services: everything that touches the database (SQLAlchemy), one user action per call."""

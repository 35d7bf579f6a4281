"""SQLAlchemy 2 (async) persistence, the same code on SQLite and PostgreSQL."""

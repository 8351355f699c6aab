"""The database: SQLAlchemy engine and sessions, tables, Alembic migrations."""

"""The platform's store: SQLAlchemy models, Alembic migrations and the hash-chained audit log."""

from .database import Database, database_url
from .migrate import SchemaOutOfDate, require_current, upgrade

__all__ = ["Database", "SchemaOutOfDate", "database_url", "require_current", "upgrade"]

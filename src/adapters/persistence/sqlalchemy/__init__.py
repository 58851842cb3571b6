"""PostgreSQL and embedded SQLite through one SQLAlchemy 2 async codebase."""

from adapters.persistence.sqlalchemy.database import SqlDatabase
from adapters.persistence.sqlalchemy.migrations import migrate
from adapters.persistence.sqlalchemy.unit_of_work import SqlUnitOfWork

__all__ = ["SqlDatabase", "SqlUnitOfWork", "migrate"]

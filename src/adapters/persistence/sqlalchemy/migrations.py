"""Alembic, driven from code: the scripts ship inside the package, so no alembic.ini is needed.

New revision after changing `tables.py` (run against a database at head):
    from alembic import command
    command.revision(alembic_config(url), autogenerate=True, message="...")
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection

from adapters.persistence.sqlalchemy.database import SqlDatabase

SCRIPTS = Path(__file__).with_name("alembic")


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


async def migrate(url: str) -> None:
    """Upgrade the database at `url` to the latest revision, on one connection, in one transaction."""
    config = alembic_config(url)

    def upgrade(connection: Connection) -> None:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")

    database = SqlDatabase(url)
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(upgrade)
    finally:
        await database.dispose()

"""Create or update the storage tables with Alembic, configured in code: `python -m bot.storage.migrate`."""

from __future__ import annotations

import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

from bot.storage.config import database_url

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str | None = None, connection: Connection | None = None) -> Config:
    """An Alembic Config for our migrations folder; `connection`, when given, is used instead of the url."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # Config values go through configparser interpolation: a literal % must be doubled.
    config.set_main_option("sqlalchemy.url", (url or database_url()).replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(url: str | None = None) -> None:
    """`alembic upgrade head` on `url` (default: DATABASE_URL)."""
    command.upgrade(alembic_config(url), "head")


def main() -> int:
    upgrade()
    print("storage tables are up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())

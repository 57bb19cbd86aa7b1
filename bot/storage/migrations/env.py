"""Alembic environment: runs against the engine handed over by bot.storage.db.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from bot.storage.models import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    engine = config.attributes.get("engine") or create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            version_table="qingting_alembic_version",
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run()

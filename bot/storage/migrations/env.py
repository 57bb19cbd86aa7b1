"""Alembic environment: runs against the engine handed over by bot.storage.db.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, text

from bot.storage.models import Base

config = context.config
target_metadata = Base.metadata
# Several processes may start at once on one PostgreSQL database: the first to take this
# transaction-scoped lock migrates, the others wait and then find nothing left to do.
MIGRATION_LOCK_ID = 0x51_6E_67_74  # "Qngt"


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
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})
            context.run_migrations()
        connection.commit()


run()

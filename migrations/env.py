"""Alembic environment: the app passes its engine in; the CLI reads DIANDAN_DATABASE_URL."""

from alembic import context
from sqlmodel import SQLModel

import models  # noqa: F401  (registers the tables on SQLModel.metadata)
from core import config, db, textsearch

target_metadata = SQLModel.metadata


def run_migrations() -> None:
    cfg = context.config
    engine = cfg.attributes.get("engine") or db.engine(config.database_url())
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table
            compare_type=True,
            include_name=textsearch.include_name,  # the search index is no model
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations()

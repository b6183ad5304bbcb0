"""Alembic environment: the connection is handed in by ``hub.store.migrate``."""

from alembic import context

from hub.models import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through `civichub init` (hub.store.migrate)")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        # data tables (data_*) are created by ingest, not by migrations
        include_name=lambda name, type_, _parent: (
            not (type_ == "table" and name and name.startswith("data_"))
        ),
    )
    with context.begin_transaction():
        context.run_migrations()


run()

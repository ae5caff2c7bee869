"""Alembic environment: runs as the owner role, one transaction per migration run."""

from alembic import context
from sqlalchemy import create_engine, pool

from services.db.engine import sqlalchemy_url

config = context.config
url = config.attributes.get("owner_url")
if url is None:  # plain `alembic` CLI use: fall back to THE settings object
    from services.settings import get_settings

    url = get_settings().database_owner_url

engine = create_engine(sqlalchemy_url(url), poolclass=pool.NullPool)
with engine.connect() as connection:
    context.configure(connection=connection, transactional_ddl=True)
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()

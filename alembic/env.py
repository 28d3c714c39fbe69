"""Alembic environment for LuckyClub: the SQLModel tables, on SQLite or PostgreSQL.

Which database (first match wins):
1. `-x url=...` on the command line (or `cfg.cmd_opts.x = ["url=..."]` when called from Python);
2. `sqlalchemy.url` set on the Config from Python (`cfg.set_main_option`); alembic.ini sets none;
3. `core.settings.get_settings().database_url` (env DATABASE_URL, default .data/luckyclub.db).

A caller may also hand in an open connection as `cfg.attributes["connection"]`.
"""

from __future__ import annotations

import sys
from logging.config import fileConfig
from pathlib import Path

import sqlalchemy as sa
from alembic import context
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.pool import NullPool
from sqlmodel import SQLModel

# `alembic` may be started from anywhere; the project root must be importable.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

import luckyclub.models  # noqa: E402, F401 - registers every table on SQLModel.metadata

config = context.config

# Programmatic callers (tests) set attributes["configure_logger"] = False to keep their own logging.
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = SQLModel.metadata


def database_url() -> str:
    x_url = context.get_x_argument(as_dictionary=True).get("url")
    if x_url:
        return x_url
    main_url = config.get_main_option("sqlalchemy.url")
    if main_url:
        return main_url
    from luckyclub.core.settings import get_settings

    return get_settings().database_url


def render_item(type_: str, obj, autogen_context):
    """Render the project's own column types with a full module path and the matching import.

    UTCDateTime becomes `luckyclub.models.UTCDateTime()`; sqlmodel's AutoString keeps its default
    rendering (`sqlmodel.sql.sqltypes.AutoString(length=...)`), only its import is added here.
    """
    if type_ != "type":
        return False
    module = type(obj).__module__
    if module.startswith("luckyclub."):
        autogen_context.imports.add(f"import {module}")
        rendered = repr(obj)
        # A TypeDecorator's repr lists the arguments of its impl (UTCDateTime(timezone=True)) even
        # when they are the class's own defaults: render the bare call when it is the same type.
        try:
            if repr(type(obj)()) == rendered:
                rendered = f"{type(obj).__name__}()"
        except TypeError:  # the type needs arguments: keep its repr
            pass
        return f"{module}.{rendered}"
    if module.startswith("sqlmodel."):
        autogen_context.imports.add("import sqlmodel")
    return False


def _configure(**kwargs) -> None:
    dialect = kwargs.pop("dialect_name")
    context.configure(
        target_metadata=target_metadata,
        compare_type=True,
        # SQLite cannot ALTER most things: batch mode rebuilds the table instead.
        render_as_batch=dialect == "sqlite",
        render_item=render_item,
        **kwargs,
    )


def run_migrations_offline() -> None:
    """`alembic upgrade head --sql`: print the SQL instead of running it."""
    url = database_url()
    _configure(
        url=url,
        dialect_name=make_url(url).get_backend_name(),
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_with(connection: Connection) -> None:
    _configure(connection=connection, dialect_name=connection.dialect.name)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_with(connection)
        return

    url = make_url(database_url())
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    # A plain engine, not luckyclub.core.db.make_engine: migrations run with SQLite's foreign-key
    # enforcement off (its default), as batch mode's copy-and-rename of tables requires.
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            _run_with(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

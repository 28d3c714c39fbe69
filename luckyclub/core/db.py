"""The database engine and session helpers, for SQLite (embedded) and PostgreSQL (production)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, time
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import (
    Select,
    Table,
    Text,
    bindparam,
    cast,
    column,
    event,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

from luckyclub.core.settings import get_settings

_engines: dict[str, Engine] = {}
_override_url: str | None = None
# An execution option: on SQLite, a connection carrying it begins with BEGIN IMMEDIATE.
WRITE_LOCK_AT_BEGIN = "luckyclub_write_lock_at_begin"

_Row = TypeVar("_Row")


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            # Before any BEGIN: foreign_keys is ignored inside a transaction.
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection):
            # The driver BEGINs only before a unit of work's first INSERT/UPDATE/DELETE, so what it
            # read first was read outside its transaction: it could write over another writer's
            # change, or fail with "database is locked". BEGIN IMMEDIATE takes the write lock
            # before the first read; the others wait their turn (busy_timeout). Other connections
            # (read-only ones) keep the driver's way and read alongside a writer (WAL mode).
            if connection.get_execution_options().get(WRITE_LOCK_AT_BEGIN):
                connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    # UTC sessions: date() and friends then agree with the UTC timestamps the app stores.
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=pool_size,
        max_overflow=20,
        connect_args={"options": "-c timezone=UTC"},
    )


def database_url() -> str:
    return _override_url or get_settings().database_url


def get_engine() -> Engine:
    url = database_url()
    if url not in _engines:
        _engines[url] = make_engine(url)
    return _engines[url]


def use_database(url: str | None) -> None:
    """Point every session_scope() at another database (tests); None goes back to the settings."""
    global _override_url
    _override_url = url


@contextmanager
def session_scope() -> Iterator[Session]:
    """One unit of work: committed when the block ends, rolled back if it raises.

    On SQLite it holds the database's one write lock from its first statement to its end (see
    make_engine), so keep slow work (network, hashing) outside the block; PostgreSQL locks rows.
    """
    engine = get_engine().execution_options(**{WRITE_LOCK_AT_BEGIN: True})
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def get_existing(
    session: Session, table: type[_Row], key: object, *, for_update: bool = False
) -> _Row:
    """A row the caller knows is there (its key comes from a row that refers to it, in the same
    transaction): a LookupError naming it, instead of None, if the database says otherwise."""
    row = session.get(table, key, with_for_update=True if for_update else None)
    if row is None:
        raise LookupError(f"{table.__name__} {key!r} does not exist.")
    return row


def plain_rows(session: Session, query: Select) -> Sequence[Any]:
    """All rows of a SELECT as the driver's own tuples, in the session's transaction.

    For reads of a million rows (a draw's holders), where building SQLAlchemy rows takes several
    times longer than the query. Values come as the driver gives them: only for plain columns
    (integers, text), with no type of the app's own to convert.
    """
    connection = session.connection()
    compiled = query.compile(dialect=connection.dialect)
    named = compiled.construct_params()
    parameters: Mapping[str, Any] | tuple[Any, ...] = named
    if compiled.positional:
        assert compiled.positiontup is not None  # a positional compile always lists its names
        parameters = tuple(named[name] for name in compiled.positiontup)
    cursor = connection.connection.cursor()
    try:
        cursor.execute(str(compiled), parameters)
        return cursor.fetchall()
    finally:
        cursor.close()


def upsert(session: Session, table: Any) -> Any:
    """An INSERT that takes ON CONFLICT DO NOTHING / DO UPDATE, in the session's dialect
    (PostgreSQL's or SQLite's; both speak it, and RETURNING)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql_insert(table)
    return sqlite_insert(table)


def insert_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert many rows (each with the same columns) in the session's transaction, fast.

    On PostgreSQL the rows travel as one JSON document that the server turns back into rows
    (jsonb_to_recordset): one statement instead of an executemany, whose per-row cost in the driver
    is most of the time for tens of thousands of rows. Elsewhere, an executemany.
    """
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        session.execute(insert(table), rows)
        return
    names = list(rows[0])
    records = (
        func.jsonb_to_recordset(cast(bindparam("rows", type_=Text), JSONB))
        .table_valued(*(column(name, table.c[name].type) for name in names))
        .render_derived(name="row", with_types=True)
    )
    statement = insert(table).from_select(names, select(*(records.c[name] for name in names)))
    session.execute(statement, {"rows": json.dumps(rows, default=_json_value)})


def _json_value(value: object) -> str:
    if isinstance(value, date | time):  # datetimes too; aware ones keep their offset
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} cannot be sent as a row value: {value!r}")


def ping() -> str:
    """'ok' if the database answers, otherwise the error's class name (never its message)."""
    try:
        with get_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
        return "ok"
    except Exception as exc:  # noqa: BLE001 - health reports any failure as a status
        return f"error: {type(exc).__name__}"

"""The scratch PostgreSQL database each benchmark creates, fills and drops, and the bulk-loading
SQL they share. A benchmark adds the arguments with `add_database_args`, then runs inside
`with scratch_database(args) as engine:`."""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.schema import (
    AddConstraint,
    CreateIndex,
    DropConstraint,
    DropIndex,
    ForeignKeyConstraint,
    PrimaryKeyConstraint,
    Table,
)

from luckyclub.core import db


def add_database_args(parser: argparse.ArgumentParser, default_url: str) -> None:
    """--database-url, --keep and --seed, as every benchmark takes them."""
    parser.add_argument(
        "--database-url",
        default=default_url,
        help="a database this script creates, fills and drops; it must not exist yet",
    )
    parser.add_argument("--keep", action="store_true", help="do not drop the database at the end")
    parser.add_argument("--seed", type=int, default=7, help="seeds the generated data")


@contextmanager
def scratch_database(args: argparse.Namespace, *, pool_size: int = 10) -> Iterator[Engine]:
    """An engine on a new database at --database-url, made as the app makes it; the database is
    dropped afterwards unless --keep. Only PostgreSQL: the figures are about it."""
    url = make_url(args.database_url)
    if url.get_backend_name() != "postgresql":
        sys.exit("The benchmark needs PostgreSQL: give a postgresql+psycopg:// --database-url.")
    create_database(url)
    try:
        engine = db.make_engine(url.render_as_string(hide_password=False), pool_size=pool_size)
        try:
            yield engine
        finally:
            engine.dispose()
    finally:
        if args.keep:
            print(f"\nKept database {url.database!r} (--keep).")
        else:
            drop_database(url)


def url_of(engine: Engine) -> str:
    """The engine's URL with its password, for another process to connect with."""
    return engine.url.render_as_string(hide_password=False)


@contextmanager
def server(url: URL) -> Iterator:
    """A connection to the server's `postgres` database, outside any transaction."""
    engine = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def create_database(url: URL) -> None:
    with server(url) as conn:
        exists = conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": url.database}
        ).first()
        if exists:
            sys.exit(
                f"Database {url.database!r} already exists. The benchmark drops what it creates, "
                "so it only uses a new one: drop it (DROP DATABASE) or choose another name."
            )
        conn.execute(text(f"CREATE DATABASE {quoted(conn, url.database)}"))
    print(f"Created scratch database {url.database!r}.")


def drop_database(url: URL) -> None:
    with server(url) as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {quoted(conn, url.database)} WITH (FORCE)"))
    print(f"\nDropped scratch database {url.database!r}.")


def quoted(conn, name: str) -> str:
    return conn.dialect.identifier_preparer.quote_identifier(name)


# ---- bulk loading ------------------------------------------------------------------------------


@contextmanager
def bulk_loading(engine: Engine, table: Table) -> Iterator[None]:
    """Load without the table's secondary indexes and constraints, then build them once: one sort
    per index and one join per foreign key, instead of updating each of them for every row. The
    primary key stays: ids arrive in order, so it only ever appends."""
    constraints = sorted(
        (c for c in table.constraints if not isinstance(c, PrimaryKeyConstraint)),
        key=lambda c: isinstance(c, ForeignKeyConstraint),
    )
    with engine.begin() as conn:
        for index in table.indexes:
            conn.execute(DropIndex(index))
        for constraint in constraints:
            conn.execute(DropConstraint(constraint))
    yield
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
        for constraint in constraints:
            conn.execute(AddConstraint(constraint))
        for index in table.indexes:
            conn.execute(CreateIndex(index))


def copy_lines(cursor, statement: str, lines: Iterator[str], batch: int = 20_000) -> None:
    with cursor.copy(statement) as copy:
        chunk: list[str] = []
        for line in lines:
            chunk.append(line)
            if len(chunk) == batch:
                copy.write("".join(chunk))
                chunk.clear()
        if chunk:
            copy.write("".join(chunk))


def user_lines(members: int, now: datetime, rng: random.Random) -> Iterator[str]:
    joined = (now - timedelta(days=400)).isoformat()
    for n in range(members):
        shown = "t" if rng.random() < 0.3 else "f"
        yield (
            f"member{n}@bench.example\tnot a hash\tMember {n}\t1990-04-21\tUTC\tmember"
            f"\t{shown}\t{joined}\n"
        )


def vacuum_analyze(engine: Engine) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))

"""The scratch PostgreSQL database each benchmark creates, fills and drops, and the bulk-loading
SQL they share. A benchmark adds the arguments with `add_database_args`, then runs inside
`with scratch_database(args) as engine:`; `api_server` serves the app's API on it in a process of
its own, for benchmarks that measure a route from a client."""

from __future__ import annotations

import argparse
import os
import random
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import httpx
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
from sqlmodel import Session

from luckyclub.core import db
from luckyclub.models import LedgerSource

# What viewers of a streaming community earn tickets by (load_period_viewers).
EARNED = (LedgerSource.WATCHTIME, LedgerSource.GIFTED_SUB, LedgerSource.WAGER)


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


def quoted(conn, name: str | None) -> str:
    if not name:
        sys.exit("The --database-url names no database.")
    return conn.dialect.identifier_preparer.quote_identifier(name)


# ---- the app's API, served -------------------------------------------------------------------


class api_server:  # noqa: N801 - used as `with api_server(url) as base:`
    """The app's API served by uvicorn in a process of its own, on a free local port."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url

    def __enter__(self) -> str:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        env = dict(os.environ, DATABASE_URL=self.database_url)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "luckyclub.api.routes:build_api", "--factory"]
            + ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
            + ["--no-access-log"],
            env=env,
            cwd=Path(__file__).resolve().parent.parent,
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                    return base
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None:
                sys.exit("The API server stopped before it answered.")
            time.sleep(0.2)
        self.process.terminate()
        sys.exit("The API server did not answer within a minute.")

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


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


def load_period_viewers(
    engine: Engine, period_id: int, moment: datetime, viewers: int, rng: random.Random
) -> list[int]:
    """`viewers` new accounts (COPY) holding 1-3 ledger rows each in the period `period_id`, made
    at `moment`; balances built from the ledger as the app keeps them. Their ids, in order."""
    from luckyclub.club import ledger

    raw = engine.raw_connection()
    try:
        conn = raw.driver_connection
        assert conn is not None
        with conn.cursor() as cursor:
            cursor.execute("SELECT coalesce(max(id), 0) FROM app_user")
            before = cursor.fetchone()[0]
            copy_lines(
                cursor,
                "COPY app_user (email, password_hash, display_name, date_of_birth, timezone, role,"
                " show_on_leaderboard, created_at) FROM STDIN",
                user_lines(viewers, moment, rng),
            )
            cursor.execute("SELECT id FROM app_user WHERE id > %s ORDER BY id", (before,))
            user_ids = [row[0] for row in cursor.fetchall()]
            copy_lines(
                cursor,
                "COPY entry_ledger (raffle_id, user_id, source, amount, idempotency_key, reason,"
                " actor_id, created_at) FROM STDIN",
                period_ledger_lines(period_id, user_ids, moment, rng),
            )
        conn.commit()
    finally:
        raw.close()
    with Session(engine) as session:
        ledger.rebuild_cache(session)
        session.commit()
    return user_ids


def period_ledger_lines(
    period_id: int, user_ids: list[int], moment: datetime, rng: random.Random
) -> Iterator[str]:
    at = moment.isoformat()
    for user_id in user_ids:
        for n in range(rng.randint(1, 3)):
            source = rng.choice(EARNED)
            amount = rng.choice((10, 20, 30)) if source == LedgerSource.WATCHTIME else 15
            if source == LedgerSource.WAGER:
                amount = rng.randint(1, 400)
            key = f"bench:{period_id}:{user_id}:{n}"
            yield f"{period_id}\t{user_id}\t{source}\t{amount}\t{key}\t\t\\N\t{at}\n"


def timed_posts(
    base: str,
    path: str,
    requests: Iterable[tuple[bytes, dict[str, str]]],
    clients: int,
    check: Callable[[httpx.Response], str],
    *,
    warm_up: int = 0,
    what: str = "requests",
) -> list[float]:
    """POST each (body, headers) to `path` from `clients` threads; the milliseconds of each answer
    after the first `warm_up`. `requests` is read lazily, so headers made in it (a signature) are
    made just before the request goes, outside the clock. `check` says what is wrong with an
    answer ("" for nothing); any problem stops the bench with an example."""
    items = iter(enumerate(requests))
    lock = threading.Lock()
    latencies: list[float] = []
    failures: list[str] = []

    def client() -> None:
        with httpx.Client(base_url=base, timeout=30) as http:
            while True:
                with lock:
                    item = next(items, None)
                if item is None:
                    return
                n, (body, headers) = item
                started = time.perf_counter()
                response = http.post(path, content=body, headers=headers)
                elapsed = (time.perf_counter() - started) * 1000
                problem = check(response)
                with lock:
                    if n >= warm_up:
                        latencies.append(elapsed)
                    if problem:
                        failures.append(problem)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        sys.exit(f"{len(failures)} {what} were not answered as expected, e.g. {failures[0]}")
    return latencies

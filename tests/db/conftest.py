"""Every test in tests/db runs twice: on a fresh SQLite file and on PostgreSQL.

PostgreSQL runs use a scratch database of their own on the server of TEST_DATABASE_URL (default:
the local server), so runs side by side never meet. When it cannot be reached those runs are
skipped with a notice; with REQUIRE_POSTGRES=1 (CI) they fail.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

import luckyclub.models  # noqa: F401 - registers the tables
from luckyclub import modes  # noqa: F401 - registers every draw pool
from luckyclub.core import db
from luckyclub.core.settings import Settings, get_settings
from tests import drand_relay
from tests.db.scratch import scratch_postgres

POSTGRES_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES") == "1"

_engines: dict[str, Engine] = {}
_postgres_problem: str | None = None


def _postgres_reachable() -> str | None:
    """None if PostgreSQL answers, otherwise why not."""
    try:
        engine = db.make_engine(POSTGRES_URL)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}".splitlines()[0]


def pytest_configure(config):
    global _postgres_problem
    _postgres_problem = _postgres_reachable()


def pytest_report_header(config):
    if _postgres_problem is None:
        return f"database tests: SQLite and PostgreSQL ({POSTGRES_URL.split('@')[-1]})"
    action = "FAILING (REQUIRE_POSTGRES=1)" if REQUIRE_POSTGRES else "SKIPPING the PostgreSQL runs"
    return f"database tests: PostgreSQL unreachable ({_postgres_problem}) - {action}"


def pytest_terminal_summary(terminalreporter):
    if _postgres_problem is not None and not REQUIRE_POSTGRES:
        terminalreporter.write_line(
            f"NOTICE: PostgreSQL database tests were skipped: {_postgres_problem}", yellow=True
        )


def reset_schema(engine: Engine) -> None:
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    else:
        SQLModel.metadata.drop_all(engine)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request) -> Iterator[str]:
    if request.param == "postgresql":
        if _postgres_problem is not None:
            if REQUIRE_POSTGRES:
                pytest.fail(f"PostgreSQL is required (REQUIRE_POSTGRES=1) but: {_postgres_problem}")
            pytest.skip(f"PostgreSQL unreachable: {_postgres_problem}")
        with scratch_postgres(POSTGRES_URL, "luckyclub_test") as url:
            yield url
    else:
        folder = tempfile.mkdtemp(prefix="luckyclub-sqlite-")
        yield f"sqlite:///{folder}/test.db"


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = db.make_engine(database_url)
    reset_schema(engine)
    SQLModel.metadata.create_all(engine)
    yield engine
    engine.dispose()


def _empty_tables(engine: Engine) -> None:
    tables = list(reversed(SQLModel.metadata.sorted_tables))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture()
def app_db(engine: Engine, database_url: str) -> Iterator[Engine]:
    """An empty database that the app's own session_scope() also uses."""
    _empty_tables(engine)
    db._engines[database_url] = engine
    db.use_database(database_url)
    yield engine
    db.use_database(None)


@pytest.fixture()
def session(app_db: Engine) -> Iterator[Session]:
    with Session(app_db, expire_on_commit=False) as session:
        yield session


# ---- settings for draws --------------------------------------------------------------------------


@pytest.fixture()
def settings_env(monkeypatch):
    """Change settings through the environment for one test: settings_env(DRAW_BEACON="0");
    None unsets a variable. Returns the settings now in force."""

    def change(**values: str | None) -> Settings:
        for name, value in values.items():
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        return get_settings()

    yield change
    get_settings.cache_clear()


@pytest.fixture()
def relays(settings_env):
    """A local drand relay serving the recorded real round; yields the paths it was asked."""
    with drand_relay.serve() as (url, paths):
        settings_env(DRAND_RELAYS=url, DRAW_BEACON_MARGIN_SECONDS="10")
        yield paths


@pytest.fixture()
def no_relay(settings_env):
    settings_env(DRAND_RELAYS="http://127.0.0.1:9")  # nothing listens on the discard port


@pytest.fixture()
def no_beacon(settings_env):
    """New draws are drawn without a drand round (DRAW_BEACON=0)."""
    settings_env(DRAW_BEACON="0")

"""The Alembic migrations build exactly the schema of luckyclub.models, on SQLite and on PostgreSQL.

Each run gets a database of its own (never the one the `engine` fixture fills with create_all): a
new SQLite file, or a scratch PostgreSQL database created on the server of TEST_DATABASE_URL and
dropped afterwards. If this test fails after a change to luckyclub/models.py, a migration is missing
(see the top of alembic/versions/0001_initial.py for how the initial one is made).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool
from sqlmodel import SQLModel

import luckyclub.models  # noqa: F401 - registers the tables
from tests.db.scratch import scratch_postgres

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def scratch_url(database_url: str) -> Iterator[str]:
    """A URL to a new, empty database on the same backend as `database_url`."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        folder = tempfile.mkdtemp(prefix="luckyclub-migr-")
        try:
            yield f"sqlite:///{folder}/migrations.db"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return

    with scratch_postgres(database_url, "luckyclub_migr") as url:
        yield url


def alembic_config(url: str) -> Config:
    """The repository's alembic.ini, pointed at `url` the same way `alembic -x url=...` does."""
    cfg = Config(str(REPO_ROOT / "alembic.ini"))
    cfg.cmd_opts = argparse.Namespace(x=[f"url={url}"])
    cfg.attributes["configure_logger"] = False  # keep pytest's logging setup
    return cfg


def schema_differences(engine: Engine) -> list:
    """What autogenerate would still change: the same comparison options as alembic/env.py."""
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, SQLModel.metadata)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def table_names(engine: Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def test_upgrade_head_builds_the_models_schema_and_downgrade_removes_it(scratch_url: str) -> None:
    cfg = alembic_config(scratch_url)
    head = ScriptDirectory.from_config(cfg).get_current_head()
    model_tables = set(SQLModel.metadata.tables)
    engine = sa.create_engine(scratch_url, poolclass=NullPool)
    try:
        # The comparison is live: on the empty database it reports every table as missing.
        assert table_names(engine) == set()
        missing = {diff[1].name for diff in schema_differences(engine) if diff[0] == "add_table"}
        assert missing == model_tables

        command.upgrade(cfg, "head")
        assert current_revision(engine) == head
        assert table_names(engine) == model_tables | {"alembic_version"}
        # Nothing is ignored: any column, type, nullability, index, unique or foreign-key
        # difference between the migrated database and luckyclub.models fails here.
        assert schema_differences(engine) == []

        command.downgrade(cfg, "base")
        assert current_revision(engine) is None
        assert table_names(engine) <= {"alembic_version"}
        if engine.dialect.name == "postgresql":
            # serial columns' sequences went with their tables
            assert sa.inspect(engine).get_sequence_names() == []

        # Down and up again: the downgrade left nothing behind that gets in the way.
        command.upgrade(cfg, "head")
        assert table_names(engine) == model_tables | {"alembic_version"}
        assert schema_differences(engine) == []
    finally:
        engine.dispose()


def test_every_status_check_of_the_models_is_in_the_migrated_database(scratch_url: str) -> None:
    """Autogenerate does not compare CHECK constraints, so this does: each one the models declare
    exists after `upgrade head` with the same values, and the database refuses other values."""
    command.upgrade(alembic_config(scratch_url), "head")
    engine = sa.create_engine(scratch_url, poolclass=NullPool)
    try:
        inspector = sa.inspect(engine)
        for table in SQLModel.metadata.sorted_tables:
            declared = {
                c.name: " ".join(str(c.sqltext).split())
                for c in table.constraints
                if isinstance(c, sa.CheckConstraint)
            }
            found = {
                c["name"]: " ".join(c["sqltext"].replace("(", " ").replace(")", " ").split())
                for c in inspector.get_check_constraints(table.name)
            }
            for name, text in declared.items():
                assert name in found, f"{name} is missing from the migrated {table.name}"
                for value in text.split("IN", 1)[-1].strip(" ()").split(", "):
                    assert value.strip("'") in found[name], (name, value)
        insert_raffle = sa.text(
            "INSERT INTO raffle (program_id, month, title, prize, description, base_entries,"
            " carry_over_percent, winners, closes_at, status, created_at) VALUES ((SELECT id"
            " FROM program), '2026-12', 'A raffle', 'A prize', '', 1, 0, 1, CURRENT_TIMESTAMP,"
            " :status, CURRENT_TIMESTAMP)"
        )
        with engine.begin() as conn:
            conn.execute(insert_raffle, {"status": "draft"})
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.execute(insert_raffle.bindparams(status="bogus"))
    finally:
        engine.dispose()

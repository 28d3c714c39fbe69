"""SQLite with several threads writing at once (the embedded default): a unit of work that reads
before it writes takes the write lock at its BEGIN, so it waits its turn instead of failing with
"database is locked" or writing over what another wrote since it read; readers outside a unit of
work still read while someone writes."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text
from sqlmodel import Session

from luckyclub.core import db
from luckyclub.models import User
from tests.db.factories import add_user

WRITERS = 4


@pytest.fixture()
def sqlite(app_db):
    if app_db.dialect.name != "sqlite":
        pytest.skip("PostgreSQL takes row locks; this is about SQLite's single writer")
    return app_db


def test_units_of_work_that_read_then_write_at_once_all_succeed_in_turn(sqlite, session):
    user = add_user(session, "ann@example.com")
    start = threading.Barrier(WRITERS)
    failures: list[str] = []

    def read_then_write() -> None:
        start.wait(timeout=20)
        try:
            with db.session_scope() as s:
                name = s.get(User, user.id).display_name  # the read that comes first
                time.sleep(0.3)  # long enough for every other writer to have read too
                s.get(User, user.id).display_name = name + "+"
        except Exception as exc:  # noqa: BLE001 - reported by the assertion
            failures.append(f"{type(exc).__name__}: {exc}".splitlines()[0])

    workers = [threading.Thread(target=read_then_write) for _ in range(WRITERS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)

    assert failures == []
    session.expire_all()
    assert session.get(User, user.id).display_name.endswith("+" * WRITERS)  # no update lost


def test_a_unit_of_work_keeps_the_pragmas_and_readers_are_not_held_up_by_it(sqlite, session):
    user = add_user(session, "ann@example.com")

    with db.session_scope() as writing:
        assert writing.exec(text("PRAGMA foreign_keys")).scalar_one() == 1
        assert writing.exec(text("PRAGMA journal_mode")).scalar_one() == "wal"
        writing.get(User, user.id).display_name = "Renamed"
        writing.flush()  # the write lock is held from here until the block ends

        began = time.monotonic()
        with Session(sqlite) as reading:  # a read-only session: it reads what is committed
            assert reading.get(User, user.id).display_name == user.display_name
        assert db.ping() == "ok"
        assert time.monotonic() - began < 5  # not the 30 s busy wait

    with db.session_scope() as reading:  # a unit of work that only reads
        assert reading.get(User, user.id).display_name == "Renamed"

"""The change feed: a committed change is heard by every process, a rolled-back one by none; on
PostgreSQL through LISTEN/NOTIFY, with Redis through pub/sub, on SQLite inside the process and
through the app's socket beside the database file."""

from __future__ import annotations

import os
import queue
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest
import redis
from sqlalchemy import text

from luckyclub.core import db
from luckyclub.core.settings import PROJECT_ROOT
from luckyclub.platform import changes

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


class Ear:
    """A listener that keeps what it hears, in order."""

    def __init__(self) -> None:
        self.heard: queue.Queue[frozenset[str]] = queue.Queue()
        self.listening = changes.listen(self.heard.put)
        assert self.listening.wait_until_ready(), "the listener never started listening"

    def next(self) -> frozenset[str]:
        return self.heard.get(timeout=10)


@pytest.fixture()
def ear(app_db) -> Iterator[Ear]:
    ear = Ear()
    yield ear
    ear.listening.stop()


def commit_change(*topics: str) -> None:
    with db.session_scope() as session:
        changes.announce(session, *topics)


def test_a_committed_change_is_heard_once_and_a_rolled_back_one_never(ear):
    commit_change("competition:5", "competitions")
    with pytest.raises(RuntimeError), db.session_scope() as session:
        changes.announce(session, "draw:9")
        raise RuntimeError("the unit of work fails")
    commit_change("member:12")

    assert ear.next() == {"competition:5", "competitions"}
    # Changes arrive in commit order: the rolled-back one would have come before this one.
    assert ear.next() == {"member:12"}
    assert ear.heard.empty()


def test_a_savepoint_neither_publishes_early_nor_forgets_what_its_transaction_said(ear):
    with pytest.raises(RuntimeError), db.session_scope() as session:
        changes.announce(session, "draw:1")
        with session.begin_nested():  # released: not a commit of anything yet
            changes.announce(session, "draw:2")
        raise RuntimeError("the unit of work fails after its savepoint")
    with db.session_scope() as session:
        changes.announce(session, "member:3")
        with pytest.raises(RuntimeError), session.begin_nested():
            raise RuntimeError("a savepoint rolled back (a replay losing a unique race)")
    commit_change("marker")

    # Nothing of the failed unit of work was heard, and the savepoint's rollback kept member:3.
    assert ear.next() == {"member:3"}
    assert ear.next() == {"marker"}
    assert ear.heard.empty()


def test_a_unit_of_work_that_announces_nothing_says_nothing(ear):
    with db.session_scope() as session:
        session.execute(text("SELECT 1"))
    commit_change("marker")

    assert ear.next() == {"marker"}


def test_many_topics_in_one_change_all_arrive(ear):
    topics = {f"member:{n}" for n in range(2000)}  # larger than one NOTIFY payload may be
    commit_change(*topics)

    heard: set[str] = set()
    while heard != topics:
        heard |= ear.next()
    assert heard == topics


def postgres_only(app_db) -> None:
    if app_db.dialect.name != "postgresql":
        pytest.skip("on SQLite the app is one process: its changes never leave it")


def test_a_change_committed_by_another_process_is_heard(app_db, ear, database_url):
    # as `jobs run-due` from cron or the CLI would: on SQLite too, through the app's socket
    script = (
        "from luckyclub.core import db\n"
        "from luckyclub.platform import changes\n"
        "with db.session_scope() as session:\n"
        "    changes.announce(session, 'draw:3')\n"
    )
    env = {**os.environ, "DATABASE_URL": database_url}
    env.pop("REDIS_URL", None)
    subprocess.run([sys.executable, "-c", script], env=env, cwd=PROJECT_ROOT, check=True)

    assert ear.next() == {"draw:3"}


def test_on_sqlite_a_socket_left_by_a_stopped_app_is_passed_over_quietly(
    app_db, database_url, caplog
):
    path = changes.sqlite_socket(database_url)
    if path is None:
        pytest.skip("PostgreSQL: there is no socket file")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as stopped_app:
        stopped_app.bind(path)  # closed without removing its file, as a killed app leaves it
    try:
        commit_change("competition:2")  # nobody listens there: nothing to tell, nothing to fix
    finally:
        os.unlink(path)
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


def test_after_its_connection_drops_the_listener_says_everything_may_have_changed(app_db, ear):
    postgres_only(app_db)
    with app_db.begin() as connection:
        ended = connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE query = :listen AND pid <> pg_backend_pid()"
            ),
            {"listen": f"LISTEN {changes.CHANNEL}"},
        ).all()
    assert ended == [(True,)]

    assert ear.next() == {changes.EVERYTHING}
    commit_change("competition:1")
    assert ear.next() == {"competition:1"}


@pytest.fixture()
def redis_feed(settings_env) -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis unreachable at {REDIS_URL}: {exc}")
    settings_env(REDIS_URL=REDIS_URL)


def test_with_redis_a_committed_change_is_published_and_a_rolled_back_one_is_not(
    app_db, redis_feed
):
    ear = Ear()
    try:
        with pytest.raises(RuntimeError), db.session_scope() as session:
            changes.announce(session, "draw:9")
            raise RuntimeError("the unit of work fails")
        commit_change("competition:5")

        assert ear.next() == {"competition:5"}
        assert ear.heard.empty()
    finally:
        ear.listening.stop()


def test_with_redis_another_database_numbers_changes_are_not_heard(app_db, redis_feed):
    ear = Ear()
    try:
        neighbour = REDIS_URL.rsplit("/", 1)[0] + "/13"  # another deployment on the same server
        client = redis.Redis.from_url(neighbour)
        client.publish(changes.redis_channel(neighbour), '["competition:77"]')
        commit_change("competition:6")

        assert ear.next() == {"competition:6"}
        assert ear.heard.empty()
    finally:
        ear.listening.stop()

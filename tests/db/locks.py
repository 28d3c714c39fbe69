"""Seeing a PostgreSQL transaction wait on a row lock, instead of guessing from a sleep.

A thread that is merely slow (a 2-core CI machine) looks the same as one that waits, if all a test
does is `join(timeout); assert is_alive()`. pg_stat_activity says which backends wait on a lock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.engine import Engine

WAITING_ON_A_LOCK = text(
    "SELECT count(*) FROM pg_stat_activity "
    "WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
)


def backends_waiting_on_a_lock(engine: Engine) -> int:
    """How many connections to this test's own database wait on a lock right now."""
    with engine.connect() as conn:
        return conn.execute(WAITING_ON_A_LOCK).scalar_one()


def wait_until_blocked(engine: Engine, worker: threading.Thread, *, within: float = 20.0) -> None:
    """Return once `worker` is waiting on a lock; fail if it finishes first or nothing waits
    within `within` seconds (each test run has its own database, so the waiter is the worker)."""
    deadline = time.monotonic() + within
    while backends_waiting_on_a_lock(engine) == 0:
        if not worker.is_alive():
            raise AssertionError("the worker finished without waiting on a lock")
        if time.monotonic() > deadline:
            raise AssertionError(f"the worker was not waiting on a lock after {within:.0f} s")
        time.sleep(0.02)


def all_at_once(jobs: list[Callable[[], object]]) -> list[object]:
    """Every job in its own thread, released together by a barrier: real concurrent clients.
    Results in job order, an exception returned as that job's result."""
    start = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)

    def run(index: int, job: Callable[[], object]) -> None:
        start.wait(timeout=30)
        try:
            results[index] = job()
        except Exception as exc:  # noqa: BLE001 - reported by the assertions
            results[index] = exc

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a job never finished"
    return results

"""Scheduled jobs: which are due, how each run is recorded, and the one scheduler leader."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from luckyclub import jobs
from luckyclub.core.settings import get_settings
from luckyclub.jobs import Job, SchedulerLeader, cron, every, run_due, start_scheduler
from luckyclub.models import JobRun, utcnow

LEADERSHIP_THREAD = "luckyclub-scheduler-leadership"


def counting_job(name="count", trigger=None) -> tuple[Job, list[int]]:
    calls: list[int] = []

    def run() -> str:
        calls.append(1)
        return f"call {len(calls)}"

    return Job(name, trigger or every(minutes=10), run), calls


def failing_job() -> Job:
    def run() -> str:
        raise RuntimeError("the prize server said no")

    return Job("explode", every(minutes=10), run)


def record_run(session, job: str, started_at: datetime) -> None:
    session.add(JobRun(job=job, started_at=started_at, finished_at=started_at, outcome="ok"))
    session.commit()


def test_a_job_that_never_ran_runs_once_and_is_recorded_ok(session):
    job, calls = counting_job()

    [run] = run_due(jobs=[job])

    assert calls == [1]
    assert (run.job, run.outcome, run.detail) == ("count", "ok", "call 1")
    [stored] = session.exec(select(JobRun)).all()
    assert (stored.outcome, stored.detail) == ("ok", "call 1")
    assert stored.finished_at >= stored.started_at


def test_a_job_that_is_not_yet_due_is_skipped(session):
    job, calls = counting_job(trigger=every(minutes=10))
    run_due(jobs=[job])

    assert run_due(utcnow() + timedelta(minutes=1), jobs=[job]) == []
    assert len(run_due(utcnow() + timedelta(minutes=11), jobs=[job])) == 1
    assert len(calls) == 2


def test_force_runs_a_job_that_is_not_due(session):
    job, calls = counting_job()
    run_due(jobs=[job])

    run_due(force=True, jobs=[job])

    assert len(calls) == 2


def test_a_failing_job_is_recorded_as_an_error_and_the_others_still_run(session):
    job, calls = counting_job()

    runs = run_due(jobs=[failing_job(), job])

    assert [r.outcome for r in runs] == ["error", "ok"]
    assert runs[0].detail == "RuntimeError: the prize server said no"
    assert calls == [1]
    stored = session.exec(select(JobRun).where(JobRun.job == "explode")).one()
    assert (stored.outcome, stored.detail) == ("error", "RuntimeError: the prize server said no")


def test_a_monthly_job_is_due_again_only_after_the_first_of_the_next_month(session):
    job, calls = counting_job("rollover", cron(day=1, hour=0))
    record_run(session, "rollover", datetime(2030, 1, 1, 0, 0, 5, tzinfo=UTC))

    assert run_due(datetime(2030, 1, 31, 23, 59, tzinfo=UTC), jobs=[job]) == []
    assert len(run_due(datetime(2030, 2, 1, 0, 1, tzinfo=UTC), jobs=[job])) == 1


def test_outbox_delivery_is_registered_every_15_seconds():
    job = jobs.JOBS["deliver_outbox"]

    assert job.trigger.interval == timedelta(seconds=15)


def test_pruning_forgets_old_runs_but_keeps_each_jobs_latest(session):
    long_ago = utcnow() - timedelta(days=40)
    for days in (0, 1, 2):
        record_run(session, "monthly", long_ago - timedelta(days=days))
    record_run(session, "often", utcnow() - timedelta(minutes=1))

    detail = jobs.prune_job_runs()

    session.expire_all()
    kept = session.exec(select(JobRun.job, JobRun.started_at)).all()
    assert sorted(name for name, _ in kept) == ["monthly", "often"]
    assert [at for name, at in kept if name == "monthly"] == [long_ago]
    assert detail.startswith("removed 2 ")


def test_two_processes_only_one_leads_until_it_lets_go(app_db):
    # PostgreSQL: an advisory lock; SQLite: a flock on a file beside the data.
    first, second = SchedulerLeader(app_db), SchedulerLeader(app_db)
    try:
        assert first.try_acquire() is True
        assert second.try_acquire() is False
        assert first.still_leading() and not second.is_leader

        first.release()

        assert second.try_acquire() is True
        assert first.try_acquire() is False
    finally:
        first.release()
        second.release()


def test_the_leader_runs_the_jobs_and_stops_cleanly(app_db):
    ran = threading.Event()
    job = Job("ping", every(minutes=10), lambda: ran.set() or "pong")
    enabled = dataclasses.replace(get_settings(), scheduler_enabled=True)

    scheduler = start_scheduler(enabled, engine=app_db, jobs=[job])
    try:
        assert scheduler is not None and scheduler.is_running
        assert ran.wait(timeout=5)  # the catch-up run on becoming leader
    finally:
        scheduler.stop()

    assert not scheduler.is_running and not scheduler.leader.is_leader
    successor = SchedulerLeader(app_db)
    assert successor.try_acquire()
    successor.release()


def test_a_disabled_scheduler_does_nothing(app_db):
    disabled = dataclasses.replace(get_settings(), scheduler_enabled=False)

    assert start_scheduler(disabled, engine=app_db) is None


def test_the_lifespan_task_starts_and_ends_without_the_scheduler_when_disabled(
    app_db, settings_env, caplog
):
    settings_env(SCHEDULER_ENABLED="0")
    seen: dict[str, object] = {}

    async def app_lifetime():
        async with jobs.scheduler_lifespan():
            seen["watchers"] = [t for t in threading.enumerate() if t.name == LEADERSHIP_THREAD]
            other = SchedulerLeader(app_db)
            seen["lock_free"] = other.try_acquire()  # nobody in this process took the lead
            other.release()
        seen["ended"] = True

    with caplog.at_level("INFO", logger="luckyclub.jobs"):
        asyncio.run(app_lifetime())

    assert seen == {"watchers": [], "lock_free": True, "ended": True}
    assert "Scheduler disabled" in caplog.text
    assert "now runs the scheduled jobs" not in caplog.text
    with Session(app_db) as s:
        assert s.exec(select(JobRun)).all() == []  # no job ran, not even the catch-up

"""Scheduled work: the list of jobs, running the ones that are due, and the one scheduler leader.

Every job also claims its work in the database, so a job that runs twice at once (the scheduler and
`python -m luckyclub jobs run-due` from cron, or two leaders for a moment) still does it once.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import logging
import os
import threading
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import delete, func, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import aliased
from sqlmodel import col, select

from luckyclub import modes  # noqa: F401 - every mode's draw pool, before a job draws
from luckyclub.club import raffles
from luckyclub.community import chat_time, inbox, oauth_links, settling, wagers
from luckyclub.community import periods as community_periods
from luckyclub.competitions import checkout, minimum, refunds
from luckyclub.core import db
from luckyclub.core.settings import Settings, get_settings
from luckyclub.core.words import count
from luckyclub.integrations import affiliate
from luckyclub.lotteries import signups
from luckyclub.models import JobRun, utcnow
from luckyclub.platform import draws, mail

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    trigger: BaseTrigger
    run: Callable[[], str]  # does the work; returns a short line for the run's record


JOBS: dict[str, Job] = {}


def scheduled(name: str, trigger: BaseTrigger) -> Callable[[Callable[[], str]], Callable[[], str]]:
    """Register the decorated function as a job: `@scheduled("name", every(minutes=5))`."""

    def register(run: Callable[[], str]) -> Callable[[], str]:
        JOBS[name] = Job(name, trigger, run)
        return run

    return register


def every(**interval: float) -> IntervalTrigger:
    return IntervalTrigger(timezone=UTC, **interval)


def cron(**fields: int | str) -> CronTrigger:
    """A calendar schedule in UTC, e.g. cron(day=1, hour=0): midnight on the 1st of each month."""
    return CronTrigger(timezone=UTC, **fields)


# --- the jobs -----------------------------------------------------------------------------------

KEEP_JOB_RUNS_FOR = timedelta(days=14)


@scheduled("deliver_outbox", every(seconds=15))
def deliver_outbox() -> str:
    """Emails, Klaviyo events and texts that are due, each through its channel."""
    return describe_delivery(mail.deliver_due())


def describe_delivery(result: dict[str, int | str]) -> str:
    """The run's line: "sent 3, retrying 1, failed 0; waiting 2 (no SMTP_URL)"."""
    line = "sent {sent}, retrying {retrying}, failed {failed}".format(**result)
    if result.get("waiting"):
        line += f"; waiting {result['waiting']} ({result['skipped']})"
    return line


@scheduled("raffle_rollover", cron(day=1, hour=0, minute=0))
def raffle_rollover() -> str:
    """On the 1st at 00:00 UTC: open the month's raffle from the last one and credit members."""
    with db.session_scope() as session:
        return raffles.rollover(session)


@scheduled("community_reset", cron(day=1, hour=0, minute=0))
def community_reset() -> str:
    """On the 1st at 00:00 UTC: what was earned in the ending month is credited first (events,
    chat time, wagers), then every community's ended period closes (claimed once, whatever runs
    it), automatic draws are frozen and drawn, and the new month's period opens."""
    return reset_communities()


@scheduled("community_reset_catch_up", every(minutes=10))
def community_reset_catch_up() -> str:
    """The same reset, for a month whose midnight run was missed (the app was down): it finds
    nothing to do when the reset ran."""
    return reset_communities()


def reset_communities(now: datetime | None = None) -> str:
    now = now or utcnow()
    settled = settling.settle_ended_periods(now, affiliate.fetch_stats)
    return f"{settled.words()}; {community_periods.run_reset(now)}"


@scheduled("draws", every(seconds=10))
def run_draws() -> str:
    """Close pools at their closing time, then draw each once its beacon round is out."""
    outcomes = draws.run_due()
    if not outcomes:
        return "none due"
    return "; ".join(f"{o.status}: {o.message}" for o in outcomes)


@scheduled("competitions", every(seconds=10))
def run_competitions() -> str:
    """Release checkout holds that ran out, flag competitions that ended short of their minimum
    (admins decide: extend, or cancel and refund), and ask Stripe for the refunds that are due."""
    released = checkout.expire_holds()
    with db.session_scope() as session:
        short = minimum.flag_below_minimum(session)
    paid_back = refunds.process_refunds()
    return (
        f"released {released} holds; {len(short)} short of their minimum; "
        f"refunded {paid_back['refunded']}, retrying {paid_back['retrying']}"
    )


@scheduled("offers", every(minutes=2))
def expire_offers() -> str:
    """Withdraw offers of a spot not accepted within their 24 hours, each once however many
    runners there are, and offer each spot to the next person on its waitlist."""
    with db.session_scope() as session:
        expired = signups.expire_offers(session)
    return f"expired {count(expired, 'offer')}"


@scheduled("kick_inbox", every(seconds=5))
def process_kick_inbox() -> str:
    """Process the Kick events the webhook stored: chats, gifts, the stream going live or not."""
    run = inbox.process_due()
    return f"processed {run.processed}, failed {run.failed}"


@scheduled("chat_time", every(minutes=1))
def tick_chat_time() -> str:
    """Each minute, for the minute just ended: one chat-active minute to every viewer of a live
    channel who chatted in the last five minutes, when at least two did."""
    minute = chat_time.minute_of(utcnow()) - chat_time.MINUTE
    given = chat_time.tick_live(minute)
    return f"{count(given, 'minute')} for {minute:%H:%M}"


@scheduled("chat_hours", cron(minute=1))
def convert_chat_hours() -> str:
    """Just after each hour: its chat-active minutes (and any earlier hour's left over) become
    tickets at each community's rate, the remainder carried."""
    done = chat_time.convert_due(utcnow())
    tickets = sum(hour.tickets for hour in done)
    return f"{count(len(done), 'hour')} converted, {count(tickets, 'ticket')}"


@scheduled("wagers", every(minutes=15))
def poll_wagers() -> str:
    """Read each community's affiliate stats and credit the verified usernames' wagers."""
    outcomes = wagers.poll_all(db.session_scope, utcnow(), affiliate.fetch_stats)
    if not outcomes:
        return "no community polled"
    return "; ".join(
        f"poll #{o.poll_id}: {count(o.credited, 'ticket')}"
        if o.ok
        else f"poll #{o.poll_id}: {o.detail}"
        for o in outcomes
    )


@scheduled("prune_job_runs", cron(hour=3, minute=30))
def prune_job_runs() -> str:
    """Forget old runs (deliver_outbox alone records 5,760 a day), but keep each job's latest:
    it is what tells run_due when a monthly job last ran."""
    same_job = aliased(JobRun)
    latest_of_this_job = (
        select(func.max(same_job.started_at))
        .where(col(same_job.job) == col(JobRun.job))
        .scalar_subquery()
    )
    statement = delete(JobRun).where(
        col(JobRun.started_at) < utcnow() - KEEP_JOB_RUNS_FOR,
        col(JobRun.started_at) < latest_of_this_job,
    )
    with db.session_scope() as session:
        removed = session.exec(statement).rowcount
    return f"removed {removed} runs older than {KEEP_JOB_RUNS_FOR.days} days"


@scheduled("prune_link_attempts", cron(hour=3, minute=40))
def prune_link_attempts() -> str:
    """Forget Kick and Discord link attempts older than a day: each lives 10 minutes, and its
    state and PKCE verifier need not be kept once it is over."""
    with db.session_scope() as session:
        removed = oauth_links.prune(session, utcnow())
    return f"removed {count(removed, 'link attempt')} older than a day"


# --- running jobs -------------------------------------------------------------------------------


def run_job(job: Job) -> JobRun:
    """Run one job and record how it went; a job that raises is recorded, not passed on."""
    run = JobRun(job=job.name, started_at=utcnow())
    with db.session_scope() as session:
        session.add(run)
    try:
        run.detail = job.run() or ""
        run.outcome = "ok"
    except Exception as exc:  # noqa: BLE001 - the record is the report; the caller carries on
        log.exception("Job %s failed", job.name)
        run.detail = f"{type(exc).__name__}: {exc}"
        run.outcome = "error"
    run.detail = run.detail[:1000]
    run.finished_at = utcnow()
    with db.session_scope() as session:
        session.add(run)
    return run


def run_due(
    now: datetime | None = None, force: bool = False, *, jobs: Iterable[Job] | None = None
) -> list[JobRun]:
    """Run once every job that is due (all of them with force); backs `luckyclub jobs run-due`."""
    now = now or utcnow()
    jobs = list(JOBS.values()) if jobs is None else list(jobs)
    last_started = _last_started([job.name for job in jobs])
    return [run_job(job) for job in jobs if force or is_due(job, last_started.get(job.name), now)]


def latest_runs(session) -> list[JobRun]:
    """Each registered job's most recent run, for the admin console."""
    runs = []
    for name in JOBS:
        query = select(JobRun).where(JobRun.job == name).order_by(col(JobRun.id).desc()).limit(1)
        if run := session.exec(query).first():
            runs.append(run)
    return runs


def is_due(job: Job, last_started: datetime | None, now: datetime) -> bool:
    if last_started is None:
        return True
    next_time = job.trigger.get_next_fire_time(last_started, now)
    return next_time is not None and next_time <= now


def _last_started(names: list[str]) -> dict[str, datetime]:
    query = (
        select(JobRun.job, func.max(JobRun.started_at))
        .where(col(JobRun.job).in_(names))
        .group_by(col(JobRun.job))
    )
    with db.session_scope() as session:
        return {name: started for name, started in session.exec(query) if started is not None}


# --- one scheduler among many processes ---------------------------------------------------------

# A fixed signed 64-bit key, the type pg_try_advisory_lock takes, derived from a readable name.
SCHEDULER_LOCK_KEY = int.from_bytes(
    hashlib.sha256(b"luckyclub-scheduler").digest()[:8], "big", signed=True
)
RETRY_LEADERSHIP_EVERY = 30.0  # seconds


class SchedulerLeader:
    """Whether this process is the one that runs the schedule.

    On PostgreSQL the leader holds a session advisory lock on a connection of its own; the lock dies
    with the connection, so when the leader's process dies another one can take over. On SQLite
    the same holds for an exclusive lock on a file beside the data (flock), so even several worker
    processes on one machine keep a single scheduler.
    """

    def __init__(self, engine: Engine | None = None, lock_file: Path | None = None):
        self.engine = engine or db.get_engine()
        self.lock_file = lock_file or get_settings().data_dir / "scheduler.lock"
        self._connection: Connection | None = None
        self._lock_fd: int | None = None
        self._leading = False

    @property
    def is_leader(self) -> bool:
        return self._leading

    def try_acquire(self) -> bool:
        if self._leading:
            return True
        if self.engine.dialect.name != "postgresql":
            return self._try_file_lock()
        connection = self.engine.connect()
        try:
            connection.detach()  # out of the pool: closing it really closes it, freeing the lock
            acquired = bool(
                connection.execute(
                    text("SELECT pg_try_advisory_lock(:key)"), {"key": SCHEDULER_LOCK_KEY}
                ).scalar()
            )
            connection.commit()  # the lock outlives the transaction; an idle one would linger
        except Exception:
            connection.close()
            raise
        if not acquired:
            connection.close()
            return False
        self._connection = connection
        self._leading = True
        return True

    def _try_file_lock(self) -> bool:
        self.lock_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_file, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._lock_fd = fd
        self._leading = True
        return True

    def still_leading(self) -> bool:
        """False once the lock's connection is gone (database restart, network cut)."""
        if not self._leading:
            return False
        if self._connection is None:
            return True
        try:
            self._connection.execute(text("SELECT 1"))
            self._connection.commit()
            return True
        except Exception:  # noqa: BLE001 - a broken connection means the lock is gone
            log.warning("Scheduler leadership lost: its database connection broke")
            self.release()
            return False

    def release(self) -> None:
        connection, self._connection, self._leading = self._connection, None, False
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing the file drops its flock
            self._lock_fd = None
        if connection is None:
            return
        try:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": SCHEDULER_LOCK_KEY})
            connection.commit()
        except Exception:  # noqa: BLE001 - closing the connection below frees the lock anyway
            log.debug("Could not unlock the scheduler lock; closing its connection", exc_info=True)
        finally:
            connection.close()


class Scheduler:
    """Runs the jobs on an APScheduler in this process for as long as it leads.

    A process that does not lead asks again every RETRY_LEADERSHIP_EVERY seconds, so a new leader
    takes over when the old one stops or dies.
    """

    def __init__(
        self,
        leader: SchedulerLeader,
        jobs: Iterable[Job] | None = None,
        *,
        retry_every: float = RETRY_LEADERSHIP_EVERY,
    ):
        self.leader = leader
        self.jobs = list(JOBS.values()) if jobs is None else list(jobs)
        self.retry_every = retry_every
        self._apscheduler: BackgroundScheduler | None = None
        self._stopping = threading.Event()
        self._watcher = threading.Thread(
            target=self._watch, name="luckyclub-scheduler-leadership", daemon=True
        )

    @property
    def is_running(self) -> bool:
        return self._apscheduler is not None

    def start(self) -> None:
        self._lead_if_possible()
        self._watcher.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._watcher.is_alive():
            self._watcher.join()
        self._stop_running()

    def _watch(self) -> None:
        while not self._stopping.wait(self.retry_every):
            if self.is_running and not self.leader.still_leading():
                self._stop_running()
            if not self.is_running:
                self._lead_if_possible()

    def _lead_if_possible(self) -> None:
        try:
            leading = self.leader.try_acquire()
        except Exception:  # noqa: BLE001 - database unreachable: ask again next round
            log.warning("Could not ask for scheduler leadership; trying again", exc_info=True)
            return
        if leading:
            self._start_running()

    def _start_running(self) -> None:
        scheduler = BackgroundScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
        )
        for job in self.jobs:
            scheduler.add_job(run_job, job.trigger, args=[job], id=job.name, name=job.name)
        # A new leader starts its timers from now; this one-off run catches up whatever fell due
        # while no process led (a monthly job due during a deploy would otherwise wait a month).
        scheduler.add_job(run_due, kwargs={"jobs": self.jobs}, id="catch_up", name="catch up")
        scheduler.start()
        self._apscheduler = scheduler
        log.info(
            "This process now runs the scheduled jobs: %s", ", ".join(j.name for j in self.jobs)
        )

    def _stop_running(self) -> None:
        scheduler, self._apscheduler = self._apscheduler, None
        if scheduler is not None:
            scheduler.shutdown(wait=True)
        self.leader.release()


def start_scheduler(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    jobs: Iterable[Job] | None = None,
) -> Scheduler | None:
    """Start competing for scheduler leadership, or None when SCHEDULER_ENABLED is off."""
    settings = settings or get_settings()
    if not settings.scheduler_enabled:
        log.info("Scheduler disabled (SCHEDULER_ENABLED=0); run `luckyclub jobs run-due` instead")
        return None
    scheduler = Scheduler(SchedulerLeader(engine), jobs)
    scheduler.start()
    return scheduler


@contextlib.asynccontextmanager
async def scheduler_lifespan() -> AsyncIterator[None]:
    """The app's lifespan task: the scheduler runs while the app runs."""
    # Threads: acquiring the lock and waiting for a running job to finish must not block the loop.
    scheduler = await asyncio.to_thread(start_scheduler)
    try:
        yield
    finally:
        if scheduler is not None:
            await asyncio.to_thread(scheduler.stop)

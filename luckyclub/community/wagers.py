"""Affiliate wagers: every 15 minutes the community's affiliate stats (each username's total wagered
since the period began) become tickets for the viewers whose usernames a moderator verified.

Tickets come from the running total, never from a poll's difference: credited = floor(total ×
rate) minus what this period credited already, so small wagers add up across polls and a total
that falls (the casino corrected it) credits nothing. Every poll's outcome is recorded."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol

from sqlalchemy import func
from sqlmodel import Session, col, select

from luckyclub.club import ledger
from luckyclub.community import announcements, claims, periods
from luckyclub.core import db
from luckyclub.models import (
    Community,
    EntryLedger,
    LedgerSource,
    Raffle,
    User,
    WagerPoll,
    id_of,
    utcnow,
)
from luckyclub.platform import changes

POLL_LEASE = timedelta(minutes=5)  # a poll not finished by then is taken to have died


class StatsRow(Protocol):
    """A username's total wagered in the window (integrations.affiliate.WagerRow)."""

    @property
    def username(self) -> str: ...

    @property
    def wagered(self) -> Decimal: ...


Fetch = Callable[[str, datetime, datetime], Sequence[StatsRow]]
SessionFactory = Callable[[], AbstractContextManager[Session]]


def tickets_for(total: Decimal, unit: int, tickets_per_unit: int) -> int:
    """Whole tickets a running total is worth: floor(total / unit × tickets), exactly (no
    floats): $1,049.99 at $1,000 → 20 is 20 tickets, $2,100 is 42."""
    if unit <= 0 or tickets_per_unit < 0:
        raise ValueError("a wager rate needs a positive unit and no negative tickets")
    if total <= 0:
        return 0
    return int(total * tickets_per_unit // unit)


def still_due(total: Decimal, unit: int, tickets_per_unit: int, credited: int) -> int:
    """Tickets to credit now: what the total is worth minus what was credited, never negative
    (a falling total takes nothing back and credits nothing until it climbs past its best)."""
    return max(0, tickets_for(total, unit, tickets_per_unit) - credited)


def totals_by_username(rows: Iterable[StatsRow]) -> dict[str, Decimal]:
    """Each username's total, keyed as claims are (trimmed, lower-cased); a name listed twice
    (two campaign codes) is summed."""
    totals: dict[str, Decimal] = {}
    for row in rows:
        key = row.username.strip().lower()
        totals[key] = totals.get(key, Decimal(0)) + Decimal(row.wagered)
    return totals


def wager_key(raffle_id: int, user_id: int, worth: int) -> str:
    """A credit's idempotency key: the member's wager tickets reaching `worth` in the period
    happens once, whichever poll (or two at once) gets there."""
    return f"wager:{raffle_id}:{user_id}:{worth}"


@dataclass(frozen=True)
class PollOutcome:
    poll_id: int
    ok: bool
    credited: int
    detail: str


def poll(
    session_factory: SessionFactory,
    community: Community,
    now: datetime,
    fetch: Fetch,
    *,
    unless_running: bool = True,
) -> PollOutcome | None:
    """Read the community's affiliate stats for its period of `now` and credit what is due;
    None when another process is polling this community right now (its poll does the work),
    unless told to poll anyway (`unless_running=False`: the last read before a period closes,
    which must not leave the work to a poll that may finish after the close).

    Three steps, so no transaction stays open while the stats server answers: claim the poll
    (a WagerPoll row), fetch, then credit and record the outcome in one unit of work."""
    community_id = id_of(community)
    with session_factory() as session:
        started = _claim(session, community_id, now, unless_running)
        if started is None:
            return None
        poll_id, raffle_id, start = started
    url = os.environ.get(community.affiliate_source, "") if community.affiliate_source else ""
    rows: Sequence[StatsRow] | None = None
    problem = ""
    if not url:
        problem = (
            f"The affiliate stats URL is not set: put it in the environment variable "
            f"{community.affiliate_source or '(none named)'} and restart."
        )
    else:
        try:
            rows = fetch(url, start, now)
            if not isinstance(rows, list | tuple):
                raise TypeError("the affiliate stats were not a list of rows")
        except Exception as exc:  # noqa: BLE001 - the poll's record is the report; retried next
            problem = str(exc) or type(exc).__name__
    with session_factory() as session:
        return _finish(session, community_id, poll_id, raffle_id, rows, problem, now)


def _claim(
    session: Session, community_id: int, now: datetime, unless_running: bool
) -> tuple[int, int, datetime] | None:
    # One poll of a community at a time: the community row is the lock (PostgreSQL; SQLite's
    # units of work take turns), and an unfinished poll younger than the lease is the claim.
    community = session.exec(
        select(Community).where(Community.id == community_id).with_for_update()
    ).one()
    running = select(WagerPoll.id).where(
        WagerPoll.community_id == community_id,
        col(WagerPoll.finished_at).is_(None),
        col(WagerPoll.started_at) > now - POLL_LEASE,
    )
    if unless_running and session.exec(running).first() is not None:
        return None
    raffle = periods.period_of(session, community, now)
    row = WagerPoll(community_id=community_id, raffle_id=id_of(raffle), started_at=now)
    session.add(row)
    session.flush()
    return id_of(row), id_of(raffle), periods.period_start(raffle.month)


def _finish(
    session: Session,
    community_id: int,
    poll_id: int,
    raffle_id: int,
    rows: Sequence[StatsRow] | None,
    problem: str,
    now: datetime,
) -> PollOutcome:
    community = session.exec(
        select(Community).where(Community.id == community_id).with_for_update()
    ).one()
    record = session.exec(select(WagerPoll).where(WagerPoll.id == poll_id)).one()
    record.finished_at = max(utcnow(), record.started_at)
    period = db.get_existing(session, Raffle, raffle_id)
    if rows is None:
        record.ok, record.detail = False, problem[:500]
    elif not periods.takes_tickets(session, period, now):
        # The reset closed the period while the stats were read (its last read, at midnight).
        record.rows = len(totals_by_username(rows))
        record.ok, record.detail = False, "The period closed before these wagers were credited."
    else:
        totals = totals_by_username(rows)
        record.rows = len(totals)
        record.credited = credit_totals(session, community, raffle_id, totals, now)
        record.ok, record.detail = True, ""
    session.add(record)
    changes.announce(session, changes.community(community_id))
    return PollOutcome(poll_id, record.ok, record.credited, record.detail)


def credit_totals(
    session: Session,
    community: Community,
    raffle_id: int,
    totals: dict[str, Decimal],
    now: datetime,
) -> int:
    """Credit each verified username's member what their total is worth beyond their WAGER rows
    of the period; returns the tickets credited. A member credited at least the community's
    threshold at once is announced on its Discord channel."""
    credited = 0
    verified = claims.verified_usernames(session, community)
    for username_key, user_id in sorted(verified.items(), key=lambda pair: pair[1]):
        total = totals.get(username_key.strip().lower())
        if total is None:
            continue
        already = credited_so_far(session, raffle_id, user_id)
        due = still_due(total, community.wager_unit, community.wager_tickets, already)
        if due <= 0:
            continue
        row = ledger.credit(
            session,
            raffle_id=raffle_id,
            user_id=user_id,
            source=LedgerSource.WAGER,
            amount=due,
            key=wager_key(raffle_id, user_id, already + due),
            now=now,
        )
        if row is not None:
            credited += due
            member = db.get_existing(session, User, user_id)
            announcements.wagers_earned(session, community, member, due, row.idempotency_key)
    return credited


def credited_so_far(session: Session, raffle_id: int, user_id: int) -> int:
    """A member's wager tickets in a period: the sum of their WAGER rows."""
    total = session.exec(
        select(func.coalesce(func.sum(EntryLedger.amount), 0)).where(
            EntryLedger.raffle_id == raffle_id,
            EntryLedger.user_id == user_id,
            EntryLedger.source == LedgerSource.WAGER,
        )
    ).one()
    return int(total)


def poll_all(session_factory: SessionFactory, now: datetime, fetch: Fetch) -> list[PollOutcome]:
    """Poll every community that names an affiliate source (the job, every 15 minutes)."""
    with session_factory() as session:
        communities = list(
            session.exec(
                select(Community)
                .where(col(Community.affiliate_source) != "")
                .order_by(col(Community.id))
            )
        )
    outcomes = [poll(session_factory, community, now, fetch) for community in communities]
    return [outcome for outcome in outcomes if outcome is not None]

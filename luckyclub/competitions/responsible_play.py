"""Responsible play for prize competitions, as the UK prize-draw code asks: 18 or over only,
a monthly spend limit each member sets for themselves, and self-exclusion for 6 months or more.

A checkout calls `check_purchase` inside its own transaction, before it writes the order; the
member's `play_limits` row stays locked until that transaction ends, so their checkouts queue up.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from luckyclub.competitions.catalogue import money, parse_money
from luckyclub.core.errors import NotAllowed, UserError
from luckyclub.models import OrderStatus, PlayLimits, TicketOrder, User, id_of, utcnow
from luckyclub.platform import changes
from luckyclub.platform.accounts import MINIMUM_AGE, age_on

RAISE_DELAY = timedelta(hours=24)  # a raise (or removal) waits this long; a lower is immediate
MIN_LIMIT_PENCE = 100  # £1
MAX_LIMIT_PENCE = 10_000_000  # £100,000
MIN_BREAK_MONTHS = 6
MAX_BREAK_MONTHS = 60
# What the profile page offers; the service accepts any whole number of months in between.
BREAK_CHOICES: tuple[tuple[int, str], ...] = (
    (6, "6 months"),
    (12, "1 year"),
    (24, "2 years"),
    (60, "5 years"),
)
_CHOOSE_A_BREAK = (
    f"Choose {', '.join(words for _, words in BREAK_CHOICES[:-1])} or {BREAK_CHOICES[-1][1]}."
)
# Money the member has committed: an open checkout holds it, a paid order spent it, and a refund
# not yet made is still spent. Refunded, expired and free postal orders cost nothing.
SPENDING_STATUSES = (OrderStatus.PENDING, OrderStatus.PAID, OrderStatus.REFUND_DUE)

LIMIT_FIELD = "monthly_limit"
BREAK_FIELD = "months"
WHOLE_POUNDS = "Enter your limit in whole pounds, like 50, or leave it empty for no limit."


@dataclass(frozen=True)
class PlayStatus:
    """A member's limits as the profile page and the checkout show them."""

    monthly_limit_pence: int | None  # None: no limit
    pending_limit_pence: int | None  # a raise waiting for pending_from
    pending_no_limit: bool  # the waiting change removes the limit (pending_from, no pending limit)
    pending_from: datetime | None
    excluded_until: datetime | None  # None once a break has run out
    spent_this_month_pence: int
    left_this_month_pence: int | None  # None: no limit


# ---- money as members read it ----------------------------------------------------------------


def format_pounds(pence: int) -> str:
    """A whole-pound amount such as a limit: "£1,000"."""
    return f"£{pence // 100:,}" if pence % 100 == 0 else money(pence)


def parse_limit(text: str | None) -> int | None:
    """What a member typed in "Monthly spend limit (£)", in pence; empty means no limit."""
    cleaned = (text or "").replace(" ", "")
    if cleaned == "":
        return None
    try:
        pence = parse_money(cleaned, field=LIMIT_FIELD)
    except UserError:
        pence = None  # its sentence speaks of prices; a limit has its own
    if pence is None or pence % 100:
        raise UserError(WHOLE_POUNDS, field=LIMIT_FIELD)
    return pence


# ---- reading -----------------------------------------------------------------------------------


def spent_this_month(session: Session, user: User, now: datetime | None = None) -> int:
    """Pence the member has committed to orders this calendar month, in their own timezone."""
    start, end = _month_bounds(_now(now), _zone(user.timezone))
    total = session.exec(
        select(func.coalesce(func.sum(TicketOrder.amount_pence), 0)).where(
            TicketOrder.user_id == user.id,
            col(TicketOrder.status).in_(SPENDING_STATUSES),
            TicketOrder.created_at >= start,
            TicketOrder.created_at < end,
        )
    ).one()
    return int(total)


def status(session: Session, user: User, now: datetime | None = None) -> PlayStatus:
    """The member's limits now; a raise whose 24 hours have passed is applied first."""
    now = _now(now)
    row = session.get(PlayLimits, user.id)
    if row is not None and _due_since(row, now) is not None:
        # Re-read under the lock: a lower made meanwhile may have cancelled the raise.
        row = _locked_row(session, id_of(user), now)
        _apply_due_change(row, now)
    return _status(session, user, row, now)


def check_break_months(months: int | str) -> int:
    """A break's length as the member chose it (a number, or the form's text of one), or a
    sentence saying what to choose."""
    if isinstance(months, str) and re.fullmatch(r"-?[0-9]{1,4}", months.strip()):
        months = int(months)
    if isinstance(months, bool) or not isinstance(months, int):
        raise UserError("Choose how long your break lasts from the list.", field=BREAK_FIELD)
    if months < MIN_BREAK_MONTHS:
        raise UserError(
            f"A break lasts at least {MIN_BREAK_MONTHS} months. {_CHOOSE_A_BREAK}",
            field=BREAK_FIELD,
        )
    if months > MAX_BREAK_MONTHS:
        raise UserError(
            f"A break can be set for up to {dict(BREAK_CHOICES)[MAX_BREAK_MONTHS]} at a time. "
            f"{_CHOOSE_A_BREAK}",
            field=BREAK_FIELD,
        )
    return months


def preview_break(
    session: Session, user: User, months: int | str, now: datetime | None = None
) -> datetime:
    """When a break of `months` would end, or the sentence `self_exclude` would refuse it with;
    for the page's confirmation step. Changes nothing."""
    now = _now(now)
    until = break_ends(user, check_break_months(months), now)
    row = session.get(PlayLimits, user.id)
    if row is not None:
        _refuse_a_shorter_break(row, user, until, now)
    return until


def break_ends(user: User, months: int, now: datetime | None = None) -> datetime:
    """When a break of `months` starting now would end: the same local time, months later."""
    local = _now(now).astimezone(_zone(user.timezone))
    return _add_months(local, months).astimezone(UTC)


def local_date(moment: datetime, timezone: str) -> str:
    """A date as the member reads it in their timezone: "12 May 2027"."""
    local = moment.astimezone(_zone(timezone))
    return f"{local.day} {local:%B %Y}"


# ---- the member's own changes ------------------------------------------------------------------


def set_monthly_limit(
    session: Session, user: User, limit_pence: int | None, now: datetime | None = None
) -> PlayStatus:
    """Set, lower, raise or remove the member's monthly limit.

    Lowering (or setting a first limit) is immediate and cancels any waiting raise. Raising or
    removing waits 24 hours, so a decision made in the heat of the moment can cool off; asking
    for a smaller raise than one already waiting keeps its time, a bigger one starts 24 hours anew.
    """
    now = _now(now)
    _check_limit(limit_pence)
    row = _locked_row(session, id_of(user), now)
    _apply_due_change(row, now)
    current = row.monthly_limit_pence
    if limit_pence is not None and (current is None or limit_pence <= current):
        row.monthly_limit_pence = limit_pence
        _clear_pending(row)
    elif limit_pence is None and current is None:
        pass  # no limit already
    else:
        keep_time = row.pending_from is not None and _at_least(row.pending_limit_pence, limit_pence)
        row.pending_limit_pence = limit_pence  # None: the limit is to be removed
        if not keep_time:
            row.pending_from = now + RAISE_DELAY
    row.updated_at = now
    session.add(row)
    changes.announce(session, changes.member(id_of(user)))
    return _status(session, user, row, now)


def self_exclude(
    session: Session, user: User, months: int | str, now: datetime | None = None
) -> PlayStatus:
    """Exclude the member from competitions for `months` from now (at least 6).

    A break cannot be shortened or ended while it runs: a new one must end later than the
    current one, which extends it.
    """
    now = _now(now)
    until = break_ends(user, check_break_months(months), now)
    row = _locked_row(session, id_of(user), now)
    _apply_due_change(row, now)
    _refuse_a_shorter_break(row, user, until, now)
    row.excluded_until = until
    row.updated_at = now
    session.add(row)
    changes.announce(session, changes.member(id_of(user)))
    return _status(session, user, row, now)


# ---- the checkout --------------------------------------------------------------------------------


def check_purchase(session: Session, user: User, amount_pence: int, now: datetime | None = None):
    """Refuse an order the member may not place, with a sentence saying why; otherwise return.

    Call it inside the checkout's transaction, before writing the order: it locks the member's
    limits row until that transaction ends, so two checkouts at once cannot both fit under the
    limit. It writes nothing the caller must keep, apart from creating that row.
    """
    now = _now(now)
    if amount_pence <= 0:
        raise ValueError("an order's amount must be positive")
    today = now.astimezone(_zone(user.timezone)).date()
    if age_on(user.date_of_birth, today) < MINIMUM_AGE:
        raise NotAllowed(f"You must be {MINIMUM_AGE} or over to enter competitions.")
    row = _locked_row(session, id_of(user), now)
    _apply_due_change(row, now)
    if (excluded_until := _break_until(row, now)) is not None:
        raise NotAllowed(
            "You have excluded yourself from competitions until "
            f"{local_date(excluded_until, user.timezone)}."
        )
    limit = row.monthly_limit_pence
    if limit is None:
        return
    left = max(limit - spent_this_month(session, user, now), 0)
    if amount_pence > left:
        raise UserError(
            f"This order would take you over your monthly limit of {format_pounds(limit)}: "
            f"you have {money(left)} left this month."
        )


# ---- inside ------------------------------------------------------------------------------------


def _now(now: datetime | None) -> datetime:
    now = now or utcnow()
    if now.tzinfo is None:
        raise ValueError("responsible play needs an aware datetime")
    return now


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (KeyError, ValueError):  # an account's timezone is checked on save; be safe anyway
        return ZoneInfo("UTC")


def _add_months(moment: datetime, months: int) -> datetime:
    """The same day and time `months` later; the 31st becomes the month's last day."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def _month_bounds(now: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The current calendar month in `zone`, as UTC instants [start, end)."""
    start = now.astimezone(zone).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return start.astimezone(UTC), _add_months(start, 1).astimezone(UTC)


def _check_limit(limit_pence: int | None) -> None:
    if limit_pence is None:
        return
    if isinstance(limit_pence, bool) or not isinstance(limit_pence, int) or limit_pence % 100:
        raise UserError(WHOLE_POUNDS, field=LIMIT_FIELD)
    if not MIN_LIMIT_PENCE <= limit_pence <= MAX_LIMIT_PENCE:
        raise UserError(
            f"Choose a limit between {format_pounds(MIN_LIMIT_PENCE)} and "
            f"{format_pounds(MAX_LIMIT_PENCE)} a month, or leave it empty for no limit.",
            field=LIMIT_FIELD,
        )


def _at_least(pending_pence: int | None, wanted: int | None) -> bool:
    """Is the waiting change at least as generous as `wanted` (None: no limit)?"""
    if pending_pence is None:
        return True
    return wanted is not None and pending_pence >= wanted


def _locked_row(session: Session, user_id: int, now: datetime) -> PlayLimits:
    """The member's limits row, locked until the transaction ends; created on first sight."""
    if session.get_bind().dialect.name == "sqlite":
        # SQLite ignores FOR UPDATE. Any write takes its one write lock (even on no row), so the
        # member's checkouts still go one at a time and the spend read after this is current.
        session.execute(
            update(PlayLimits)
            .where(col(PlayLimits.user_id) == user_id)
            .values(updated_at=col(PlayLimits.updated_at))
            .execution_options(synchronize_session=False)
        )
    query = (
        select(PlayLimits)
        .where(PlayLimits.user_id == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)  # never a copy read before the lock
    )
    row = session.exec(query).first()
    if row is None:
        try:
            with session.begin_nested():
                row = PlayLimits(user_id=user_id, updated_at=now)
                session.add(row)
        except IntegrityError:  # another checkout by this member created it a moment ago
            row = session.exec(query).one()
    return row


def _due_since(row: PlayLimits, now: datetime) -> datetime | None:
    """When the waiting change fell due; None if none waits or its 24 hours are not over."""
    due = row.pending_from
    return due if due is not None and due <= now else None


def _apply_due_change(row: PlayLimits, now: datetime) -> None:
    due = _due_since(row, now)
    if due is None:
        return
    row.monthly_limit_pence = row.pending_limit_pence
    row.updated_at = due  # when the limit changed, not when someone looked
    _clear_pending(row)


def _clear_pending(row: PlayLimits) -> None:
    row.pending_limit_pence = None
    row.pending_from = None


def _break_until(row: PlayLimits, now: datetime) -> datetime | None:
    """When the member's running break ends; None if no break runs."""
    until = row.excluded_until
    return until if until is not None and until > now else None


def _refuse_a_shorter_break(row: PlayLimits, user: User, until: datetime, now: datetime) -> None:
    current = _break_until(row, now)
    if current is not None and until <= current:
        raise UserError(
            "Your break already runs until "
            f"{local_date(current, user.timezone)} and cannot be shortened or ended "
            "early. To extend it, choose a longer period.",
            field=BREAK_FIELD,
        )


def _status(session: Session, user: User, row: PlayLimits | None, now: datetime) -> PlayStatus:
    spent = spent_this_month(session, user, now)
    if row is None:
        return PlayStatus(None, None, False, None, None, spent, None)
    limit = row.monthly_limit_pence
    return PlayStatus(
        monthly_limit_pence=limit,
        pending_limit_pence=row.pending_limit_pence,
        pending_no_limit=row.pending_from is not None and row.pending_limit_pence is None,
        pending_from=row.pending_from,
        excluded_until=_break_until(row, now),
        spent_this_month_pence=spent,
        left_this_month_pence=None if limit is None else max(limit - spent, 0),
    )

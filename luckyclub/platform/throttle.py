"""Throttles: how often one account, one client address or one email may try something.

One mechanism for every limit (wrong passwords, sign-ups, reset requests): a counter per key in
`login_throttle`. Past a limit's free attempts, each further counted attempt locks the key for
twice as long as the last, up to the limit's longest wait; an hour without counted attempts
forgets the count. Keys are keyed hashes, so the table names no email and no address.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from luckyclub.core import security
from luckyclub.models import LoginThrottle

MEMORY = timedelta(hours=1)


@dataclass(frozen=True)
class Limit:
    scope: str  # what is counted, and for what: "login-email", "signup-ip", …
    free: int  # attempts counted before the first wait
    first_wait: timedelta
    longest_wait: timedelta

    def on(self, value: str) -> str:
        """The key this limit counts `value` (an email, an address) under."""
        return security.keyed_hash(self.scope, value)


# One account's password: strict, whoever guesses it and from wherever.
SIGN_IN_ACCOUNT = Limit("login-email", 5, timedelta(seconds=2), timedelta(minutes=15))
# One client address: an office or a mobile network puts many people behind one address, so it
# takes ten times an account's failures before it waits.
SIGN_IN_ADDRESS = Limit("login-ip", 50, timedelta(seconds=2), timedelta(minutes=15))
# Sign-ups and reset requests each send an email: enough for a family or an office sharing an
# address, and for a person whose first email went to spam; not enough to flood anyone's inbox.
SIGN_UP_ADDRESS = Limit("signup-ip", 10, timedelta(minutes=10), timedelta(hours=1))
SIGN_UP_EMAIL = Limit("signup-email", 3, timedelta(minutes=10), timedelta(hours=1))
RESET_ADDRESS = Limit("reset-ip", 10, timedelta(minutes=10), timedelta(hours=1))
RESET_EMAIL = Limit("reset-email", 3, timedelta(minutes=10), timedelta(hours=1))
# "Check my entry": free for what a person does (checking their own and a few friends' entries),
# slowed before a script can keep the server reading snapshots.
ENTRY_CHECK_ADDRESS = Limit("entry-check-ip", 60, timedelta(seconds=10), timedelta(minutes=10))


def wait_seconds(session: Session, keys: list[str], now: datetime) -> int:
    """How long the most locked of these keys must still wait, in whole seconds (0: not locked)."""
    rows = session.exec(select(LoginThrottle).where(col(LoginThrottle.key).in_(keys))).all()
    waits = [
        (r.locked_until - now).total_seconds()
        for r in rows
        if r.locked_until and r.locked_until > now
    ]
    return int(max(waits) + 0.999) if waits else 0


def count(session: Session, counted: list[tuple[Limit, str]], now: datetime) -> None:
    """Count one attempt against each (limit, value), with atomic updates so parallel attempts all
    count; commits, so the count survives the caller's rollback of the refused attempt."""
    for limit, value in counted:
        key = limit.on(value)
        if session.get(LoginThrottle, key) is None:
            try:
                with session.begin_nested():
                    session.add(LoginThrottle(key=key))
            except IntegrityError:
                pass  # another attempt created it a moment ago
        forgotten = col(LoginThrottle.last_failure_at) < now - MEMORY
        session.execute(
            update(LoginThrottle)
            .where(col(LoginThrottle.key) == key)
            .values(
                failures=case((forgotten, 1), else_=col(LoginThrottle.failures) + 1),
                last_failure_at=now,
            )
        )
        attempts = session.execute(
            select(LoginThrottle.failures).where(LoginThrottle.key == key)
        ).scalar_one()
        if attempts >= limit.free:
            doublings = min(attempts - limit.free, 32)  # 2**32 waits are past any longest wait
            wait = min(limit.first_wait * 2**doublings, limit.longest_wait)
            session.execute(
                update(LoginThrottle)
                .where(col(LoginThrottle.key) == key)
                .values(locked_until=now + wait)
            )
    session.commit()


def forgive(session: Session, keys: list[str]) -> None:
    """Forget these keys' counts (a correct password proves the attempts were the owner's)."""
    session.execute(delete(LoginThrottle).where(col(LoginThrottle.key).in_(keys)))


def human_wait(seconds: int) -> str:
    """A wait as a person reads it: "2 seconds", "15 minutes"."""
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = (seconds + 59) // 60
    return f"{minutes} minute{'s' if minutes != 1 else ''}"

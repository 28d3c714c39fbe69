"""The entry ledger: the one place a member's chances in a raffle change, always as an appended row.

Balances, breakdowns, leaderboards and odds are queries over the rows. Every credit carries an
idempotency key (the invoice, the proof, the grant…): a replay finds its key taken, adds nothing.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, delete, func, insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from luckyclub.core import db
from luckyclub.core.errors import UserError
from luckyclub.models import (
    EntryBalance,
    EntryLedger,
    LedgerSource,
    Raffle,
    RaffleStatus,
    RaffleTotal,
    User,
    id_of,
    utcnow,
)
from luckyclub.platform import audit, changes, roles

MAX_GRANT = 10_000


def _open_raffle(session: Session, raffle_id: int, now: datetime | None = None) -> Raffle:
    # FOR SHARE on PostgreSQL: a draw closing the raffle (FOR UPDATE) waits for this credit to
    # commit, so its snapshot holds every entry credited before the close.
    raffle = session.get(Raffle, raffle_id, with_for_update={"read": True})
    if raffle is None:
        raise UserError("That raffle no longer exists.")
    if raffle.status == RaffleStatus.DRAFT:
        raise UserError(f"{raffle.title} has not opened yet, so it cannot take entries.")
    if raffle.status != RaffleStatus.OPEN or raffle.closes_at <= (now or utcnow()):
        raise UserError(f"{raffle.title} has closed, so its entries can no longer change.")
    return raffle


# What each source is called wherever a person reads it (the ledger, the admin's chart).
SOURCE_WORDS: dict[str, str] = {
    LedgerSource.BASE: "Membership",
    LedgerSource.PROOF: "Approved proof",
    LedgerSource.BONUS: "Bonus",
    LedgerSource.ADMIN: "Granted by an admin",
    LedgerSource.WATCHTIME: "Watch time",
    LedgerSource.GIFTED_SUB: "Gifted subs",
    LedgerSource.WAGER: "Wagers",
    LedgerSource.CARRY_OVER: "Carried over",
    LedgerSource.CORRECTION: "Correction",
    LedgerSource.REMOVAL: "Removed by a moderator",
    LedgerSource.REVERSAL: "Reversed",
}


def credit(
    session: Session,
    *,
    raffle_id: int,
    user_id: int,
    source: str,
    amount: int,
    key: str,
    reason: str = "",
    actor_id: int | None = None,
    now: datetime | None = None,
) -> EntryLedger | None:
    """Add entries unless `key` was used before; None means this credit happened already."""
    if amount <= 0:
        raise ValueError("a credit adds at least one entry")
    if session.exec(select(EntryLedger.id).where(EntryLedger.idempotency_key == key)).first():
        return None
    _open_raffle(session, raffle_id, now)
    row = EntryLedger(
        raffle_id=raffle_id,
        user_id=user_id,
        source=source,
        amount=amount,
        idempotency_key=key,
        reason=reason[:500],
        actor_id=actor_id,
    )
    try:
        with session.begin_nested():  # a concurrent replay loses here, without undoing the caller
            append(session, row)
    except IntegrityError:
        return None
    return row


@dataclass(frozen=True)
class NewCredit:
    """One credit of a batch (credit_many): who, from what, how many, and its idempotency key."""

    user_id: int
    source: str
    amount: int
    key: str
    reason: str = ""


def credit_many(
    session: Session,
    raffle_id: int,
    credits: Sequence[NewCredit],
    *,
    now: datetime | None = None,
    topics: Sequence[str] = (changes.CLUB,),
) -> set[str]:
    """Add many credits to one raffle in a few statements (an hour's chat time for a thousand
    viewers), each once per key: returns the keys credited now; a key used before (or by a
    concurrent transaction) is skipped by the unique index, not by a read. The cached sums move
    in the same transaction, as `append` moves them for one row. `topics` are announced besides
    each member's own."""
    if any(credit.amount <= 0 for credit in credits):
        raise ValueError("a credit adds at least one entry")
    if not credits:
        return set()
    _open_raffle(session, raffle_id, now)
    created = utcnow()
    added: list[tuple[int, int, str]] = []
    for start in range(0, len(credits), 500):  # SQLite takes a limited number of parameters
        chunk = credits[start : start + 500]
        rows = [
            {
                "raffle_id": raffle_id,
                "user_id": c.user_id,
                "source": c.source,
                "amount": c.amount,
                "idempotency_key": c.key,
                "reason": c.reason[:500],
                "actor_id": None,
                "created_at": created,
            }
            for c in chunk
        ]
        inserted = session.execute(
            _insert(session, EntryLedger)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
            .returning(
                col(EntryLedger.user_id), col(EntryLedger.amount), col(EntryLedger.idempotency_key)
            )
        ).all()
        added += [(user_id, amount, key) for user_id, amount, key in inserted]
    per_member: dict[int, int] = {}
    for user_id, amount, _key in added:
        per_member[user_id] = per_member.get(user_id, 0) + amount
    if not per_member:
        return set()
    joined = 0
    members = sorted(per_member)  # one order for every batch: no deadlock between two
    for start in range(0, len(members), 500):
        upsert = _insert(session, EntryBalance).values(
            [
                {"raffle_id": raffle_id, "user_id": u, "held": per_member[u]}
                for u in members[start : start + 500]
            ]
        )
        balances = session.execute(
            upsert.on_conflict_do_update(
                index_elements=["raffle_id", "user_id"],
                set_={"held": EntryBalance.held + upsert.excluded.held},
            ).returning(col(EntryBalance.user_id), col(EntryBalance.held))
        ).all()
        joined += sum(1 for user_id, held in balances if held - per_member[user_id] <= 0 < held)
    total = _insert(session, RaffleTotal).values(
        raffle_id=raffle_id, entries=sum(per_member.values()), entrants=joined
    )
    session.execute(
        total.on_conflict_do_update(
            index_elements=["raffle_id"],
            set_={
                "entries": RaffleTotal.entries + total.excluded.entries,
                "entrants": RaffleTotal.entrants + total.excluded.entrants,
            },
        )
    )
    changes.announce(session, *topics, *(changes.member(user_id) for user_id in per_member))
    return {key for _user, _amount, key in added}


def append(session: Session, row: EntryLedger, *, topics: Sequence[str] = (changes.CLUB,)) -> None:
    """The one write path: the ledger row, and in the same transaction the cached sums. The
    member's balance changes, and the raffle's total everyone sees: announced on the member's
    topic and `topics` (the club's raffles, or a community's pages). The caller has checked
    that the raffle is open and, for a removal, that the balance covers it."""
    session.add(row)
    session.flush()
    changes.announce(session, changes.member(row.user_id), *topics)
    # Make sure the balance row exists, then move it: PostgreSQL checks "held >= 0" on the row an
    # INSERT proposes, so a removal cannot go through an upsert's insert half.
    session.execute(
        _insert(session, EntryBalance)
        .values(raffle_id=row.raffle_id, user_id=row.user_id, held=0)
        .on_conflict_do_nothing(index_elements=["raffle_id", "user_id"])
    )
    held = session.execute(
        update(EntryBalance)
        .where(
            col(EntryBalance.raffle_id) == row.raffle_id,
            col(EntryBalance.user_id) == row.user_id,
        )
        .values(held=col(EntryBalance.held) + row.amount)
        .returning(col(EntryBalance.held))
    ).scalar_one()
    before = held - row.amount
    joined = int(held > 0) - int(before > 0)  # +1: now holds entries; -1: no longer does
    total = _insert(session, RaffleTotal).values(
        raffle_id=row.raffle_id, entries=row.amount, entrants=joined
    )
    session.execute(
        total.on_conflict_do_update(
            index_elements=["raffle_id"],
            set_={
                "entries": RaffleTotal.entries + row.amount,
                "entrants": RaffleTotal.entrants + joined,
            },
        )
    )


def _insert(session: Session, table):
    return db.upsert(session, table)


def balance(session: Session, raffle_id: int, user_id: int) -> int:
    held = session.exec(
        select(EntryBalance.held).where(
            EntryBalance.raffle_id == raffle_id, EntryBalance.user_id == user_id
        )
    ).first()
    return int(held or 0)


def _lock_member(session: Session, user_id: int) -> None:
    """Serialise changes to one member's entries (PostgreSQL row lock; SQLite has one writer)."""
    session.exec(select(User.id).where(User.id == user_id).with_for_update()).first()


def grant(
    session: Session,
    admin: User,
    *,
    raffle_id: int,
    user_id: int,
    amount: int,
    reason: str,
    now: datetime | None = None,
) -> EntryLedger:
    """An admin (or a moderator of the raffle's program) adds (amount > 0) or removes
    (amount < 0) entries, with a reason."""
    raffle = session.get(Raffle, raffle_id)
    if raffle is None:
        raise UserError("That raffle does not exist.")
    roles.require_program_moderator(session, admin, raffle.program_id)
    reason = (reason or "").strip()
    if not reason:
        raise UserError("Give a reason; the member sees it next to the change.", field="reason")
    if amount == 0 or abs(amount) > MAX_GRANT:
        raise UserError(
            f"Enter a number of entries between 1 and {MAX_GRANT:,}, or a negative one."
        )
    member = session.get(User, user_id)
    if member is None:
        raise UserError("That member no longer exists.")
    _open_raffle(session, raffle_id, now)
    _lock_member(session, user_id)
    if amount < 0 and (held := balance(session, raffle_id, user_id)) < -amount:
        raise UserError(
            f"{member.display_name} has {held} entries in this raffle, so at most {held} "
            "can be removed. A balance never goes below zero."
        )
    row = EntryLedger(
        raffle_id=raffle_id,
        user_id=user_id,
        source=LedgerSource.ADMIN if amount > 0 else LedgerSource.CORRECTION,
        amount=amount,
        idempotency_key=f"admin:{secrets.token_hex(12)}",
        reason=reason[:500],
        actor_id=admin.id,
    )
    append(session, row)
    action = "entries.grant" if amount > 0 else "entries.remove"
    audit.record(
        session, admin, action, "user", user_id, f"{amount:+d} in raffle #{raffle_id}: {reason}"
    )
    return row


# ---- reading the ledger ----------------------------------------------------------------------


def breakdown(session: Session, raffle_id: int, user_id: int) -> dict[str, int]:
    rows = session.exec(
        select(EntryLedger.source, func.sum(EntryLedger.amount))
        .where(EntryLedger.raffle_id == raffle_id, EntryLedger.user_id == user_id)
        .group_by(EntryLedger.source)
    ).all()
    return {source: int(total) for source, total in rows}


def member_rows(
    session: Session, user_id: int, *, raffle_id: int | None = None, limit: int | None = None
) -> list[EntryLedger]:
    query = select(EntryLedger).where(EntryLedger.user_id == user_id)
    if raffle_id is not None:
        query = query.where(EntryLedger.raffle_id == raffle_id)
    query = query.order_by(col(EntryLedger.id).desc())
    if limit:
        query = query.limit(limit)
    return list(session.exec(query))


@dataclass(frozen=True)
class RaffleTotals:
    entries: int
    entrants: int


def totals(session: Session, raffle_id: int) -> RaffleTotals:
    """All entries in a raffle, and how many members hold at least one."""
    row = session.get(RaffleTotal, raffle_id)
    return RaffleTotals(entries=row.entries, entrants=row.entrants) if row else RaffleTotals(0, 0)


@dataclass(frozen=True)
class Odds:
    mine: int
    total: int

    @property
    def percent(self) -> float:
        return 100.0 * self.mine / self.total if self.total else 0.0

    def sentence(self) -> str:
        if not self.mine:
            return "You have no entries in this raffle yet."
        return f"{self.mine:,} in {self.total:,} ({self.percent:.2f} %)"


def odds(session: Session, raffle_id: int, user_id: int) -> Odds:
    return Odds(mine=balance(session, raffle_id, user_id), total=totals(session, raffle_id).entries)


@dataclass(frozen=True)
class LeaderboardRow:
    rank: int
    name: str
    entries: int
    user_id: int


def public_name(user: User) -> str:
    """How a member appears to others: their display name if they chose so, else Member #id."""
    return user.display_name if user.show_on_leaderboard else f"Member #{user.id}"


def leaderboard(session: Session, raffle_id: int, *, limit: int = 25) -> list[LeaderboardRow]:
    rows = session.exec(
        select(User, EntryBalance.held)
        .join(User, col(User.id) == col(EntryBalance.user_id))
        .where(EntryBalance.raffle_id == raffle_id, EntryBalance.held > 0)
        .order_by(col(EntryBalance.held).desc(), col(EntryBalance.user_id))
        .limit(limit)
    ).all()
    return [
        LeaderboardRow(rank=n, name=public_name(user), entries=int(held), user_id=id_of(user))
        for n, (user, held) in enumerate(rows, start=1)
    ]


def holders(session: Session, raffle_id: int) -> Sequence[tuple[int, int]]:
    """(user_id, entries) of every member holding entries in a raffle: a million for a draw."""
    return db.plain_rows(
        session,
        select(EntryBalance.user_id, EntryBalance.held).where(
            EntryBalance.raffle_id == raffle_id, EntryBalance.held > 0
        ),
    )


def rebuild_cache(session: Session) -> int:
    """Recompute every cached balance and total from the ledger; returns the balances written."""
    session.execute(delete(RaffleTotal))
    session.execute(delete(EntryBalance))
    sums = select(
        EntryLedger.raffle_id, EntryLedger.user_id, func.sum(EntryLedger.amount)
    ).group_by(col(EntryLedger.raffle_id), col(EntryLedger.user_id))
    session.execute(insert(EntryBalance).from_select(["raffle_id", "user_id", "held"], sums))
    per_raffle = select(
        EntryBalance.raffle_id,
        func.sum(EntryBalance.held),
        func.sum(case((col(EntryBalance.held) > 0, 1), else_=0)),
    ).group_by(col(EntryBalance.raffle_id))
    session.execute(
        insert(RaffleTotal).from_select(["raffle_id", "entries", "entrants"], per_raffle)
    )
    # Any member's balance may have been wrong: every page that shows one reloads.
    changes.announce(session, changes.EVERYTHING)
    return session.exec(select(func.count()).select_from(EntryBalance)).one()


def cache_matches_ledger(session: Session) -> bool:
    """True when every cached balance equals the sum of its ledger rows (a check for tests/ops)."""
    sums = {
        (r, u): int(total)
        for r, u, total in session.exec(
            select(
                EntryLedger.raffle_id, EntryLedger.user_id, func.sum(EntryLedger.amount)
            ).group_by(col(EntryLedger.raffle_id), col(EntryLedger.user_id))
        )
    }
    cached = {(b.raffle_id, b.user_id): b.held for b in session.exec(select(EntryBalance))}
    return sums == {key: held for key, held in cached.items() if held or key in sums}


def entries_per_day(session: Session, *, since: date) -> list[tuple[str, str, int]]:
    """(day "YYYY-MM-DD", source, entries) for the admin chart, credits and removals alike."""
    day = func.date(EntryLedger.created_at)
    since_moment = datetime(since.year, since.month, since.day, tzinfo=utcnow().tzinfo)
    rows = session.exec(
        select(day, EntryLedger.source, func.sum(EntryLedger.amount))
        .where(EntryLedger.created_at >= since_moment)
        .group_by(day, EntryLedger.source)
        .order_by(day)
    ).all()
    return [(str(d), source, int(total)) for d, source, total in rows]

"""A community's tickets: the one function every earner calls (`credit_kick`), a moderator's
give and remove, reversals, and the sums by source.

Tickets are rows of the entry ledger (club/ledger.py) in the period's raffle, keyed by the event
that caused them, so a replay credits nothing. Tickets earned by a Kick id no account has linked
yet are held (HeldTicket) under the same key and move into the ledger when it is linked within
the period (identities.link_kick)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from luckyclub.club import ledger
from luckyclub.community import communities, exclusions, periods
from luckyclub.core import db
from luckyclub.core.errors import UserError
from luckyclub.models import (
    Community,
    EntryLedger,
    HeldTicket,
    KickIdentity,
    LedgerSource,
    Raffle,
    User,
    id_of,
    utcnow,
)
from luckyclub.platform import audit, changes, roles

MAX_CHANGE = 100_000  # tickets a moderator gives or removes at once
EARNED = (LedgerSource.WATCHTIME, LedgerSource.GIFTED_SUB, LedgerSource.WAGER, LedgerSource.BONUS)

# What each source is called on the community's pages (the seed's words).
SOURCE_WORDS: dict[str, str] = {
    LedgerSource.WATCHTIME: "Chat time",
    LedgerSource.GIFTED_SUB: "Gifted subs",
    LedgerSource.WAGER: "Wagers",
    LedgerSource.BONUS: "Bonus",
    LedgerSource.REMOVAL: "Removed by a moderator",
    LedgerSource.REVERSAL: "Reversed",
}


@dataclass(frozen=True)
class Credit:
    """What credit_kick did: `credited` into the ledger, `held` for an unlinked Kick id, or
    nothing: `duplicate` (the key was used), `excluded` (a moderator excluded the id), `closed`
    (the period of `now` no longer takes tickets)."""

    outcome: str
    amount: int = 0
    period_id: int | None = None
    user_id: int | None = None


def credit_kick(
    session: Session,
    community: Community,
    kick_user_id: int,
    source: str,
    amount: int,
    key: str,
    now: datetime,
    username: str = "",
) -> Credit:
    """Credit `amount` tickets from `source` to a Kick id in the period of `now` (the event's
    time): into the linked account's ledger, or held for the id until it is linked. Once per
    `key`, however many times and processes ask. A username given follows the id (a rename)."""
    credit = KickCredit(kick_user_id, source, amount, key, username)
    return credit_kick_many(session, community, [credit], now)[0]


@dataclass(frozen=True)
class KickCredit:
    """One credit of a batch: tickets from `source` for a Kick id, keyed by what earned them."""

    kick_user_id: int
    source: str
    amount: int
    key: str
    username: str = ""


def credit_kick_many(
    session: Session, community: Community, credits: Sequence[KickCredit], now: datetime
) -> list[Credit]:
    """credit_kick for many credits in the same period at once (an hour's chat time for a
    thousand viewers) in a handful of statements; one Credit per credit, in order."""
    for credit in credits:
        if credit.amount <= 0:
            raise ValueError("a credit adds at least one ticket")
        if credit.source not in EARNED:
            raise ValueError(f"{credit.source!r} is not a source tickets are earned from")
    if not credits:
        return []
    outcome: dict[int, Credit] = {}
    first_of_key: dict[str, int] = {}
    for n, credit in enumerate(credits):
        if credit.key in first_of_key:
            outcome[n] = Credit("duplicate")
        else:
            first_of_key[credit.key] = n
    excluded = exclusions.excluded_among(session, community, {c.kick_user_id for c in credits})
    for n, credit in enumerate(credits):
        if n not in outcome and credit.kick_user_id in excluded:
            outcome[n] = Credit("excluded")
    todo = [n for n in range(len(credits)) if n not in outcome]
    period = periods.period_of(session, community, now)
    # The identities first, then the period: the order link_kick takes them in. Once an id is
    # locked, nobody links it meanwhile, so "linked or held" and the used keys stay true.
    names = {credits[n].kick_user_id: credits[n].username for n in todo}
    identities = lock_identities(session, names, now)
    if todo and not periods.takes_tickets(session, period, now):
        for n in todo:
            outcome[n] = Credit("closed", period_id=period.id)
        todo = []
    used = _keys_used(session, [credits[n].key for n in todo])
    for n in todo:
        if credits[n].key in used:
            outcome[n] = Credit("duplicate")
    todo = [n for n in todo if n not in outcome]
    owner = {n: identities[credits[n].kick_user_id].user_id for n in todo}
    to_ledger = [n for n in todo if owner[n] is not None]
    to_hold = [n for n in todo if owner[n] is None]
    topic = changes.community(id_of(community))
    credited = ledger.credit_many(
        session,
        id_of(period),
        [
            ledger.NewCredit(owner[n] or 0, credits[n].source, credits[n].amount, credits[n].key)
            for n in to_ledger
        ],
        now=now,
        topics=(topic,),
    )
    held = _hold(session, id_of(period), [credits[n] for n in to_hold])
    for n in to_ledger:
        c = credits[n]
        done = c.key in credited
        outcome[n] = (
            Credit("credited", c.amount, period.id, owner[n]) if done else Credit("duplicate")
        )
    for n in to_hold:
        c = credits[n]
        outcome[n] = Credit("held", c.amount, period.id) if c.key in held else Credit("duplicate")
    if held:
        changes.announce(session, topic)
    return [outcome[n] for n in range(len(credits))]


def _hold(session: Session, period_id: int, credits: Sequence[KickCredit]) -> set[str]:
    """Held tickets for unlinked ids, once per key; returns the keys held now."""
    held: set[str] = set()
    created = utcnow()
    for start in range(0, len(credits), 500):
        rows = [
            {
                "raffle_id": period_id,
                "kick_user_id": c.kick_user_id,
                "source": c.source,
                "amount": c.amount,
                "idempotency_key": c.key,
                "created_at": created,
                "released_at": None,
            }
            for c in credits[start : start + 500]
        ]
        held.update(
            session.execute(
                db.upsert(session, HeldTicket)
                .values(rows)
                .on_conflict_do_nothing(index_elements=["idempotency_key"])
                .returning(col(HeldTicket.idempotency_key))
            ).scalars()
        )
    return held


def _keys_used(session: Session, keys: Sequence[str]) -> set[str]:
    """Which of these keys credited (or held) tickets already."""
    used: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = list(keys[start : start + 500])
        used.update(
            session.exec(
                select(EntryLedger.idempotency_key).where(
                    col(EntryLedger.idempotency_key).in_(chunk)
                )
            ).all()
        )
        used.update(
            session.exec(
                select(HeldTicket.idempotency_key).where(col(HeldTicket.idempotency_key).in_(chunk))
            ).all()
        )
    return used


def _key_used(session: Session, key: str) -> bool:
    return key in _keys_used(session, [key])


def lock_identity(
    session: Session, kick_user_id: int, username: str = "", now: datetime | None = None
) -> KickIdentity:
    """The Kick id's identity row, made if need be and locked (PostgreSQL: FOR UPDATE) so a
    credit and a link of the same id take turns: a ticket is either released by the link or
    credited to the linked account, never left held. A new username replaces the old one."""
    return lock_identities(session, {kick_user_id: username}, now)[kick_user_id]


def lock_identities(
    session: Session, names: dict[int, str], now: datetime | None = None
) -> dict[int, KickIdentity]:
    """lock_identity for many Kick ids (id → the name Kick gave, or ""), locked in id order so
    two batches never wait on each other in a circle."""
    ids = sorted(names)
    if not ids:
        return {}
    query = (
        select(KickIdentity)
        .where(col(KickIdentity.kick_user_id).in_(ids))
        .order_by(col(KickIdentity.kick_user_id))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    found = {i.kick_user_id: i for i in session.exec(query)}
    missing = [kick_id for kick_id in ids if kick_id not in found]
    if missing:
        created = now or utcnow()
        session.execute(
            db.upsert(session, KickIdentity)
            .values(
                [
                    {"kick_user_id": k, "username": names[k].strip()[:80], "updated_at": created}
                    for k in missing
                ]
            )
            .on_conflict_do_nothing(index_elements=["kick_user_id"])
        )
        found = {i.kick_user_id: i for i in session.exec(query)}
    for kick_id, identity in found.items():
        username = names[kick_id].strip()[:80]
        if username and identity.username != username:
            identity.username, identity.updated_at = username, now or utcnow()
            session.add(identity)
    return found


def release_held(session: Session, identity: KickIdentity, period: Raffle, now: datetime) -> int:
    """Move the id's held tickets of `period` into its linked account's ledger, in the order they
    were earned (a reversal takes at most what is held: never below zero); returns the tickets
    moved. Held tickets of other periods stay where they are."""
    if identity.user_id is None or not periods.takes_tickets(session, period, now):
        return 0
    held = session.exec(
        select(HeldTicket)
        .where(
            HeldTicket.kick_user_id == identity.kick_user_id,
            HeldTicket.raffle_id == period.id,
            col(HeldTicket.released_at).is_(None),
        )
        .order_by(col(HeldTicket.id))
        .with_for_update()
    ).all()
    moved = 0
    for ticket in held:
        ticket.released_at = now
        session.add(ticket)
        amount = ticket.amount
        if amount < 0:
            amount = -min(-amount, ledger.balance(session, id_of(period), identity.user_id))
            if amount == 0:
                continue
            row = EntryLedger(
                raffle_id=id_of(period),
                user_id=identity.user_id,
                source=ticket.source,
                amount=amount,
                idempotency_key=ticket.idempotency_key,
                reason="Reversed before your Kick account was linked",
            )
            ledger.append(session, row, topics=())  # the link announces the community
            moved += amount
            continue
        earned = ledger.NewCredit(
            identity.user_id,
            ticket.source,
            amount,
            ticket.idempotency_key,
            "Earned before your Kick account was linked",
        )
        if ledger.credit_many(session, id_of(period), [earned], now=now, topics=()):
            moved += amount
    return moved


# ---- moderators: give, remove, reverse ----------------------------------------------------------


def _checked_amount(amount: int) -> int:
    try:
        amount = int(amount)
    except (TypeError, ValueError):
        raise UserError("Enter the number of tickets as a whole number.", field="amount") from None
    if not 1 <= amount <= MAX_CHANGE:
        raise UserError(f"Enter a number of tickets from 1 to {MAX_CHANGE:,}.", field="amount")
    return amount


def _viewer(session: Session, user_id: int) -> User:
    viewer = session.get(User, user_id)
    if viewer is None:
        raise UserError("That viewer's account no longer exists.")
    return viewer


def _lock_member(session: Session, user_id: int) -> None:
    """One change to a viewer's tickets at a time (PostgreSQL row lock; SQLite has one writer)."""
    session.exec(select(User.id).where(User.id == user_id).with_for_update()).first()


def give(
    session: Session,
    moderator: User,
    community: Community,
    user_id: int,
    amount: int,
    reason: str,
    now: datetime | None = None,
    *,
    discord_role: str | None = None,
) -> EntryLedger:
    """A moderator gives a viewer bonus tickets in the current period, with a reason the viewer
    sees next to them."""
    return _moderators_change(
        session, moderator, community, user_id, amount, reason, now, discord_role, _GIVE
    )


def remove(
    session: Session,
    moderator: User,
    community: Community,
    user_id: int,
    amount: int,
    reason: str,
    now: datetime | None = None,
    *,
    discord_role: str | None = None,
) -> EntryLedger:
    """A moderator takes tickets away from a viewer in the current period (a violation), with a
    reason; never more than the viewer holds."""
    return _moderators_change(
        session, moderator, community, user_id, amount, reason, now, discord_role, _REMOVE
    )


@dataclass(frozen=True)
class _Change:
    """What tells a moderator's give from a remove."""

    source: str
    sign: int  # +1 gives, -1 removes
    name: str  # in the idempotency key and the audit action
    shown: str  # where the viewer sees the reason
    words: str  # the audit detail's "+5 to Ann" / "-5 from Ann"


_GIVE = _Change(LedgerSource.BONUS, 1, "give", "next to the tickets", "+{amount} to {viewer}")
_REMOVE = _Change(
    LedgerSource.REMOVAL, -1, "remove", "next to the removal", "-{amount} from {viewer}"
)


def _moderators_change(
    session: Session,
    moderator: User,
    community: Community,
    user_id: int,
    amount: int,
    reason: str,
    now: datetime | None,
    discord_role: str | None,
    change: _Change,
) -> EntryLedger:
    communities.require_moderator(session, moderator, community, discord_role=discord_role)
    amount = _checked_amount(amount)
    reason = audit.checked_reason(reason, shown=f"the viewer sees it {change.shown}")
    viewer = _viewer(session, user_id)
    now = now or utcnow()
    period = periods.period_of(session, community, now)
    if not periods.takes_tickets(session, period, now):
        raise UserError("This period has closed: its tickets can no longer change.")
    _lock_member(session, user_id)
    if change.sign < 0 and amount > (held := ledger.balance(session, id_of(period), user_id)):
        raise UserError(
            f"{viewer.display_name} holds {held:,} tickets this period, so at most {held:,} can "
            "be removed. A balance never goes below zero.",
            field="amount",
        )
    row = EntryLedger(
        raffle_id=id_of(period),
        user_id=user_id,
        source=change.source,
        amount=change.sign * amount,
        idempotency_key=f"community-{change.name}:{secrets.token_hex(12)}",
        reason=reason,
        actor_id=moderator.id,
    )
    ledger.append(session, row, topics=(changes.community(id_of(community)),))
    changes.announce(session, changes.community(id_of(community)))
    whom = change.words.format(amount=amount, viewer=f"{viewer.display_name} (#{user_id})")
    audit.record(
        session,
        moderator,
        f"community.tickets.{change.name}",
        "community",
        community.id,
        f"{whom} in period #{period.id}: {reason}" + communities.as_role(discord_role),
    )
    return row


@dataclass(frozen=True)
class Reversal:
    """What a reversal took back: from the ledger (`user_id` set) or from held tickets."""

    amount: int  # tickets taken back (0: the credit was gone already)
    period_id: int
    user_id: int | None = None


def reverse(
    session: Session,
    moderator: User,
    community: Community,
    key: str,
    reason: str,
    now: datetime | None = None,
) -> Reversal:
    """Undo the credit made under `key` (a gift whose payment failed) with a negative REVERSAL
    row in its period, taking at most what the viewer still holds (never below zero). Once per
    credit: a second reversal finds it reversed. Audited."""
    roles.require_program_moderator(session, moderator, community.program_id)
    reason = audit.checked_reason(reason, shown="the viewer sees it next to the reversal")
    now = now or utcnow()
    reversal_key = f"reversal:{key}"
    if _key_used(session, reversal_key):
        raise UserError("That credit was reversed already.")
    held = session.exec(select(HeldTicket).where(HeldTicket.idempotency_key == key)).first()
    if held is not None:
        # A link of the id releases its held tickets under this lock: wait for it, then find
        # the credit where it is now (the ledger, if it was released).
        lock_identity(session, held.kick_user_id, "", now)
        session.refresh(held)
    original = session.exec(select(EntryLedger).where(EntryLedger.idempotency_key == key)).first()
    credited = original if original is not None else held
    if credited is None:
        raise UserError("No tickets were credited for that; there is nothing to reverse.")
    period = periods.get_period(session, community, credited.raffle_id)
    if not periods.takes_tickets(session, period, now):
        raise UserError("That credit's period has closed: its tickets can no longer change.")
    topic = changes.community(id_of(community))
    try:
        with session.begin_nested():  # a second moderator reversing at the same moment loses
            if original is not None:
                _lock_member(session, original.user_id)
                if _key_used(session, reversal_key):  # by whoever held the lock before us
                    raise UserError("That credit was reversed a moment ago.")
                held_now = ledger.balance(session, id_of(period), original.user_id)
                amount = min(original.amount, held_now)
                result = Reversal(amount, id_of(period), original.user_id)
                if amount > 0:
                    row = EntryLedger(
                        raffle_id=id_of(period),
                        user_id=original.user_id,
                        source=LedgerSource.REVERSAL,
                        amount=-amount,
                        idempotency_key=reversal_key,
                        reason=reason,
                        actor_id=moderator.id,
                    )
                    ledger.append(session, row, topics=(topic,))
            elif held is not None:
                # Still held: a negative held row, applied when the id is linked.
                session.add(
                    HeldTicket(
                        raffle_id=id_of(period),
                        kick_user_id=held.kick_user_id,
                        source=LedgerSource.REVERSAL,
                        amount=-held.amount,
                        idempotency_key=reversal_key,
                    )
                )
                session.flush()
                result = Reversal(held.amount, id_of(period))
    except IntegrityError:
        raise UserError("That credit was reversed a moment ago.") from None
    changes.announce(session, changes.community(id_of(community)))
    audit.record(
        session,
        moderator,
        "community.tickets.reverse",
        "community",
        community.id,
        f"-{result.amount} for {key} in period #{result.period_id}: {reason}",
    )
    return result


# ---- reading ------------------------------------------------------------------------------------


def balance_by_source(session: Session, period_id: int, user_id: int) -> dict[str, int]:
    """A viewer's tickets in a period by source (removals and reversals as negative sums)."""
    return ledger.breakdown(session, period_id, user_id)


def held_for(session: Session, period_id: int, kick_user_id: int) -> int:
    """Tickets still held for an unlinked Kick id in a period."""
    rows = session.exec(
        select(HeldTicket.amount).where(
            HeldTicket.raffle_id == period_id,
            HeldTicket.kick_user_id == kick_user_id,
            col(HeldTicket.released_at).is_(None),
        )
    ).all()
    return max(sum(rows), 0)

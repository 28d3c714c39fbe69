"""Gifted subs: tickets to the gifter for each sub gifted, once per gift although Kick redelivers
one gift under new message ids (and sends some for payments that failed), and the moderators'
reversal of a gift that should not have counted."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from luckyclub.community import announcements, exclusions, periods, tickets
from luckyclub.core.errors import UserError
from luckyclub.models import Community, KickGift, LedgerSource, User, id_of, utcnow
from luckyclub.platform import audit, changes, roles


@dataclass(frozen=True)
class Gift:
    """What a `channel.subscription.gifts` payload says, checked."""

    gifter_kick_id: int | None  # None: an anonymous gift, which earns nothing
    gifter_name: str
    giftee_ids: tuple[int, ...]
    created_at: datetime


def parse_time(value: object) -> datetime:
    """Kick's RFC 3339 time ("2025-01-14T16:08:06Z", with or without fractions) as aware UTC."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"expected an RFC 3339 time, got {value!r}")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(f"expected an RFC 3339 time, got {value!r}") from None
    if moment.tzinfo is None:
        raise ValueError(f"the time {value!r} has no offset")
    return moment.astimezone(UTC)


def parse_gift(payload: Mapping[str, Any], sent_at: datetime | None = None) -> Gift:
    """The gift in a webhook body; ValueError naming what is missing for a malformed one. A body
    without `created_at` takes `sent_at` (when Kick sent the event), if given."""
    gifter = payload.get("gifter") or {}
    if not isinstance(gifter, Mapping):
        raise ValueError("the gift's gifter is not an object")
    giftees = payload.get("giftees")
    if not isinstance(giftees, list):
        raise ValueError("the gift has no list of giftees")
    giftee_ids = []
    for giftee in giftees:
        if not isinstance(giftee, Mapping) or not _is_id(giftee.get("user_id")):
            raise ValueError("a giftee has no user_id")
        giftee_ids.append(int(giftee["user_id"]))
    anonymous = bool(gifter.get("is_anonymous")) or gifter.get("user_id") is None
    if not anonymous and not _is_id(gifter.get("user_id")):
        raise ValueError("the gifter's user_id is not a number")
    return Gift(
        gifter_kick_id=None if anonymous else int(gifter["user_id"]),
        gifter_name="" if anonymous else str(gifter.get("username") or "")[:80],
        giftee_ids=tuple(sorted(giftee_ids)),
        created_at=(
            sent_at.astimezone(UTC)
            if payload.get("created_at") is None and sent_at is not None
            else parse_time(payload.get("created_at"))
        ),
    )


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def content_key(gifter_kick_id: int | None, created_at: datetime, giftee_ids: Iterable[int]) -> str:
    """What makes a gift the same gift under any message id: SHA-256 of the gifter's id, its
    time (UTC, however Kick wrote it) and the giftees' ids in order."""
    gifter = "anonymous" if gifter_kick_id is None else str(gifter_kick_id)
    giftees = ",".join(str(kick_id) for kick_id in sorted(giftee_ids))
    text = f"{gifter}|{created_at.astimezone(UTC).isoformat()}|{giftees}"
    return hashlib.sha256(text.encode()).hexdigest()


def gift_key(community_id: int, gift_content_key: str) -> str:
    """The ledger's idempotency key of a gift's tickets (160 bits of the content key: short
    enough for the audit log's target id when the gift is reversed)."""
    return f"gift:{community_id}:{gift_content_key[:40]}"


def record_gift(
    session: Session,
    community: Community,
    message_id: str,
    payload: Mapping[str, Any],
    now: datetime | None = None,
) -> KickGift | None:
    """Log a gift and credit its gifter `gift_tickets` per sub, in the period of the gift's time
    (`now`, when Kick sent the event, stands in for a body without one); None when this gift is
    known already (by message id or by content). Anonymous gifts and gifts by excluded accounts
    are logged with no tickets. A gift that earned at least the community's threshold is
    announced on its Discord channel."""
    gift = parse_gift(payload, now)
    community_id = id_of(community)
    key = content_key(gift.gifter_kick_id, gift.created_at, gift.giftee_ids)
    known = select(KickGift.id).where(
        or_(col(KickGift.message_id) == message_id, col(KickGift.content_key) == key)
    )
    if session.exec(known).first() is not None:
        return None
    earns = gift.gifter_kick_id is not None and not exclusions.is_excluded(
        session, community, gift.gifter_kick_id
    )
    raffle = periods.period_of(session, community, gift.created_at)
    row = KickGift(
        community_id=community_id,
        raffle_id=id_of(raffle),
        message_id=message_id,
        content_key=key,
        gifter_kick_id=gift.gifter_kick_id,
        gifter_name=gift.gifter_name,
        giftees=len(gift.giftee_ids),
        tickets=community.gift_tickets * len(gift.giftee_ids) if earns else 0,
        gifted_at=gift.created_at,
    )
    try:
        with session.begin_nested():  # the same gift stored a moment ago by another delivery
            session.add(row)
            session.flush()
    except IntegrityError:
        return None
    if row.tickets and gift.gifter_kick_id is not None:
        credit = tickets.credit_kick(
            session,
            community,
            gift.gifter_kick_id,
            LedgerSource.GIFTED_SUB,
            row.tickets,
            gift_key(community_id, key),
            gift.created_at,
            username=gift.gifter_name,
        )
        row.tickets = credit.amount  # none when the gift's period has closed
        session.add(row)
        if credit.outcome in ("credited", "held"):
            gifter = session.get(User, credit.user_id) if credit.user_id is not None else None
            announcements.gift_earned(
                session, community, gifter, credit.amount, row.giftees, gift_key(community_id, key)
            )
    changes.announce(session, changes.community(community_id))
    return row


@dataclass(frozen=True)
class GiftReversal:
    gift: KickGift
    taken: int  # tickets taken back
    message: str  # what the moderator is told


def reverse_gift(
    session: Session, moderator: User, gift_id: int, reason: str, now: datetime | None = None
) -> GiftReversal:
    """A moderator reverses a gift (its payment failed, or it should not have counted): a negative
    REVERSAL row of the gift's tickets with the reason, audited. A balance never goes below zero,
    so when the gifter holds fewer tickets than the gift earned, only those are taken, and the
    moderator is told so."""
    gift = session.exec(select(KickGift).where(KickGift.id == gift_id).with_for_update()).first()
    if gift is None:
        raise UserError("That gift is not in the gifts log.")
    community = session.get(Community, gift.community_id)
    if community is None:
        raise UserError("That gift's community no longer exists.")
    roles.require_program_moderator(session, moderator, community.program_id)
    reason = audit.checked_reason(reason, shown="the gifter sees it next to the reversal")
    if gift.reversed_at is not None:
        raise UserError(f"This gift was reversed already on {gift.reversed_at:%d %b %Y %H:%M} UTC.")
    if not gift.tickets or gift.gifter_kick_id is None:
        raise UserError("This gift earned no tickets, so there is nothing to reverse.")
    now = now or utcnow()
    reversal = tickets.reverse(
        session, moderator, community, gift_key(id_of(community), gift.content_key), reason, now
    )
    gift.reversed_at = now
    gift.reversed_reason = reason
    gift.reversed_by = moderator.id
    session.add(gift)
    who = gift.gifter_name or f"Kick user {gift.gifter_kick_id}"
    if reversal.amount >= gift.tickets:
        message = f"Reversed {gift.tickets:,} tickets of {who}'s gift."
    else:
        message = (
            f"Reversed only {reversal.amount:,} of the gift's {gift.tickets:,} tickets: {who} "
            "holds no more this period (the rest were removed or reversed already), and a balance "
            "never goes below zero."
        )
    audit.record(
        session,
        moderator,
        "community.gift.reverse",
        "kick_gift",
        id_of(gift),
        f"{message} Reason: {reason}",
    )
    changes.announce(session, changes.community(id_of(community)))
    return GiftReversal(gift, reversal.amount, message)

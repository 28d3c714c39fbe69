"""Affiliate usernames: the affiliate's stats name usernames only, so a viewer claims theirs and a
moderator verifies it. One username per viewer and one viewer per username in a community; a
viewer may claim at most once in 24 hours. Wagers count only for verified usernames."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from luckyclub.community import communities
from luckyclub.core.errors import NotAllowed, UserError
from luckyclub.core.words import when
from luckyclub.models import AffiliateClaim, ClaimStatus, Community, User, id_of, utcnow
from luckyclub.platform import audit, changes

CLAIM_EVERY = timedelta(hours=24)
_USERNAME_RE = re.compile(r"^[A-Za-z0-9_.\-]{2,80}$")
ACTIVE = (ClaimStatus.PENDING, ClaimStatus.VERIFIED)


def username_key(username: str) -> str:
    return username.strip().lower()


def claim(
    session: Session,
    viewer: User,
    community: Community,
    username: str,
    now: datetime | None = None,
) -> AffiliateClaim:
    """A viewer claims an affiliate username for a moderator to verify."""
    if viewer.banned_at is not None:
        raise NotAllowed("This account is suspended, so it cannot claim a username.")
    now = now or utcnow()
    username = (username or "").strip()
    if not _USERNAME_RE.match(username):
        raise UserError(
            "Type your affiliate username exactly as the site shows it: 2 to 80 letters, digits, "
            "dots, dashes or underscores.",
            field="username",
        )
    key = username_key(username)
    # One claim decided at a time per community (PostgreSQL row lock; SQLite has one writer),
    # so two viewers claiming one name at once cannot both pass the check below.
    session.get(Community, id_of(community), with_for_update=True)
    mine = session.exec(
        select(AffiliateClaim)
        .where(AffiliateClaim.community_id == community.id, AffiliateClaim.user_id == viewer.id)
        .order_by(col(AffiliateClaim.id).desc())
    ).all()
    for earlier in mine:
        if earlier.status == ClaimStatus.VERIFIED:
            raise UserError(
                f"Your username {earlier.username} is verified already; one per viewer. Ask a "
                "moderator if it needs to change.",
                field="username",
            )
        if earlier.status == ClaimStatus.PENDING:
            raise UserError(
                f"Your claim for {earlier.username} is waiting for a moderator.", field="username"
            )
    if mine and mine[0].created_at > now - CLAIM_EVERY:
        raise UserError(
            f"You can claim a username once a day: try again after "
            f"{when(mine[0].created_at + CLAIM_EVERY, viewer.timezone)}.",
            field="username",
        )
    if _held_by_another(session, community, key, id_of(viewer)):
        raise UserError(
            "Another viewer has claimed that username. If it is yours, tell a moderator.",
            field="username",
        )
    row = AffiliateClaim(
        community_id=id_of(community),
        user_id=id_of(viewer),
        username=username,
        username_key=key,
        created_at=now,
    )
    session.add(row)
    session.flush()
    changes.announce(session, changes.community(id_of(community)), changes.member(id_of(viewer)))
    return row


def _held_by_another(session: Session, community: Community, key: str, user_id: int) -> bool:
    return (
        session.exec(
            select(AffiliateClaim.id).where(
                AffiliateClaim.community_id == community.id,
                AffiliateClaim.username_key == key,
                AffiliateClaim.user_id != user_id,
                col(AffiliateClaim.status).in_(ACTIVE),
            )
        ).first()
        is not None
    )


def _pending(
    session: Session, moderator: User, claim_id: int, discord_role: str | None = None
) -> tuple[AffiliateClaim, Community]:
    row = session.get(AffiliateClaim, claim_id, with_for_update=True)
    if row is None:
        raise UserError("That claim no longer exists.")
    community = session.get(Community, row.community_id)
    assert community is not None
    communities.require_moderator(session, moderator, community, discord_role=discord_role)
    if row.status != ClaimStatus.PENDING:
        raise UserError(f"That claim was {row.status} already.")
    return row, community


def approve(
    session: Session,
    moderator: User,
    claim_id: int,
    now: datetime | None = None,
    *,
    discord_role: str | None = None,
) -> AffiliateClaim:
    """A moderator verifies a viewer's claim: their wagers count from now (within the period)."""
    row, community = _pending(session, moderator, claim_id, discord_role)
    session.get(Community, id_of(community), with_for_update=True)
    verified_elsewhere = session.exec(
        select(AffiliateClaim.id).where(
            AffiliateClaim.community_id == community.id,
            AffiliateClaim.username_key == row.username_key,
            AffiliateClaim.status == ClaimStatus.VERIFIED,
        )
    ).first()
    if verified_elsewhere is not None:
        raise UserError("Another viewer's claim to that username is verified already.")
    return _decide(session, moderator, row, community, ClaimStatus.VERIFIED, "", now, discord_role)


def reject(
    session: Session, moderator: User, claim_id: int, reason: str, now: datetime | None = None
) -> AffiliateClaim:
    """A moderator rejects a claim, with a reason the viewer reads."""
    reason = audit.checked_reason(reason, shown="the viewer reads it")
    row, community = _pending(session, moderator, claim_id)
    return _decide(session, moderator, row, community, ClaimStatus.REJECTED, reason, now)


def _decide(
    session: Session,
    moderator: User,
    row: AffiliateClaim,
    community: Community,
    status: str,
    reason: str,
    now: datetime | None,
    discord_role: str | None = None,
) -> AffiliateClaim:
    row.status, row.reason = status, reason
    row.decided_by, row.decided_at = moderator.id, now or utcnow()
    session.add(row)
    changes.announce(session, changes.community(id_of(community)), changes.member(row.user_id))
    audit.record(
        session,
        moderator,
        f"community.claim.{'approve' if status == ClaimStatus.VERIFIED else 'reject'}",
        "community",
        community.id,
        f"{row.username} (viewer #{row.user_id})"
        + (f": {reason}" if reason else "")
        + communities.as_role(discord_role),
    )
    return row


def verified_usernames(session: Session, community: Community) -> dict[str, int]:
    """Verified usernames (lower-cased) → their viewer's account: whose wagers count."""
    rows = session.exec(
        select(AffiliateClaim.username_key, AffiliateClaim.user_id).where(
            AffiliateClaim.community_id == community.id,
            AffiliateClaim.status == ClaimStatus.VERIFIED,
        )
    ).all()
    return {key: user_id for key, user_id in rows}


def latest_claim(session: Session, community: Community, user_id: int) -> AffiliateClaim | None:
    return session.exec(
        select(AffiliateClaim)
        .where(AffiliateClaim.community_id == community.id, AffiliateClaim.user_id == user_id)
        .order_by(col(AffiliateClaim.id).desc())
    ).first()


def pending(session: Session, community: Community, *, limit: int = 200) -> list[AffiliateClaim]:
    """The moderators' queue, oldest first."""
    return list(
        session.exec(
            select(AffiliateClaim)
            .where(
                AffiliateClaim.community_id == community.id,
                AffiliateClaim.status == ClaimStatus.PENDING,
            )
            .order_by(col(AffiliateClaim.id))
            .limit(limit)
        )
    )

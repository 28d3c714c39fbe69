"""Excluded viewers: Kick accounts a moderator shut out of earning (chat bots), with a reason.
credit_kick and the chat-time tick skip them; what they earned before stays (a moderator removes
it with a reason if it should go)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from luckyclub.core.errors import UserError
from luckyclub.models import Community, ExcludedViewer, User, id_of, utcnow
from luckyclub.platform import audit, changes, roles


def _kick_id(kick_user_id: int | str) -> int:
    try:
        value = int(str(kick_user_id).strip())
    except ValueError:
        value = 0
    if value <= 0:
        raise UserError("Give the viewer's Kick user id: a whole number.", field="kick_user_id")
    return value


def exclude(
    session: Session,
    moderator: User,
    community: Community,
    kick_user_id: int | str,
    reason: str,
    now: datetime | None = None,
) -> ExcludedViewer:
    """Stop a Kick account earning tickets in this community (once: excluding again says so)."""
    roles.require_program_moderator(session, moderator, community.program_id)
    kick_id = _kick_id(kick_user_id)
    reason = audit.checked_reason(reason, shown="other moderators see it")
    if is_excluded(session, community, kick_id):
        raise UserError("That Kick account is excluded already.")
    row = ExcludedViewer(
        community_id=id_of(community),
        kick_user_id=kick_id,
        reason=reason,
        actor_id=moderator.id,
        created_at=now or utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        raise UserError("That Kick account was excluded a moment ago.") from None
    changes.announce(session, changes.community(id_of(community)))
    audit.record(
        session, moderator, "community.exclude", "community", community.id, f"{kick_id}: {reason}"
    )
    return row


def include(
    session: Session,
    moderator: User,
    community: Community,
    kick_user_id: int | str,
    reason: str,
) -> None:
    """Let an excluded Kick account earn again."""
    roles.require_program_moderator(session, moderator, community.program_id)
    kick_id = _kick_id(kick_user_id)
    reason = audit.checked_reason(reason, shown="other moderators see it")
    row = session.exec(
        select(ExcludedViewer).where(
            ExcludedViewer.community_id == community.id, ExcludedViewer.kick_user_id == kick_id
        )
    ).first()
    if row is None:
        raise UserError("That Kick account is not excluded.")
    session.delete(row)
    changes.announce(session, changes.community(id_of(community)))
    audit.record(
        session, moderator, "community.include", "community", community.id, f"{kick_id}: {reason}"
    )


def is_excluded(session: Session, community: Community, kick_user_id: int) -> bool:
    return (
        session.exec(
            select(ExcludedViewer.id).where(
                ExcludedViewer.community_id == community.id,
                ExcludedViewer.kick_user_id == kick_user_id,
            )
        ).first()
        is not None
    )


def excluded_among(session: Session, community: Community, kick_user_ids: set[int]) -> set[int]:
    """Which of these Kick ids are excluded in the community."""
    if not kick_user_ids:
        return set()
    return set(
        session.exec(
            select(ExcludedViewer.kick_user_id).where(
                ExcludedViewer.community_id == community.id,
                col(ExcludedViewer.kick_user_id).in_(sorted(kick_user_ids)),
            )
        ).all()
    )


def excluded_ids(session: Session, community: Community) -> set[int]:
    """Every excluded Kick id of the community (the chat-time tick skips them)."""
    return set(
        session.exec(
            select(ExcludedViewer.kick_user_id).where(ExcludedViewer.community_id == community.id)
        ).all()
    )


def excluded(session: Session, community: Community) -> list[ExcludedViewer]:
    return list(
        session.exec(
            select(ExcludedViewer)
            .where(ExcludedViewer.community_id == community.id)
            .order_by(col(ExcludedViewer.id).desc())
        )
    )

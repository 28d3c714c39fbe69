"""The audit log: one row for every admin action, written in the same transaction as the action."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from luckyclub.core.errors import UserError
from luckyclub.models import AuditLog, User


def checked_reason(reason: str | None, *, shown: str = "it is recorded") -> str:
    """An admin's reason for an action, tidied; refused when too short to mean anything."""
    reason = " ".join((reason or "").split())
    if len(reason) < 5:
        raise UserError(f"Give a reason of at least 5 characters: {shown}.", field="reason")
    return reason[:500]


def record(
    session: Session,
    actor: User,
    action: str,
    target_type: str,
    target_id: object,
    detail: str = "",
) -> AuditLog:
    entry = AuditLog(
        actor_id=actor.id,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        detail=detail[:1000],
    )
    session.add(entry)
    return entry


def recent(session: Session, *, limit: int = 100) -> list[AuditLog]:
    return list(session.exec(select(AuditLog).order_by(col(AuditLog.id).desc()).limit(limit)))


@dataclass(frozen=True)
class AuditEntry:
    """One admin action as the console lists it: the acting admin's email, or None when the
    system acted (or the admin's account is gone)."""

    created_at: datetime
    actor_email: str | None
    action: str
    target_type: str
    target_id: str
    detail: str


def recent_entries(session: Session, *, limit: int = 100) -> list[AuditEntry]:
    """The latest admin actions, newest first, each with who did it."""
    rows = recent(session, limit=limit)
    actor_ids = {a.actor_id for a in rows if a.actor_id is not None}
    emails: dict[int | None, str] = (
        dict(
            session.exec(select(col(User.id), User.email).where(col(User.id).in_(actor_ids))).all()
        )
        if actor_ids
        else {}
    )
    return [
        AuditEntry(
            created_at=a.created_at,
            actor_email=emails.get(a.actor_id),
            action=a.action,
            target_type=a.target_type,
            target_id=a.target_id,
            detail=a.detail,
        )
        for a in rows
    ]


def for_targets(
    session: Session, targets: Sequence[tuple[str, object]], *, limit: int = 200
) -> list[AuditLog]:
    """What admins did to these records (e.g. a competition and its draw), oldest first."""
    if not targets:
        return []
    condition = or_(
        *(
            and_(col(AuditLog.target_type) == kind, col(AuditLog.target_id) == str(target_id))
            for kind, target_id in targets
        )
    )
    query = select(AuditLog).where(condition).order_by(col(AuditLog.id).desc()).limit(limit)
    return list(reversed(session.exec(query).all()))

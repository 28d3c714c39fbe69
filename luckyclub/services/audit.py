"""The audit log: one row for every admin action, written in the same transaction as the action."""

from __future__ import annotations

from sqlmodel import Session, select

from luckyclub.models import AuditLog, User


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
    return list(session.exec(select(AuditLog).order_by(AuditLog.id.desc()).limit(limit)))

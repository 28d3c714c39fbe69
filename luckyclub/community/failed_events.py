"""Kick events the inbox gave up on (they failed MAX_ATTEMPTS times): what platform admins see on
Admin → Kick events, and what they do with one — try it again, or dismiss it with a reason.

A dismissed event is marked processed without being done, its error replaced by
"dismissed: <reason>" (the audit log keeps who and when), so the inbox, which claims only
unprocessed events, never does it.
A retried event goes back to the inbox with no attempts: the next run processes it, claimed as any
other event, so it is done at most once however many runners there are."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from luckyclub.community import communities, inbox
from luckyclub.core.errors import UserError
from luckyclub.models import KickEvent, User, id_of, utcnow
from luckyclub.platform import audit, changes
from luckyclub.platform.permissions import require_admin

DISMISSED = "dismissed: "
SHOWN = 100  # the newest ones; the count says how many there are in all


@dataclass(frozen=True)
class FailedEvent:
    id: int
    event_type: str
    message_id: str
    received_at: datetime
    attempts: int
    last_error: str
    community: str  # in words: its name, or why none can be told


def _failed_for_good() -> tuple[Any, ...]:
    return (col(KickEvent.processed_at).is_(None), col(KickEvent.attempts) >= inbox.MAX_ATTEMPTS)


def list_failed(session: Session, admin: User, *, limit: int = SHOWN) -> list[FailedEvent]:
    """The events that failed for good, newest first (an admin's view)."""
    require_admin(admin)
    events = session.exec(
        select(KickEvent)
        .where(*_failed_for_good())
        .order_by(col(KickEvent.received_at).desc(), col(KickEvent.id).desc())
        .limit(limit)
    ).all()
    names: dict[str, str] = {}  # by body's broadcaster: one lookup per channel
    return [
        FailedEvent(
            id=id_of(event),
            event_type=event.event_type,
            message_id=event.message_id,
            received_at=event.received_at,
            attempts=event.attempts,
            last_error=event.last_error or "",
            community=_community_words(session, event.body, names),
        )
        for event in events
    ]


def count_failed(session: Session, admin: User) -> int:
    require_admin(admin)
    return session.exec(
        select(func.count()).select_from(KickEvent).where(*_failed_for_good())
    ).one()


def _community_words(session: Session, body: str, names: dict[str, str]) -> str:
    try:
        payload = json.loads(body)
    except ValueError:
        return "— (the body is not JSON)"
    if not isinstance(payload, Mapping):
        return "— (the body is not a JSON object)"
    broadcaster = payload.get("broadcaster")
    key = repr(broadcaster.get("user_id") if isinstance(broadcaster, Mapping) else None)
    if key not in names:
        try:
            community = inbox.community_of(session, payload)
        except ValueError:
            names[key] = "— (the body names no channel)"
        else:
            names[key] = (
                communities.name_of(session, community)
                if community is not None
                else f"none (Kick channel {key} is followed by no community)"
            )
    return names[key]


def retry(session: Session, admin: User, event_id: int) -> KickEvent:
    """Put a failed event back in the inbox with no attempts: the inbox job (every few seconds)
    processes it, claimed like any other, so it is done once."""
    require_admin(admin)
    event = _take(session, event_id, attempts=0)
    changes.announce(session, changes.ADMIN_KICK_EVENTS)
    audit.record(session, admin, "kick_event.retry", "kick_event", event.id, _described(event))
    return event


def dismiss(session: Session, admin: User, event_id: int, reason: str) -> KickEvent:
    """Mark a failed event handled without doing it, with the admin's reason: it is never
    processed after."""
    require_admin(admin)
    clean = audit.checked_reason(reason, shown="it is kept with the event")
    event = _take(session, event_id, processed_at=utcnow(), last_error=(DISMISSED + clean)[:500])
    changes.announce(session, changes.ADMIN_KICK_EVENTS)
    audit.record(
        session,
        admin,
        "kick_event.dismiss",
        "kick_event",
        event.id,
        f"{_described(event)}: {clean}",
    )
    return event


def _take(session: Session, event_id: int, **values: Any) -> KickEvent:
    """Change the event only while it is still failed for good (conditional, so two admins, or an
    admin and a runner, cannot both act on it); otherwise say where it stands."""
    changed = session.execute(
        update(KickEvent)
        .where(col(KickEvent.id) == event_id, *_failed_for_good())
        .values(**values)
        .returning(col(KickEvent.id))
    ).first()
    event = session.get(KickEvent, event_id, populate_existing=True)
    if changed is None or event is None:
        raise UserError(_where_it_stands(event))
    return event


def _where_it_stands(event: KickEvent | None) -> str:
    if event is None:
        return "That Kick event no longer exists. Reload the page."
    if event.processed_at is not None:
        if (event.last_error or "").startswith(DISMISSED):
            return "That Kick event was dismissed already."
        return "That Kick event was processed already: there is nothing left to do."
    return "That Kick event is back in the inbox already: it is processed within seconds."


def _described(event: KickEvent) -> str:
    return f"{event.event_type} {event.message_id}"

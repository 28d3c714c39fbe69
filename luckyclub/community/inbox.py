"""Kick's webhook inbox: a verified delivery is stored (once per message id) and answered at once;
processing happens after, from the stored event, each in one transaction with its mark as done. A
crash between storing and processing loses nothing, and a replay does nothing."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from luckyclub.community import chat_time, gifts
from luckyclub.core import db
from luckyclub.models import Community, KickEvent, id_of, utcnow
from luckyclub.platform import changes

log = logging.getLogger(__name__)

CHAT_MESSAGE = "chat.message.sent"
GIFTED_SUBS = "channel.subscription.gifts"
LIVESTREAM_STATUS = "livestream.status.updated"
MAX_ATTEMPTS = 5  # then the event stays with its error, for an admin (community/failed_events.py)


def store(
    session: Session,
    message_id: str,
    event_type: str,
    body: str,
    sent_at: datetime,
    *,
    subscription_id: str = "",
    event_version: str = "1",
) -> bool:
    """Keep a verified delivery for processing; False when this message id is stored already (a
    redelivery), which changes nothing."""
    statement = (
        db.upsert(session, KickEvent)
        .values(
            message_id=message_id[:64],
            subscription_id=subscription_id[:64],
            event_type=event_type[:64],
            event_version=event_version[:8],
            sent_at=sent_at,
            body=body,
            received_at=utcnow(),
            attempts=0,
        )
        .on_conflict_do_nothing(index_elements=["message_id"])
        .returning(col(KickEvent.id))
    )
    return session.execute(statement).first() is not None


@dataclass(frozen=True)
class InboxRun:
    processed: int
    failed: int  # left for a later run (or, after MAX_ATTEMPTS, for a person)


def process_due(*, limit: int = 1000, now: datetime | None = None) -> InboxRun:
    """Process stored events in the order they came, each in its own unit of work; safe with
    several processes at once (each event is claimed by one of them)."""
    processed = failed = 0
    after = 0
    for _ in range(limit):
        with db.session_scope() as session:
            event = _claim_next(session, after)
            if event is None:
                break
            after = id_of(event)
            outcome = _process(session, event, now or utcnow())
            processed += outcome is True
            failed += outcome is False
    return InboxRun(processed, failed)


def _claim_next(session: Session, after: int) -> KickEvent | None:
    query = (
        select(KickEvent)
        .where(
            col(KickEvent.processed_at).is_(None),
            col(KickEvent.attempts) < MAX_ATTEMPTS,
            col(KickEvent.id) > after,
        )
        .order_by(col(KickEvent.id))
        .limit(1)
    )
    if session.get_bind().dialect.name == "postgresql":
        # Another process's event is skipped, not waited for; SQLite's units of work take turns.
        query = query.with_for_update(skip_locked=True)
    return session.exec(query).first()


def _process(session: Session, event: KickEvent, now: datetime) -> bool | None:
    """Mark the event done and do it, in this unit of work: True when done, False when it failed
    (its error recorded, to be tried again), None when another runner had done it already."""
    # Conditional, so an event is done once even where nothing locked it for this runner.
    claimed = session.execute(
        update(KickEvent)
        .where(col(KickEvent.id) == event.id, col(KickEvent.processed_at).is_(None))
        .values(processed_at=now, attempts=col(KickEvent.attempts) + 1, last_error=None)
        .returning(col(KickEvent.id))
    ).first()
    if claimed is None:
        return None
    session.refresh(event)
    try:
        with session.begin_nested():
            handle(session, event)
    except Exception as exc:  # noqa: BLE001 - recorded on the event and tried again later
        log.warning("Kick event %s (%s) failed: %s", event.message_id, event.event_type, exc)
        event.processed_at = None
        event.last_error = f"{type(exc).__name__}: {exc}"[:500]
        session.add(event)
        if event.attempts >= MAX_ATTEMPTS:  # not tried again by itself: it waits for an admin
            changes.announce(session, changes.ADMIN_KICK_EVENTS)
        return False
    return True


def handle(session: Session, event: KickEvent) -> None:
    """Do what one stored event says, for the community whose channel it names."""
    payload = json.loads(event.body)
    if not isinstance(payload, Mapping):
        raise ValueError("the event's body is not a JSON object")
    community = community_of(session, payload)
    if community is None:
        return  # a channel no community follows (any more): nothing to do
    if event.event_type == CHAT_MESSAGE:
        _chat(session, community, payload, event.sent_at)
    elif event.event_type == GIFTED_SUBS:
        gifts.record_gift(session, community, event.message_id, payload, event.sent_at)
    elif event.event_type == LIVESTREAM_STATUS:
        _livestream(session, community, payload)


def community_of(session: Session, payload: Mapping[str, Any]) -> Community | None:
    """The community whose Kick channel the event's body names (None: no community follows it)."""
    broadcaster = payload.get("broadcaster")
    kick_id = broadcaster.get("user_id") if isinstance(broadcaster, Mapping) else None
    if not isinstance(kick_id, int):
        raise ValueError("the event names no broadcaster user_id")
    return session.exec(select(Community).where(Community.kick_broadcaster_id == kick_id)).first()


def _chat(
    session: Session, community: Community, payload: Mapping[str, Any], sent_at: datetime
) -> None:
    sender = payload.get("sender")
    if not isinstance(sender, Mapping) or not isinstance(sender.get("user_id"), int):
        raise ValueError("the chat message has no sender user_id")
    kick_id = int(sender["user_id"])
    if kick_id == community.kick_broadcaster_id:
        return  # the streamer talking to their chat is not a viewer watching
    created = payload.get("created_at")
    moment = gifts.parse_time(created) if created else sent_at
    chat_time.record_chat(session, community, kick_id, str(sender.get("username") or ""), moment)


def _livestream(session: Session, community: Community, payload: Mapping[str, Any]) -> None:
    is_live = payload.get("is_live")
    if not isinstance(is_live, bool):
        raise ValueError("the livestream status has no is_live")
    started = payload.get("started_at")
    session.refresh(community, with_for_update=True)
    community.is_live = is_live
    community.live_since = (gifts.parse_time(started) if started else utcnow()) if is_live else None
    session.add(community)
    changes.announce(session, changes.community(id_of(community)))

"""The one place LuckyClub sends notifications: emails are queued in the outbox with the action that
caused them, then delivered by a job that claims each one, so it goes out exactly once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from luckyclub import db
from luckyclub.integrations import smtp
from luckyclub.models import OutboxMessage, OutboxStatus, User, utcnow
from luckyclub.services import audit
from luckyclub.services.errors import UserError
from luckyclub.services.mail_templates import render
from luckyclub.services.permissions import require_admin
from luckyclub.settings import Settings, get_settings

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
CLAIM_FOR = timedelta(minutes=2)  # longer than one SMTP conversation (10 s timeout) can take
FIRST_RETRY_AFTER = timedelta(seconds=30)
LONGEST_RETRY_AFTER = timedelta(hours=1)


def enqueue_email(session: Session, *, to: str, template: str, **context: str) -> OutboxMessage:
    """Queue an email; it goes out only if the caller's transaction commits."""
    address = to.strip()
    if "@" not in address or any(c in address for c in "\r\n\t "):
        raise ValueError(f"Not an email address: {address!r}")
    email = render(template, app_url=get_settings().app_url, **context)
    message = OutboxMessage(
        to_address=address,
        subject=email.subject[:200],
        text_body=email.text,
        html_body=email.html,
        template=template,
    )
    session.add(message)
    return message


def deliver_due(
    now: datetime | None = None, *, batch: int = 50, settings: Settings | None = None
) -> dict[str, int | str]:
    """Send the pending emails whose time has come; safe to run in several processes at once.

    Without SMTP_URL nothing is sent: the emails wait in the outbox, where admins can read them.
    """
    settings = settings or get_settings()
    counts: dict[str, int | str] = {"sent": 0, "retrying": 0, "failed": 0}
    if not settings.smtp_url:
        return {**counts, "skipped": "no SMTP_URL"}
    # A fixed `now` (tests, catch-up runs) is used as given; otherwise each step reads the clock,
    # so a claim made late in a slow batch still lasts its full time.
    clock: Callable[[], datetime] = (lambda: now) if now else utcnow
    for message_id in _due_message_ids(clock(), batch):
        message = _claim(message_id, clock())
        if message is None:
            continue  # another process claimed it first
        outcome = _deliver(message, settings, clock)
        counts[outcome] = int(counts[outcome]) + 1
    return counts


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the given number of failed attempts: doubling, at most an hour."""
    return min(FIRST_RETRY_AFTER * 2 ** (attempts - 1), LONGEST_RETRY_AFTER)


def list_messages(session: Session, *, limit: int = 100, offset: int = 0) -> list[OutboxMessage]:
    """The outbox, newest first (the admin mail page)."""
    query = (
        select(OutboxMessage)
        .order_by(col(OutboxMessage.created_at).desc(), col(OutboxMessage.id).desc())
        .offset(offset)
        .limit(limit)
    )
    return list(session.exec(query))


def get_message(session: Session, message_id: int) -> OutboxMessage | None:
    return session.get(OutboxMessage, message_id)


def resend(session: Session, actor: User, message_id: int) -> OutboxMessage:
    """An admin puts an email that gave up back in the queue, with a fresh set of attempts."""
    require_admin(actor)
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise UserError("That email is no longer in the outbox.")
    if message.status != OutboxStatus.FAILED:
        raise UserError("Only an email that failed can be sent again.")
    message.status = OutboxStatus.PENDING
    message.attempts = 0
    message.next_attempt_at = utcnow()
    message.locked_until = None
    session.add(message)
    audit.record(session, actor, "mail.resend", "outbox_message", message.id, message.subject)
    return message


def _is_claimable(now: datetime):
    return (col(OutboxMessage.status) == OutboxStatus.PENDING) & or_(
        col(OutboxMessage.locked_until).is_(None), col(OutboxMessage.locked_until) < now
    )


def _due_message_ids(now: datetime, batch: int) -> list[int]:
    query = (
        select(OutboxMessage.id)
        .where(_is_claimable(now), col(OutboxMessage.next_attempt_at) <= now)
        .order_by(col(OutboxMessage.next_attempt_at), col(OutboxMessage.id))
        .limit(batch)
    )
    with db.session_scope() as session:
        return [message_id for message_id in session.exec(query) if message_id is not None]


def _claim(message_id: int, now: datetime) -> OutboxMessage | None:
    """The message if this process won it, None if another one holds it or it is no longer pending.

    The conditional UPDATE is the claim: the database lets exactly one of several concurrent
    updaters see rowcount 1, on SQLite as on PostgreSQL.
    """
    claim = (
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == message_id, _is_claimable(now))
        .values(locked_until=now + CLAIM_FOR)
        .execution_options(synchronize_session=False)
    )
    with db.session_scope() as session:
        if session.exec(claim).rowcount != 1:
            return None
        return session.get(OutboxMessage, message_id)


def _deliver(message: OutboxMessage, settings: Settings, clock: Callable[[], datetime]) -> str:
    try:
        smtp.send(
            message,
            settings.smtp_url or "",
            settings.mail_from,
            message_key=f"outbox.{message.id}.{int(message.created_at.timestamp())}",
        )
    except Exception as exc:  # noqa: BLE001 - any failure is one failed attempt, recorded below
        return _record_failure(message, _short_error(exc, settings), clock())
    _record(message.id, status=OutboxStatus.SENT, sent_at=clock(), locked_until=None)
    return "sent"


def _record_failure(message: OutboxMessage, error: str, now: datetime) -> str:
    attempts = message.attempts + 1
    gave_up = attempts >= MAX_ATTEMPTS
    log.warning("Outbox email %s, attempt %d failed: %s", message.id, attempts, error)
    _record(
        message.id,
        attempts=attempts,
        last_error=error,
        next_attempt_at=now + retry_delay(attempts),
        locked_until=None,
        **({"status": OutboxStatus.FAILED} if gave_up else {}),
    )
    return "failed" if gave_up else "retrying"


def _record(message_id: int | None, **values: object) -> None:
    # An UPDATE rather than load-and-save: on SQLite a write that starts with a read can be refused
    # outright when another process wrote in between.
    statement = (
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == message_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    with db.session_scope() as session:
        session.exec(statement)


def _short_error(exc: Exception, settings: Settings) -> str:
    text = str(exc) if isinstance(exc, smtp.MailDeliveryError) else f"{type(exc).__name__}: {exc}"
    password = _smtp_password(settings)
    if password:
        text = text.replace(password, "***")  # the adapter never says it; others might
    return " ".join(text.split())[:500]


def _smtp_password(settings: Settings) -> str | None:
    try:
        return smtp.parse_smtp_url(settings.smtp_url or "").password
    except ValueError:
        return None

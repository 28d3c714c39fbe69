"""The one place that decides what a member hears about an event: an email, a Klaviyo event, a text.

Everything is queued in the outbox inside the caller's transaction, so a notification exists only if
the action that caused it was saved; `mail.deliver_due` (the `deliver_outbox` job) sends it later.
"""

from __future__ import annotations

import hashlib
import json

from sqlmodel import Session, col, select

from luckyclub.integrations import klaviyo
from luckyclub.integrations.sms import MAX_LENGTH as SMS_MAX_LENGTH
from luckyclub.models import Channel, OutboxMessage, Role, User, utcnow
from luckyclub.services import mail
from luckyclub.settings import get_settings

# The events, named as Klaviyo's metrics are (its flows start from these names).
CHECKOUT_STARTED = "Checkout Started"
ORDER_PLACED = "Order Placed"
COMPETITION_ENTERED = "Competition Entered"
WINNER_ANNOUNCEMENT = "Winner Announcement"
PRIZE_DELIVERED = "Prize Delivered"
ORDER_REFUNDED = "Order Refunded"  # ours: the buyer's money went back (sold out, cancelled, admin)
EVENTS = frozenset(
    {
        CHECKOUT_STARTED,
        ORDER_PLACED,
        COMPETITION_ENTERED,
        WINNER_ANNOUNCEMENT,
        PRIZE_DELIVERED,
        ORDER_REFUNDED,
    }
)


def notify(
    session: Session,
    user: User,
    event: str,
    *,
    unique_id: str,
    email: str | None = None,
    sms: str | None = None,
    value_pence: int | None = None,
    **context: str,
) -> None:
    """Queue, in the caller's transaction: the email `email` (a mail_templates name rendered with
    context + display_name) when given; a Klaviyo event `event` (properties = context, value in
    pounds, unique_id) when KLAVIYO_API_KEY is set; an SMS with text `sms` when SMS is configured
    and the user has a phone. Nothing is sent if the transaction rolls back.

    Each channel queues the same (event, unique_id) once: calling this again for an event that was
    already notified (a replayed webhook, a retried job) adds nothing.
    """
    if event not in EVENTS:
        raise ValueError(f"Unknown notification event {event!r} (known: {sorted(EVENTS)})")
    if user.id is None:
        session.flush()  # the Klaviyo profile is keyed by the user id
    settings = get_settings()
    if email and not _already_queued(session, Channel.EMAIL, user.email, event, unique_id):
        message = mail.enqueue_email(
            session, to=user.email, template=email, display_name=user.display_name, **context
        )
        message.payload = json.dumps({"event": event, "unique_id": unique_id})
        message.dedupe_key = dedupe_key(Channel.EMAIL, user.email, event, unique_id)
    if settings.klaviyo_enabled and not _already_queued(
        session, Channel.KLAVIYO, user.email, event, unique_id
    ):
        session.add(_klaviyo_message(user, event, unique_id, value_pence, context))
    if (
        sms
        and settings.sms_enabled
        and user.phone
        and not _already_queued(session, Channel.SMS, user.phone, event, unique_id)
    ):
        session.add(_text_message(user.phone, event, unique_id, sms))


def notify_admins(session: Session, *, email: str, **context: str) -> None:
    """Email every admin (role admin, not banned) with template `email`."""
    admins = session.exec(
        select(User)
        .where(User.role == Role.ADMIN, col(User.banned_at).is_(None))
        .order_by(col(User.id))
    ).all()
    for admin in admins:
        mail.enqueue_email(session, to=admin.email, template=email, **context)


def _klaviyo_message(
    user: User, event: str, unique_id: str, value_pence: int | None, context: dict[str, str]
) -> OutboxMessage:
    body = klaviyo.event_body(
        event,
        email=user.email,
        phone=user.phone,
        external_id=str(user.id),
        unique_id=unique_id,
        # When it happened, not when it is delivered: a retried event keeps its real time.
        time=utcnow().replace(microsecond=0),
        properties=dict(context),
        value=None if value_pence is None else value_pence / 100,
    )
    return OutboxMessage(
        channel=Channel.KLAVIYO,
        to_address=user.email,
        payload=json.dumps(body),
        dedupe_key=dedupe_key(Channel.KLAVIYO, user.email, event, unique_id),
        subject=event,
        text_body=json.dumps(body, indent=2, ensure_ascii=False),  # what admins read
        html_body="",
        template=event,
    )


def _text_message(phone: str, event: str, unique_id: str, text: str) -> OutboxMessage:
    body = " ".join(text.split())
    if not body or len(body) > SMS_MAX_LENGTH:
        raise ValueError(f"A text message needs 1 to {SMS_MAX_LENGTH} characters.")
    return OutboxMessage(
        channel=Channel.SMS,
        to_address=phone,
        payload=json.dumps({"event": event, "unique_id": unique_id, "body": body}),
        dedupe_key=dedupe_key(Channel.SMS, phone, event, unique_id),
        subject=body[:200],
        text_body=body,
        html_body="",
        template=event,
    )


def _already_queued(
    session: Session, channel: str, to_address: str, event: str, unique_id: str
) -> bool:
    """Whether this channel already holds (event, unique_id) for this recipient, sent or not: one
    indexed lookup. Rows added earlier in this transaction count too (autoflush); the unique index
    is the backstop against two transactions queueing the same one at once."""
    key = dedupe_key(channel, to_address, event, unique_id)
    return (
        session.exec(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)).first()
        is not None
    )


def dedupe_key(channel: str, to_address: str, event: str, unique_id: str) -> str:
    parts = (channel, to_address.strip().lower(), event, unique_id)
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()

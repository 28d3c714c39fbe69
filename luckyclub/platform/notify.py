"""The one place that decides what a member hears about an event: an email, a Klaviyo event, a text;
and what a community's Discord channel hears (`announce`).

Everything is queued in the outbox inside the caller's transaction, so a notification exists only if
the action that caused it was saved; `mail.deliver_due` (the `deliver_outbox` job) sends it later.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from luckyclub.core import money
from luckyclub.core.settings import get_settings
from luckyclub.integrations import discord, klaviyo
from luckyclub.integrations.sms import MAX_LENGTH as SMS_MAX_LENGTH
from luckyclub.models import Channel, Community, OutboxMessage, Role, User, id_of, table_of, utcnow
from luckyclub.platform import mail

# The events, named as Klaviyo's metrics are (its flows start from these names).
CHECKOUT_STARTED = "Checkout Started"
ORDER_PLACED = "Order Placed"
COMPETITION_ENTERED = "Competition Entered"
WINNER_ANNOUNCEMENT = "Winner Announcement"
PRIZE_DELIVERED = "Prize Delivered"
ORDER_REFUNDED = "Order Refunded"  # ours: the buyer's money went back (sold out, cancelled, admin)
# Signup lists (ours): a spot offered (a lottery win, a waitlist offer), an offer lapsed, a
# signup removed by the list's creator, a lottery's result (to entrants and to the creator).
SPOT_OFFERED = "Spot Offered"
OFFER_EXPIRED = "Offer Expired"
SIGNUP_REMOVED = "Signup Removed"
LOTTERY_RESULT = "Lottery Result"
EVENTS = frozenset(
    {
        SPOT_OFFERED,
        OFFER_EXPIRED,
        SIGNUP_REMOVED,
        LOTTERY_RESULT,
        CHECKOUT_STARTED,
        ORDER_PLACED,
        COMPETITION_ENTERED,
        WINNER_ANNOUNCEMENT,
        PRIZE_DELIVERED,
        ORDER_REFUNDED,
    }
)
# A community's Discord channel (ours): a period began, a period was drawn, a viewer earned at
# least the community's threshold at once (a gift, a wager poll), an admin's test message.
NEW_PERIOD = "New Period"
PERIOD_WINNER = "Period Winner"
TICKETS_EARNED = "Tickets Earned"
TEST_ANNOUNCEMENT = "Test Announcement"
ANNOUNCEMENTS = frozenset({NEW_PERIOD, PERIOD_WINNER, TICKETS_EARNED, TEST_ANNOUNCEMENT})


def notify(
    session: Session,
    user: User,
    event: str,
    *,
    unique_id: str,
    email: str | None = None,
    sms: str | None = None,
    value_pence: int | None = None,
    currency: str = "gbp",
    fill: str | None = None,
    **context: str,
) -> None:
    """Queue, in the caller's transaction: the email `email` (a mail_templates name rendered with
    context + display_name) when given; a Klaviyo event `event` (properties = context, value in
    `currency`, unique_id) when KLAVIYO_API_KEY is set; an SMS with text `sms` when SMS is
    configured and the user has a phone. Nothing is sent if the transaction rolls back.

    Each channel queues the same (event, unique_id) once: calling this again for an event that was
    already notified (a replayed webhook, a retried job) adds nothing.

    With `fill` (`mail.fill_of`), the context and `sms` may hold blanks (`mail.blank`), written in
    when each message is sent.
    """
    notice = Notice(user, unique_id, context, sms, value_pence, currency, fill)
    _queue_all(session, _messages(session, event, email, [notice]))


@dataclass(frozen=True)
class Notice:
    """One member's notification of an event, for notify_all: what notify takes for one."""

    user: User
    unique_id: str
    context: dict[str, str]
    sms: str | None = None
    value_pence: int | None = None
    currency: str = "gbp"
    fill: str | None = None


def notify_all(
    session: Session, event: str, notices: Sequence[Notice], *, email: str | None = None
) -> None:
    """notify for many members at once (a lottery's result to every account that entered): the
    same event and email template, each notice with its own context and unique id; queued a few
    hundred messages per INSERT instead of one each."""
    _queue_all(session, _messages(session, event, email, notices))


def _messages(
    session: Session, event: str, email: str | None, notices: Sequence[Notice]
) -> list[dict[str, object]]:
    """The outbox rows of the notices, as column values (an ORM object per row would cost more
    than rendering it)."""
    if event not in EVENTS:
        raise ValueError(f"Unknown notification event {event!r} (known: {sorted(EVENTS)})")
    if any(notice.user.id is None for notice in notices):
        session.flush()  # the Klaviyo profile is keyed by the user id
    settings = get_settings()
    blank = _fields_of(
        OutboxMessage(to_address="", subject="", text_body="", html_body="", template="")
    )
    messages: list[dict[str, object]] = []
    for notice in notices:
        user, unique_id, context = notice.user, notice.unique_id, notice.context
        if email:
            fields = mail.email_fields(
                to=user.email,
                template=email,
                fill=notice.fill,
                display_name=user.display_name,
                **context,
            )
            key = dedupe_key(Channel.EMAIL, user.email, event, unique_id)
            messages.append({**blank, **fields, "dedupe_key": key})
        if settings.klaviyo_enabled:
            value = (
                None
                if notice.value_pence is None
                else money.major_units(notice.value_pence, notice.currency)
            )
            key = dedupe_key(Channel.KLAVIYO, user.email, event, unique_id)
            message = _klaviyo_message(
                user, event, unique_id, key, context, value, notice.currency.upper()
            )
            message.fill = notice.fill
            messages.append(_fields_of(message))
        if notice.sms and settings.sms_enabled and user.phone:
            key = dedupe_key(Channel.SMS, user.phone, event, unique_id)
            message = _text_message(user.phone, event, key, notice.sms)
            message.fill = notice.fill
            messages.append(_fields_of(message))
    return messages


def notify_admins(session: Session, *, unique_id: str, email: str, **context: str) -> None:
    """Email every admin (role admin, not banned) with template `email`, once per `unique_id`
    (the template names the event): a retried job adds nothing."""
    admins = session.exec(
        select(User)
        .where(User.role == Role.ADMIN, col(User.banned_at).is_(None))
        .order_by(col(User.id))
    ).all()
    for admin in admins:
        _queue_email(session, admin.email, email, unique_id, email, **context)


def announce(
    session: Session,
    community: Community,
    event: str,
    *,
    unique_id: str,
    text: str,
    fill: str | None = None,
) -> bool:
    """Queue a post of `text` to the community's Discord channel, in the caller's transaction,
    once per (event, unique_id) like every notification, and only while the community has a
    webhook set (False when it has none). The row names the community, not the webhook: the URL
    is a secret, read when the post is sent. With `fill`, the text may hold blanks (`mail.blank`).
    """
    if event not in ANNOUNCEMENTS:
        raise ValueError(f"Unknown announcement {event!r} (known: {sorted(ANNOUNCEMENTS)})")
    if not community.discord_webhook_url:
        return False
    address = mail.community_address(id_of(community))
    payload = discord.webhook_message(text.strip())
    first_line = payload["content"].split("\n", 1)[0]
    message = OutboxMessage(
        channel=Channel.DISCORD,
        to_address=address,
        payload=json.dumps(payload, ensure_ascii=False),
        dedupe_key=dedupe_key(Channel.DISCORD, address, event, unique_id),
        subject=first_line[:200] or event,
        text_body=payload["content"],  # what admins read
        html_body="",
        template=event,
        fill=fill,
    )
    _queue_all(session, [_fields_of(message)])
    return True


def _queue_email(
    session: Session,
    to: str,
    event: str,
    unique_id: str,
    template: str,
    fill: str | None = None,
    **context: str,
) -> None:
    message = mail.email_message(to=to, template=template, fill=fill, **context)
    message.dedupe_key = dedupe_key(Channel.EMAIL, to, event, unique_id)
    _queue_all(session, [_fields_of(message)])


def _fields_of(message: OutboxMessage) -> dict[str, object]:
    return {name: getattr(message, name) for name in _COLUMNS}


_COLUMNS = [column.name for column in table_of(OutboxMessage).columns if column.name != "id"]


def _queue_all(session: Session, rows: Sequence[dict[str, object]]) -> None:
    """Add each message unless its (channel, recipient, event, unique id) is in the outbox already,
    sent or not, in one statement (an executemany for many): the unique index on the dedupe key
    decides, so rows added earlier in this transaction count, and of two transactions queueing the
    same notification at once, one adds it (the other waits for it, then adds nothing)."""
    if not rows:
        return
    table = table_of(OutboxMessage)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(table).on_conflict_do_nothing(index_elements=["dedupe_key"])
    session.execute(statement, rows[0] if len(rows) == 1 else rows)


def _klaviyo_message(
    user: User,
    event: str,
    unique_id: str,
    key: str,
    context: dict[str, str],
    value: float | None,
    currency: str,
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
        value=value,
        currency=currency,
    )
    return OutboxMessage(
        channel=Channel.KLAVIYO,
        to_address=user.email,
        payload=json.dumps(body),
        dedupe_key=key,
        subject=event,
        text_body=json.dumps(body, indent=2, ensure_ascii=False),  # what admins read
        html_body="",
        template=event,
    )


def _text_message(phone: str, event: str, key: str, text: str) -> OutboxMessage:
    body = " ".join(text.split())
    if not body or len(body) > SMS_MAX_LENGTH:
        raise ValueError(f"A text message needs 1 to {SMS_MAX_LENGTH} characters.")
    return OutboxMessage(
        channel=Channel.SMS,
        to_address=phone,
        dedupe_key=key,
        subject=body[:200],
        text_body=body,
        html_body="",
        template=event,
    )


def dedupe_key(channel: str, to_address: str, event: str, unique_id: str) -> str:
    parts = (channel, to_address.strip().lower(), event, unique_id)
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()

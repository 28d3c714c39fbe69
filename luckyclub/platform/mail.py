"""The outbox: every notification (an email, a Klaviyo event, a text message, a post to a
community's Discord channel) is a row written in the transaction of the action that caused it, then
delivered by one job that claims each row, so it goes out exactly once, through its channel's
adapter, with retries while a provider is down.

Which notifications an event sends is decided in one place, `platform/notify.py`; this module writes
emails (`enqueue_email`), delivers every channel (`deliver_due`), and serves the admin outbox page.
"""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypedDict

from sqlalchemy import func, or_, update
from sqlmodel import Session, col, select

from luckyclub.core import db
from luckyclub.core.errors import UserError
from luckyclub.core.settings import Settings, get_settings
from luckyclub.integrations import discord, klaviyo, sms, smtp
from luckyclub.integrations.delivery import DeliveryError, scrub
from luckyclub.models import Channel, Community, OutboxMessage, OutboxStatus, Program, User, utcnow
from luckyclub.platform import audit
from luckyclub.platform.mail_templates import render
from luckyclub.platform.permissions import require_admin

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
CLAIM_FOR = timedelta(minutes=2)  # longer than one SMTP conversation or HTTP request (10 s) takes
FIRST_RETRY_AFTER = timedelta(seconds=30)
LONGEST_RETRY_AFTER = timedelta(hours=1)


# ---- blanks written in when a message is sent ----------------------------------------------------
#
# A message may be queued before all it says is known: a purchase queues its "your tickets" email
# before the competition row is locked to number the tickets, so that lock is held for as short a
# time as possible. Its context holds blank(name) where a value goes, its row names the filler that
# writes the values in (`fill`), and the delivery job fills every blank of the subject, the bodies
# and the payload just before sending (the filled message is saved: admins read what was sent).

Filler = Callable[[Session, str], dict[str, str]]
_fillers: dict[str, Filler] = {}


def register_filler(name: str, filler: Filler) -> None:
    """`filler(session, ref)` gives the values of a message's blanks; a mode registers its own."""
    _fillers[name] = filler


def blank(name: str) -> str:
    """The place of a value that is written in when the message is sent."""
    return f"\u27e6{name}\u27e7"


_BLANK = re.compile("\u27e6(\\w+)\u27e7")


def as_shown(text: str) -> str:
    """A message's text as the outbox page shows it: a blank still to be written in says so."""
    return _BLANK.sub(lambda m: f"[{m.group(1).replace('_', ' ')}: written in when sent]", text)


def fill_of(filler: str, ref: object) -> str:
    """What a message's `fill` column holds for `filler` and the thing it is about."""
    if filler not in _fillers:
        raise ValueError(f"No filler {filler!r} is registered (known: {sorted(_fillers)})")
    return f"{filler}:{ref}"


def enqueue_email(
    session: Session, *, to: str, template: str, fill: str | None = None, **context: str
) -> OutboxMessage:
    """Queue an email; it goes out only if the caller's transaction commits. With `fill`
    (`fill_of`), the context's blanks are written in when it is sent."""
    message = email_message(to=to, template=template, fill=fill, **context)
    session.add(message)
    return message


def email_message(
    *, to: str, template: str, fill: str | None = None, **context: str
) -> OutboxMessage:
    """An email rendered for the outbox, not queued yet (`enqueue_email` queues it)."""
    return OutboxMessage(**email_fields(to=to, template=template, fill=fill, **context))


class EmailFields(TypedDict):
    to_address: str
    subject: str
    text_body: str
    html_body: str
    template: str
    fill: str | None


def email_fields(*, to: str, template: str, fill: str | None = None, **context: str) -> EmailFields:
    """What makes an email in the outbox: its address, its rendered subject and bodies, its
    template and filler. As plain values, for `notify` to queue thousands at once without
    building an ORM object for each."""
    address = to.strip()
    if "@" not in address or any(c in address for c in "\r\n\t "):
        raise ValueError(f"Not an email address: {address!r}")
    email = render(template, app_url=get_settings().app_url, **context)
    return {
        "to_address": address,
        "subject": email.subject[:200],
        "text_body": email.text,
        "html_body": email.html,
        "template": template,
        "fill": fill,
    }


def _fill_blanks(message: OutboxMessage) -> None:
    """Write the values of a message's blanks into it, and save it so (once per message)."""
    if not message.fill:
        return
    name, _, ref = message.fill.partition(":")
    filler = _fillers.get(name)
    if filler is None:
        raise DeliveryError(f"Nothing fills in {name!r} messages.", permanent=True)
    with db.session_scope() as session:
        values = filler(session, ref)
        text = _filled(message.text_body, values, str)
        if message.channel == Channel.SMS and len(text) > sms.MAX_LENGTH:
            text = text[: sms.MAX_LENGTH - 1] + "\u2026"  # a long list of numbers, cut short
        filled = {
            "subject": _filled(message.subject, values, str)[:200],
            "text_body": text,
            "html_body": _filled(message.html_body, values, html.escape),
            "payload": None if message.payload is None else _filled_json(message.payload, values),
            "fill": None,
        }
        session.exec(
            update(OutboxMessage)
            .where(col(OutboxMessage.id) == message.id)
            .values(**filled)
            .execution_options(synchronize_session=False)
        )
    for field, value in filled.items():
        setattr(message, field, value)


def _filled(text: str, values: dict[str, str], escape: Callable[[str], str]) -> str:
    for name, value in values.items():
        text = text.replace(blank(name), escape(value))
    return text


def _filled_json(payload: str, values: dict[str, str]) -> str:
    """A JSON payload with the blanks of its strings filled (JSON escapes them as \\uXXXX)."""

    def walk(item: Any) -> Any:
        if isinstance(item, str):
            return _filled(item, values, str)
        if isinstance(item, list):
            return [walk(value) for value in item]
        if isinstance(item, dict):
            return {key: walk(value) for key, value in item.items()}
        return item

    return json.dumps(walk(json.loads(payload)))


def deliver_due(
    now: datetime | None = None, *, batch: int = 50, settings: Settings | None = None
) -> dict[str, int | str]:
    """Send the pending messages whose time has come; safe to run in several processes at once.

    Returns how many were sent, will be retried, or failed for good. A channel that is not set up
    (no SMTP_URL, no KLAVIYO_API_KEY, SMS not configured) sends nothing: its messages are not
    claimed and lose no attempt; they wait in the outbox, where admins can read them, and the result
    says how many wait ("waiting") and why ("skipped").
    """
    settings = settings or get_settings()
    unready = channels_not_ready(settings)
    ready = [channel for channel in _CHANNELS if channel not in unready]
    counts: dict[str, int | str] = {"sent": 0, "retrying": 0, "failed": 0}
    # A fixed `now` (tests, catch-up runs) is used as given; otherwise each step reads the clock,
    # so a claim made late in a slow batch still lasts its full time.
    clock: Callable[[], datetime] = (lambda: now) if now else utcnow
    for message_id in _due_message_ids(clock(), batch, ready):
        message = _claim(message_id, clock())
        if message is None:
            continue  # another process claimed it first
        outcome = _deliver(message, settings, clock)
        counts[outcome] = int(counts[outcome]) + 1
    waiting = _count_due(clock(), list(unready))
    if waiting:
        counts["waiting"] = sum(waiting.values())
        counts["skipped"] = "; ".join(unready[c] for c in _CHANNELS if c in waiting)
    return counts


def channel_label(channel: str) -> str:
    """How admins see a channel's name."""
    known = _CHANNELS.get(channel)
    return known.label if known else channel


def channels_not_ready(settings: Settings) -> dict[str, str]:
    """The channels that cannot deliver with these settings, each with the reason."""
    return {
        channel: known.missing for channel, known in _CHANNELS.items() if not known.ready(settings)
    }


def status_words(message: OutboxMessage, not_ready: dict[str, str]) -> str:
    """A message's status for the outbox page: a pending one on a channel that cannot deliver
    (`channels_not_ready`) is held, with the setting that is missing."""
    if message.status == OutboxStatus.PENDING and message.channel in not_ready:
        return f"held: {not_ready[message.channel]}"
    return message.status


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the given number of failed attempts: doubling, at most an hour."""
    return min(FIRST_RETRY_AFTER * 2 ** (attempts - 1), LONGEST_RETRY_AFTER)


_LINK = re.compile(r"https?://[^\s<>\"']+")
_AFTER_A_LINK = ".,;:!?'\""  # sentence punctuation that follows a link rather than ending it


def links_in(text: str) -> list[str]:
    """The http(s) links a message's text holds, each once, without the punctuation that follows
    one in a sentence ("… (https://example.com)." gives https://example.com)."""
    links: list[str] = []
    for found in _LINK.findall(text):
        while found and (
            found[-1] in _AFTER_A_LINK or (found[-1] == ")" and found.count("(") < found.count(")"))
        ):
            found = found[:-1]
        if "://" in found and not found.endswith("://") and found not in links:
            links.append(found)
    return links


def community_address(community_id: int) -> str:
    """The recipient of a post to a community's Discord channel, as its outbox row names it: the
    community, never the webhook URL (a secret), which is read when the post is sent."""
    return f"{_COMMUNITY}{community_id}"


_COMMUNITY = "community:"


def _community_id(address: str) -> int | None:
    number = address.removeprefix(_COMMUNITY)
    return int(number) if address.startswith(_COMMUNITY) and number.isdigit() else None


def recipient(session: Session, message: OutboxMessage) -> str:
    """Whom a message goes to, as admins read it: the address or number, or for a Discord post
    the community's name."""
    if message.channel != Channel.DISCORD:
        return message.to_address
    community_id = _community_id(message.to_address)
    community = session.get(Community, community_id) if community_id is not None else None
    program = session.get(Program, community.program_id) if community is not None else None
    if program is None:
        return f"a community that no longer exists ({message.to_address})"
    return program.name


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
    """An admin puts a message that gave up back in the queue, with a fresh set of attempts."""
    require_admin(actor)
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise UserError("That message is no longer in the outbox.")
    if message.status != OutboxStatus.FAILED:
        known = _CHANNELS.get(message.channel)
        noun = known.noun if known else "a message"
        raise UserError(f"Only {noun} that failed can be sent again.")
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


def _is_due(now: datetime, channels: list[str]):
    return (
        _is_claimable(now)
        & (col(OutboxMessage.next_attempt_at) <= now)
        & col(OutboxMessage.channel).in_(channels)
    )


def _due_message_ids(now: datetime, batch: int, channels: list[str]) -> list[int]:
    # Only ready channels: a batch full of texts that cannot go out must not hold up the emails.
    if not channels:
        return []
    query = (
        select(OutboxMessage.id)
        .where(_is_due(now, channels))
        .order_by(col(OutboxMessage.next_attempt_at), col(OutboxMessage.id))
        .limit(batch)
    )
    with db.session_scope() as session:
        return [message_id for message_id in session.exec(query) if message_id is not None]


def _count_due(now: datetime, channels: list[str]) -> dict[str, int]:
    if not channels:
        return {}
    query = (
        select(OutboxMessage.channel, func.count())
        .where(_is_due(now, channels))
        .group_by(col(OutboxMessage.channel))
    )
    with db.session_scope() as session:
        return {channel: count for channel, count in session.exec(query)}


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
        _fill_blanks(message)
        _CHANNELS[message.channel].send(message, settings)
    except DeliveryError as exc:  # the provider's answer says whether to try again, and when
        return _record_failure(
            message,
            _short_error(exc, settings),
            clock(),
            permanent=exc.permanent,
            retry_after=exc.retry_after,
        )
    except Exception as exc:  # noqa: BLE001 - any failure is one failed attempt, recorded below
        return _record_failure(message, _short_error(exc, settings), clock())
    _record(message.id, status=OutboxStatus.SENT, sent_at=clock(), locked_until=None)
    return "sent"


def _send_email(message: OutboxMessage, settings: Settings) -> None:
    smtp.send(
        message,
        settings.smtp_url or "",
        settings.mail_from,
        message_key=f"outbox.{message.id}.{int(message.created_at.timestamp())}",
    )


def _send_klaviyo_event(message: OutboxMessage, settings: Settings) -> None:
    klaviyo.send_event(_payload(message), settings)


def _send_text(message: OutboxMessage, settings: Settings) -> None:
    sms.send_text(message.to_address, message.text_body, settings)


def _send_to_discord(message: OutboxMessage, settings: Settings) -> None:
    # The webhook is read now, not when the post was queued: a replaced one takes what is still
    # waiting, and a removed one stops it (for good: an admin can send it again once one is set).
    community_id = _community_id(message.to_address)
    with db.session_scope() as session:
        community = session.get(Community, community_id) if community_id is not None else None
        url = community.discord_webhook_url if community is not None else None
    if community is None:
        raise DeliveryError("The community this was for no longer exists.", permanent=True)
    if not url:
        raise DeliveryError(
            "The community has no Discord webhook any more (it was removed): set one in Admin → "
            "Communities, then send this again.",
            permanent=True,
        )
    discord.post_to_webhook(url, _payload(message), settings=settings)


@dataclass(frozen=True)
class _Outlet:
    """One channel: how admins name it, when it can deliver, and how one message goes out."""

    label: str
    noun: str  # "Only <noun> that failed can be sent again."
    missing: str  # why it cannot deliver, when `ready` says no
    ready: Callable[[Settings], bool]
    send: Callable[[OutboxMessage, Settings], None]


_CHANNELS: dict[str, _Outlet] = {
    Channel.EMAIL: _Outlet(
        "Email", "an email", "no SMTP_URL", lambda s: bool(s.smtp_url), _send_email
    ),
    Channel.KLAVIYO: _Outlet(
        "Klaviyo",
        "a Klaviyo event",
        "no KLAVIYO_API_KEY",
        lambda s: s.klaviyo_enabled,
        _send_klaviyo_event,
    ),
    Channel.SMS: _Outlet(
        "SMS",
        "a text",
        "SMS_ACCOUNT_SID, SMS_AUTH_TOKEN or SMS_FROM unset",
        lambda s: s.sms_enabled,
        _send_text,
    ),
    # Each community sets its own webhook (Admin → Communities): nothing to set up app-wide.
    Channel.DISCORD: _Outlet(
        "Discord", "a Discord announcement", "", lambda s: True, _send_to_discord
    ),
}


def _payload(message: OutboxMessage) -> dict[str, Any]:
    try:
        payload = json.loads(message.payload or "")
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        # Trying again cannot repair it: give up at once so an admin sees it.
        raise DeliveryError("The message has no readable payload.", permanent=True)
    return payload


def _record_failure(
    message: OutboxMessage,
    error: str,
    now: datetime,
    *,
    permanent: bool = False,
    retry_after: float | None = None,
) -> str:
    attempts = message.attempts + 1
    gave_up = permanent or attempts >= MAX_ATTEMPTS
    log.warning(
        "Outbox %s message %s, attempt %d failed%s: %s",
        message.channel,
        message.id,
        attempts,
        " for good" if permanent else "",
        error,
    )
    wait = retry_delay(attempts)
    if retry_after is not None:  # the provider asked for longer (429): do as it says
        wait = max(wait, min(timedelta(seconds=retry_after), LONGEST_RETRY_AFTER))
    _record(
        message.id,
        attempts=attempts,
        last_error=error,
        next_attempt_at=now + wait,
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
    if isinstance(exc, smtp.MailDeliveryError | DeliveryError):
        text = str(exc)  # the adapters' own errors are sentences that never hold a secret
    else:  # anything else may quote what it was given, a password in a URL say
        secrets = (_smtp_password(settings), settings.klaviyo_api_key, settings.sms_auth_token)
        text = scrub(f"{type(exc).__name__}: {exc}", secrets)
    return " ".join(text.split())[:500]


def _smtp_password(settings: Settings) -> str | None:
    try:
        return smtp.parse_smtp_url(settings.smtp_url or "").password
    except ValueError:
        return None

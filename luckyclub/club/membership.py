"""Club membership through the payment provider (Stripe, or its local test twin): joining, the
events that keep memberships in step with Stripe, and the test pay pages' buttons, which have the
twin sign Stripe-shaped events and send them through the very same webhook code.

Stripe may deliver an event twice, late, or before the events it logically follows. So each event
id is claimed in the same transaction as its effects (platform/payments.py), a status only ever
moves forward in Stripe's time (`created`), and base entries are keyed, so a replay credits nothing.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from luckyclub.club import raffles
from luckyclub.core import db, routes
from luckyclub.core.errors import NotAllowed, UserError
from luckyclub.core.settings import get_settings
from luckyclub.integrations import stripe_api
from luckyclub.integrations.payments import get_payments
from luckyclub.models import Membership, MembershipStatus, User, id_of, utcnow
from luckyclub.platform import changes, payments

# Stripe subscription statuses; the ones not listed (incomplete, paused…) leave the status alone.
_SUBSCRIPTION_STATUS = {
    "active": MembershipStatus.ACTIVE,
    "trialing": MembershipStatus.ACTIVE,
    "past_due": MembershipStatus.LAPSED,
    "unpaid": MembershipStatus.LAPSED,
    "canceled": MembershipStatus.LAPSED,
    "incomplete_expired": MembershipStatus.LAPSED,
}


# ---- reading memberships ---------------------------------------------------------------------


def membership_for(session: Session, user_id: int) -> Membership | None:
    return session.exec(select(Membership).where(Membership.user_id == user_id)).first()


def is_active(session: Session, user_id: int) -> bool:
    row = membership_for(session, user_id)
    return row is not None and row.status == MembershipStatus.ACTIVE


# ---- joining and managing ----------------------------------------------------------------------


def active_count(session: Session) -> int:
    """How many memberships are active now (the admin's club statistics)."""
    return session.exec(
        select(func.count()).where(Membership.status == MembershipStatus.ACTIVE)
    ).one()


def start_checkout(user_id: int, now: datetime | None = None) -> str:
    """Where the join button sends the member: the provider's checkout (Stripe's, or the test
    checkout page). What it needs is read in a unit of work of its own, and the provider is asked
    after it ends: no lock is held while Stripe thinks."""
    settings = get_settings()
    with db.session_scope() as session:
        user = db.get_existing(session, User, user_id)
        if user.banned_at is not None:
            raise NotAllowed("This account has been suspended.")
        row = membership_for(session, user_id)
        if row is not None and row.status == MembershipStatus.ACTIVE:
            raise UserError("You are already a member; nothing was charged.")
        customer_id = row.stripe_customer_id if row else None
    return get_payments().membership_checkout(
        user,
        success_url=f"{settings.app_url}{routes.DASHBOARD}?joined=1",
        cancel_url=f"{settings.app_url}{routes.DASHBOARD}",
        customer_id=customer_id,
        now=now or utcnow(),
    )


def portal_url(user_id: int, return_url: str) -> str:
    """Where "Manage membership" leads: the provider's portal (Stripe's, or the test portal),
    asked after the unit of work that reads the member's customer id has ended."""
    settings = get_settings()
    with db.session_scope() as session:
        row = membership_for(session, user_id)
        customer_id = row.stripe_customer_id if row else None
    if not customer_id:
        raise UserError("You have no membership to manage yet. Join the club first.")
    if return_url.startswith("/"):
        return_url = settings.app_url + return_url  # Stripe needs an absolute address
    return get_payments().portal(customer_id, return_url)


# ---- the events Stripe sends (through platform/payments.py) --------------------------------


def _on_checkout_completed(session: Session, event: dict) -> str:
    checkout = event["data"]["object"]
    user = _find_member(
        session,
        user_id=checkout.get("client_reference_id") or _dig(checkout, "metadata", "user_id"),
        customer_id=stripe_api.object_id(checkout.get("customer")),
        email=_dig(checkout, "customer_details", "email") or checkout.get("customer_email"),
    )
    if user is None:
        return "ignored: unknown member"
    row, at = _membership_row(session, id_of(user)), _created(event)
    _link(row, checkout.get("customer"), checkout.get("subscription"), fresh=_is_fresh(row, at))
    if checkout.get("payment_status") in ("paid", "no_payment_required"):
        return _set_status(row, MembershipStatus.ACTIVE, at)
    return "linked; waiting for the payment"


def _on_subscription(session: Session, event: dict) -> str:
    subscription = event["data"]["object"]
    subscription_id = stripe_api.object_id(subscription.get("id"))
    user = _find_member(
        session,
        user_id=_dig(subscription, "metadata", "user_id"),
        subscription_id=subscription_id,
        customer_id=stripe_api.object_id(subscription.get("customer")),
    )
    if user is None:
        return "ignored: unknown member"
    status: MembershipStatus | None
    if event["type"] == "customer.subscription.deleted":
        status = MembershipStatus.LAPSED
    else:
        status = _SUBSCRIPTION_STATUS.get(subscription.get("status"))
    row, at = _membership_row(session, id_of(user)), _created(event)
    if status == MembershipStatus.LAPSED and _another_subscription_is_live(row, subscription_id):
        return "ignored: the member has another live subscription"
    _link(row, subscription.get("customer"), subscription_id, fresh=_is_fresh(row, at))
    # Newer API versions keep the period on the subscription's items.
    _extend_period(
        row,
        subscription.get("current_period_end")
        or _dig(_first(_dig(subscription, "items", "data")), "current_period_end"),
    )
    if status is None:
        return f"linked; subscription {subscription.get('status')}"
    return _set_status(row, status, at)


def _on_invoice(session: Session, event: dict) -> str:
    """invoice.paid: active, and the month's base entries; invoice.payment_failed: lapsed."""
    invoice = event["data"]["object"]
    # API 2025-03 and later: invoice.parent.subscription_details; before, invoice.subscription
    # and invoice.subscription_details. Either way the metadata carries our user id, so an invoice
    # arriving before its checkout.session.completed still finds its member.
    details = _dig(invoice, "parent", "subscription_details") or {}
    subscription_id = stripe_api.object_id(details.get("subscription")) or stripe_api.object_id(
        invoice.get("subscription")
    )
    user_id = _dig(details, "metadata", "user_id") or _dig(
        invoice, "subscription_details", "metadata", "user_id"
    )
    if subscription_id is None and user_id is None:
        return "ignored: not a membership invoice"
    user = _find_member(
        session,
        user_id=user_id,
        subscription_id=subscription_id,
        customer_id=stripe_api.object_id(invoice.get("customer")),
        email=invoice.get("customer_email"),
    )
    if user is None:
        return "ignored: unknown member"
    row, at = _membership_row(session, id_of(user)), _created(event)
    if event["type"] == "invoice.payment_failed":
        if _another_subscription_is_live(row, subscription_id):
            return "ignored: the member has another live subscription"
        _link(row, invoice.get("customer"), subscription_id, fresh=_is_fresh(row, at))
        return _set_status(row, MembershipStatus.LAPSED, at)
    _link(row, invoice.get("customer"), subscription_id, fresh=_is_fresh(row, at))
    start, end = _invoice_period(invoice)
    _extend_period(row, end)
    outcome = _set_status(row, MembershipStatus.ACTIVE, at)
    return f"{outcome}; {_credit_base_entries(session, user, start)}"


# ---- applying an event -------------------------------------------------------------------------


def _find_member(
    session: Session,
    *,
    user_id: Any = None,
    subscription_id: str | None = None,
    customer_id: str | None = None,
    email: str | None = None,
) -> User | None:
    """The member an event is about: our own user id first, then what Stripe told us before."""
    if (number := _as_user_id(user_id)) and (user := session.get(User, number)):
        return user
    for column, value in (
        (Membership.stripe_subscription_id, subscription_id),
        (Membership.stripe_customer_id, customer_id),
    ):
        if value:
            row = session.exec(select(Membership).where(column == value)).first()
            if row is not None:
                return session.get(User, row.user_id)
    if isinstance(email, str) and email.strip():
        return session.exec(select(User).where(User.email == email.strip().lower())).first()
    return None


def _membership_row(session: Session, user_id: int) -> Membership:
    """The member's one membership row, locked for this transaction; created on first sight.
    The event may change what their dashboard shows of it, so that is announced."""
    changes.announce(session, changes.member(user_id))
    query = select(Membership).where(Membership.user_id == user_id).with_for_update()
    row = session.exec(query).first()
    if row is None:
        try:
            with session.begin_nested():
                row = Membership(user_id=user_id)
                session.add(row)
        except IntegrityError:  # another event for this member created it a moment ago
            row = session.exec(query).one()
    return row


def _is_fresh(row: Membership, at: datetime) -> bool:
    """Is this event at least as recent as the one that last set the status?"""
    return row.status_changed_at is None or at >= row.status_changed_at


def _set_status(row: Membership, status: str, at: datetime) -> str:
    if not _is_fresh(row, at):
        return f"older event; membership stays {row.status}"
    row.status = status
    row.status_changed_at = at
    row.updated_at = utcnow()
    return f"membership {status}"


def _link(row: Membership, customer: Any, subscription: Any, *, fresh: bool) -> None:
    """Remember Stripe's ids; an older event only fills in ids we do not have yet."""
    customer_id, subscription_id = (
        stripe_api.object_id(customer),
        stripe_api.object_id(subscription),
    )
    if customer_id and (fresh or not row.stripe_customer_id):
        row.stripe_customer_id = customer_id
    if subscription_id and (fresh or not row.stripe_subscription_id):
        row.stripe_subscription_id = subscription_id
    row.updated_at = utcnow()


def _another_subscription_is_live(row: Membership, subscription_id: str | None) -> bool:
    """An old subscription ending must not lapse a member who has since subscribed again."""
    return (
        row.status == MembershipStatus.ACTIVE
        and subscription_id is not None
        and row.stripe_subscription_id is not None
        and subscription_id != row.stripe_subscription_id
    )


def _extend_period(row: Membership, end: Any) -> None:
    if isinstance(end, int) and end > 0:
        moment = datetime.fromtimestamp(end, UTC)
        if row.current_period_end is None or moment > row.current_period_end:
            row.current_period_end = moment


def _invoice_period(invoice: dict) -> tuple[datetime | None, int | None]:
    """The start (as a moment) and end (Unix time) of the period the invoice pays for."""
    periods = [
        line["period"]
        for line in (_dig(invoice, "lines", "data") or [])
        if isinstance(line, dict)
        and isinstance(_dig(line, "period", "start"), int)
        and isinstance(_dig(line, "period", "end"), int)
    ]
    if not periods:
        return None, None
    # A proration line for the old period may come first; the latest period is the one paid for.
    period = max(periods, key=lambda p: p["end"])
    return datetime.fromtimestamp(period["start"], UTC), period["end"]


def _credit_base_entries(session: Session, user: User, start: datetime | None) -> str:
    if start is None:
        return "no billing period, no entries"
    if user.banned_at is not None:
        return "member suspended, no entries"
    month = raffles.month_of(start)
    raffle = raffles.raffle_for_month(session, month)
    if raffle is None:
        return f"no raffle for {month} yet"
    credited = raffles.credit_base_entries(session, raffle, id_of(user))
    if credited is None:
        return f"no new entries in {month}"
    return f"{credited.amount} base entries in {month}"


def _created(event: dict) -> datetime:
    return datetime.fromtimestamp(event["created"], UTC)


def _dig(value: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _first(items: Any) -> Any:
    return items[0] if isinstance(items, list) and items else None


def _as_user_id(value: Any) -> int | None:
    """Our user id in Stripe's metadata; None for anything no user can have (too big too)."""
    return routes.whole_id(str(value)) if isinstance(value, str | int) else None


# ---- the test pay pages ----------------------------------------------------------------------


def complete_test_checkout(session: Session | None, user: User, checkout_id: str) -> None:
    """The test checkout's Pay button: what Stripe would send after a successful payment.

    Sends customer.subscription.created, invoice.paid and checkout.session.completed, signed by
    the local twin, through the webhook (platform/payments.py). Ids derive from the checkout, so
    paying the same checkout again replays the same events and changes nothing. `session` is not
    written to: the events commit in their own transactions, as they would from Stripe. With real
    Stripe there are no test payments (NotAllowed).
    """
    twin = get_payments().twin()
    if user.banned_at is not None:
        raise NotAllowed("This account has been suspended.")
    if not twin.is_membership_checkout(id_of(user), checkout_id):
        raise UserError("This test checkout has expired. Start again from your dashboard.")
    with db.session_scope() as reading:
        row = membership_for(reading, id_of(user))
    purchase = twin.membership_purchase(
        id_of(user), user.email, checkout_id, customer_id=row.stripe_customer_id if row else None
    )
    if (
        row is not None
        and row.status == MembershipStatus.ACTIVE
        and row.stripe_subscription_id != purchase.subscription_id
    ):
        raise UserError("You are already a member; nothing was charged.")
    for event_type, obj in purchase.events():
        payments.send_test_event(event_type, obj, key=checkout_id, now=purchase.now)


def cancel_in_test_mode(user: User) -> None:
    """The test portal's Cancel button: customer.subscription.deleted, signed by the twin."""
    twin = get_payments().twin()
    with db.session_scope() as reading:
        row = membership_for(reading, id_of(user))
    if row is None or row.status != MembershipStatus.ACTIVE or not row.stripe_subscription_id:
        raise UserError("You have no active membership to cancel.")
    now = int(time.time())
    subscription = twin.cancelled_subscription(
        id_of(user), row.stripe_subscription_id, row.stripe_customer_id, now
    )
    payments.send_test_event(
        "customer.subscription.deleted", subscription, key=row.stripe_subscription_id, now=now
    )


# What this mode takes from the payment provider's events (platform/payments.py hands them here).
payments.register(
    "checkout.session.completed", _on_checkout_completed, checkout_mode="subscription"
)
payments.register("customer.subscription.created", _on_subscription)
payments.register("customer.subscription.updated", _on_subscription)
payments.register("customer.subscription.deleted", _on_subscription)
payments.register("invoice.paid", _on_invoice)
payments.register("invoice.payment_failed", _on_invoice)

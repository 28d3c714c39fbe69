"""The one place that sends a notification (placeholder until the notifications branch lands:
email only)."""

from __future__ import annotations

from sqlmodel import Session, select

from luckyclub.models import Role, User
from luckyclub.services import mail

CHECKOUT_STARTED = "Checkout Started"
ORDER_PLACED = "Order Placed"
COMPETITION_ENTERED = "Competition Entered"
WINNER_ANNOUNCEMENT = "Winner Announcement"
PRIZE_DELIVERED = "Prize Delivered"


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
    if email:
        mail.enqueue_email(
            session, to=user.email, template=email, display_name=user.display_name, **context
        )


def notify_admins(session: Session, *, email: str, **context: str) -> None:
    admins = session.exec(select(User).where(User.role == Role.ADMIN)).all()
    for admin in admins:
        mail.enqueue_email(session, to=admin.email, template=email, **context)

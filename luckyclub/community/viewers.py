"""Finding a viewer the way a moderator names them on the console: a LuckyClub email address, a
Kick name, or a Kick user id."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from luckyclub.core.errors import UserError
from luckyclub.models import KickIdentity
from luckyclub.platform import accounts


def _by_kick_name(session: Session, name: str) -> KickIdentity | None:
    wanted = name.strip().lstrip("@").lower()
    if not wanted:
        return None
    return session.exec(
        select(KickIdentity)
        .where(func.lower(col(KickIdentity.username)) == wanted)
        .order_by(col(KickIdentity.updated_at).desc())
    ).first()


def account_named(session: Session, text: str) -> int:
    """The account id of a viewer named by email or by their linked Kick name."""
    text = (text or "").strip()
    if "@" in text.lstrip("@"):
        user = accounts.find_by_email(session, text)
        if user is not None and user.id is not None:
            return user.id
        raise UserError("No account has that email address.")
    identity = _by_kick_name(session, text)
    if identity is None:
        raise UserError("No Kick account of that name has been seen here.")
    if identity.user_id is None:
        raise UserError(
            f"{identity.username} has not linked a LuckyClub account yet: tickets go to "
            "accounts, so give them once they link."
        )
    return identity.user_id


def kick_id_named(session: Session, text: str) -> int:
    """The Kick user id named by itself (digits) or by a Kick name seen here."""
    text = (text or "").strip()
    if text.isdigit() and int(text) > 0:
        return int(text)
    identity = _by_kick_name(session, text)
    if identity is None:
        raise UserError(
            "No Kick account of that name has been seen here: give its Kick user id instead."
        )
    return identity.kick_user_id

"""Members as admins see and manage them: the list, naming people on admin pages, verifying,
banning, roles, and the first admin account (the CLI's create-admin). Every change is authorised
here and audited."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from luckyclub.core import security
from luckyclub.core.errors import UserError
from luckyclub.models import Role, User, id_of, utcnow
from luckyclub.platform import accounts, audit, changes
from luckyclub.platform.permissions import require_admin


def _target(session: Session, user_id: int) -> User:
    """The member an admin is changing, announced as changed (their own pages) in this unit
    of work."""
    user = session.get(User, user_id)
    if user is None:
        raise UserError("That member no longer exists.")
    changes.announce(session, changes.member(user_id))
    return user


@dataclass(frozen=True)
class Person:
    """A member as an admin page names them."""

    id: int
    display_name: str
    email: str


def person(session: Session, user_id: int | None) -> Person | None:
    """The member with this id, or None when there is none (an entrant, a deleted account)."""
    user = session.get(User, user_id) if user_id else None
    return (
        Person(id=id_of(user), display_name=user.display_name, email=user.email) if user else None
    )


def emails_of(session: Session, user_ids: Iterable[int | None]) -> dict[int, str]:
    """Each existing member's email by id; ids of no member are left out."""
    wanted = {user_id for user_id in user_ids if user_id}
    if not wanted:
        return {}
    rows = session.exec(select(col(User.id), User.email).where(col(User.id).in_(wanted)))
    return {user_id: email for user_id, email in rows if user_id is not None}  # stored: never None


def list_users(
    session: Session, *, search: str = "", limit: int = 50, offset: int = 0
) -> list[User]:
    query = select(User)
    if search := search.strip().lower():
        like = f"%{search}%"
        query = query.where(
            or_(col(User.email).like(like), func.lower(User.display_name).like(like))
        )
    return list(session.exec(query.order_by(col(User.id).desc()).offset(offset).limit(limit)))


def mark_verified(session: Session, actor: User, user_id: int) -> User:
    require_admin(actor)
    user = _target(session, user_id)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        audit.record(session, actor, "user.verify", "user", user.id)
    return user


def ban(session: Session, actor: User, user_id: int, reason: str) -> User:
    require_admin(actor)
    user = _target(session, user_id)
    reason = (reason or "").strip()
    if not reason:
        raise UserError("Give a reason for the ban; it is kept in the audit log.", field="reason")
    if user.id == actor.id:
        raise UserError("You cannot ban yourself.")
    user.banned_at = utcnow()
    user.ban_reason = reason[:500]
    accounts.revoke_all_sessions(session, id_of(user))
    audit.record(session, actor, "user.ban", "user", user.id, reason)
    return user


def unban(session: Session, actor: User, user_id: int) -> User:
    require_admin(actor)
    user = _target(session, user_id)
    if user.banned_at is not None:
        user.banned_at = None
        user.ban_reason = None
        audit.record(session, actor, "user.unban", "user", user.id)
    return user


def set_role(session: Session, actor: User, user_id: int, role: str) -> User:
    require_admin(actor)
    if role not in (Role.MEMBER, Role.ADMIN):
        raise UserError("Choose member or admin.")
    user = _target(session, user_id)
    if user.id == actor.id and role != Role.ADMIN:
        raise UserError("You cannot remove your own admin role; ask another admin.")
    if user.role != role:
        user.role = role
        audit.record(session, actor, "user.role", "user", user.id, role)
    return user


def create_or_promote_admin(
    session: Session, *, email: str, password: str | None, display_name: str = "Admin"
) -> tuple[User, bool]:
    """For the CLI: promote the account if it exists, else create it. Returns (user, created)."""
    email = accounts.normalise_email(email)
    user = accounts.find_by_email(session, email)
    if user is not None:
        user.role = Role.ADMIN
        changes.announce(session, changes.member(id_of(user)))
        if password:
            user.password_hash = security.hash_password(
                accounts.check_password(password, email=email)
            )
        return user, False
    if not password:
        raise UserError("A new admin account needs a password.")
    user = User(
        email=email,
        password_hash=security.hash_password(accounts.check_password(password, email=email)),
        display_name=accounts.check_display_name(display_name, staff=True),
        date_of_birth=date(1970, 1, 1),
        timezone="UTC",
        role=Role.ADMIN,
        email_verified_at=utcnow(),
    )
    session.add(user)
    session.flush()
    return user, True

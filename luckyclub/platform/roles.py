"""Scoped roles: a member's rights over one thing (a program's raffles, a signup list), granted and
revoked by platform admins (a list's creator grants its editors: lotteries/lists.py) and audited.
Services ask `require_role` before acting on such a thing; platform admins pass it everywhere."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from luckyclub.core.errors import NotAllowed, UserError
from luckyclub.models import Program, RoleGrant, Scope, ScopedRole, SignupList, User, id_of
from luckyclub.platform import audit, changes, programs
from luckyclub.platform.permissions import require_admin

# Which role may be held over which kind of thing, and how that thing is named to people.
ROLE_SCOPES: dict[str, Scope] = {
    ScopedRole.MODERATOR: Scope.PROGRAM,
    ScopedRole.EDITOR: Scope.LIST,
}
ROLE_WORDS: dict[str, str] = {ScopedRole.MODERATOR: "Moderator", ScopedRole.EDITOR: "Editor"}


@dataclass(frozen=True)
class GrantRow:
    """A grant as the admin console lists it (admins see members' emails)."""

    id: int
    member: str  # "Ann <ann@example.com>"
    words: str  # "Moderator of Ann's community"
    granted_at: datetime


@dataclass(frozen=True)
class GrantView:
    id: int
    user_id: int
    role: str
    scope: str
    scope_id: int
    words: str  # "Moderator of LuckyClub members' club"


def has_role(session: Session, user: User | None, role: str, scope: str, scope_id: int) -> bool:
    """Whether `user` may act as `role` over that thing: a platform admin always may; a member
    only with a grant for exactly that thing; a banned account never."""
    if user is None or user.banned_at is not None:
        return False
    if user.is_admin:
        return True
    found = session.exec(
        select(RoleGrant.id).where(
            RoleGrant.user_id == user.id,
            RoleGrant.role == role,
            RoleGrant.scope == scope,
            RoleGrant.scope_id == scope_id,
        )
    ).first()
    return found is not None


def require_role(session: Session, user: User | None, role: str, scope: str, scope_id: int) -> User:
    if user is None or not has_role(session, user, role, scope, scope_id):
        words = ROLE_WORDS[role].lower()
        article = "an" if words[0] in "aeiou" else "a"
        raise NotAllowed(f"Only {article} {words} of this {scope} can do that.")
    return user


def require_program_moderator(session: Session, user: User | None, program_id: int) -> User:
    return require_role(session, user, ScopedRole.MODERATOR, Scope.PROGRAM, program_id)


def grant(session: Session, admin: User, user_id: int, role: str, scope_id: int) -> RoleGrant:
    """Give a member a role over one thing (once: granting it again changes nothing)."""
    require_admin(admin)
    return add_grant(session, admin, user_id, role, scope_id)


def add_grant(session: Session, actor: User, user_id: int, role: str, scope_id: int) -> RoleGrant:
    """Give a member a role over one thing, audited as `actor`'s: the caller has checked that the
    actor may (an admin: `grant`; a list's creator: lists.add_editor). Granting it again changes
    nothing."""
    if role not in ROLE_SCOPES:
        raise UserError("Choose a role: moderator of a program or editor of a list.")
    member = session.get(User, user_id)
    if member is None:
        raise UserError("That member no longer exists.")
    scope = ROLE_SCOPES[role]
    name = _scope_name(session, scope, scope_id)
    existing = _grant_of(session, user_id, role, scope, scope_id)
    if existing is not None:
        return existing
    row = RoleGrant(user_id=user_id, role=role, scope=scope, scope_id=scope_id, granted_by=actor.id)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # the same grant, made a moment ago by someone else
        if made := _grant_of(session, user_id, role, scope, scope_id):
            return made
        raise UserError("That role could not be granted just now; try again.") from None
    changes.announce(session, changes.member(user_id))  # what their pages offer them
    audit.record(
        session, actor, "role.grant", "user", user_id, f"{ROLE_WORDS[role]} of {scope} {name}"
    )
    return row


def revoke(session: Session, admin: User, grant_id: int) -> None:
    require_admin(admin)
    row = session.get(RoleGrant, grant_id)
    if row is None:
        raise UserError("That role was revoked already.")
    remove_grant(session, admin, row)


def remove_grant(session: Session, actor: User, row: RoleGrant) -> None:
    """Take a role back, audited as `actor`'s (the caller has checked that the actor may)."""
    name = _scope_name(session, row.scope, row.scope_id, missing_ok=True)
    session.delete(row)
    changes.announce(session, changes.member(row.user_id))
    audit.record(
        session,
        actor,
        "role.revoke",
        "user",
        row.user_id,
        f"{ROLE_WORDS.get(row.role, row.role)} of {row.scope} {name}",
    )


def holders(session: Session, role: str, scope_id: int) -> list[tuple[RoleGrant, User]]:
    """Who holds `role` over one thing, in the order they were given it."""
    rows = session.exec(
        select(RoleGrant, User)
        .join(User, col(User.id) == col(RoleGrant.user_id))
        .where(
            RoleGrant.role == role,
            RoleGrant.scope == ROLE_SCOPES[role],
            RoleGrant.scope_id == scope_id,
        )
        .order_by(col(RoleGrant.id))
    ).all()
    return [(grant, user) for grant, user in rows]


def grants_of(session: Session, user_id: int) -> list[GrantView]:
    rows = session.exec(
        select(RoleGrant).where(RoleGrant.user_id == user_id).order_by(col(RoleGrant.id))
    ).all()
    return [
        GrantView(
            id=id_of(row),
            user_id=row.user_id,
            role=row.role,
            scope=row.scope,
            scope_id=row.scope_id,
            words=f"{ROLE_WORDS.get(row.role, row.role)} of "
            f"{_scope_name(session, row.scope, row.scope_id, missing_ok=True)}",
        )
        for row in rows
    ]


def all_grants(session: Session) -> list[GrantRow]:
    """Every grant, newest first, for the admin console."""
    rows = session.exec(
        select(RoleGrant, User)
        .join(User, col(User.id) == col(RoleGrant.user_id))
        .order_by(col(RoleGrant.id).desc())
    ).all()
    return [
        GrantRow(
            id=id_of(grant),
            member=f"{user.display_name} <{user.email}>",
            words=f"{ROLE_WORDS.get(grant.role, grant.role)} of "
            f"{_scope_name(session, grant.scope, grant.scope_id, missing_ok=True)}",
            granted_at=grant.created_at,
        )
        for grant, user in rows
    ]


def grantable_programs(session: Session) -> list[Program]:
    """The programs a moderator can be given, the club's first."""
    club = programs.club(session)  # exists from the first look
    others = session.exec(select(Program).where(Program.id != club.id).order_by(col(Program.id)))
    return [club, *others]


def _grant_of(
    session: Session, user_id: int, role: str, scope: str, scope_id: int
) -> RoleGrant | None:
    return session.exec(
        select(RoleGrant).where(
            RoleGrant.user_id == user_id,
            RoleGrant.role == role,
            RoleGrant.scope == scope,
            RoleGrant.scope_id == scope_id,
        )
    ).first()


def _scope_name(session: Session, scope: str, scope_id: int, *, missing_ok: bool = False) -> str:
    """The thing's name in words; a grant may only name a thing that exists."""
    if scope == Scope.PROGRAM and (program := session.get(Program, scope_id)) is not None:
        return program.name
    if scope == Scope.LIST and (signup_list := session.get(SignupList, scope_id)) is not None:
        return signup_list.title
    if missing_ok:
        return f"#{scope_id}"
    raise UserError(f"There is no {scope} #{scope_id}.")

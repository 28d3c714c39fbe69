"""Records the database tests start from."""

from __future__ import annotations

from datetime import date

from luckyclub.models import Role, User


def add_user(session, email: str, role: str = Role.MEMBER) -> User:
    """A committed account; nobody types its password, so the hash is never checked."""
    user = User(
        email=email,
        password_hash="not checked here",
        display_name=email.split("@")[0].title(),
        date_of_birth=date(1990, 4, 21),
        role=role,
    )
    session.add(user)
    session.commit()
    return user


def add_open_raffle(session, month: str | None = None, **fields):
    """A committed raffle (this month's unless told otherwise), open until the end of its month."""
    from luckyclub.models import Raffle, RaffleStatus, utcnow
    from luckyclub.services.raffles import month_end, month_of

    month = month or month_of(utcnow())

    values = {
        "title": f"Raffle {month}",
        "prize": "A signed jersey",
        "closes_at": month_end(month),
        "status": RaffleStatus.OPEN,
    }
    raffle = Raffle(month=month, **(values | fields))
    session.add(raffle)
    session.commit()
    return raffle


def add_member(session, email: str, status: str = "active", **changes) -> User:
    """A committed account with a membership in `status` (active or lapsed); `changes` set on the
    account, e.g. banned_at or show_on_leaderboard."""
    from luckyclub.models import Membership

    user = add_user(session, email)
    for name, value in changes.items():
        setattr(user, name, value)
    session.add(Membership(user_id=user.id, status=status))
    session.commit()
    return user

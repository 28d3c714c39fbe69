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
    from luckyclub.club.raffles import month_end, month_of
    from luckyclub.models import Raffle, RaffleStatus, utcnow
    from luckyclub.platform.programs import club_id

    month = month or month_of(utcnow())

    values = {
        "title": f"Raffle {month}",
        "prize": "A signed jersey",
        "closes_at": month_end(month),
        "status": RaffleStatus.OPEN,
    }
    raffle = Raffle(program_id=club_id(session), month=month, **(values | fields))
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


def add_buyer(session, email: str, **changes) -> User:
    """A committed member who may buy tickets: email confirmed, over 18."""
    from luckyclub.models import utcnow

    user = add_user(session, email)
    user.email_verified_at = utcnow()
    for name, value in changes.items():
        setattr(user, name, value)
    session.add(user)
    session.commit()
    return user


def add_competition(session, admin: User | None = None, *, active: bool = True, **fields):
    """A committed competition made through the service (so its draw exists), active unless told
    otherwise. The skill question's right answer is "Paris"."""
    from datetime import timedelta

    from luckyclub.competitions import catalogue
    from luckyclub.models import utcnow

    admin = admin or add_user(session, f"admin{utcnow().timestamp()}@example.com", Role.ADMIN)
    now = utcnow()
    values = {
        "title": "Win a bike",
        "prize": "A road bike",
        "ticket_price_pence": 250,
        "max_tickets": 100,
        "per_person_limit": 50,
        "starts_at": now - timedelta(hours=1),
        "ends_at": now + timedelta(days=7),
        "question": "What is the capital of France?",
        "choices": ["Paris", "Lyon", "Nice"],
        "answer": "Paris",
    }
    competition = catalogue.create(
        session, admin, now=now - timedelta(hours=2), **(values | fields)
    )
    if active:
        catalogue.activate(session, admin, competition.id, now=now - timedelta(hours=2))
    session.commit()
    return competition


def add_community(session, slug: str = "lele", **fields):
    """A committed community (its program and the community row), made without the service."""
    from luckyclub.models import Community, Program

    program = Program(slug=slug, name=f"{slug.title()}'s community")
    session.add(program)
    session.flush()
    community = Community(program_id=program.id, **fields)
    session.add(community)
    session.commit()
    return community

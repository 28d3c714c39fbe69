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

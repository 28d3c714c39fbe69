"""Who may do what: checked in the service itself, whatever page or route called it."""

from __future__ import annotations

from luckyclub.core.errors import NotAllowed
from luckyclub.models import User


def require_admin(user: User | None) -> User:
    if user is None or not user.is_admin or user.banned_at is not None:
        raise NotAllowed("Only administrators can do that.")
    return user

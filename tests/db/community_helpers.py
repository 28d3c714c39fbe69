"""Communities, moderators and linked viewers for the community tests, made through the
services (except the Kick link, which identities.link_kick has tests of its own for)."""

from __future__ import annotations

from luckyclub.community import communities
from luckyclub.models import KickIdentity, Role
from tests.db.factories import add_user


def community_with_moderator(session, slug: str = "lele", **form):
    """A committed community made by a platform admin, and a moderator of it."""
    admin = add_user(session, f"admin@{slug}.example.com", Role.ADMIN)
    values = {"name": f"{slug.title()}'s raffle", "slug": slug, "prize": "$500 cash"}
    community = communities.create(session, admin, communities.CommunityForm(**(values | form)))
    session.commit()
    moderator = add_user(session, f"mod@{slug}.example.com")
    communities.add_moderator(session, admin, community.id, moderator.email)
    session.commit()
    return community, moderator


def linked_viewer(session, email: str, kick_user_id: int, username: str = "", shown=False):
    """A committed account linked to a Kick id."""
    user = add_user(session, email)
    user.show_on_leaderboard = shown
    session.add(KickIdentity(kick_user_id=kick_user_id, username=username, user_id=user.id))
    session.commit()
    return user

"""Communities, moderators and linked viewers for the community tests, made through the
services (except the Kick link, which identities.link_kick has tests of its own for)."""

from __future__ import annotations

from luckyclub.community import communities, tickets
from luckyclub.models import DiscordIdentity, KickIdentity, Role, utcnow
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


# A community on a Discord server, and its people's Discord ids (the Discord tests').
GUILD = 700000000000000001
ANN, BOB, MOD, STRANGER = 800000000000000001, 800000000000000002, 800000000000000003, 8000009


def discord_world(session):
    """A community on GUILD with the Discord moderator role "Raffle Mods"; Ann (30 bonus
    tickets, shown by name) and Bob linked viewers, the community's moderator linked as MOD;
    STRANGER has not linked."""
    community, mod = community_with_moderator(
        session, discord_guild_id=str(GUILD), discord_moderator_role="Raffle Mods"
    )
    ann = add_user(session, "ann@example.com")
    bob = add_user(session, "bob@example.com")
    ann.display_name, ann.show_on_leaderboard = "Ann", True
    for user, discord_id in ((ann, ANN), (bob, BOB), (mod, MOD)):
        session.add(
            DiscordIdentity(discord_user_id=discord_id, username=f"d{discord_id}", user_id=user.id)
        )
    session.commit()
    tickets.give(session, mod, community, ann.id, 30, "Welcome bonus", utcnow())
    session.commit()
    return community, {"ann": ann, "bob": bob, "mod": mod}

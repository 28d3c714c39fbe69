"""Creating and editing communities (platform admins only), their moderators, and exclusions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from luckyclub.community import communities, exclusions, tickets
from luckyclub.core.errors import NotAllowed, UserError
from luckyclub.models import AuditLog, LedgerSource, Role, Scope, ScopedRole, User
from luckyclub.platform import roles
from tests.db.community_helpers import community_with_moderator, linked_viewer
from tests.db.factories import add_user

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def test_an_admin_creates_a_community_with_the_seeds_rates(session):
    admin = add_user(session, "admin@example.com", Role.ADMIN)

    community = communities.create(
        session,
        admin,
        communities.CommunityForm(
            name=" Lele's  raffle ",
            slug="Lele",
            kick_broadcaster_id="1234567",
            affiliate_source="LELE_STATS_URL",
            prize="$500 Cash / 500,000 Kick Points",
        ),
    )
    session.commit()

    assert communities.by_slug(session, "lele").id == community.id
    assert communities.name_of(session, community) == "Lele's raffle"
    assert community.kick_broadcaster_id == 1234567
    assert (community.chat_minutes, community.chat_tickets) == (60, 10)
    assert (community.gift_tickets, community.wager_unit, community.wager_tickets) == (15, 1000, 20)
    assert community.auto_draw is False
    audit = session.exec(select(AuditLog)).one()
    assert (audit.action, audit.target_type) == ("community.create", "community")


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"name": "Le"}, "3 to 120 characters"),
        ({"slug": "club"}, "Choose an address"),
        ({"slug": "has space"}, "Choose an address"),
        ({"kick_broadcaster_id": "abc"}, "broadcaster user id"),
        ({"affiliate_source": "https://affiliate.example/stats/uuid"}, "never the URL itself"),
        ({"chat_minutes": 0}, "Chat-active minutes per block must be from 1"),
        ({"wager_unit": "lots"}, "must be a whole number"),
        ({"discord_guild_id": "my server"}, "Discord server's id"),
        ({"discord_guild_id": "99999999999999999999"}, "Discord server's id"),
        ({"discord_moderator_role": "x" * 101}, "at most 100 characters"),
    ],
)
def test_a_community_form_is_refused_in_words(session, change, words):
    admin = add_user(session, "admin@example.com", Role.ADMIN)
    form = {"name": "Lele's raffle", "slug": "lele"} | change

    with pytest.raises(UserError, match=words):
        communities.create(session, admin, communities.CommunityForm(**form))


def test_only_platform_admins_create_and_edit_communities(session):
    community, mod = community_with_moderator(session)
    form = communities.form_of(session, community)

    with pytest.raises(NotAllowed):
        communities.create(session, mod, communities.CommunityForm(name="Mine", slug="mine"))
    with pytest.raises(NotAllowed):
        communities.update(session, mod, community.id, form)


def test_an_address_or_kick_channel_belongs_to_one_community(session):
    community, _ = community_with_moderator(session, kick_broadcaster_id=55)
    admin = add_user(session, "admin@example.com", Role.ADMIN)

    with pytest.raises(UserError, match="taken"):
        communities.create(session, admin, communities.CommunityForm(name="Again", slug="lele"))
    with pytest.raises(UserError, match="Kick channel already"):
        communities.create(
            session,
            admin,
            communities.CommunityForm(name="Again", slug="again", kick_broadcaster_id=55),
        )


def test_an_admin_edits_the_rates_and_the_edit_is_audited(session):
    community, _ = community_with_moderator(session)
    admin = add_user(session, "admin@example.com", Role.ADMIN)
    form = communities.form_of(session, community)

    communities.update(
        session,
        admin,
        community.id,
        communities.CommunityForm(**(vars(form) | {"gift_tickets": 20, "auto_draw": True})),
    )
    session.commit()

    assert community.gift_tickets == 20 and community.auto_draw is True
    audit = session.exec(select(AuditLog).order_by(AuditLog.id.desc())).first()
    assert audit.action == "community.edit" and audit.detail == "gift_tickets, auto_draw"


def test_a_moderator_is_a_moderator_of_their_community_only(session):
    mine, mod = community_with_moderator(session)
    other, _ = community_with_moderator(session, "other")

    def moderates(community):
        return roles.has_role(
            session, mod, ScopedRole.MODERATOR, Scope.PROGRAM, community.program_id
        )

    assert moderates(mine) and not moderates(other)
    assert [user.id for _, user in communities.moderators(session, mine)] == [mod.id]


def test_an_excluded_kick_account_earns_nothing_until_included_again(session):
    community, mod = community_with_moderator(session)
    viewer = linked_viewer(session, "bot@example.com", 13)

    with pytest.raises(UserError, match="reason"):
        exclusions.exclude(session, mod, community, 13, "", NOW)
    exclusions.exclude(session, mod, community, "13", "A chat bot farming minutes", NOW)
    shut_out = tickets.credit_kick(session, community, 13, LedgerSource.WATCHTIME, 10, "a", NOW)
    exclusions.include(session, mod, community, 13, "It was a viewer after all")
    earns = tickets.credit_kick(session, community, 13, LedgerSource.WATCHTIME, 10, "b", NOW)
    session.commit()

    assert (shut_out.outcome, earns.outcome) == ("excluded", "credited")
    assert earns.user_id == viewer.id
    actions = session.exec(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions[-2:] == ["community.exclude", "community.include"]


def test_a_moderator_of_another_community_cannot_exclude_here(session):
    community, _ = community_with_moderator(session)
    _other, other_mod = community_with_moderator(session, "other")

    with pytest.raises(NotAllowed):
        exclusions.exclude(session, other_mod, community, 13, "A chat bot farming", NOW)


def test_a_new_prize_shows_on_the_open_period_and_its_scheduled_draw(session):
    from luckyclub.community import periods

    community, _ = community_with_moderator(session)
    admin = add_user(session, "admin@example.com", Role.ADMIN)
    period = periods.period_of(session, community, NOW)
    session.commit()
    form = communities.form_of(session, community)

    communities.update(
        session,
        admin,
        community.id,
        communities.CommunityForm(**(vars(form) | {"prize": "A gaming PC", "name": "Lele & co"})),
    )
    session.commit()

    draw = periods.draw_of(session, period.id)
    assert period.prize == draw.prize == "A gaming PC"
    assert period.title == draw.title == "Lele & co: December 2026"


def test_a_discord_server_connects_to_one_community(session):
    community, _ = community_with_moderator(
        session, discord_guild_id="700000000000000001", discord_moderator_role=" Raffle  Mods "
    )
    admin = session.exec(select(User).where(User.email == "admin@lele.example.com")).one()

    assert (community.discord_guild_id, community.discord_moderator_role) == (
        700000000000000001,
        "Raffle Mods",
    )
    with pytest.raises(UserError, match="Another community has that Discord server"):
        communities.create(
            session,
            admin,
            communities.CommunityForm(
                name="Again", slug="again", discord_guild_id=700000000000000001
            ),
        )

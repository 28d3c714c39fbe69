"""A community's pages' states, driven as a browser tab drives them: the public page for a visitor
(totals, leaderboard, how to earn), a viewer's own page (every ledger row, the Link Kick address,
an affiliate claim), and the moderators' console — refusing a member who is not a moderator in
every handler, before anything changes — for a moderator giving, removing and reversing."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from luckyclub.community import gifts, tickets
from luckyclub.core import routes
from luckyclub.models import (
    AuditLog,
    Community,
    EntryLedger,
    ExcludedViewer,
    KickIdentity,
    LedgerSource,
    Role,
    ScopedRole,
    utcnow,
)
from luckyclub.pages.admin.communities import CommunitiesAdminState
from luckyclub.platform import accounts, roles
from luckyclub.state.community.mine import CommunityMineState
from luckyclub.state.community.moderate import MODERATORS_ONLY, CommunityModerateState
from luckyclub.state.community.public import CommunityPageState
from luckyclub.state.session import SessionState
from tests.db.factories import add_community, add_user
from tests.db.reflex_state import finish, state_for_tab

SLUG = "lele"


def token_for(session, user) -> str:
    token, _ = accounts.start_session(session, user)
    session.commit()
    return token


def tab(state_cls, path: str, token: str | None = None):
    state = state_for_tab(state_cls, path=path, session_token=token)
    finish(SessionState.refresh, state)
    finish(state_cls.load, state)
    return state


def linked(session, email: str, kick_user_id: int, username: str):
    user = add_user(session, email)
    session.add(KickIdentity(kick_user_id=kick_user_id, username=username, user_id=user.id))
    session.commit()
    return user


@pytest.fixture()
def community(session):
    return add_community(session, SLUG, prize="A signed jersey")


@pytest.fixture()
def moderator(session, community):
    admin = add_user(session, "admin@example.com", Role.ADMIN)
    mod = add_user(session, "mod@example.com")
    roles.grant(session, admin, mod.id, ScopedRole.MODERATOR, community.program_id)
    session.commit()
    return mod


def credit(session, community, kick_user_id: int, amount: int, key: str) -> None:
    tickets.credit_kick(
        session, community, kick_user_id, LedgerSource.GIFTED_SUB, amount, key, utcnow()
    )
    session.commit()


# ---- the public page -----------------------------------------------------------------------------


def test_a_visitor_sees_the_period_its_totals_and_the_leaderboard(session, community):
    linked(session, "ann@example.com", 9001, "ann")
    linked(session, "bo@example.com", 9002, "bo")
    credit(session, community, 9001, 30, "gift:1")
    credit(session, community, 9002, 15, "gift:2")

    page = tab(CommunityPageState, routes.community_page(SLUG))

    assert page.loaded and not page.missing
    assert page.total_tickets == 45 and page.participants == 2
    assert [(t.source, t.tickets) for t in page.totals] == [("Gifted subs", 45)]
    assert [(r.rank, r.tickets) for r in page.leaders] == [(1, 30), (2, 15)]
    assert page.ends_words.endswith("UTC") and page.ends_ts > utcnow().timestamp()
    assert "10 tickets" in page.chat_rate_words and "15 tickets" in page.gift_rate_words
    assert page.prize == "A signed jersey"
    assert not page.can_moderate


def test_an_unknown_community_is_a_missing_page(session, community):
    page = tab(CommunityPageState, routes.community_page("nobody-here"))
    assert page.loaded and page.missing and page.leaders == []


# ---- a viewer's page -----------------------------------------------------------------------------


def test_a_viewer_sees_every_ledger_row_and_where_link_kick_goes(session, community):
    ann = linked(session, "ann@example.com", 9001, "ann")
    credit(session, community, 9001, 15, "gift:1")

    page = tab(CommunityMineState, routes.community_mine(SLUG), token_for(session, ann))

    assert page.total == 15
    assert [(r.source, r.amount) for r in page.ledger] == [("Gifted subs", "+15")]
    assert page.kick_username == "ann"
    assert page.link_url.startswith(routes.KICK_LINK_START + "?")


# ---- the moderators' console ---------------------------------------------------------------------


def _handlers_and_arguments(gift_id: int, viewer: str) -> list[tuple[str, tuple]]:
    reason = {"reason": "Testing the refusal"}
    return [
        ("approve_claim", (1,)),
        ("reject_claim", ({"claim_id": "1", **reason},)),
        ("give", ({"give_viewer": viewer, "give_amount": "5", "give_reason": "For testing"},)),
        (
            "remove",
            ({"remove_viewer": viewer, "remove_amount": "5", "remove_reason": "For testing"},),
        ),
        ("reverse_gift", ({"gift_id": str(gift_id), **reason},)),
        ("exclude", ({"kick_account": "9001", **reason},)),
        ("include", ({"kick_user_id": "9001", **reason},)),
        ("draw_now", ({"period_id": "1", **reason},)),
    ]


def _counts(session) -> tuple[int, int, int]:
    session.expire_all()
    return (
        session.exec(select(func.count()).select_from(EntryLedger)).one(),
        session.exec(select(func.count()).select_from(AuditLog)).one(),
        session.exec(select(func.count()).select_from(ExcludedViewer)).one(),
    )


def test_a_member_who_is_not_a_moderator_is_refused_by_every_handler(session, community):
    ann = linked(session, "ann@example.com", 9001, "ann")
    credit(session, community, 9001, 30, "gift:1")
    member = add_user(session, "nosy@example.com")
    token = token_for(session, member)
    console = tab(CommunityModerateState, routes.community_moderate(SLUG), token)
    assert not console.allowed and console.error == MODERATORS_ONLY
    before = _counts(session)

    moderator_handlers = {
        name
        for name, handler in CommunityModerateState.event_handlers.items()
        if name not in {"load", "follow", "changed"}
        and handler.fn.__module__ == CommunityModerateState.__module__
    }
    calls = _handlers_and_arguments(gift_id=1, viewer=ann.email)
    assert {name for name, _ in calls} == moderator_handlers, "a handler is missing a check"
    for name, arguments in calls:
        finish(CommunityModerateState.event_handlers[name], console, *arguments)
        assert not console.allowed, name
        assert console.error == MODERATORS_ONLY, name
        assert console.gifts == [] and console.audit == [], name

    assert _counts(session) == before


def test_a_visitor_without_a_session_is_refused_too(session, community):
    console = tab(CommunityModerateState, routes.community_moderate(SLUG))
    finish(
        CommunityModerateState.give,
        console,
        {"give_viewer": "x@example.com", "give_amount": "5", "give_reason": "For testing"},
    )
    assert not console.allowed and console.claims == []


def test_a_moderator_gives_and_removes_with_a_reason_and_sees_it_in_the_audit(
    session, community, moderator
):
    ann = linked(session, "ann@example.com", 9001, "ann")
    console = tab(
        CommunityModerateState, routes.community_moderate(SLUG), token_for(session, moderator)
    )
    assert console.allowed

    finish(
        CommunityModerateState.give,
        console,
        {"give_viewer": "ann", "give_amount": "20", "give_reason": "Won the quiz"},
    )
    assert console.error == "" and console.notice
    finish(
        CommunityModerateState.remove,
        console,
        {"remove_viewer": ann.email, "remove_amount": "50", "remove_reason": "Farming"},
    )
    assert "20" in console.error  # never below zero: the service says what is held

    rows = session.exec(select(EntryLedger).where(EntryLedger.user_id == ann.id)).all()
    assert [(r.source, r.amount, r.reason) for r in rows] == [("bonus", 20, "Won the quiz")]
    assert any("Won the quiz" in a.detail for a in console.audit)


def gift_payload(gifter_id: int, name: str, *giftees: int) -> dict:
    return {
        "gifter": {"is_anonymous": False, "user_id": gifter_id, "username": name},
        "giftees": [{"user_id": giftee, "username": f"g{giftee}"} for giftee in giftees],
        "created_at": utcnow().isoformat().replace("+00:00", "Z"),
    }


def test_a_moderator_reverses_a_gift_from_the_gifts_log(session, community, moderator):
    ann = linked(session, "ann@example.com", 9001, "ann")
    gift = gifts.record_gift(session, community, "01GIFT", gift_payload(9001, "ann", 1, 2))
    session.commit()
    assert gift is not None
    console = tab(
        CommunityModerateState, routes.community_moderate(SLUG), token_for(session, moderator)
    )
    assert [(g.gifter, g.giftees, g.tickets, g.reversed) for g in console.gifts] == [
        ("ann", 2, 30, False)
    ]

    finish(
        CommunityModerateState.reverse_gift,
        console,
        {"gift_id": str(gift.id), "reason": "Payment failed at Kick"},
    )

    assert console.error == ""
    [shown] = console.gifts
    assert shown.reversed and "Payment failed at Kick" in shown.reversed_words
    session.expire_all()
    amounts = session.exec(select(EntryLedger.amount).where(EntryLedger.user_id == ann.id)).all()
    assert sorted(amounts) == [-30, 30]


# ---- the admin console's communities -------------------------------------------------------------


def community_form(**fields) -> dict:
    return {
        "name": "Mira's community",
        "slug": "mira",
        "kick_broadcaster_id": "123456",
        "affiliate_source": "AFFILIATE_URL_MIRA",
        "prize": "A headset",
        "chat_minutes": "60",
        "chat_tickets": "10",
        "gift_tickets": "15",
        "wager_unit": "1000",
        "wager_tickets": "20",
        "discord_announce_threshold": "20",
        **fields,
    }


def test_an_admin_creates_a_community_edits_it_and_grants_a_moderator(session):
    admin = add_user(session, "boss@example.com", Role.ADMIN)
    mod = add_user(session, "mira-mod@example.com")
    page = tab(CommunitiesAdminState, routes.ADMIN_COMMUNITIES, token_for(session, admin))
    assert page.allowed

    finish(CommunitiesAdminState.save, page, community_form(chat_minutes="zero"))
    assert page.error and page.rows == []  # the service's sentence; nothing made

    finish(CommunitiesAdminState.save, page, community_form())
    assert page.error == "" and [r.name for r in page.rows] == ["Mira's community"]
    [row] = page.rows

    finish(CommunitiesAdminState.edit, page, row.id)
    assert page.editing == row.id and page.slug == "mira" and page.affiliate_source
    finish(CommunitiesAdminState.save, page, community_form(prize="Two headsets", auto_draw="on"))
    assert page.error == "" and page.editing == 0
    [row] = page.rows
    assert row.auto_draw

    finish(
        CommunitiesAdminState.grant,
        page,
        {"community_id": str(row.id), "moderator_email": mod.email},
    )
    [shown] = page.rows[0].moderators
    assert mod.email in shown.member
    console = tab(
        CommunityModerateState, routes.community_moderate("mira"), token_for(session, mod)
    )
    assert console.allowed and console.name == "Mira's community"

    finish(CommunitiesAdminState.revoke, page, row.id, shown.grant_id)
    assert page.rows[0].moderators == []


def test_an_admins_discord_webhook_is_taken_once_and_never_shown_back(session, settings_env):
    settings_env(DISCORD_API_BASE="http://127.0.0.1:9")  # a local stand-in for Discord
    url = "http://127.0.0.1:9/webhooks/1300000000000000001/secret-token-x9Qz"
    admin = add_user(session, "boss@example.com", Role.ADMIN)
    page = tab(CommunitiesAdminState, routes.ADMIN_COMMUNITIES, token_for(session, admin))
    finish(CommunitiesAdminState.save, page, community_form())
    [row] = page.rows
    finish(CommunitiesAdminState.edit, page, row.id)
    assert page.webhook == "not set" and page.discord_announce_threshold == "20"

    finish(CommunitiesAdminState.save_webhook, page, {"discord_webhook_url": "https://x.example"})
    # The sentence goes beside the field, not atop the page.
    assert "Copy Webhook URL" in page.webhook_error and page.error == ""
    assert page.webhook == "not set"
    finish(CommunitiesAdminState.save_webhook, page, {"discord_webhook_url": url})
    assert page.error == page.webhook_error == "" and page.webhook == "set (…x9Qz)"
    assert "secret-token" not in str(page.dict())  # nothing the browser holds has it
    finish(CommunitiesAdminState.send_test, page)
    assert page.notice.startswith("A test message is queued")
    finish(CommunitiesAdminState.save, page, community_form(discord_announce_threshold="40"))
    assert page.error == ""
    assert "announced on Discord from 40 tickets" in page.rows[0].rates

    finish(CommunitiesAdminState.edit, page, row.id)
    finish(CommunitiesAdminState.remove_webhook, page)
    assert page.webhook == "not set"
    session.expire_all()
    community = session.exec(select(Community)).one()
    assert (community.discord_webhook_url, community.discord_announce_threshold) == (None, 40)
    details = session.exec(select(AuditLog.detail)).all()
    assert not any("secret-token" in detail for detail in details)


def test_a_member_cannot_use_the_communities_admin_page(session, community):
    member = add_user(session, "nosy@example.com")
    page = tab(CommunitiesAdminState, routes.ADMIN_COMMUNITIES, token_for(session, member))
    assert not page.allowed and page.rows == []
    finish(CommunitiesAdminState.save, page, community_form())
    finish(
        CommunitiesAdminState.grant,
        page,
        {"community_id": str(community.id), "moderator_email": member.email},
    )
    page.editing = community.id  # as a forged event would have it
    finish(
        CommunitiesAdminState.save_webhook,
        page,
        {"discord_webhook_url": "https://discord.com/api/webhooks/1300000000000000001/" + "a" * 68},
    )
    finish(CommunitiesAdminState.send_test, page)
    finish(CommunitiesAdminState.remove_webhook, page)
    session.expire_all()
    assert session.exec(select(func.count()).select_from(AuditLog)).one() == 0
    assert session.get(Community, community.id).discord_webhook_url is None
    assert not roles.has_role(
        session, member, ScopedRole.MODERATOR, "program", community.program_id
    )


def test_a_viewer_claims_an_affiliate_username_and_a_moderator_approves_it(session, moderator):
    community = session.exec(select(Community)).one()
    community.affiliate_source = "AFFILIATE_URL_LELE"
    session.add(community)
    session.commit()
    ann = linked(session, "ann@example.com", 9001, "ann")
    mine = tab(CommunityMineState, routes.community_mine(SLUG), token_for(session, ann))
    assert mine.has_wagers and mine.can_claim

    finish(CommunityMineState.claim, mine, {"affiliate_username": "AnnBets"})
    assert mine.error == "" and mine.claim_status == "pending" and not mine.can_claim
    finish(CommunityMineState.claim, mine, {"affiliate_username": "Another"})
    assert mine.error  # one claim at a time, in the service's words

    console = tab(
        CommunityModerateState, routes.community_moderate(SLUG), token_for(session, moderator)
    )
    [queued] = console.claims
    assert queued.username == "AnnBets" and "ann@example.com" in queued.account
    finish(CommunityModerateState.approve_claim, console, queued.id)
    assert console.error == "" and console.claims == []

    finish(CommunityMineState.load, mine)
    assert mine.claim_status == "verified"

"""Announcements to a community's Discord channel, through the outbox and tests/fake_discord.py's
channel webhook: a new period (with last month's winner), a period's winner (the seed's format and
the proof link), gifts and wager polls from the threshold up; each queued once, only with a
webhook, delivered once, and kept while Discord is down."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlmodel import select

from luckyclub.community import announcements, communities, gifts, periods, pool, tickets, wagers
from luckyclub.core import db
from luckyclub.core.errors import NotAllowed, UserError
from luckyclub.models import (
    AffiliateClaim,
    AuditLog,
    Channel,
    ClaimStatus,
    Community,
    LedgerSource,
    OutboxMessage,
    OutboxStatus,
    User,
    utcnow,
)
from luckyclub.pages.admin.mail import AdminMailState
from luckyclub.platform import accounts, mail
from tests.db.community_helpers import community_with_moderator, linked_viewer
from tests.db.factories import add_user
from tests.db.kick_viewers import BROADCASTER, gift_body
from tests.db.reflex_state import finish, state_for_tab
from tests.fake_discord import FakeDiscord

NOV = datetime(2026, 11, 14, 12, 0, tzinfo=UTC)
DEC_1 = datetime(2026, 12, 1, 0, 0, 30, tzinfo=UTC)
APP = "https://lucky.example"


@pytest.fixture()
def fake(settings_env):
    with FakeDiscord().running() as server:
        settings_env(**server.settings(), APP_URL=APP)
        yield server


@pytest.fixture()
def world(session, fake):
    """A community with a moderator and a webhook on the fake, its admin, and Ann: a linked
    viewer shown by her display name."""
    community, mod = community_with_moderator(session, kick_broadcaster_id=str(BROADCASTER))
    admin = session.exec(select(User).where(User.email == "admin@lele.example.com")).one()
    communities.set_discord_webhook(session, admin, community.id, fake.webhook_url())
    ann = linked_viewer(session, "ann@example.com", 42, "ann_kick", shown=True)
    ann.display_name = "Ann"
    session.add(ann)
    session.commit()
    return community, mod, admin, ann


def posts(session) -> list[OutboxMessage]:
    session.expire_all()
    return list(
        session.exec(
            select(OutboxMessage)
            .where(OutboxMessage.channel == Channel.DISCORD)
            .order_by(OutboxMessage.id)
        )
    )


def deliver(now: datetime | None = None) -> dict:
    return mail.deliver_due(now)


# ---- a new period -------------------------------------------------------------------------------


def test_the_reset_announces_the_new_period_once_with_last_months_winner(
    session, world, fake, no_beacon
):
    community, mod, _, ann = world
    tickets.credit_kick(session, community, 42, LedgerSource.WATCHTIME, 1234, "w1", NOV)
    session.commit()
    november = periods.period_of(session, community, NOV)
    session.commit()
    assert pool.draw_now(mod.id, community.id, november.id, DEC_1).status == "drawn"

    periods.reset(session, DEC_1)
    session.commit()
    periods.reset(session, DEC_1 + timedelta(minutes=10))  # the catch-up run
    session.commit()

    new = [p for p in posts(session) if p.template == "New Period"]
    assert len(new) == 1 and new[0].to_address == f"community:{community.id}"
    assert deliver()["sent"] == 2  # the winner's announcement and the new period
    assert fake.posted()[-1] == (
        "🎟️ NEW RAFFLE PERIOD STARTED!\n"
        "Last month's winner: Ann (1,234 tickets)\n"
        "Start earning tickets for this month!"
    )
    assert fake.channel_posts[-1].message["allowed_mentions"] == {"parse": []}
    assert fake.channel_posts[-1].waited


def test_a_last_month_not_drawn_yet_says_its_draw_is_still_to_come(session, world, fake):
    community, *_ = world
    tickets.credit_kick(session, community, 42, LedgerSource.WATCHTIME, 10, "w1", NOV)
    session.commit()

    done = periods.reset(session, DEC_1)
    session.commit()

    assert len(done.closed) == 1
    assert deliver()["sent"] == 1
    assert fake.posted() == [
        "🎟️ NEW RAFFLE PERIOD STARTED!\n"
        "Last month's draw is still to come: watch this channel for the winner.\n"
        "Start earning tickets for this month!"
    ]


def test_a_first_period_has_no_winner_line(session, world, fake):
    periods.reset(session, DEC_1)
    session.commit()

    deliver()

    assert fake.posted() == ["🎟️ NEW RAFFLE PERIOD STARTED!\nStart earning tickets for this month!"]


def test_a_reset_that_changes_no_period_announces_nothing(session, world):
    community, *_ = world
    periods.period_of(session, community, DEC_1)  # this month's, opened by a chat event say
    session.commit()

    periods.reset(session, DEC_1 + timedelta(days=3))
    session.commit()

    assert posts(session) == []


# ---- the winner ---------------------------------------------------------------------------------


def test_the_winner_is_announced_once_in_the_seeds_format_with_the_proof_link(
    session, world, fake, no_beacon
):
    community, mod, _, ann = world
    tickets.credit_kick(session, community, 42, LedgerSource.GIFTED_SUB, 45, "g1", NOV)
    session.commit()
    november = periods.period_of(session, community, NOV)
    session.commit()

    first = pool.draw_now(mod.id, community.id, november.id, DEC_1)
    second = pool.draw_now(mod.id, community.id, november.id, DEC_1)

    assert (first.status, second.status) == ("drawn", "taken")
    [post] = [p for p in posts(session) if p.template == "Period Winner"]
    draw = periods.draw_of(session, november.id)
    assert deliver()["sent"] == 1
    [text] = fake.posted()
    assert text == pool.announcement(session, draw.id) == post.text_body
    assert text.startswith("🎉 RAFFLE WINNER ANNOUNCEMENT 🎉\n\nCongratulations to Ann!")
    assert "• Gifted subs: 45 tickets" in text
    assert f"Check the draw yourself (seed, snapshot, proof): {APP}/draws/{draw.id}" in text


def test_the_automatic_draw_at_the_reset_is_announced_once(session, world, fake, no_beacon):
    community, *_ = world
    community.auto_draw = True
    session.add(community)
    tickets.credit_kick(session, community, 42, LedgerSource.WATCHTIME, 20, "w1", NOV)
    session.commit()

    periods.run_reset(DEC_1)
    periods.run_reset(DEC_1 + timedelta(minutes=10))

    assert sorted(p.template for p in posts(session)) == ["New Period", "Period Winner"]
    deliver()
    winner, new_period = sorted(fake.posted())
    assert "Congratulations to Ann!" in winner
    # Written when sent: the automatic draw ran after the reset queued the post.
    assert "Last month's winner: Ann (20 tickets)" in new_period


def test_a_name_cannot_ping_link_or_format_in_discord(session, world, fake, no_beacon):
    community, mod, _, ann = world
    ann.display_name = "@everyone [win](https://evil.example) **Ann**"
    session.add(ann)
    tickets.credit_kick(session, community, 42, LedgerSource.WATCHTIME, 20, "w1", NOV)
    session.commit()
    november = periods.period_of(session, community, NOV)
    session.commit()

    pool.draw_now(mod.id, community.id, november.id, DEC_1)
    deliver()

    [post] = fake.channel_posts
    assert post.message["allowed_mentions"] == {"parse": []}
    assert r"\[win\]\(https\://evil.example\) \*\*Ann\*\*" in post.message["content"]


# ---- gifts and wagers ---------------------------------------------------------------------------


def test_a_gift_from_the_threshold_up_is_announced_once_however_often_kick_sends_it(
    session, world, fake
):
    community, *_ = world
    body = gift_body(42, [7, 8], NOV)

    gifts.record_gift(session, community, "msg-1", body, NOV)
    gifts.record_gift(session, community, "msg-1", body, NOV)  # a replay
    gifts.record_gift(session, community, "msg-2", body, NOV)  # the same gift, a new id
    session.commit()

    assert [p.text_body for p in posts(session)] == ["🎁 Ann earned 30 tickets for gifting 2 subs!"]
    deliver()
    assert fake.posted() == ["🎁 Ann earned 30 tickets for gifting 2 subs!"]


def test_a_gift_under_the_threshold_is_not_announced(session, world):
    community, *_ = world
    gifts.record_gift(session, community, "msg-1", gift_body(42, [7], NOV), NOV)  # 15 tickets
    community.discord_announce_threshold = 100
    session.add(community)
    gifts.record_gift(session, community, "msg-2", gift_body(42, [7, 8, 9], NOV), NOV)  # 45
    session.commit()

    assert posts(session) == []


def test_a_gift_of_a_viewer_who_hides_their_name_or_has_not_linked_names_nobody(session, world):
    community, *_ = world
    hidden = linked_viewer(session, "hid@example.com", 43, "hid_kick")  # shown=False

    gifts.record_gift(session, community, "msg-1", gift_body(43, [7, 8], NOV), NOV)
    gifts.record_gift(session, community, "msg-2", gift_body(44, [7], NOV + timedelta(1)), NOV)
    gifts.record_gift(session, community, "msg-3", gift_body(45, [7, 8], NOV), NOV)
    session.commit()

    texts = [p.text_body for p in posts(session)]
    assert texts == [
        f"🎁 Viewer #{hidden.id} earned 30 tickets for gifting 2 subs!",
        "🎁 A viewer earned 30 tickets for gifting 2 subs! They are kept for them until they "
        f"link their Kick account: {APP}/community/lele",
    ]
    assert not any("hid" in t.lower() or "gifter4" in t for t in texts)


def test_a_wager_poll_crediting_the_threshold_is_announced_once(session, world, fake):
    community, *_, ann = world
    session.add(
        AffiliateClaim(
            community_id=community.id,
            user_id=ann.id,
            username="Obel",
            username_key="obel",
            status=ClaimStatus.VERIFIED,
        )
    )
    session.commit()
    period = periods.period_of(session, community, NOV)

    wagers.credit_totals(session, community, period.id, {"obel": Decimal("2000")}, NOV)  # 40
    wagers.credit_totals(session, community, period.id, {"obel": Decimal("2000")}, NOV)  # none
    wagers.credit_totals(session, community, period.id, {"obel": Decimal("2500")}, NOV)  # 10
    session.commit()

    assert [p.text_body for p in posts(session)] == ["🎰 Ann earned 40 tickets from wagers!"]


def test_without_a_webhook_nothing_is_announced(session, fake, no_beacon):
    community, mod = community_with_moderator(session, kick_broadcaster_id=str(BROADCASTER))
    linked_viewer(session, "ann@example.com", 42, "ann_kick", shown=True)
    gifts.record_gift(session, community, "msg-1", gift_body(42, [1, 2, 3], NOV), NOV)
    session.commit()
    november = periods.period_of(session, community, NOV)
    session.commit()
    pool.draw_now(mod.id, community.id, november.id, DEC_1)
    periods.reset(session, DEC_1)
    session.commit()

    assert posts(session) == []


# ---- delivery -----------------------------------------------------------------------------------


def queue_a_gift(session, community) -> OutboxMessage:
    gifts.record_gift(session, community, "msg-1", gift_body(42, [7, 8], NOV), NOV)
    session.commit()
    [post] = posts(session)
    return post


def test_while_discord_is_down_the_post_waits_and_is_then_delivered_once(session, world, fake):
    community, *_ = world
    queue_a_gift(session, community)
    fake.down = True

    assert deliver() == {"sent": 0, "retrying": 1, "failed": 0}
    [post] = posts(session)
    assert post.status == OutboxStatus.PENDING and post.attempts == 1
    assert post.next_attempt_at > utcnow() and "Discord answered 503" in post.last_error
    assert deliver()["retrying"] == 0  # not before its time
    assert fake.channel_posts == []

    fake.down = False
    later = utcnow() + timedelta(hours=1)
    assert deliver(later)["sent"] == 1
    assert deliver(later + timedelta(hours=1)) == {"sent": 0, "retrying": 0, "failed": 0}
    assert fake.posted() == ["🎁 Ann earned 30 tickets for gifting 2 subs!"]
    assert posts(session)[0].status == OutboxStatus.SENT


def test_a_webhook_removed_meanwhile_fails_the_post_for_good_with_a_sentence(session, world, fake):
    community, _, admin, _ = world
    queue_a_gift(session, community)
    communities.remove_discord_webhook(session, admin, community.id)
    session.commit()

    assert deliver()["failed"] == 1

    [post] = posts(session)
    assert post.status == OutboxStatus.FAILED and post.attempts == 1
    assert post.last_error.startswith("The community has no Discord webhook any more")
    assert fake.channel_posts == []


def test_a_replaced_webhook_takes_what_is_still_queued(session, world, fake):
    community, _, admin, _ = world
    queue_a_gift(session, community)
    communities.set_discord_webhook(
        session, admin, community.id, fake.webhook_url("1300000000000000002")
    )
    session.commit()

    deliver()

    assert [p.webhook_id for p in fake.channel_posts] == ["1300000000000000002"]


def test_a_webhook_deleted_in_discord_fails_the_post_without_its_token(session, world, fake):
    community, *_ = world
    url = db.get_existing(session, Community, community.id).discord_webhook_url
    fake.deleted_webhooks.add("1300000000000000001")
    queue_a_gift(session, community)

    assert deliver()["failed"] == 1

    [post] = posts(session)
    assert post.last_error.startswith("Discord answered 404")
    assert url not in post.last_error and url.rsplit("/", 1)[1] not in post.last_error
    assert "community:" not in mail.recipient(session, post)
    assert mail.recipient(session, post) == "Lele's raffle"
    assert mail.channel_label(post.channel) == "Discord"


def test_the_outbox_page_shows_a_post_as_discord_to_the_community_by_name(session, world):
    community, _, admin, _ = world
    queue_a_gift(session, community)
    token, _ = accounts.start_session(session, admin)
    session.commit()
    page = state_for_tab(AdminMailState, session_token=token)

    finish(AdminMailState.load, page)
    [row] = page.messages
    finish(AdminMailState.open_message, page, row.id)

    assert (row.channel, row.recipient, row.status_words) == ("Discord", "Lele's raffle", "pending")
    assert row.subject == "🎁 Ann earned 30 tickets for gifting 2 subs!"
    assert (page.opened.channel, page.opened.recipient) == ("Discord", "Lele's raffle")
    assert "webhooks" not in str(page.dict())


def test_an_admin_resends_a_failed_post_once_a_webhook_is_set(session, world, fake):
    community, _, admin, _ = world
    queue_a_gift(session, community)
    communities.remove_discord_webhook(session, admin, community.id)
    session.commit()
    deliver()
    communities.set_discord_webhook(session, admin, community.id, fake.webhook_url())
    session.commit()
    [post] = posts(session)
    mail.resend(session, admin, post.id)
    session.commit()

    assert deliver()["sent"] == 1
    assert len(fake.channel_posts) == 1


# ---- the admin's settings -----------------------------------------------------------------------


REAL = "https://discord.com/api/webhooks/1234567890123456789/" + "aB3_-" * 13 + "xY9Z"


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/api/webhooks/1234567890123456789/abcdefghijklmnopqrstuvwxyz",
        REAL.replace("https://", "http://"),
        REAL.replace("discord.com", "discord.com.evil.example"),
        REAL.replace("/1234567890123456789/", "/channel/"),
        REAL + "?thread_id=1",
        "http://127.0.0.1:9/webhooks/1/abc",  # local, but not DISCORD_API_BASE
        "javascript:alert(1)",
    ],
)
def test_a_webhook_url_that_is_not_discords_is_refused_in_words(session, world, url):
    community, _, admin, _ = world
    with pytest.raises(UserError) as refused:
        communities.set_discord_webhook(session, admin, community.id, url)
    assert str(refused.value) == communities.WEBHOOK_PROBLEM


def test_a_real_discord_webhook_url_is_taken_and_shown_back_as_its_last_four(session, world):
    community, _, admin, _ = world
    for url in (REAL, REAL.replace("discord.com", "discordapp.com")):
        communities.set_discord_webhook(session, admin, community.id, f"  {url} ")
        session.commit()
        assert community.discord_webhook_url == url
        assert communities.webhook_words(community) == "set (…xY9Z)"


def test_only_a_platform_admin_sets_or_removes_the_webhook_and_the_audit_omits_it(
    session, world, fake
):
    community, mod, admin, _ = world
    with pytest.raises(NotAllowed):
        communities.set_discord_webhook(session, mod, community.id, fake.webhook_url())
    with pytest.raises(NotAllowed):
        communities.remove_discord_webhook(session, mod, community.id)
    session.rollback()
    url = fake.webhook_url()
    communities.set_discord_webhook(session, admin, community.id, url)
    communities.remove_discord_webhook(session, admin, community.id)
    session.commit()

    audits = session.exec(
        select(AuditLog).where(AuditLog.action == "community.discord_webhook")
    ).all()
    assert [a.detail for a in audits] == [
        "Discord webhook set",
        "Discord webhook replaced",
        "Discord webhook removed",
    ]
    assert not any("webhooks" in a.detail or "whtoken" in a.detail for a in audits)
    assert communities.webhook_words(community) == "not set"


@pytest.mark.parametrize(
    ("threshold", "words"),
    [
        ("0", "The Discord announcement threshold must be from 1 to 1,000,000."),
        ("lots", "The Discord announcement threshold must be a whole number."),
        ("2.5", "The Discord announcement threshold must be a whole number."),
    ],
)
def test_the_threshold_is_a_whole_number_from_1(session, world, threshold, words):
    community, _, admin, _ = world
    form = communities.form_of(session, community)
    with pytest.raises(UserError) as refused:
        communities.update(
            session,
            admin,
            community.id,
            type(form)(**{**form.__dict__, "discord_announce_threshold": threshold}),
        )
    assert str(refused.value) == words


def test_an_admins_test_message_reaches_the_channel(session, world, fake):
    community, mod, admin, _ = world
    with pytest.raises(NotAllowed):
        announcements.send_test(session, mod, community.id)
    announcements.send_test(session, admin, community.id)
    session.commit()

    deliver()

    assert fake.posted() == [
        "✅ Test message from LuckyClub: announcements of Lele's raffle are posted in this channel."
    ]


def test_the_outbox_never_holds_the_webhook_url(session, world, fake):
    community, *_ = world
    url = db.get_existing(session, Community, community.id).discord_webhook_url
    queue_a_gift(session, community)
    deliver()

    [post] = posts(session)
    stored = " ".join(
        str(getattr(post, name) or "") for name in ("to_address", "payload", "text_body")
    )
    assert url not in stored and url.rsplit("/", 1)[1] not in stored


def test_a_member_is_refused_before_anything_changes(session, world, fake):
    community, *_ = world
    member = add_user(session, "member@example.com")
    with pytest.raises(NotAllowed):
        communities.set_discord_webhook(session, member, community.id, fake.webhook_url())

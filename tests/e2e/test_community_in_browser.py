"""A community raffle in a real browser, against a local fake Kick (tests/fake_kick.py): a viewer
links their Kick account through Kick's OAuth, chats and gifts subs (signed webhook deliveries
posted to the app, processed by the inbox job as the scheduler would), while a spectator with no
account watches the leaderboard move without a reload; then a moderator draws the period and the
spectator watches the reveal on the live page."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import update
from sqlmodel import col, select

from luckyclub.community import chat_time, inbox, periods
from luckyclub.core import db, routes
from luckyclub.core.settings import PROJECT_ROOT
from luckyclub.models import Community, Draw, Program, Role, ScopedRole, User, utcnow
from luckyclub.platform import roles
from tests.e2e.conftest import Person, unique_person
from tests.e2e.flows import expect_dashboard, register, wait_until_live
from tests.fake_kick import FakeKick, KickAccount, chat_message, rfc3339, signed_headers
from tests.running_app import RunningApp

pytestmark = pytest.mark.e2e

SCREENSHOT = PROJECT_ROOT / "docs" / "screenshots" / "community-page.png"

SLUG = "lele-e2e"
BROADCASTER = 777_001
ANN_KICK = KickAccount(4242, "ann_on_kick")
OTHER_CHATTER = 5151


@pytest.fixture(scope="module")
def kick(fake_kick: FakeKick) -> FakeKick:
    return fake_kick


@pytest.fixture(scope="module")
def kick_app(app: RunningApp) -> Iterator[RunningApp]:
    """The session's app (its Kick settings point at the fake), its database for this module."""
    db.use_database(app.database_url)
    try:
        yield app
    finally:
        db.use_database(None)


@pytest.fixture()
def open_page(browser, kick_app):
    contexts = []

    def open_one(width: int = 1280, height: int = 900) -> Page:
        context = browser.new_context(
            base_url=kick_app.url,
            viewport={"width": width, "height": height},
            timezone_id="Europe/London",
            extra_http_headers={"X-Forwarded-For": f"198.19.0.{len(contexts) + 1}"},
        )
        context.set_default_timeout(20_000)
        contexts.append(context)
        return context.new_page()

    yield open_one
    for context in contexts:
        context.close()


def _community() -> int:
    """A community with quick rates (5 chat minutes = 10 tickets), made in the database."""
    with db.session_scope() as s:
        program = Program(slug=SLUG, name="Lele's community")
        s.add(program)
        s.flush()
        community = Community(
            program_id=program.id,
            kick_broadcaster_id=BROADCASTER,
            prize="A signed jersey",
            chat_minutes=5,
            chat_tickets=10,
        )
        s.add(community)
        s.flush()
        assert community.id is not None
        return community.id


def _grant_moderator(email: str, community_id: int) -> None:
    with db.session_scope() as s:
        admin = User(
            email="e2e-admin@example.com",
            password_hash="not used",
            display_name="Admin",
            date_of_birth=utcnow().date().replace(year=1980),
            role=Role.ADMIN,
        )
        s.add(admin)
        s.flush()
        member = s.exec(select(User).where(User.email == email)).first()
        community = s.get(Community, community_id)
        assert member is not None and community is not None
        roles.grant(s, admin, member.id, ScopedRole.MODERATOR, community.program_id)


def _deliver(app: RunningApp, event_type: str, body: bytes) -> None:
    """A webhook delivery as Kick makes it: signed with the fake's key, posted to the app."""
    answer = httpx.post(
        app.url + routes.KICK_WEBHOOK,
        content=body,
        headers=signed_headers(event_type, body),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text


def _go_live(app: RunningApp) -> None:
    body = json.dumps(
        {
            "broadcaster": {"user_id": BROADCASTER, "username": "lele"},
            "is_live": True,
            "title": "Raffle night",
            "started_at": rfc3339(utcnow()),
            "ended_at": None,
        }
    ).encode()
    _deliver(app, "livestream.status.updated", body)
    _process_inbox()


def _process_inbox() -> None:
    """The kick_inbox job's work, run here as the scheduler would."""
    run = inbox.process_due()
    assert run.processed and not run.failed, run


def _chat_for_five_minutes(app: RunningApp, community_id: int) -> None:
    """Ann and another viewer chat; five minutes are ticked and the hour converted as the jobs
    would (their clock is the test's: minutes are given for the last five minutes)."""
    now = utcnow()
    for sender, name in ((ANN_KICK.user_id, ANN_KICK.name), (OTHER_CHATTER, "bystander")):
        _deliver(app, "chat.message.sent", chat_message(BROADCASTER, sender, name, at=now))
    _process_inbox()
    with db.session_scope() as s:
        community = s.get(Community, community_id)
        assert community is not None
        for back in range(5):
            chat_time.tick(s, community, now - timedelta(minutes=back))
    with db.session_scope() as s:
        community = s.get(Community, community_id)
        assert community is not None
        for hour in sorted({chat_time.hour_of(now - timedelta(minutes=back)) for back in range(5)}):
            chat_time.convert_hour(s, community, hour)


def _gift(app: RunningApp, subs: int) -> None:
    body = json.dumps(
        {
            "broadcaster": {"user_id": BROADCASTER, "username": "lele"},
            "gifter": {"is_anonymous": False, "user_id": ANN_KICK.user_id, "username": "ann"},
            "giftees": [{"user_id": 90_000 + n, "username": f"lucky{n}"} for n in range(subs)],
            "created_at": rfc3339(utcnow()),
            "expires_at": rfc3339(utcnow() + timedelta(days=30)),
        }
    ).encode()
    _deliver(app, "channel.subscription.gifts", body)
    _process_inbox()


def _draw_without_beacon(community_id: int) -> int:
    """The period's draw, scheduled ahead and told to draw without a public beacon (none here)."""
    with db.session_scope() as s:
        community = s.get(Community, community_id)
        assert community is not None
        period = periods.current(s, community)
        draw = periods.schedule_draw(s, community, period)
        draw_id = draw.id
        assert draw_id is not None
        s.exec(
            update(Draw)
            .where(col(Draw.id) == draw_id)
            .values(use_beacon=False, no_beacon_reason="Browser test: no public beacon here.")
        )
        return draw_id


def _member(open_page, name: str) -> tuple[Page, Person]:
    page = open_page()
    person = unique_person(name)
    register(page, person)
    expect_dashboard(page, person.name)
    return page, person


def _leader(page: Page):
    return page.get_by_role("region", name="Leaderboard")


def test_a_viewer_links_kick_earns_live_and_a_moderator_draws_while_a_spectator_watches(
    open_page, kick, kick_app
):
    community_id = _community()
    draw_id = _draw_without_beacon(community_id)

    # A spectator, signed out, opens the public page: the countdown and how chat time counts.
    spectator = open_page(390, 844)  # a phone
    spectator.goto(routes.community_page(SLUG))
    wait_until_live(spectator)
    expect(spectator.get_by_role("heading", name="Lele's community")).to_be_visible()
    expect(spectator.get_by_text("at least 2 different viewers chatted")).to_be_visible()
    expect(spectator.get_by_text("UTC").first).to_be_visible()
    expect(_leader(spectator)).to_contain_text("Nobody has tickets yet")
    expect(spectator.get_by_text("Offline")).to_be_visible()
    _go_live(kick_app)
    expect(spectator.get_by_text("Live on Kick")).to_be_visible(timeout=15_000)

    # The viewer links Kick: our route, Kick's authorize page (the fake approves), back again.
    viewer, ann = _member(open_page, "Ann Viewer")
    kick.viewer = ANN_KICK
    viewer.goto(routes.community_mine(SLUG))
    wait_until_live(viewer)
    viewer.get_by_role("link", name="Link Kick").click()
    viewer.wait_for_url(re.compile(re.escape(routes.community_mine(SLUG)) + r"\?kick=linked"))
    wait_until_live(viewer)
    expect(viewer.get_by_role("status")).to_contain_text("Your Kick account is linked")
    expect(viewer.get_by_role("region", name="Kick account")).to_contain_text(ANN_KICK.name)

    # Ann chats with another viewer for five minutes: 10 tickets, seen without a reload.
    _chat_for_five_minutes(kick_app, community_id)
    expect(_leader(spectator)).to_contain_text("10 tickets", timeout=15_000)
    expect(viewer.get_by_role("region", name="Every ticket row")).to_contain_text("Chat time")

    # She gifts two subs: 30 more, on both pages, still without a reload.
    _gift(kick_app, subs=2)
    expect(_leader(spectator)).to_contain_text("40 tickets", timeout=15_000)
    expect(viewer.get_by_role("region", name="Every ticket row")).to_contain_text("Gifted subs")
    spectator.screenshot(path=str(SCREENSHOT), full_page=True)

    # A moderator draws while the spectator watches the live page.
    moderator_page, moderator = _member(open_page, "Sam Steward")
    _grant_moderator(moderator.email, community_id)
    moderator_page.goto(routes.community_moderate(SLUG))
    wait_until_live(moderator_page)
    expect(moderator_page.get_by_role("heading", name="Lele's community")).to_be_visible()
    expect(moderator_page.get_by_role("region", name="Gifts log")).to_contain_text("ann")

    spectator.get_by_role("link", name="Watch the draw live").click()
    spectator.wait_for_url(re.compile(re.escape(routes.live_page(draw_id))))
    wait_until_live(spectator)

    moderator_page.get_by_role("button", name="Draw now").click()
    dialog = moderator_page.get_by_role("dialog")
    dialog.get_by_label("Reason").fill("End of the stream's raffle night")
    dialog.get_by_role("button", name="Draw now").click()

    expect(spectator.get_by_text("We have a winner!")).to_be_visible(timeout=30_000)
    expect(moderator_page.get_by_role("link", name="The draw and its proof")).to_be_visible()
    assert ann.email not in spectator.content()  # spectators see names, never emails

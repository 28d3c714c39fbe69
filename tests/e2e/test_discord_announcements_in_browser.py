"""Discord announcements in a real browser, against the session's fake Discord: an admin pastes a
channel webhook's URL into a community's "Discord announcements" card (a URL that is not a
webhook's is refused beside the field, and nothing is saved), sees it only as "set (…last 4)",
sets the announcement threshold, sends a test message that the outbox's deliver job posts to the
fake's channel, and finds that post on the Outbox page under the community's name."""

from __future__ import annotations

import dataclasses
import re
import secrets
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from luckyclub.community import communities
from luckyclub.core import db, routes
from luckyclub.core.settings import get_settings
from luckyclub.models import Community, User
from luckyclub.platform import mail
from tests.e2e.conftest import Person
from tests.e2e.flows import expect_dashboard, sign_in, wait_until_live
from tests.fake_discord import FakeDiscord
from tests.running_app import RunningApp

pytestmark = pytest.mark.e2e

WEBHOOK_FIELD = "Discord webhook URL (never shown again once saved)"
THRESHOLD_FIELD = "Announce a gift or wager poll on Discord from (tickets at once)"


@pytest.fixture()
def app_db(app: RunningApp) -> Iterator[RunningApp]:
    """The session app's database, for this test's setup, checks and the deliver job."""
    db.use_database(app.database_url)
    try:
        yield app
    finally:
        db.use_database(None)


def _community(admin_email: str) -> tuple[int, str]:
    """A community made as an admin makes one (the service), with no webhook yet."""
    name = f"Rio raffle {secrets.token_hex(3)}"
    with db.session_scope() as s:
        admin = s.exec(select(User).where(User.email == admin_email)).one()
        form = communities.CommunityForm(name=name, slug=f"rio-{secrets.token_hex(3)}")
        community = communities.create(s, admin, form)
        return community.id or 0, name


def _stored(community_id: int) -> Community:
    with db.session_scope() as s:
        community = s.get(Community, community_id)
        assert community is not None
        s.expunge(community)
        return community


def _edit(page: Page, name: str):
    """Press the community's Edit button; the Discord card appears for it."""
    page.get_by_role("button", name=f"Edit {name}").click()
    expect(page.get_by_role("heading", name=f"Edit {name}")).to_be_visible()
    return page.get_by_role("region", name="Discord announcements")


def test_an_admin_sets_a_webhook_and_a_test_message_reaches_the_channel(
    page: Page, admin: Person, app_db: RunningApp, fake_discord: FakeDiscord
):
    community_id, name = _community(admin.email)
    webhook = fake_discord.webhook_url()
    token = webhook.rsplit("/", 1)[-1]
    posts_before = len(fake_discord.channel_posts)

    sign_in(page, admin.email, admin.password)
    expect_dashboard(page, admin.name)
    page.goto(routes.ADMIN)
    wait_until_live(page)
    page.get_by_role("navigation", name="Admin console").get_by_role(
        "link", name="Communities", exact=True
    ).click()
    expect(page.get_by_role("heading", name="Communities", exact=True).first).to_be_visible()
    wait_until_live(page)

    card = _edit(page, name)
    expect(card).to_contain_text("Webhook: not set")
    field = card.get_by_label(WEBHOOK_FIELD)

    # A URL that is not a Discord webhook's: the service's sentence beside the field, nothing kept.
    field.fill("https://example.com/hook")
    card.get_by_role("button", name="Save webhook").click()
    expect(card.get_by_role("alert")).to_have_text(communities.WEBHOOK_PROBLEM)
    expect(field).to_have_accessible_description(communities.WEBHOOK_PROBLEM)
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(card).to_contain_text("Webhook: not set")
    assert _stored(community_id).discord_webhook_url is None

    # The fake's channel webhook: saved, and shown back only by its last four characters.
    field.fill(webhook)
    card.get_by_role("button", name="Save webhook").click()
    expect(page.get_by_role("status")).to_contain_text("Saved the Discord webhook")
    expect(card).to_contain_text(f"Webhook: set (…{token[-4:]})")
    expect(card.get_by_role("alert")).to_have_count(0)
    expect(field).to_have_value("")
    expect(card.get_by_role("button", name="Replace")).to_be_visible()
    assert _stored(community_id).discord_webhook_url == webhook
    assert token not in page.content()

    # The threshold is one of the community's settings (its main form).
    page.get_by_label(THRESHOLD_FIELD).fill("35")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(f"Saved {name}.")
    row = page.get_by_role("row").filter(has_text=name)
    expect(row).to_contain_text("announced on Discord from 35 tickets")
    assert _stored(community_id).discord_announce_threshold == 35

    card = _edit(page, name)
    expect(card).to_contain_text(f"Webhook: set (…{token[-4:]})")
    expect(page.get_by_label(THRESHOLD_FIELD)).to_have_value("35")
    card.get_by_role("button", name="Send a test message").click()
    expect(page.get_by_role("status")).to_contain_text("A test message is queued")
    assert token not in page.content()

    # The outbox's deliver job, run here as the scheduler would, with the app's Discord (the fake).
    settings = dataclasses.replace(get_settings(), discord_api_base=fake_discord.url)
    outcome = mail.deliver_due(settings=settings)
    assert int(outcome["sent"]) >= 1 and not outcome["failed"], outcome
    new_posts = fake_discord.channel_posts[posts_before:]
    assert [post.token for post in new_posts] == [token]
    assert new_posts[0].message["content"] == (
        f"✅ Test message from LuckyClub: announcements of {name} are posted in this channel."
    )
    assert fake_discord.posted()[-1] == new_posts[0].message["content"]

    # The Outbox page names the post by its channel and community, never by the webhook.
    page.get_by_role("navigation", name="Admin console").get_by_role(
        "link", name="Outbox", exact=True
    ).click()
    expect(page).to_have_url(re.compile(r"/admin/mail$"))
    wait_until_live(page)
    sent = page.get_by_role("row").filter(has_text=name)
    expect(sent).to_have_count(1)
    expect(sent.get_by_role("cell").nth(1)).to_have_text("Discord")
    expect(sent.get_by_role("cell").nth(2)).to_have_text(name)
    expect(sent).to_contain_text("sent")
    assert token not in page.content()

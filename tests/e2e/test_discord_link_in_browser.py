"""Linking Discord in a real browser, against the session's local fakes: a viewer links Kick, then
presses Link Discord on their community page, approves at Discord's authorize page (the fake
approves at once), comes back linked and sees their Discord name beside their Kick link."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from luckyclub.core import db, routes
from luckyclub.models import Community, Program
from tests.e2e.conftest import unique_person
from tests.e2e.flows import expect_dashboard, register, wait_until_live
from tests.fake_discord import DiscordAccount, FakeDiscord
from tests.fake_kick import FakeKick, KickAccount
from tests.running_app import RunningApp

pytestmark = pytest.mark.e2e

SLUG = "discord-e2e"
KICK = KickAccount(5353, "kai_on_kick")
DISCORD = DiscordAccount(800000000000005353, "kai_on_discord")


@pytest.fixture(scope="module")
def community(app: RunningApp) -> Iterator[str]:
    """A community in the session app's database, for the viewer's page."""
    db.use_database(app.database_url)
    try:
        with db.session_scope() as s:
            program = Program(slug=SLUG, name="Discord night")
            s.add(program)
            s.flush()
            s.add(Community(program_id=program.id, kick_broadcaster_id=777_353))
        yield SLUG
    finally:
        db.use_database(None)


def test_a_viewer_links_discord_and_sees_it_beside_kick_on_a_phone(
    new_page, community: str, fake_kick: FakeKick, fake_discord: FakeDiscord
):
    page = new_page(390, 844)  # a phone
    person = unique_person("Kai Viewer")
    register(page, person)
    expect_dashboard(page, person.name)
    mine = routes.community_mine(community)

    fake_kick.viewer = KICK
    page.goto(mine)
    wait_until_live(page)
    page.get_by_role("link", name="Link Kick").click()
    page.wait_for_url(re.compile(re.escape(mine) + r"\?kick=linked"))
    wait_until_live(page)
    expect(page.get_by_role("region", name="Kick account")).to_contain_text(KICK.name)

    # Our start route, Discord's authorize page (the fake approves), our callback, the page.
    fake_discord.oauth_user = DISCORD
    discord = page.get_by_role("region", name="Discord account")
    discord.get_by_role("link", name="Link Discord").click()
    page.wait_for_url(re.compile(re.escape(mine) + r"\?discord=linked"))
    wait_until_live(page)
    expect(page.get_by_role("status")).to_contain_text("Your Discord account is linked")
    expect(discord).to_contain_text(f"Discord: linked as {DISCORD.username}")
    expect(page.get_by_role("region", name="Kick account")).to_contain_text(KICK.name)

    # Unlinking asks first, then the page offers the link again.
    discord.get_by_role("button", name="Unlink").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Unlink Discord").click()
    expect(page.get_by_role("status")).to_contain_text("Discord unlinked")
    expect(discord.get_by_role("link", name="Link Discord")).to_be_visible()

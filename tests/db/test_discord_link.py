"""Linking a viewer's Discord account through the real routes and tests/fake_discord.py's OAuth2:
PKCE and a single-use state bound to the signed-in account; every failure comes back to the
viewer's page with a sentence, never an error page; the viewer's page shows the link and unlinks
it; old link attempts of both providers are pruned."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from luckyclub import jobs
from luckyclub.api.routes import build_api
from luckyclub.community import discord_link, oauth_links
from luckyclub.core import routes
from luckyclub.core.errors import UserError
from luckyclub.models import DiscordIdentity, utcnow
from luckyclub.models.community import LinkAttempt, LinkProvider
from luckyclub.state.community.mine import CommunityMineState
from luckyclub.state.session import SessionState
from tests.db import account_links as links
from tests.db.factories import add_community, add_user
from tests.db.reflex_state import finish, state_for_tab
from tests.fake_discord import DiscordAccount, FakeDiscord

SLUG = "lele"
PAGE = routes.community_mine(SLUG)
ANN_ON_DISCORD = DiscordAccount(800000000000000042, "ann_on_discord")
DEC_4 = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


@pytest.fixture()
def fake(settings_env):
    with FakeDiscord().running() as server:
        settings_env(**server.settings(), APP_URL="https://lucky.example")
        server.oauth_user = ANN_ON_DISCORD
        yield server


@pytest.fixture()
def ann(app_db, session, fake):
    client, user_id, token = links.signed_in(session, "ann@example.com")
    with client:
        yield client, user_id, token


def start(client: TestClient, return_to: str = PAGE) -> str:
    return links.start(client, routes.DISCORD_LINK_START, return_to)


def at_discord(authorize_url: str) -> str:
    return links.at_provider(authorize_url, "https://lucky.example")


def outcome(response) -> tuple[str, str]:
    return links.outcome(response, "discord")


def identity(session, discord_user_id: int = ANN_ON_DISCORD.user_id) -> DiscordIdentity | None:
    session.expire_all()
    return session.exec(
        select(DiscordIdentity).where(DiscordIdentity.discord_user_id == discord_user_id)
    ).first()


def viewer_page(session, token: str, path: str = PAGE) -> CommunityMineState:
    page = state_for_tab(CommunityMineState, path=path, session_token=token)
    finish(SessionState.refresh, page)
    finish(CommunityMineState.load, page)
    return page


def test_one_discord_id_per_account_and_one_account_per_id(session):
    ann = add_user(session, "ann@example.com")
    bob = add_user(session, "bob@example.com")
    discord_link.link_discord(session, ann, 900000000000000001, "ann_d", DEC_4)
    session.commit()

    with pytest.raises(UserError, match="linked to another LuckyClub account"):
        discord_link.link_discord(session, bob, 900000000000000001, "ann_d", DEC_4)
    with pytest.raises(UserError, match="one Discord account per LuckyClub account"):
        discord_link.link_discord(session, ann, 900000000000000002, "ann_alt", DEC_4)
    again = discord_link.link_discord(session, ann, 900000000000000001, "ann_renamed", DEC_4)
    session.commit()

    assert again.username == "ann_renamed" and again.linked_at == DEC_4
    assert discord_link.account_of(session, 900000000000000001).id == ann.id
    assert discord_link.account_of(session, 900000000000000002) is None


# ---- linking through Discord's OAuth2, by the real routes ---------------------------------------


def test_the_round_trip_links_the_snowflake(ann, session, fake):
    client, user_id, _ = ann
    authorize = start(client)
    query = dict(parse_qsl(urlsplit(authorize).query))
    assert authorize.startswith(f"{fake.url}/oauth2/authorize?")
    assert query["client_id"] == fake.application_id and query["scope"] == "identify"
    assert query["code_challenge_method"] == "S256"
    assert query["redirect_uri"] == "https://lucky.example/api/discord/link/callback"

    callback = at_discord(authorize)
    assert outcome(client.get(callback)) == (PAGE, "linked")
    linked = identity(session)
    assert linked is not None and linked.user_id == user_id
    assert linked.username == "ann_on_discord" and linked.linked_at is not None
    # The secret went to the token endpoint in the form, as Discord takes it.
    [exchange] = [r for r in fake.received if r.path == "/oauth2/token"]
    assert exchange.form()["client_secret"] == fake.client_secret


def test_the_pkce_verifier_only_ever_goes_to_discords_token_endpoint(ann, session, fake):
    client, user_id, _ = ann
    authorize = start(client)
    callback = at_discord(authorize)
    [attempt] = session.exec(select(LinkAttempt).where(LinkAttempt.user_id == user_id))
    assert attempt.provider == LinkProvider.DISCORD
    verifier = attempt.code_verifier
    assert verifier not in authorize and verifier not in callback

    client.get(callback)
    carrying = [r for r in fake.received if verifier.encode() in r.body or verifier in r.path]
    assert [(r.method, r.path) for r in carrying] == [("POST", "/oauth2/token")]


def test_a_reused_state_has_expired_and_changes_nothing(ann, session, fake):
    client, _, _ = ann
    callback = at_discord(start(client))
    assert outcome(client.get(callback)) == (PAGE, "linked")
    assert outcome(client.get(callback)) == (routes.DASHBOARD, "expired")
    assert len([r for r in fake.received if r.path == "/oauth2/token"]) == 1


def test_a_state_started_by_another_account_is_refused(app_db, session, fake):
    ann, _, _ = links.signed_in(session, "ann@example.com")
    eve, _, _ = links.signed_in(session, "eve@example.com")
    with ann, eve:
        callback_for_ann = at_discord(start(ann))
        assert outcome(eve.get(callback_for_ann)) == (routes.DASHBOARD, "expired")
        assert identity(session) is None
        # Eve's try used nothing up: Ann's own callback still works.
        assert outcome(ann.get(callback_for_ann)) == (PAGE, "linked")


def test_a_kick_attempts_state_does_not_finish_a_discord_link(ann, session, fake):
    client, user_id, _ = ann
    callback = at_discord(start(client))
    attempt = session.exec(select(LinkAttempt).where(LinkAttempt.user_id == user_id)).one()
    attempt.provider = LinkProvider.KICK
    session.add(attempt)
    session.commit()
    assert outcome(client.get(callback)) == (routes.DASHBOARD, "expired")
    assert identity(session) is None


def test_an_attempt_older_than_ten_minutes_has_expired(ann, session, fake):
    client, user_id, _ = ann
    callback = at_discord(start(client))
    attempt = session.exec(select(LinkAttempt).where(LinkAttempt.user_id == user_id)).one()
    attempt.created_at = utcnow() - oauth_links.ATTEMPT_LIFETIME - timedelta(seconds=1)
    session.add(attempt)
    session.commit()

    assert outcome(client.get(callback)) == (routes.DASHBOARD, "expired")
    assert identity(session) is None


def test_denied_at_discord_comes_back_with_a_message(ann, session, fake):
    client, _, _ = ann
    fake.deny_next = True
    assert outcome(client.get(at_discord(start(client)))) == (PAGE, "denied")
    assert identity(session) is None
    # The next viewer to press Link approves as usual.
    assert outcome(client.get(at_discord(start(client)))) == (PAGE, "linked")


def test_a_forged_code_is_refused_by_discord_and_said_so(ann, session, fake):
    client, _, _ = ann
    callback = at_discord(start(client))
    assert outcome(client.get(callback.replace("code=", "code=forged"))) == (PAGE, "refused")
    assert identity(session) is None


def test_a_wrong_client_secret_is_refused_and_said_so(ann, session, fake, settings_env):
    client, _, _ = ann
    callback = at_discord(start(client))
    settings_env(DISCORD_CLIENT_SECRET="not-the-secret")
    assert outcome(client.get(callback)) == (PAGE, "refused")
    assert identity(session) is None


def test_discord_down_at_the_exchange_comes_back_with_a_message(ann, session, fake):
    client, _, _ = ann
    callback = at_discord(start(client))
    fake.down = True
    assert outcome(client.get(callback)) == (PAGE, "unavailable")
    assert identity(session) is None


def test_a_discord_id_linked_to_someone_else_is_a_message_not_a_move(app_db, session, fake):
    ann, _, _ = links.signed_in(session, "ann@example.com")
    bob, bob_id, _ = links.signed_in(session, "bob@example.com")
    with ann, bob:
        assert outcome(ann.get(at_discord(start(ann)))) == (PAGE, "linked")
        assert outcome(bob.get(at_discord(start(bob)))) == (PAGE, "conflict")
    linked = identity(session)
    assert linked is not None and linked.user_id != bob_id


def test_signed_out_viewers_are_sent_to_sign_in(app_db, fake):
    with TestClient(build_api(), follow_redirects=False) as client:
        assert outcome(client.get(routes.DISCORD_LINK_START)) == (routes.LOGIN, "signed_out")
        callback = routes.DISCORD_LINK_CALLBACK + "?code=x&state=y"
        assert outcome(client.get(callback)) == (routes.LOGIN, "signed_out")


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "/\\evil", "/\n/evil.example", ""]
)
def test_the_way_back_is_always_a_path_on_this_site(ann, fake, target):
    client, _, _ = ann
    callback = at_discord(start(client, return_to=target))
    assert outcome(client.get(callback)) == (routes.DASHBOARD, "linked")


def test_without_the_client_secret_linking_says_it_is_off(ann, session, settings_env, fake):
    client, _, _ = ann
    settings_env(DISCORD_CLIENT_SECRET=None)
    assert outcome(client.get(routes.DISCORD_LINK_START, params={"return_to": PAGE})) == (
        PAGE,
        "off",
    )
    assert session.exec(select(LinkAttempt)).all() == []


def test_every_outcome_has_a_sentence_naming_discord():
    for code in ("linked", "denied", "expired", "unavailable", "refused", "off", "conflict"):
        said = discord_link.MESSAGES[code]
        assert said.endswith(".") and "Discord" in said


# ---- the viewer's page: the link, the outcome, unlinking ---------------------------------------


def test_back_on_the_page_the_outcome_is_a_sentence_and_the_link_shows(ann, session, fake):
    client, _, token = ann
    add_community(session, SLUG)
    fake.deny_next = True
    assert outcome(client.get(at_discord(start(client)))) == (PAGE, "denied")
    page = viewer_page(session, token, f"{PAGE}?discord=denied")
    assert page.error == discord_link.MESSAGES["denied"] and page.notice == ""
    assert page.discord_on and page.discord_username == ""
    assert (
        page.discord_link_url == f"{routes.DISCORD_LINK_START}?return_to=%2Fcommunity%2Flele%2Fme"
    )

    assert outcome(client.get(at_discord(start(client)))) == (PAGE, "linked")
    page = viewer_page(session, token, f"{PAGE}?discord=linked")
    assert page.notice == discord_link.MESSAGES["linked"] and page.error == ""
    assert page.discord_username == "ann_on_discord"


def test_without_the_client_secret_the_page_offers_no_discord_link(ann, session, settings_env):
    _, _, token = ann
    add_community(session, SLUG)
    settings_env(DISCORD_CLIENT_SECRET=None)
    page = viewer_page(session, token)
    assert not page.discord_on and page.discord_username == ""


def test_a_viewer_unlinks_and_the_identity_stays_unlinked(ann, session, fake):
    client, user_id, token = ann
    add_community(session, SLUG)
    assert outcome(client.get(at_discord(start(client)))) == (PAGE, "linked")
    page = viewer_page(session, token)
    assert page.discord_on and page.discord_username == "ann_on_discord"

    finish(CommunityMineState.unlink_discord, page)
    assert page.error == "" and page.notice.startswith("Discord unlinked")
    assert page.discord_username == ""
    kept = identity(session)
    assert kept is not None and kept.user_id is None and kept.linked_at is None
    assert discord_link.account_of(session, ANN_ON_DISCORD.user_id) is None

    finish(CommunityMineState.unlink_discord, page)  # a second click: a sentence, not an error
    assert page.error == "Your account is not linked to Discord."
    # The same Discord account links again, to the same row.
    assert outcome(client.get(at_discord(start(client)))) == (PAGE, "linked")
    relinked = identity(session)
    assert relinked is not None and relinked.id == kept.id and relinked.user_id == user_id


# ---- pruning -----------------------------------------------------------------------------------


def test_link_attempts_of_both_providers_older_than_a_day_are_pruned(ann, session, fake):
    _, user_id, _ = ann
    now = utcnow()
    ages = {"fresh": timedelta(minutes=1), "hours": timedelta(hours=23), "old": timedelta(days=2)}
    for provider in LinkProvider:
        for name, age in ages.items():
            session.add(
                LinkAttempt(
                    provider=provider,
                    state=f"{provider}-{name}",
                    code_verifier="v" * 43,
                    user_id=user_id,
                    created_at=now - age,
                )
            )
    session.commit()

    assert jobs.prune_link_attempts() == "removed 2 link attempts older than a day"
    session.expire_all()
    kept = sorted(session.exec(select(LinkAttempt.state)).all())
    assert kept == ["discord-fresh", "discord-hours", "kick-fresh", "kick-hours"]
    assert jobs.JOBS["prune_link_attempts"].run is jobs.prune_link_attempts

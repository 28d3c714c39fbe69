"""Linking a viewer's Kick account through the real routes and tests/fake_kick.py: OAuth 2.1 with
PKCE and a single-use state bound to the signed-in account; every failure comes back to the
viewer's page with a message, never an error page."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from luckyclub.api.routes import build_api
from luckyclub.community import kick_link, oauth_links
from luckyclub.core import routes
from luckyclub.models import utcnow
from luckyclub.models.community import KickIdentity, LinkAttempt
from luckyclub.state.community.mine import CommunityMineState
from luckyclub.state.session import SessionState
from tests.db import account_links as links
from tests.db.factories import add_community
from tests.db.reflex_state import finish, state_for_tab
from tests.fake_kick import FakeKick, KickAccount

PAGE = "/community/streamer/me"


@pytest.fixture()
def fake_kick(settings_env):
    with FakeKick().running() as server:
        settings_env(**server.settings())
        server.viewer = KickAccount(4242, "AnnOnKick")
        yield server


@pytest.fixture()
def ann(app_db, session, fake_kick):
    client, user_id, token = links.signed_in(session, "ann@example.com")
    client.token = token  # the session, for the page's state
    with client:
        yield client, user_id


def start(client: TestClient, return_to: str = PAGE) -> str:
    return links.start(client, routes.KICK_LINK_START, return_to)


def at_kick(authorize_url: str) -> str:
    return links.at_provider(authorize_url, "http://testserver")


def outcome(response) -> tuple[str, str]:
    return links.outcome(response, "kick")


def identity(session, kick_user_id: int) -> KickIdentity | None:
    session.expire_all()
    return session.exec(
        select(KickIdentity).where(KickIdentity.kick_user_id == kick_user_id)
    ).first()


def test_the_round_trip_links_the_kick_id_and_the_state_works_once(ann, session, fake_kick):
    client, user_id = ann
    authorize = start(client)
    query = dict(parse_qsl(urlsplit(authorize).query))
    assert authorize.startswith(f"{fake_kick.url}/oauth/authorize?")
    assert query["code_challenge_method"] == "S256"
    assert query["redirect_uri"] == "http://testserver/api/kick/link/callback"
    callback = at_kick(authorize)

    assert outcome(client.get(callback)) == (PAGE, "linked")
    linked = identity(session, 4242)
    assert linked is not None and linked.user_id == user_id and linked.username == "AnnOnKick"

    # The same callback again (a reload, or someone who saw the URL): refused, nothing changes.
    assert outcome(client.get(callback)) == (routes.DASHBOARD, "expired")
    assert [r.form()["grant_type"] for r in fake_kick.received if r.path == "/oauth/token"] == [
        "authorization_code"
    ]


def test_the_pkce_verifier_only_ever_goes_to_kicks_token_endpoint(ann, session, fake_kick):
    client, user_id = ann
    authorize = start(client)
    callback = at_kick(authorize)
    [attempt] = session.exec(select(LinkAttempt).where(LinkAttempt.user_id == user_id))
    verifier = attempt.code_verifier
    assert verifier not in authorize and verifier not in callback

    client.get(callback)
    carrying = [r for r in fake_kick.received if verifier.encode() in r.body or verifier in r.path]
    assert [(r.method, r.path) for r in carrying] == [("POST", "/oauth/token")]


def test_denied_at_kick_comes_back_with_a_message(ann, session, fake_kick):
    client, _ = ann
    fake_kick.deny = True
    assert outcome(client.get(at_kick(start(client)))) == (PAGE, "denied")
    assert identity(session, 4242) is None


def test_a_state_started_by_another_account_is_refused(app_db, session, fake_kick):
    ann, _, _ = links.signed_in(session, "ann@example.com")
    eve, _, _ = links.signed_in(session, "eve@example.com")
    with ann, eve:
        callback_for_ann = at_kick(start(ann))
        assert outcome(eve.get(callback_for_ann)) == (routes.DASHBOARD, "expired")
        assert identity(session, 4242) is None
        # Eve's try used nothing up: Ann's own callback still works.
        assert outcome(ann.get(callback_for_ann)) == (PAGE, "linked")


def test_an_attempt_older_than_ten_minutes_has_expired(ann, session, fake_kick):
    client, user_id = ann
    callback = at_kick(start(client))
    attempt = session.exec(select(LinkAttempt).where(LinkAttempt.user_id == user_id)).one()
    attempt.created_at = utcnow() - oauth_links.ATTEMPT_LIFETIME - timedelta(seconds=1)
    session.add(attempt)
    session.commit()

    assert outcome(client.get(callback)) == (routes.DASHBOARD, "expired")
    assert identity(session, 4242) is None


def test_kick_down_at_the_exchange_comes_back_with_a_message(ann, session, fake_kick):
    client, _ = ann
    callback = at_kick(start(client))
    fake_kick.down = True
    assert outcome(client.get(callback)) == (PAGE, "unavailable")
    assert identity(session, 4242) is None


def test_a_forged_code_is_refused_by_kick_and_said_so(ann, session, fake_kick):
    client, _ = ann
    callback = at_kick(start(client))
    forged = callback.replace("code=", "code=forged")
    assert outcome(client.get(forged)) == (PAGE, "refused")


def test_signed_out_viewers_are_sent_to_sign_in(app_db, fake_kick):
    with TestClient(build_api(), follow_redirects=False) as client:
        assert outcome(client.get(routes.KICK_LINK_START)) == (routes.LOGIN, "signed_out")
        assert outcome(client.get(routes.KICK_LINK_CALLBACK + "?code=x&state=y")) == (
            routes.LOGIN,
            "signed_out",
        )


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil", ""])
def test_the_way_back_is_always_a_path_on_this_site(ann, fake_kick, target):
    client, _ = ann
    callback = at_kick(start(client, return_to=target))
    assert outcome(client.get(callback)) == (routes.DASHBOARD, "linked")


def test_a_kick_id_linked_to_someone_else_is_a_message_not_a_move(app_db, session, fake_kick):
    ann, _, _ = links.signed_in(session, "ann@example.com")
    bob, bob_id, _ = links.signed_in(session, "bob@example.com")
    with ann, bob:
        assert outcome(ann.get(at_kick(start(ann)))) == (PAGE, "linked")
        assert outcome(bob.get(at_kick(start(bob)))) == (PAGE, "conflict")
    linked = identity(session, 4242)
    assert linked is not None and linked.user_id != bob_id


def test_without_the_kick_app_linking_says_it_is_off(ann, settings_env, session):
    client, _ = ann
    settings_env(KICK_CLIENT_ID=None, KICK_CLIENT_SECRET=None)
    response = client.get(routes.KICK_LINK_START, params={"return_to": PAGE})
    assert outcome(response) == (PAGE, "off")


def test_every_outcome_has_a_sentence():
    for code in ("linked", "denied", "expired", "unavailable", "refused", "off", "conflict"):
        assert kick_link.MESSAGES[code].endswith(".")


def test_a_viewer_unlinks_kick_from_their_page_and_its_tickets_are_held_again(
    ann, session, fake_kick
):
    client, user_id = ann
    add_community(session, "streamer")
    assert outcome(client.get(at_kick(start(client)))) == (PAGE, "linked")
    page = state_for_tab(CommunityMineState, path=PAGE, session_token=client.token)
    finish(SessionState.refresh, page)
    finish(CommunityMineState.load, page)
    assert page.kick_username == "AnnOnKick"

    finish(CommunityMineState.unlink_kick, page)
    assert page.error == "" and page.notice.startswith("Kick unlinked")
    assert page.kick_username == ""
    kept = identity(session, 4242)
    assert kept is not None and kept.user_id is None  # the Kick id's row stays, unlinked

    finish(CommunityMineState.unlink_kick, page)  # a second click: a sentence, not an error
    assert page.error == "Your account is not linked to Kick."

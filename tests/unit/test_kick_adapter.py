"""The Kick adapter against tests/fake_kick.py, a real local HTTP server: webhook signatures with a
test RSA key, the public key fetched once, OAuth with PKCE, the app token and subscriptions."""

from __future__ import annotations

import dataclasses
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from luckyclub.core.settings import get_settings
from luckyclub.integrations import kick, oauth
from tests.fake_kick import FakeKick, KickAccount, public_pem, sign, signing_key

BODY = b'{"sender":{"user_id":7,"username":"ann"},"content":"hi"}'
MESSAGE_ID = "01J0000000000000000000000A"
STAMP = "2030-05-01T12:30:00Z"


@pytest.fixture()
def fake():
    kick.forget_public_keys()
    with FakeKick().running() as server:
        yield server
    kick.forget_public_keys()


@pytest.fixture()
def settings(fake):
    return dataclasses.replace(
        get_settings(),
        kick_api_base=fake.url,
        kick_oauth_base=fake.url,
        kick_client_id=fake.client_id,
        kick_client_secret=fake.client_secret,
        kick_public_key=None,
    )


def good_signature() -> str:
    return sign(signing_key(), MESSAGE_ID, STAMP, BODY)


def test_a_signature_by_kicks_key_verifies(settings):
    assert kick.verify_signature(MESSAGE_ID, STAMP, BODY, good_signature(), settings=settings)


def test_a_changed_body_id_or_timestamp_does_not_verify(settings):
    signature = good_signature()
    assert not kick.verify_signature(MESSAGE_ID, STAMP, BODY + b" ", signature, settings=settings)
    assert not kick.verify_signature(
        MESSAGE_ID[:-1] + "B", STAMP, BODY, signature, settings=settings
    )
    assert not kick.verify_signature(
        MESSAGE_ID, STAMP[:-3] + "1Z", BODY, signature, settings=settings
    )


def test_another_key_and_garbage_do_not_verify(settings):
    forged = sign(signing_key("other"), MESSAGE_ID, STAMP, BODY)
    assert not kick.verify_signature(MESSAGE_ID, STAMP, BODY, forged, settings=settings)
    assert not kick.verify_signature(MESSAGE_ID, STAMP, BODY, "not base64!", settings=settings)
    assert not kick.verify_signature(MESSAGE_ID, STAMP, BODY, "", settings=settings)


def test_the_public_key_is_fetched_once_and_kept(fake, settings):
    for _ in range(3):
        assert kick.verify_signature(MESSAGE_ID, STAMP, BODY, good_signature(), settings=settings)
    asked = [r for r in fake.received if r.path == kick.PUBLIC_KEY_PATH]
    assert len(asked) == 1


def test_a_key_in_settings_is_used_without_asking_kick(fake, settings):
    configured = dataclasses.replace(settings, kick_public_key=public_pem(signing_key("other")))
    forged = sign(signing_key("other"), MESSAGE_ID, STAMP, BODY)
    assert kick.verify_signature(MESSAGE_ID, STAMP, BODY, forged, settings=configured)
    assert not kick.verify_signature(MESSAGE_ID, STAMP, BODY, good_signature(), settings=configured)
    assert fake.received == []


def test_no_key_to_check_with_is_unavailable_not_a_pass(fake, settings):
    fake.down = True
    with pytest.raises(kick.KickUnavailable):
        kick.verify_signature(MESSAGE_ID, STAMP, BODY, good_signature(), settings=settings)


def test_the_pkce_challenge_is_s256_of_the_verifier():
    # RFC 7636 appendix B's example.
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert oauth.code_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    fresh = oauth.new_code_verifier()
    assert 43 <= len(fresh) <= 128


def test_oauth_round_trip_gives_the_viewers_kick_id(fake, settings):
    fake.viewer = KickAccount(4242, "Ann")
    verifier, state = oauth.new_code_verifier(), oauth.new_state()
    redirect_uri = "http://testserver/api/kick/link/callback"
    url = kick.authorize_url(
        state=state, verifier=verifier, redirect_uri=redirect_uri, settings=settings
    )
    assert verifier not in url
    assert dict(parse_qsl(urlsplit(url).query))["code_challenge"] == oauth.code_challenge(verifier)
    back = httpx.get(url).headers["location"]
    query = dict(parse_qsl(urlsplit(back).query))
    assert query["state"] == state
    token = kick.exchange_code(
        query["code"], verifier=verifier, redirect_uri=redirect_uri, settings=settings
    )
    assert kick.current_user(token, settings=settings) == kick.KickUser(4242, "Ann")
    with pytest.raises(kick.KickRefused):  # a code works once
        kick.exchange_code(
            query["code"], verifier=verifier, redirect_uri=redirect_uri, settings=settings
        )


def test_a_wrong_verifier_is_refused(fake, settings):
    fake.viewer = KickAccount(4242, "Ann")
    redirect_uri = "http://testserver/cb"
    url = kick.authorize_url(
        state="s", verifier=oauth.new_code_verifier(), redirect_uri=redirect_uri, settings=settings
    )
    code = dict(parse_qsl(urlsplit(httpx.get(url).headers["location"]).query))["code"]
    with pytest.raises(kick.KickRefused):
        kick.exchange_code(
            code, verifier=oauth.new_code_verifier(), redirect_uri=redirect_uri, settings=settings
        )


def test_subscribe_names_the_broadcaster_and_events(fake, settings):
    token = kick.app_token(settings)
    rows = kick.subscribe(token, 991, settings=settings)
    assert [row["name"] for row in rows] == list(kick.COMMUNITY_EVENTS)
    assert {(s["broadcaster_user_id"], s["name"]) for s in fake.subscriptions} == {
        (991, name) for name in kick.COMMUNITY_EVENTS
    }


def test_without_the_apps_keys_nothing_is_asked(fake, settings):
    with pytest.raises(kick.KickNotConfigured):
        kick.app_token(dataclasses.replace(settings, kick_client_secret=None))
    assert fake.received == []


def test_errors_never_carry_the_secret(fake, settings):
    fake.down = True
    with pytest.raises(kick.KickUnavailable) as raised:
        kick.app_token(settings)
    assert settings.kick_client_secret not in str(raised.value)
    wrong = dataclasses.replace(settings, kick_client_secret="wrong-secret")
    fake.down = False
    with pytest.raises(kick.KickRefused) as refused:
        kick.app_token(wrong)
    assert "wrong-secret" not in str(refused.value)

"""The SMS adapter against a real local HTTP server speaking Twilio's Messages API."""

from __future__ import annotations

import dataclasses

import pytest

from luckyclub.core.settings import get_settings
from luckyclub.integrations import sms
from luckyclub.integrations.delivery import DeliveryError
from tests import fake_http
from tests.fake_http import Answer

SID = "AC0123456789abcdef0123456789abcdef"
TOKEN = "auth_token_that_must_not_leak"


@pytest.fixture()
def server():
    with fake_http.sms_provider().running() as provider:
        yield provider


@pytest.fixture()
def settings(server):
    return dataclasses.replace(
        get_settings(),
        sms_api_base=server.url,
        sms_account_sid=SID,
        sms_auth_token=TOKEN,
        sms_from="+447700900000",
    )


def test_a_text_is_a_form_post_with_basic_auth_to_the_accounts_messages(server, settings):
    sms.send_text("+447700900123", "Your tickets 12, 13 for Win a bike are confirmed.", settings)

    [request] = server.received
    assert (request.method, request.path) == (
        "POST",
        f"/2010-04-01/Accounts/{SID}/Messages.json",
    )
    assert request.basic_auth() == (SID, TOKEN)
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.form() == {
        "To": "+447700900123",
        "From": "+447700900000",
        "Body": "Your tickets 12, 13 for Win a bike are confirmed.",
    }


def test_a_provider_that_answers_200_has_taken_the_text(server, settings):
    server.answer(200)

    sms.send_text("+447700900123", "Hello", settings)

    assert len(server.received) == 1


@pytest.mark.parametrize("status", [500, 503, 429])
def test_a_server_error_or_too_many_requests_is_worth_another_try(server, settings, status):
    server.answer(status)

    with pytest.raises(DeliveryError) as refused:
        sms.send_text("+447700900123", "Hello", settings)

    assert refused.value.permanent is False
    assert f"The SMS provider answered {status}" in str(refused.value)


def test_a_refused_number_is_a_permanent_failure_and_the_token_never_shows(server, settings):
    server.answer(Answer(400, f'{{"message": "The To number is invalid ({TOKEN})"}}'.encode()))

    with pytest.raises(DeliveryError) as refused:
        sms.send_text("+447700900123", "Hello", settings)

    assert refused.value.permanent is True
    assert "The To number is invalid" in str(refused.value)
    assert TOKEN not in str(refused.value)


def test_the_provider_unreachable_is_worth_another_try(server, settings):
    server.stop()

    with pytest.raises(DeliveryError) as refused:
        sms.send_text("+447700900123", "Hello", settings)

    assert refused.value.permanent is False
    assert "could not be reached" in str(refused.value) and TOKEN not in str(refused.value)


def test_without_all_three_settings_nothing_is_sent(server, settings):
    with pytest.raises(DeliveryError, match="must all be set"):
        sms.send_text("+447700900123", "Hello", dataclasses.replace(settings, sms_from=None))

    assert server.received == []

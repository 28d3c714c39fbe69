"""The Klaviyo adapter against a real local HTTP server standing in for Klaviyo's Events API."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from luckyclub.core.settings import get_settings
from luckyclub.integrations import klaviyo
from luckyclub.integrations.delivery import DeliveryError
from tests import fake_http
from tests.fake_http import Answer

KEY = "pk_secret_key_0123456789"
WHEN = datetime(2030, 5, 1, 12, 30, tzinfo=UTC)


@pytest.fixture()
def server():
    with fake_http.klaviyo().running() as provider:
        yield provider


@pytest.fixture()
def settings(server):
    return dataclasses.replace(
        get_settings(),
        klaviyo_api_key=KEY,
        klaviyo_api_base=server.url,
        klaviyo_revision="2024-10-15",
    )


def order_placed(**changes) -> dict:
    values = {
        "email": "ann@example.com",
        "external_id": "7",
        "unique_id": "order-42",
        "time": WHEN,
        "properties": {"title": "Win a bike", "numbers": "12, 13"},
        "value": 6.0,
    }
    return klaviyo.event_body("Order Placed", **(values | changes))


def test_an_event_is_posted_as_json_api_with_the_key_and_revision(server, settings):
    klaviyo.send_event(order_placed(phone="+447700900123"), settings)

    [request] = server.received
    assert (request.method, request.path) == ("POST", "/api/events/")
    assert request.headers["authorization"] == f"Klaviyo-API-Key {KEY}"
    assert request.headers["revision"] == "2024-10-15"
    assert request.headers["content-type"] == "application/vnd.api+json"
    assert request.headers["accept"] == "application/vnd.api+json"
    assert request.json() == {
        "data": {
            "type": "event",
            "attributes": {
                "properties": {"title": "Win a bike", "numbers": "12, 13"},
                "metric": {"data": {"type": "metric", "attributes": {"name": "Order Placed"}}},
                "profile": {
                    "data": {
                        "type": "profile",
                        "attributes": {
                            "email": "ann@example.com",
                            "external_id": "7",
                            "phone_number": "+447700900123",
                        },
                    }
                },
                "unique_id": "order-42",
                "time": "2030-05-01T12:30:00+00:00",
                "value": 6.0,
                "value_currency": "GBP",
            },
        }
    }


def test_a_profile_without_a_phone_and_an_event_without_a_value_leave_them_out():
    body = order_placed(value=None)

    attributes = body["data"]["attributes"]
    assert "phone_number" not in attributes["profile"]["data"]["attributes"]
    assert "value" not in attributes and "value_currency" not in attributes


@pytest.mark.parametrize("status", [500, 502, 503, 429, 408])
def test_a_server_error_or_too_many_requests_is_worth_another_try(server, settings, status):
    server.answer(status)

    with pytest.raises(DeliveryError) as refused:
        klaviyo.send_event(order_placed(), settings)

    assert refused.value.permanent is False
    assert f"Klaviyo answered {status}" in str(refused.value)


def test_too_many_requests_says_how_long_klaviyo_asked_us_to_wait(server, settings):
    server.answer(Answer(429, b'{"errors": []}', {"Retry-After": "42"}))

    with pytest.raises(DeliveryError) as refused:
        klaviyo.send_event(order_placed(), settings)

    assert refused.value.retry_after == 42


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409])
def test_a_refused_request_is_a_permanent_failure(server, settings, status):
    server.answer(Answer(status, b'{"errors": [{"detail": "profile is invalid"}]}'))

    with pytest.raises(DeliveryError) as refused:
        klaviyo.send_event(order_placed(), settings)

    assert refused.value.permanent is True
    assert "profile is invalid" in str(refused.value)


def test_an_answer_that_repeats_the_key_does_not_put_it_in_the_error(server, settings):
    server.answer(Answer(401, f'{{"detail": "Bad key Klaviyo-API-Key {KEY}"}}'.encode()))

    with pytest.raises(DeliveryError) as refused:
        klaviyo.send_event(order_placed(), settings)

    assert KEY not in str(refused.value) and "***" in str(refused.value)


def test_klaviyo_unreachable_is_worth_another_try(server, settings):
    server.stop()

    with pytest.raises(DeliveryError) as refused:
        klaviyo.send_event(order_placed(), settings)

    assert refused.value.permanent is False
    assert str(refused.value).startswith("Klaviyo could not be reached: ConnectError")
    assert KEY not in str(refused.value)

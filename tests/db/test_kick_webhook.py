"""Kick's webhook through the real route (Starlette's TestClient over the API app), with events
signed by tests/fake_kick.py's test RSA key: forgeries, stale and header-less deliveries are refused
and stored nowhere; a signed event is stored once however often it arrives."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import func, select
from starlette.testclient import TestClient

from luckyclub.api.body_limits import KICK_WEBHOOK_BODY_LIMIT
from luckyclub.api.routes import build_api
from luckyclub.community import inbox
from luckyclub.core import routes
from luckyclub.integrations import kick
from luckyclub.models import ChatPresence, Community, Program
from luckyclub.models.community import KickEvent
from tests.fake_kick import FakeKick, chat_message, signed_headers, signing_key

URL = routes.KICK_WEBHOOK


@pytest.fixture()
def fake_kick(settings_env):
    kick.forget_public_keys()
    with FakeKick().running() as server:
        settings_env(**server.settings(), KICK_PUBLIC_KEY=None)
        yield server
    kick.forget_public_keys()


@pytest.fixture()
def client(app_db, fake_kick):
    with TestClient(build_api()) as client:
        yield client


def stored(session) -> list[KickEvent]:
    session.expire_all()
    return list(session.exec(select(KickEvent).order_by(KickEvent.id)))


def a_chat(at: datetime | None = None) -> bytes:
    return chat_message(900, 7, "ann", at=at or datetime.now(UTC))


def test_a_signed_event_is_stored_and_answered_200(client, session):
    body = a_chat()
    headers = signed_headers("chat.message.sent", body, message_id="01JTESTSTORED")
    response = client.post(URL, content=body, headers=headers)

    assert response.status_code == 200, response.text
    assert response.json() == {"received": True, "duplicate": False}
    [event] = stored(session)
    assert (event.message_id, event.event_type, event.event_version) == (
        "01JTESTSTORED",
        "chat.message.sent",
        "1",
    )
    assert event.body == body.decode() and event.processed_at is None
    assert event.subscription_id == headers["Kick-Event-Subscription-Id"]


@pytest.mark.parametrize(
    "missing",
    [
        "Kick-Event-Message-Id",
        "Kick-Event-Signature",
        "Kick-Event-Message-Timestamp",
        "Kick-Event-Type",
    ],
)
def test_a_missing_header_is_401_and_nothing_is_stored(client, session, missing):
    body = a_chat()
    headers = signed_headers("chat.message.sent", body)
    del headers[missing]
    response = client.post(URL, content=body, headers=headers)

    assert response.status_code == 401
    assert "required" in response.json()["error"]
    assert stored(session) == []


def test_a_signature_by_another_key_is_401(client, session):
    body = a_chat()
    headers = signed_headers("chat.message.sent", body, key=signing_key("other"))
    response = client.post(URL, content=body, headers=headers)

    assert response.status_code == 401
    assert response.json() == {"error": "The signature does not match Kick's key."}
    assert stored(session) == []


def test_a_changed_body_is_401(client, session):
    body = a_chat()
    headers = signed_headers("chat.message.sent", body)
    tampered = body.replace(b'"user_id": 7', b'"user_id": 8')
    assert tampered != body
    response = client.post(URL, content=tampered, headers=headers)

    assert response.status_code == 401
    assert stored(session) == []


def test_a_changed_message_id_or_timestamp_is_401(client, session):
    body = a_chat()
    headers = signed_headers("chat.message.sent", body)
    other_id = dict(headers, **{"Kick-Event-Message-Id": headers["Kick-Event-Message-Id"] + "X"})
    assert client.post(URL, content=body, headers=other_id).status_code == 401
    later = (datetime.now(UTC) + timedelta(seconds=1)).isoformat().replace("+00:00", "Z")
    other_time = dict(headers, **{"Kick-Event-Message-Timestamp": later})
    assert client.post(URL, content=body, headers=other_time).status_code == 401
    assert stored(session) == []


def test_garbage_in_the_signature_header_is_401(client, session):
    body = a_chat()
    headers = dict(signed_headers("chat.message.sent", body), **{"Kick-Event-Signature": "%%%"})
    assert client.post(URL, content=body, headers=headers).status_code == 401


def test_a_correctly_signed_event_older_than_10_minutes_is_refused(client, session):
    sent = datetime.now(UTC) - timedelta(minutes=10, seconds=5)
    body = a_chat(sent)
    response = client.post(
        URL, content=body, headers=signed_headers("chat.message.sent", body, sent_at=sent)
    )

    assert response.status_code == 400
    assert "10 minutes" in response.json()["error"]
    assert stored(session) == []


def test_a_timestamp_from_the_future_is_refused(client, session):
    sent = datetime.now(UTC) + timedelta(minutes=5)
    body = a_chat(sent)
    response = client.post(
        URL, content=body, headers=signed_headers("chat.message.sent", body, sent_at=sent)
    )
    assert response.status_code == 400
    assert stored(session) == []


def test_a_nine_minute_old_event_is_still_taken(client, session):
    sent = datetime.now(UTC) - timedelta(minutes=9)
    body = a_chat(sent)
    response = client.post(
        URL, content=body, headers=signed_headers("chat.message.sent", body, sent_at=sent)
    )
    assert response.status_code == 200
    assert len(stored(session)) == 1


def test_a_redelivery_is_200_and_stored_once(client, session):
    body = a_chat()
    headers = signed_headers("chat.message.sent", body)
    first = client.post(URL, content=body, headers=headers)
    again = client.post(URL, content=body, headers=headers)

    assert first.json()["duplicate"] is False
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert len(stored(session)) == 1


def test_ten_simultaneous_deliveries_store_one_event(client, session):
    body = a_chat()
    headers = signed_headers("channel.subscription.gifts", body)
    barrier = threading.Barrier(10)
    answers: list[int] = []

    def deliver() -> None:
        barrier.wait()
        answers.append(client.post(URL, content=body, headers=headers).status_code)

    threads = [threading.Thread(target=deliver) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert answers == [200] * 10
    assert session.exec(select(func.count()).select_from(KickEvent)).one() == 1


def test_a_body_over_the_limit_is_413_before_it_is_checked(client, session):
    body = json.dumps({"content": "x" * KICK_WEBHOOK_BODY_LIMIT}).encode()
    response = client.post(URL, content=body, headers=signed_headers("chat.message.sent", body))
    assert response.status_code == 413
    assert stored(session) == []


def test_a_chunked_body_over_the_limit_is_cut_off_with_413(client, session):
    body = json.dumps({"content": "x" * KICK_WEBHOOK_BODY_LIMIT}).encode()
    headers = signed_headers("chat.message.sent", body)

    def chunks():
        for start in range(0, len(body), 8192):
            yield body[start : start + 8192]

    response = client.post(URL, content=chunks(), headers=headers)
    assert response.status_code == 413
    assert "at most 64 KB" in response.json()["error"]
    assert stored(session) == []


def test_without_a_key_kick_is_told_to_retry(client, session, fake_kick):
    fake_kick.down = True  # the public key cannot be fetched
    body = a_chat()
    response = client.post(URL, content=body, headers=signed_headers("chat.message.sent", body))
    assert response.status_code == 503
    assert stored(session) == []


def test_the_key_is_fetched_once_for_many_deliveries(client, session, fake_kick):
    for _ in range(5):
        body = a_chat()
        client.post(URL, content=body, headers=signed_headers("chat.message.sent", body))
    assert [r.path for r in fake_kick.received].count(kick.PUBLIC_KEY_PATH) == 1
    assert len(stored(session)) == 5


def test_a_stored_chat_is_processed_into_chat_presence_once(client, session):
    program = Program(slug="streamer", name="Streamer")
    session.add(program)
    session.flush()
    session.add(Community(program_id=program.id, kick_broadcaster_id=900))
    session.commit()
    body = a_chat()
    headers = signed_headers("chat.message.sent", body)
    for _ in range(2):
        assert client.post(URL, content=body, headers=headers).status_code == 200

    assert inbox.process_due().processed == 1
    session.expire_all()
    [presence] = session.exec(select(ChatPresence))
    assert presence.kick_user_id == 7
    assert inbox.process_due().processed == 0

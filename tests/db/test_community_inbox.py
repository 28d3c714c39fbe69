"""The Kick inbox: a delivery is stored once, processed once from the stored event (a replay does
nothing, a crash loses nothing), and its type decides what it does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from luckyclub import jobs
from luckyclub.club import ledger
from luckyclub.community import inbox, periods
from luckyclub.core import db
from luckyclub.models import ChatPresence, Community, KickEvent, KickGift
from tests.db.community_helpers import linked_viewer
from tests.db.factories import add_community
from tests.db.kick_viewers import (
    BROADCASTER,
    as_json,
    chat_body,
    gift_body,
    status_body,
)
from tests.db.locks import all_at_once

NOW = datetime(2026, 11, 14, 12, 0, tzinfo=UTC)


@pytest.fixture()
def community(session):
    return add_community(session, kick_broadcaster_id=BROADCASTER)


def deliver(message_id: str, event_type: str, body: dict, sent_at: datetime = NOW) -> bool:
    """What the webhook does with a verified delivery: store it in its own unit of work."""
    with db.session_scope() as session:
        return inbox.store(session, message_id, event_type, as_json(body), sent_at)


def test_a_stored_event_is_processed_once_and_a_replay_does_nothing(session, community):
    gifter = linked_viewer(session, "ann@example.com", 42)
    body = gift_body(42, [7], NOW)

    assert deliver("msg-1", inbox.GIFTED_SUBS, body) is True
    assert inbox.process_due(now=NOW) == inbox.InboxRun(processed=1, failed=0)
    assert deliver("msg-1", inbox.GIFTED_SUBS, body) is False  # Kick sends it again
    assert inbox.process_due(now=NOW) == inbox.InboxRun(processed=0, failed=0)

    period = periods.period_of(session, community, NOW)
    assert ledger.balance(session, period.id, gifter.id) == 15
    event = session.exec(select(KickEvent)).one()
    assert (event.processed_at, event.attempts, event.last_error) == (NOW, 1, None)


def test_one_event_delivered_ten_times_at_once_is_credited_once(app_db, session, community):
    gifter = linked_viewer(session, "ann@example.com", 42)
    body = gift_body(42, [7, 8], NOW)

    def delivery():
        stored = deliver("msg-1", inbox.GIFTED_SUBS, body)
        inbox.process_due(now=NOW)  # the webhook kicks processing at once
        return stored

    results = all_at_once([delivery] * 10)

    assert sorted(results, key=str) == [False] * 9 + [True], results
    with Session(app_db) as fresh:
        period = periods.period_of(fresh, community, NOW)
        assert ledger.balance(fresh, period.id, gifter.id) == 30
        assert len(fresh.exec(select(KickEvent)).all()) == 1
        assert len(fresh.exec(select(KickGift)).all()) == 1
        assert ledger.cache_matches_ledger(fresh)


def test_a_redelivered_gift_under_a_new_message_id_is_credited_once(session, community):
    gifter = linked_viewer(session, "ann@example.com", 42)
    deliver("msg-1", inbox.GIFTED_SUBS, gift_body(42, [7], NOW))
    deliver("msg-2", inbox.GIFTED_SUBS, gift_body(42, [7], NOW))

    assert inbox.process_due(now=NOW).processed == 2

    period = periods.period_of(session, community, NOW)
    assert ledger.balance(session, period.id, gifter.id) == 15


def test_an_event_that_fails_keeps_its_error_and_is_tried_again(session, community):
    deliver("msg-1", inbox.GIFTED_SUBS, gift_body(42, [7], NOW) | {"created_at": "soon"})
    deliver("msg-2", inbox.CHAT_MESSAGE, chat_body(5, NOW))

    assert inbox.process_due(now=NOW) == inbox.InboxRun(processed=1, failed=1)

    failed = session.exec(select(KickEvent).where(KickEvent.message_id == "msg-1")).one()
    assert (failed.processed_at, failed.attempts) == (None, 1)
    assert "RFC 3339" in failed.last_error
    for _ in range(inbox.MAX_ATTEMPTS):
        inbox.process_due(now=NOW)
    session.refresh(failed)
    assert (failed.processed_at, failed.attempts) == (None, inbox.MAX_ATTEMPTS)  # left for a person


def test_a_crash_after_storing_loses_nothing(session, community):
    """The webhook stored the event and the process died: the next run processes it."""
    gifter = linked_viewer(session, "ann@example.com", 42)
    deliver("msg-1", inbox.GIFTED_SUBS, gift_body(42, [7], NOW))

    jobs.process_kick_inbox()

    period = periods.period_of(session, community, NOW)
    assert ledger.balance(session, period.id, gifter.id) == 15


def test_chat_messages_record_presence_but_not_the_streamers_own(session, community):
    deliver("msg-1", inbox.CHAT_MESSAGE, chat_body(5, NOW))
    deliver("msg-2", inbox.CHAT_MESSAGE, chat_body(BROADCASTER, NOW))

    inbox.process_due(now=NOW)

    presence = session.exec(select(ChatPresence)).all()
    assert [(p.kick_user_id, p.last_chat_at) for p in presence] == [(5, NOW)]


def test_the_livestream_status_sets_live_and_offline(session, community):
    started = NOW - timedelta(minutes=3)
    deliver("msg-1", inbox.LIVESTREAM_STATUS, status_body(True, started))
    inbox.process_due(now=NOW)
    session.refresh(community)
    assert (community.is_live, community.live_since) == (True, started)

    deliver("msg-2", inbox.LIVESTREAM_STATUS, status_body(False, started))
    inbox.process_due(now=NOW)
    session.refresh(community)
    assert (community.is_live, community.live_since) == (False, None)


def test_an_event_for_a_channel_no_community_follows_is_done_with_nothing(session, community):
    deliver("msg-1", inbox.CHAT_MESSAGE, chat_body(5, NOW, broadcaster=12345))

    assert inbox.process_due(now=NOW).processed == 1
    assert session.exec(select(ChatPresence)).all() == []


def test_two_runners_at_once_process_each_event_once(app_db, session, community):
    gifter = linked_viewer(session, "ann@example.com", 42)
    for n in range(20):
        moment = NOW + timedelta(seconds=n)
        deliver(f"msg-{n}", inbox.GIFTED_SUBS, gift_body(42, [7], moment), moment)

    results = all_at_once([lambda: inbox.process_due(now=NOW)] * 2)

    assert sum(r.processed for r in results) == 20, results
    with Session(app_db) as fresh:
        period = periods.period_of(fresh, community, NOW)
        assert ledger.balance(fresh, period.id, gifter.id) == 20 * 15
        assert fresh.get(Community, community.id) is not None

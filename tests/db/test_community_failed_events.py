"""Kick events the inbox gave up on: an admin sees them (and only them), retries one — it is then
processed once, even by two runners at once — or dismisses it with a reason, and it is never
processed after. Only platform admins can."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from luckyclub.club import ledger
from luckyclub.community import failed_events, gifts, inbox, periods
from luckyclub.core import db, routes
from luckyclub.core.errors import NotAllowed, UserError
from luckyclub.models import AuditLog, KickEvent, KickGift, Role, User
from luckyclub.pages.admin.communities import CommunitiesAdminState
from luckyclub.pages.admin.kick_events import KickEventsAdminState
from luckyclub.platform import accounts, changes
from luckyclub.state import reason_dialog
from luckyclub.state.session import SessionState
from tests.db.community_helpers import linked_viewer
from tests.db.factories import add_community, add_user
from tests.db.kick_viewers import BROADCASTER, as_json, chat_body, gift_body
from tests.db.locks import all_at_once
from tests.db.reflex_state import finish, state_for_tab
from tests.db.test_announced_changes import Ear

NOW = datetime(2026, 11, 14, 12, 0, tzinfo=UTC)


@pytest.fixture()
def community(session):
    return add_community(session, kick_broadcaster_id=BROADCASTER)


@pytest.fixture()
def admin(session):
    return add_user(session, "boss@example.com", Role.ADMIN)


def deliver(message_id: str, event_type: str, body: dict, sent_at: datetime = NOW) -> None:
    with db.session_scope() as session:
        inbox.store(session, message_id, event_type, as_json(body), sent_at)


def fail_for_good(monkeypatch) -> None:
    """Gifts cannot be recorded (a bug, an outage) for every attempt the inbox makes."""

    with monkeypatch.context() as patched:
        patched.setattr(gifts, "record_gift", _broken)
        for _ in range(inbox.MAX_ATTEMPTS):
            inbox.process_due(now=NOW)


def the_event(session: Session, message_id: str) -> KickEvent:
    session.expire_all()
    return session.exec(select(KickEvent).where(KickEvent.message_id == message_id)).one()


def test_the_list_shows_only_events_that_failed_for_good_newest_first(
    session, community, admin, monkeypatch
):
    deliver("gift-old", inbox.GIFTED_SUBS, gift_body(42, [7], NOW))
    deliver("gift-new", inbox.GIFTED_SUBS, gift_body(43, [8], NOW + timedelta(seconds=1)))
    deliver("other-channel", inbox.GIFTED_SUBS, gift_body(44, [9], NOW, broadcaster=12345))
    deliver("chat-ok", inbox.CHAT_MESSAGE, chat_body(5, NOW))
    deliver("unread", inbox.GIFTED_SUBS, {"no": "broadcaster"})
    fail_for_good(monkeypatch)
    deliver("gift-once", inbox.GIFTED_SUBS, gift_body(42, [7], NOW) | {"created_at": "soon"})
    inbox.process_due(now=NOW)  # failed once: still the inbox's to retry, not the admin's
    # The newest first, by when they came in.
    with db.session_scope() as s:
        for message_id, minutes in (("gift-old", 1), ("gift-new", 2), ("unread", 3)):
            event = s.exec(select(KickEvent).where(KickEvent.message_id == message_id)).one()
            event.received_at = NOW + timedelta(minutes=minutes)

    shown = failed_events.list_failed(session, admin)

    assert [e.message_id for e in shown] == ["unread", "gift-new", "gift-old"]
    assert failed_events.count_failed(session, admin) == 3
    unread, new, _ = shown
    assert (new.event_type, new.attempts) == (inbox.GIFTED_SUBS, inbox.MAX_ATTEMPTS)
    assert new.last_error == "RuntimeError: the gifts table is being rebuilt"
    assert new.community == "Lele's community" and new.received_at == NOW + timedelta(minutes=2)
    assert unread.community == "— (the body names no channel)"
    assert "names no broadcaster" in unread.last_error


def test_a_retried_event_is_processed_once_by_two_runners_at_once(
    app_db, session, community, admin, monkeypatch
):
    gifter = linked_viewer(session, "ann@example.com", 42)
    deliver("gift-1", inbox.GIFTED_SUBS, gift_body(42, [7], NOW))
    fail_for_good(monkeypatch)
    assert inbox.process_due(now=NOW) == inbox.InboxRun(processed=0, failed=0)  # left alone

    with db.session_scope() as s:
        failed_events.retry(s, s.merge(admin), the_event(s, "gift-1").id)
    results = all_at_once([lambda: inbox.process_due(now=NOW)] * 2)

    assert sum(r.processed for r in results) == 1, results
    with Session(app_db) as fresh:
        period = periods.period_of(fresh, community, NOW)
        assert ledger.balance(fresh, period.id, gifter.id) == 15
        assert len(fresh.exec(select(KickGift)).all()) == 1
        event = the_event(fresh, "gift-1")
        assert (event.processed_at, event.attempts, event.last_error) == (NOW, 1, None)
        assert failed_events.count_failed(fresh, fresh.merge(admin)) == 0
        audit = fresh.exec(select(AuditLog)).one()
        assert (audit.action, audit.target_id) == ("kick_event.retry", str(event.id))
        assert audit.detail == f"{inbox.GIFTED_SUBS} gift-1"


def test_a_retry_twice_says_the_event_is_back_in_the_inbox(session, community, admin, monkeypatch):
    deliver("gift-1", inbox.GIFTED_SUBS, gift_body(42, [7], NOW))
    fail_for_good(monkeypatch)
    event_id = the_event(session, "gift-1").id
    failed_events.retry(session, admin, event_id)
    session.commit()

    with pytest.raises(UserError, match="back in the inbox already"):
        failed_events.retry(session, admin, event_id)
    with pytest.raises(UserError, match="no longer exists"):
        failed_events.retry(session, admin, event_id + 1000)


def test_a_dismissed_event_keeps_the_reason_and_is_never_processed(
    session, community, admin, monkeypatch
):
    gifter = linked_viewer(session, "ann@example.com", 42)
    deliver("gift-1", inbox.GIFTED_SUBS, gift_body(42, [7], NOW))
    fail_for_good(monkeypatch)
    event_id = the_event(session, "gift-1").id

    with pytest.raises(UserError, match="at least 5 characters"):
        failed_events.dismiss(session, admin, event_id, "no")
    failed_events.dismiss(session, admin, event_id, "  Kick  refunded this gift ")
    session.commit()

    event = the_event(session, "gift-1")
    assert event.processed_at is not None
    assert event.last_error == "dismissed: Kick refunded this gift"
    assert failed_events.list_failed(session, admin) == []
    audit = session.exec(select(AuditLog)).one()
    assert (audit.action, audit.actor_id) == ("kick_event.dismiss", admin.id)
    assert audit.detail == f"{inbox.GIFTED_SUBS} gift-1: Kick refunded this gift"
    # Nothing brings it back: the inbox skips it, and neither a retry nor a second dismissal acts.
    assert inbox.process_due(now=NOW) == inbox.InboxRun(processed=0, failed=0)
    with pytest.raises(UserError, match="dismissed already"):
        failed_events.retry(session, admin, event_id)
    with pytest.raises(UserError, match="dismissed already"):
        failed_events.dismiss(session, admin, event_id, "once more, to be sure")
    period = periods.period_of(session, community, NOW)
    assert ledger.balance(session, period.id, gifter.id) == 0


def test_only_platform_admins_see_retry_or_dismiss_failed_events(session, community, monkeypatch):
    member = add_user(session, "ann@example.com")
    deliver("gift-1", inbox.GIFTED_SUBS, gift_body(42, [7], NOW))
    fail_for_good(monkeypatch)
    event_id = the_event(session, "gift-1").id

    with pytest.raises(NotAllowed):
        failed_events.list_failed(session, member)
    with pytest.raises(NotAllowed):
        failed_events.count_failed(session, member)
    with pytest.raises(NotAllowed):
        failed_events.retry(session, member, event_id)
    with pytest.raises(NotAllowed):
        failed_events.dismiss(session, member, event_id, "not mine to dismiss")
    session.rollback()
    event = the_event(session, "gift-1")
    assert (event.processed_at, event.attempts) == (None, inbox.MAX_ATTEMPTS)
    assert session.exec(select(AuditLog)).all() == []


def tab(session, state_cls, path: str, user):
    """`user`'s browser tab on an admin page, loaded."""
    token, _ = accounts.start_session(session, user)
    session.commit()
    page = state_for_tab(state_cls, path=path, session_token=token)
    finish(SessionState.refresh, page)
    finish(state_cls.load, page)
    return page


def test_an_admin_retries_and_dismisses_on_the_kick_events_page(
    session, community, admin, monkeypatch
):
    deliver("gift-1", inbox.GIFTED_SUBS, gift_body(42, [7], NOW))
    deliver("gift-2", inbox.GIFTED_SUBS, gift_body(43, [8], NOW))
    fail_for_good(monkeypatch)
    communities_page = tab(session, CommunitiesAdminState, routes.ADMIN_COMMUNITIES, admin)
    assert communities_page.failed_kick_events == 2  # the callout that leads to the page
    page = tab(session, KickEventsAdminState, routes.ADMIN_KICK_EVENTS, admin)

    assert page.allowed and page.count == 2
    assert page.count_words == "2 Kick events failed for good."
    assert {r.message_id for r in page.rows} == {"gift-1", "gift-2"}
    row = next(r for r in page.rows if r.message_id == "gift-1")
    assert (row.kind, row.community, row.attempts) == ("Gifted subs", "Lele's community", 5)
    assert row.received.endswith(("UTC", "GMT")) and "being rebuilt" in row.last_error
    # Dismiss is the reason dialog's: its form reaches this page's handler.
    assert reason_dialog._admin_action(reason_dialog.action_name(KickEventsAdminState.dismiss))

    finish(KickEventsAdminState.retry, page, row.id)
    assert page.error == "" and page.notice.startswith("The event is back in the inbox")
    assert [r.message_id for r in page.rows] == ["gift-2"] and page.count == 1
    finish(KickEventsAdminState.retry, page, row.id)  # a second click, from a stale page
    assert page.error.startswith("That Kick event is back in the inbox already")

    other = page.rows[0]
    finish(KickEventsAdminState.dismiss, page, {"event_id": str(other.id), "reason": "x"})
    assert "at least 5 characters" in page.error and page.count == 1
    finish(
        KickEventsAdminState.dismiss,
        page,
        {"event_id": str(other.id), "reason": "Kick refunded this gift"},
    )
    assert page.error == "" and page.notice.startswith("Dismissed")
    assert page.rows == [] and page.count == 0 and page.count_words == ""
    finish(KickEventsAdminState.retry, page, "not-an-id")
    assert page.error == "That record could not be found. Reload the page and try again."

    assert inbox.process_due(now=NOW) == inbox.InboxRun(processed=1, failed=0)  # the retried one


def test_a_member_sees_no_failed_kick_events_and_cannot_act_on_one(session, community, monkeypatch):
    member = add_user(session, "ann@example.com")
    deliver("gift-1", inbox.GIFTED_SUBS, gift_body(42, [7], NOW))
    fail_for_good(monkeypatch)
    event_id = the_event(session, "gift-1").id

    page = tab(session, KickEventsAdminState, routes.ADMIN_KICK_EVENTS, member)
    assert not page.allowed and page.rows == [] and page.count == 0

    finish(KickEventsAdminState.retry, page, event_id)
    finish(KickEventsAdminState.dismiss, page, {"event_id": str(event_id), "reason": "mine now"})
    assert page.error == "Only administrators can do that."
    event = the_event(session, "gift-1")
    assert (event.processed_at, event.attempts) == (None, inbox.MAX_ATTEMPTS)


def test_the_kick_events_page_is_told_when_an_event_fails_for_good_or_is_handled(
    session, community, admin, monkeypatch, app_db
):
    ear = Ear()
    try:
        deliver("gift-1", inbox.GIFTED_SUBS, gift_body(42, [7], NOW))
        deliver("gift-2", inbox.GIFTED_SUBS, gift_body(43, [8], NOW))
        ear.since_last_time()
        with monkeypatch.context() as patched:
            patched.setattr(gifts, "record_gift", _broken)
            for _ in range(inbox.MAX_ATTEMPTS - 1):
                inbox.process_due(now=NOW)
            assert changes.ADMIN_KICK_EVENTS not in ear.since_last_time()  # the inbox retries
            inbox.process_due(now=NOW)
        assert changes.ADMIN_KICK_EVENTS in ear.since_last_time()  # the last try: an admin's now

        with db.session_scope() as s:
            failed_events.retry(s, s.get(User, admin.id), the_event(s, "gift-1").id)
        assert changes.ADMIN_KICK_EVENTS in ear.since_last_time()
        with db.session_scope() as s:
            event_id = the_event(s, "gift-2").id
            failed_events.dismiss(s, s.get(User, admin.id), event_id, "A test gift")
        assert changes.ADMIN_KICK_EVENTS in ear.since_last_time()
    finally:
        ear.listening.stop()


def _broken(*args, **kwargs):
    raise RuntimeError("the gifts table is being rebuilt")

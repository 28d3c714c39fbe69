"""The admin console's state, driven as the websocket drives it: only an admin's session acts."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from luckyclub.models import AuditLog, Role, User
from luckyclub.pages.admin.home import AdminState
from luckyclub.platform import accounts
from luckyclub.state.session import SessionState
from tests.db.factories import add_user
from tests.db.reflex_state import finish, state_for_tab

NOT_ADMIN = "Only administrators can do that."


def browser_session(session, user: User) -> str:
    token, _ = accounts.start_session(session, user)
    session.commit()
    return token


@pytest.fixture()
def people(session) -> dict[str, User]:
    return {
        "admin": add_user(session, "admin@example.com", Role.ADMIN),
        "member": add_user(session, "mallory@example.com"),
        "target": add_user(session, "bob@example.com"),
    }


def fresh(app_db, user: User) -> User:
    """The user as the database has it now (the state committed in its own session)."""
    with Session(app_db) as s:
        return s.get(User, user.id)


def audit_rows(app_db) -> list[AuditLog]:
    with Session(app_db) as s:
        return list(s.exec(select(AuditLog)))


def test_an_admin_sees_the_members(session, people):
    state = state_for_tab(AdminState, session_token=browser_session(session, people["admin"]))

    finish(AdminState.load, state)

    assert state.allowed is True
    assert {m.email for m in state.members} == {u.email for u in people.values()}


def test_an_admin_bans_a_member_and_the_ban_is_in_the_audit_log(session, people, app_db):
    target = people["target"]
    target_browser = browser_session(session, target)
    state = state_for_tab(AdminState, session_token=browser_session(session, people["admin"]))

    finish(AdminState.ban_member, state, {"user_id": str(target.id), "reason": "Spam in chat"})

    assert state.error == ""
    assert state.notice == "Member banned; their open sessions have ended."
    banned = fresh(app_db, target)
    assert banned.banned_at is not None and banned.ban_reason == "Spam in chat"
    [entry] = audit_rows(app_db)
    assert (entry.actor_id, entry.action, entry.target_id) == (
        people["admin"].id,
        "user.ban",
        str(target.id),
    )
    assert [m.banned for m in state.members if m.id == target.id] == [True]
    assert [a.action for a in state.actions] == ["user.ban"]
    with Session(app_db) as s:
        assert accounts.user_for_session(s, target_browser) is None


def test_an_admin_banning_themselves_gets_a_sentence_not_a_ban(session, people, app_db):
    admin = people["admin"]
    state = state_for_tab(AdminState, session_token=browser_session(session, admin))

    finish(AdminState.ban_member, state, {"user_id": admin.id, "reason": "Oops"})

    assert state.error == "You cannot ban yourself." and state.notice == ""
    assert fresh(app_db, admin).banned_at is None
    assert audit_rows(app_db) == []


def test_an_admin_verifies_a_member(session, people, app_db):
    state = state_for_tab(AdminState, session_token=browser_session(session, people["admin"]))

    finish(AdminState.verify_member, state, people["target"].id)

    assert state.notice == "Marked verified."
    assert fresh(app_db, people["target"]).email_verified_at is not None
    assert [row.action for row in audit_rows(app_db)] == ["user.verify"]


def test_an_admin_whose_session_was_revoked_can_no_longer_act(session, people, app_db):
    token = browser_session(session, people["admin"])
    accounts.revoke_session(session, token)
    session.commit()
    state = state_for_tab(AdminState, session_token=token)

    finish(AdminState.ban_member, state, {"user_id": people["target"].id, "reason": "Spam"})

    assert state.error == NOT_ADMIN
    assert fresh(app_db, people["target"]).banned_at is None


def test_a_page_load_with_a_revoked_session_shows_the_visitor_signed_out(session, people):
    token = browser_session(session, people["member"])
    state = state_for_tab(SessionState, session_token=token)
    finish(SessionState.refresh, state)
    assert state.signed_in and state.user_email == "mallory@example.com"

    accounts.revoke_session(session, token)
    session.commit()
    finish(SessionState.refresh, state)

    assert state.checked is True
    assert state.signed_in is False
    assert state.user_email == "" and state.is_admin is False

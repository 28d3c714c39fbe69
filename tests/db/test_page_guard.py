"""A tab's state outlives the tab and goes to whichever connection presents its client token: the
page guard hands nothing that was loaded for one person (an admin, a member) to anyone else."""

from __future__ import annotations

import asyncio
import json
import re

import pytest
from reflex_base.event import Event
from sqlmodel import Session, select

import luckyclub.luckyclub  # noqa: F401 - every page and its state, as the running app has them
from luckyclub.models import OutboxMessage, Role, User
from luckyclub.pages.admin.audit import AuditState
from luckyclub.pages.admin.home import AdminState
from luckyclub.pages.admin.mail import AdminMailState
from luckyclub.platform import accounts
from luckyclub.state.admin import AdminPageState
from luckyclub.state.club.dashboard import DashboardState
from luckyclub.state.session import ForgetOtherViewersPages, SessionState
from tests.db.factories import add_user
from tests.db.reflex_state import connect, finish, state_for_tab
from tests.db.test_admin_state import browser_session

HYDRATE_AND_LOAD = "reflex___state____state.hydrate_and_load"


@pytest.fixture()
def people(session) -> dict[str, User]:
    people = {
        "admin": add_user(session, "admin@example.com", Role.ADMIN),
        "ann": add_user(session, "ann@example.com"),
        "bob": add_user(session, "bob@example.com"),
    }
    accounts.request_password_reset(session, "ann@example.com", client_ip="203.0.113.9")
    session.commit()
    return people


def reset_token(app_db) -> str:
    with Session(app_db) as s:
        [message] = s.exec(select(OutboxMessage)).all()
    return re.search(r"token=([\w-]+)", message.text_body).group(1)


def admin_tab(session, app_db, admin: User) -> AdminMailState:
    """An admin's tab that visited the console, the audit log and the outbox, and opened the
    password-reset email (its link is shown so an admin can pass it on without SMTP)."""
    token = browser_session(session, admin)
    mail = state_for_tab(AdminMailState, session_token=token, path="/admin/mail")
    finish(SessionState.require_sign_in, mail)
    finish(AdminState.load, in_tab(mail, AdminState))
    finish(AuditState.load, in_tab(mail, AuditState))
    finish(AdminMailState.load, mail)
    finish(AdminMailState.open_message, mail, mail.messages[0].id)
    assert reset_token(app_db) in mail.opened.text
    assert mail.allowed and in_tab(mail, AdminState).members
    return mail


def in_tab(state, state_cls: type):
    """Another page's state in the same tab's tree."""
    return state._get_root_state().get_substate(state_cls.get_full_name().split("."))


def leftovers(state, base: type) -> dict[str, object]:
    """Every var of every loaded page state built on `base` that is not at its default (the
    signed-in person's own name and role, SessionState's, are shown on every page)."""
    found = {}
    pending = [state._get_root_state()]
    while pending:
        current = pending.pop()
        pending.extend(current.substates.values())
        cls = type(current)
        if not issubclass(cls, base) or cls is SessionState:
            continue
        for name, field in cls.__fields__.items():
            if field._owner is cls and name not in ("router", "router_data"):
                value = getattr(current, name)
                if value != field.default_value():
                    found[f"{cls.__name__}.{name}"] = value
    return found


def hydrate(state) -> str:
    """What a (re)connecting tab is sent before any on_load: the whole state tree, as JSON."""
    root = state._get_root_state()
    event = Event(name=HYDRATE_AND_LOAD)
    assert asyncio.run(ForgetOtherViewersPages().preprocess(None, root, event)) is None
    return json.dumps(root.dict(), default=str)


def test_a_connection_without_a_session_reusing_an_admins_tab_is_sent_no_admin_data(
    session, app_db, people
):
    tab = admin_tab(session, app_db, people["admin"])

    connect(tab, path="/admin/mail")  # the tab's client token, no session cookie
    snapshot = hydrate(tab)

    assert reset_token(app_db) not in snapshot
    assert "ann@example.com" not in snapshot and "bob@example.com" not in snapshot
    assert leftovers(tab, AdminPageState) == {}


def test_an_admin_page_loading_without_a_session_leaves_no_admin_data(session, app_db, people):
    tab = admin_tab(session, app_db, people["admin"])
    connect(tab, path="/admin/mail")

    finish(SessionState.require_sign_in, tab)
    finish(AdminMailState.load, tab)

    assert leftovers(tab, AdminPageState) == {}
    assert tab.allowed is False


def test_a_member_reusing_an_admins_tab_sees_no_admin_data(session, app_db, people):
    tab = admin_tab(session, app_db, people["admin"])
    connect(tab, session_token=browser_session(session, people["bob"]), path="/admin/mail")

    assert reset_token(app_db) not in hydrate(tab)
    finish(SessionState.require_sign_in, tab)
    finish(AdminMailState.load, tab)

    assert leftovers(tab, AdminPageState) == {}


def test_an_admin_signing_out_leaves_no_admin_data_in_the_tab(session, app_db, people):
    tab = admin_tab(session, app_db, people["admin"])

    finish(SessionState.sign_out, tab)

    assert leftovers(tab, AdminPageState) == {}
    assert reset_token(app_db) not in json.dumps(tab._get_root_state().dict(), default=str)


def test_the_same_admin_reconnecting_keeps_the_page(session, app_db, people):
    tab = admin_tab(session, app_db, people["admin"])
    token = browser_session(session, people["admin"])
    connect(tab, session_token=token, path="/admin/mail")
    finish(SessionState.refresh, tab)  # a second session of the same admin is another viewer
    finish(AdminMailState.load, tab)

    hydrate(tab)

    assert {m.recipient for m in tab.messages} == {"ann@example.com"}


def member_tab(session, member: User) -> DashboardState:
    dashboard = state_for_tab(
        DashboardState, session_token=browser_session(session, member), path="/dashboard"
    )
    finish(SessionState.require_sign_in, dashboard)
    finish(DashboardState.load, dashboard)
    assert dashboard.public_name and dashboard.signed_in
    return dashboard


def test_a_members_page_loading_without_a_session_keeps_nothing_of_theirs(session, people):
    tab = member_tab(session, people["ann"])
    connect(tab, path="/dashboard")

    redirect = finish(SessionState.require_sign_in, tab)

    assert redirect is not None  # to the sign-in page
    assert leftovers(tab, SessionState) == {}
    assert "ann@example.com" not in json.dumps(tab._get_root_state().dict(), default=str)


def test_another_member_reusing_a_members_tab_is_sent_none_of_their_page(session, people):
    tab = member_tab(session, people["ann"])
    connect(tab, session_token=browser_session(session, people["bob"]), path="/dashboard")

    snapshot = hydrate(tab)

    assert "ann@example.com" not in snapshot and "Ann" not in snapshot
    assert leftovers(tab, DashboardState) == {}


def test_an_opened_message_is_held_only_while_the_outbox_shows_it(session, app_db, people):
    tab = admin_tab(session, app_db, people["admin"])

    finish(AdminState.load, in_tab(tab, AdminState))  # the admin moves on to another admin page

    assert reset_token(app_db) not in json.dumps(tab._get_root_state().dict(), default=str)
    assert tab.opened.id == 0 and tab.messages  # the list stays for the admin's way back
    finish(AdminMailState.open_message, tab, tab.messages[0].id)
    finish(AdminMailState.close_message, tab)
    assert tab.opened.text == ""

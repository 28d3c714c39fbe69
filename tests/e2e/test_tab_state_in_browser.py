"""A tab's state lives on the server under the tab's client token (kept in sessionStorage): a
browser that presents a closed admin tab's token, with no session, is sent none of its state."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from luckyclub.core import routes
from tests.e2e.flows import expect_dashboard, sign_in, wait_until_live

pytestmark = pytest.mark.e2e


def test_a_closed_admin_tabs_token_reused_without_a_session_gets_no_admin_state(new_page, admin):
    visitor = new_page()  # asks for a reset link for the admin's own account
    visitor.goto(routes.FORGOT_PASSWORD)
    wait_until_live(visitor)
    visitor.get_by_label("Email").fill(admin.email)
    visitor.get_by_role("button", name="Send reset link").click()
    expect(visitor.get_by_role("status")).to_contain_text("we have emailed it a link")

    admin_page = new_page()
    sign_in(admin_page, admin.email, admin.password)
    admin_page.wait_for_url(re.compile(r"/dashboard"), timeout=60_000)  # a loaded machine
    expect_dashboard(admin_page, admin.name)
    admin_page.goto(routes.ADMIN_MAIL)
    row = admin_page.get_by_role("row").filter(has_text=admin.email)
    row.get_by_role("button", name=re.compile("reset", re.IGNORECASE)).click()
    opened = admin_page.get_by_role("region", name="Opened message")
    link = opened.get_by_role("link", name=re.compile(r"reset-password\?token="))
    reset_token = link.get_attribute("href").split("token=")[1]
    client_token = admin_page.evaluate("window.sessionStorage.getItem('token')")
    admin_page.close()  # the admin's tab closes; its state stays on the server

    stranger = new_page()  # no session cookie
    stranger.add_init_script(f"window.sessionStorage.setItem('token', {json.dumps(client_token)})")
    received: list[str] = []
    stranger.on(
        "websocket",
        lambda ws: ws.on("framereceived", lambda frame: received.append(str(frame))),
    )
    stranger.goto(routes.ADMIN_MAIL)
    wait_until_live(stranger)
    expect(stranger).to_have_url(re.compile(r"/login"))

    assert stranger.evaluate("window.sessionStorage.getItem('token')") == client_token
    assert received, "the stranger's websocket carried no state"
    assert not [frame for frame in received if reset_token in frame or admin.email in frame]

"""Accounts as a person uses them in a real browser: join, sign in and out, reset, refusals."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from luckyclub.core import routes
from tests.e2e.conftest import PROJECT_ROOT, unique_person
from tests.e2e.flows import (
    expect_dashboard,
    register,
    sign_in,
    sign_out,
    submit_join_form,
    wait_until_live,
)

pytestmark = pytest.mark.e2e


def test_register_reaches_dashboard_then_sign_out_and_back_in(page):
    person = unique_person("Robin Register")
    register(page, person)  # joins, reads the thank-you, signs in
    expect_dashboard(page, person.name)
    expect(page.get_by_text("Please verify your email address")).to_be_visible()

    sign_out(page)
    page.goto(routes.DASHBOARD)
    expect(page).to_have_url(re.compile(r"/login"))

    sign_in(page, person.email, person.password)
    expect_dashboard(page, person.name)


def test_joining_with_a_members_email_answers_as_for_a_new_one(page):
    person = unique_person("Already Here")
    register(page, person)
    sign_out(page)

    submit_join_form(page, person)

    expect(page.get_by_role("status")).to_have_text(
        "Thank you for joining. We have emailed you a link to confirm your address; "
        "you can sign in now with your email and password."
    )
    expect(page.get_by_role("alert")).to_have_count(0)


def test_registering_under_18_is_refused_with_a_reason(page):
    person = unique_person("Young Person")
    submit_join_form(page, person, date_of_birth="2015-01-01")
    expect(page.get_by_role("alert")).to_have_text("You must be 18 or older to join LuckyClub.")


def test_wrong_password_and_unknown_email_get_the_same_message(page):
    person = unique_person("Wrong Password")
    register(page, person)
    expect_dashboard(page, person.name)
    sign_out(page)

    sign_in(page, person.email, "not the password")
    expect(page.get_by_role("alert")).to_have_text("Email or password is incorrect.")
    sign_in(page, "nobody-here@example.com", "not the password")
    expect(page.get_by_role("alert")).to_have_text("Email or password is incorrect.")


def test_password_reset_followed_through_the_dev_outbox(new_page, admin):
    person = unique_person("Forgetful Member")
    member_page = new_page()
    register(member_page, person)
    expect_dashboard(member_page, person.name)
    sign_out(member_page)

    member_page.goto(routes.FORGOT_PASSWORD)
    wait_until_live(member_page)
    member_page.get_by_label("Email").fill(person.email)
    member_page.get_by_role("button", name="Send reset link").click()
    expect(member_page.get_by_role("status")).to_contain_text("we have emailed it a link")

    # Without SMTP_URL the email waits in the outbox, where an admin can read it.
    admin_page = new_page()
    sign_in(admin_page, admin.email, admin.password)
    expect_dashboard(admin_page, admin.name)
    admin_page.goto(routes.ADMIN_MAIL)
    row = admin_page.get_by_role("row").filter(has_text=person.email)
    row.get_by_role("button", name=re.compile("reset", re.IGNORECASE)).click()
    opened = admin_page.get_by_role("region", name="Opened message")
    reset_link = opened.get_by_role("link", name=re.compile(r"reset-password\?token="))
    href = reset_link.get_attribute("href")

    member_page.goto(href)
    wait_until_live(member_page)
    new_password = person.password + " renewed"
    member_page.get_by_label("New password", exact=True).fill(new_password)
    member_page.get_by_label("Repeat new password").fill(new_password)
    member_page.get_by_role("button", name="Change password").click()
    expect(member_page.get_by_role("status")).to_contain_text("Your password has been changed")

    sign_in(member_page, person.email, person.password)
    expect(member_page.get_by_role("alert")).to_have_text("Email or password is incorrect.")
    sign_in(member_page, person.email, new_password)
    expect_dashboard(member_page, person.name)


def test_member_opening_admin_gets_a_refusal_page(page):
    person = unique_person("Curious Member")
    register(page, person)
    expect_dashboard(page, person.name)
    for path in (routes.ADMIN, routes.ADMIN_MAIL):
        page.goto(path)
        expect(page.get_by_role("heading", name="Administrators only")).to_be_visible()
        expect(page.get_by_role("table")).to_have_count(0)
    expect(page.get_by_role("link", name="Admin")).to_have_count(0)


def test_session_cookie_is_httponly_and_a_revoked_session_stops_working(new_page, app):
    person = unique_person("Cookie Checker")
    page = new_page()
    register(page, person)
    expect_dashboard(page, person.name)
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "luckyclub_session"]
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    assert page.evaluate("document.cookie").find("luckyclub_session") == -1

    sign_out(page)  # revokes the session on the server

    # A browser that kept a copy of the old cookie is not signed in.
    replay = new_page()
    replay.context.add_cookies([cookie])
    replay.goto(routes.DASHBOARD)
    expect(replay).to_have_url(re.compile(r"/login"))
    expect(replay.get_by_role("button", name="Sign in")).to_be_visible()


def test_unknown_page_is_a_friendly_404(page):
    page.goto("/no-such-page")
    expect(page.get_by_role("heading", name="We could not find that page")).to_be_visible()


def test_phone_width_menu_offers_sign_in_and_join(new_page):
    page = new_page(width=375, height=740)
    page.goto("/")
    wait_until_live(page)
    page.get_by_role("button", name="Open menu").click()
    expect(page.get_by_role("menuitem", name="Sign in")).to_be_visible()
    expect(page.get_by_role("menuitem", name="Join")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page scrolls sideways on a phone ({width}px wide)"


def test_landing_page_screenshot_for_the_readme(page, app):
    page.goto("/")
    wait_until_live(page)
    expect(
        page.get_by_role("heading", name="Prize draws you can check for yourself")
    ).to_be_visible()
    page.screenshot(path=str(PROJECT_ROOT / "docs" / "screenshots" / "landing.png"))
    health = httpx.get(f"{app.url}/api/health").json()
    assert (health["status"], health["database"]) == ("ok", "ok")

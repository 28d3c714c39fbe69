"""The profile page's Responsible play card in a real browser, on a phone-sized screen."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from luckyclub.core import routes
from tests.e2e.conftest import unique_person
from tests.e2e.flows import expect_dashboard, register, wait_until_live

pytestmark = pytest.mark.e2e


def test_a_member_sets_a_limit_asks_for_more_and_takes_a_break_on_a_phone(new_page):
    page = new_page(width=375, height=740)
    person = unique_person("Pat Player")
    register(page, person)
    expect_dashboard(page, person.name)
    page.goto(routes.PROFILE)
    wait_until_live(page)
    expect(page.get_by_role("heading", name="Responsible play")).to_be_visible()
    expect(page.get_by_text("You have no monthly limit.")).to_be_visible()

    page.get_by_label("Monthly spend limit (£)").fill("40")
    page.get_by_role("button", name="Save limit").click()
    expect(page.get_by_text("Your monthly limit is now £40.")).to_be_visible()
    expect(
        page.get_by_role("progressbar", name="Share of your monthly limit spent")
    ).to_be_visible()

    page.get_by_label("Monthly spend limit (£)").fill("90")
    page.get_by_role("button", name="Save limit").click()
    expect(
        page.get_by_text(re.compile(r"Your limit will rise to £90 on .* (GMT|BST)\."))
    ).to_be_visible()

    page.get_by_label("Monthly spend limit (£)").fill("12.50")
    page.get_by_role("button", name="Save limit").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Enter your limit in whole pounds, like 50, or leave it empty for no limit."
    )

    page.get_by_label("Exclude me for").select_option(label="1 year")
    page.get_by_role("button", name="Continue").click()
    expect(
        page.get_by_text("Once it starts, a break cannot be undone or shortened.")
    ).to_be_visible()
    page.get_by_role("button", name="Yes, start my break").click()
    expect(page.get_by_text("You are taking a break from competitions until")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Your break has started\."))).to_be_visible()

    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

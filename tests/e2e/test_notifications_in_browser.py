"""Text-message settings as a member uses them in a real browser: the profile's mobile number."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from luckyclub.core import routes
from tests.e2e.conftest import unique_person
from tests.e2e.flows import expect_dashboard, register, wait_until_live

pytestmark = pytest.mark.e2e


def test_a_member_saves_a_uk_mobile_number_and_sees_it_in_international_form(page):
    person = unique_person("Tess Texter")
    register(page, person)
    expect_dashboard(page, person.name)
    page.goto(routes.PROFILE)
    wait_until_live(page)
    number = page.get_by_label("Mobile number for text messages")

    number.fill("0770 090 0")
    page.get_by_role("button", name="Save mobile number").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter a mobile number with its country code")

    number.fill("07700 900123")
    page.get_by_role("button", name="Save mobile number").click()
    expect(page.get_by_role("status")).to_have_text("Your mobile number is saved.")
    expect(number).to_have_value("+447700900123")

    page.reload()
    wait_until_live(page)
    expect(page.get_by_label("Mobile number for text messages")).to_have_value("+447700900123")

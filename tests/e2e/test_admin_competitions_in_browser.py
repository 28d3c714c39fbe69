"""The competitions console in a real browser: an admin creates a competition through the form,
activates it, records a free postal entry and finds ticket 1 among its orders."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from luckyclub.core import routes
from tests.e2e.flows import expect_dashboard, sign_in, wait_until_live

pytestmark = pytest.mark.e2e


def test_an_admin_creates_activates_and_records_a_postal_entry(page, admin):
    sign_in(page, admin.email, admin.password)
    expect_dashboard(page, admin.name)
    title = f"Win a camper van {secrets.token_hex(3)}"
    ends = (datetime.now(UTC) + timedelta(days=14)).strftime("%Y-%m-%dT%H:%M")

    page.goto(routes.ADMIN_COMPETITIONS)
    wait_until_live(page)
    expect(page.get_by_role("heading", name="Competitions", exact=True)).to_be_visible()
    page.get_by_label("Title").fill(title)
    page.get_by_label("Prize", exact=True).fill("A camper van")
    page.get_by_label("Description").fill("Two berths and a kettle.")
    page.get_by_label("Ticket price (£)").fill("2.50")
    page.get_by_label("Number of tickets").fill("500")
    page.get_by_label("Per-person limit").fill("25")
    page.get_by_label("Minimum tickets (0 = none)").fill("0")
    page.get_by_label("Number of winners").fill("1")
    page.get_by_label("One prize per person").check()
    page.get_by_label(re.compile(r"^End date/time")).fill(ends)
    page.get_by_label("Skill question").fill("What colour is the sky on a clear day?")
    page.get_by_label("Answers to choose from (one per line)").fill("Blue\nGreen\nRed")
    page.get_by_label("Right answer").fill("Blue")
    page.get_by_role("button", name="Create competition").click()

    expect(page.get_by_role("status")).to_contain_text("created as a draft")
    row = page.get_by_role("row", name=f"Competition {title}")
    expect(row).to_contain_text("Draft")
    expect(row).to_contain_text("0 / 500 sold")
    row.get_by_role("button", name="Activate").click()
    expect(page.get_by_role("status")).to_contain_text("Activated")
    expect(row).to_contain_text("On sale")

    row.get_by_role("link", name="Manage").click()
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    wait_until_live(page)
    page.get_by_label("Name", exact=True).fill("Pat Post")
    page.get_by_label("Postal address").fill("1 High Street, Leeds LS1 1AA")
    page.get_by_label("Answer", exact=True).select_option("Blue")
    page.get_by_role("button", name="Record postal entry").click()

    expect(page.get_by_role("status")).to_contain_text(
        "Postal entry recorded: ticket 1 for Pat Post."
    )
    order = page.get_by_role("row").filter(has_text="Pat Post")
    expect(order).to_contain_text("1 × numbers 1")
    expect(order).to_contain_text("Postal entry")
    expect(page.get_by_role("link", name="Export tickets (CSV)")).to_have_attribute(
        "href", re.compile(r"/api/admin/competitions/\d+/tickets\.csv$")
    )

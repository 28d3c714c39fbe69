"""The draws console in a real browser: a new raffle's draw is listed and an admin voids it."""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import expect

from luckyclub.core import routes
from tests.e2e.flows import expect_dashboard, sign_in, wait_until_live

pytestmark = pytest.mark.e2e


def test_an_admin_sees_a_new_raffles_draw_and_voids_it_with_a_reason(page, admin):
    sign_in(page, admin.email, admin.password)
    expect_dashboard(page, admin.name)
    month = f"20{secrets.randbelow(40) + 50}-0{secrets.randbelow(9) + 1}"
    page.goto(routes.ADMIN_RAFFLES)
    expect(page.get_by_role("heading", name="Raffles")).to_be_visible()
    page.get_by_label("Month (YYYY-MM)").fill(month)
    page.get_by_label("Title").fill(f"Kayak raffle {month}")
    page.get_by_label("Prize", exact=True).fill("A sea kayak")
    page.get_by_label("Winners").fill("2")
    page.get_by_role("button", name="Save raffle").click()
    expect(page.get_by_role("status")).to_contain_text("Raffle created")
    for label in ("Month (YYYY-MM)", "Title", "Prize"):  # the New raffle form starts afresh
        expect(page.get_by_label(label, exact=True)).to_have_value("")
    row = page.get_by_role("row").filter(has_text=month)
    expect(row).to_contain_text("2 to draw")

    page.goto(routes.ADMIN_DRAWS)
    wait_until_live(page)
    card = page.get_by_role("article", name=f"Draw Kayak raffle {month}")
    expect(card).to_contain_text("Open for entries")
    expect(card.get_by_role("button", name="Draw now")).to_be_enabled()

    card.get_by_role("button", name="Void").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("cannot be undone")
    dialog.get_by_label("Reason").fill("The sponsor withdrew the kayak")
    dialog.get_by_role("button", name="Void draw").click()

    expect(page.get_by_role("status")).to_contain_text("Draw void")
    expect(card).to_contain_text("The sponsor withdrew the kayak")
    expect(card.get_by_role("button", name="Draw now")).to_have_count(0)

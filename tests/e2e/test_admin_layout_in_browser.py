"""The admin console and a member's pages on a 375 px phone: tables stack rather than hide columns,
the draw history wraps, reason dialogs stay open until a reason is written, and Draw now on an open
raffle asks first. Screenshots land in the test's folder for a person to look at."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from luckyclub.core import routes
from tests.e2e.conftest import unique_person
from tests.e2e.flows import expect_dashboard, register, sign_in, wait_until_live

pytestmark = pytest.mark.e2e
# Six other suites share this 2-core machine: a page may take longer than 5 s to come alive.
expect.set_options(timeout=15_000)

PHONE = 375


def fits_the_phone(page: Page, locator) -> None:
    """The element is on screen without a sideways scroll: inside 0..375 px, and so is the page."""
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    assert box is not None, "not rendered"
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE + 0.5, box
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE


def new_open_raffle(page: Page) -> tuple[str, str]:
    """A raffle of a far month, made and opened by the signed-in admin: (month, title)."""
    month = f"20{secrets.randbelow(40) + 50}-{secrets.randbelow(9) + 1:02d}"
    title = f"Layout raffle {month} {secrets.token_hex(2)}"
    page.goto(routes.ADMIN_RAFFLES)
    wait_until_live(page)
    page.get_by_label("Month (YYYY-MM)").fill(month)
    page.get_by_label("Title").fill(title)
    page.get_by_label("Prize", exact=True).fill("A tent")
    page.get_by_role("button", name="Save raffle").click()
    expect(page.get_by_role("status")).to_contain_text("Raffle created")
    row = page.get_by_role("row").filter(has_text=title)
    row.get_by_role("button", name="Open for entries").click()
    expect(row).to_contain_text("open")
    return month, title


def test_a_members_ledger_fits_a_phone_with_its_entries_and_why(new_page, admin, tmp_path):
    desk = new_page()
    sign_in(desk, admin.email, admin.password)
    expect_dashboard(desk, admin.name)
    _, title = new_open_raffle(desk)

    member = unique_person("Pia Phone")
    phone = new_page(PHONE, 740)
    register(phone, member)
    expect_dashboard(phone, member.name)

    why = f"Thanks for stewarding the meetup {secrets.token_hex(2)}"
    grant = desk.locator("form").filter(has_text="Change entries")
    grant.get_by_label("Member's email").fill(member.email)
    raffle_choice = grant.get_by_label("Raffle", exact=True)
    chosen = raffle_choice.locator("option", has_text=title).get_attribute("value")
    raffle_choice.select_option(chosen)
    grant.get_by_label("Entries", exact=True).fill("5")
    grant.get_by_label("Reason (the member sees it)").fill(why)
    grant.get_by_role("button", name="Change entries").click()
    expect(desk.get_by_role("status")).to_contain_text("Entries changed")

    phone.reload()
    wait_until_live(phone)
    cell = phone.locator("td").filter(has_text=why)  # stacked on a phone, so not read as a grid
    expect(cell).to_be_visible()
    fits_the_phone(phone, cell)
    fits_the_phone(phone, phone.locator("td").filter(has_text=re.compile(r"^\+5$")))
    cell.screenshot(path=str(tmp_path / "ledger-phone.png"))
    phone.screenshot(path=str(tmp_path / "dashboard-phone.png"), full_page=True)


def test_every_member_action_fits_a_phone_and_the_ban_dialog_asks_for_a_reason(
    new_page, admin, tmp_path
):
    member = unique_person("Bo Banned")
    joining = new_page()
    register(joining, member)
    expect_dashboard(joining, member.name)

    phone = new_page(PHONE, 740)
    sign_in(phone, admin.email, admin.password)
    expect_dashboard(phone, admin.name)
    phone.goto(routes.ADMIN)
    wait_until_live(phone)
    row = phone.locator("tr").filter(has_text=member.email)
    for action in ("Ban", f"Tickets and orders of {member.email}", "Make admin", "Mark verified"):
        fits_the_phone(phone, row.get_by_role("button", name=action, exact=True))
    phone.screenshot(path=str(tmp_path / "members-phone.png"), full_page=True)

    row.get_by_role("button", name="Ban", exact=True).click()
    dialog = phone.get_by_role("dialog")
    expect(dialog).to_contain_text("signed out at once")
    dialog.get_by_role("button", name="Ban member").click()  # no reason yet
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("alert")).to_contain_text("Write a reason first")
    dialog.get_by_label("Reason").fill("Posting other people's addresses")
    dialog.get_by_role("button", name="Ban member").click()
    expect(dialog).to_be_hidden()
    expect(phone.get_by_role("status")).to_be_visible()
    expect(row.get_by_role("button", name="Unban")).to_be_visible()


def test_draw_now_on_an_open_raffle_asks_for_confirmation_and_a_reason(page, admin):
    sign_in(page, admin.email, admin.password)
    expect_dashboard(page, admin.name)
    _, title = new_open_raffle(page)
    page.goto(routes.ADMIN_DRAWS)
    wait_until_live(page)
    card = page.get_by_role("article", name=f"Draw {title}")
    expect(card).to_contain_text("Open for entries")

    card.get_by_role("button", name="Draw now").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("open for entries until")
    expect(dialog).to_contain_text("closes it at once")
    dialog.get_by_role("button", name="Close entries and draw now").click()
    expect(dialog.get_by_role("alert")).to_contain_text("Write a reason first")
    expect(dialog).to_be_visible()  # nothing happened: the dialog still asks

    dialog.get_by_label("Reason").fill("The sponsor needs the result this week")
    dialog.get_by_role("button", name="Close entries and draw now").click()
    expect(dialog).to_be_hidden()
    expect(card).not_to_contain_text("Open for entries")


def test_a_competitions_draw_history_wraps_on_a_phone(new_page, admin, tmp_path):
    desk = new_page()
    sign_in(desk, admin.email, admin.password)
    expect_dashboard(desk, admin.name)
    title = f"Win a kayak {secrets.token_hex(3)}"
    ends = (datetime.now(UTC) + timedelta(days=14)).strftime("%Y-%m-%dT%H:%M")
    desk.goto(routes.ADMIN_COMPETITIONS)
    wait_until_live(desk)
    desk.get_by_label("Title").fill(title)
    desk.get_by_label("Prize", exact=True).fill("A sea kayak")
    desk.get_by_label("Ticket price (£)").fill("2.50")
    desk.get_by_label("Number of tickets").fill("500")
    desk.get_by_label("Per-person limit").fill("25")
    desk.get_by_label("Minimum tickets (0 = none)").fill("0")
    desk.get_by_label("Number of winners").fill("1")
    desk.get_by_label(re.compile(r"^End date/time")).fill(ends)
    desk.get_by_label("Skill question").fill("What colour is the sky on a clear day?")
    desk.get_by_label("Answers to choose from (one per line)").fill("Blue\nGreen\nRed")
    desk.get_by_label("Right answer").fill("Blue")
    desk.get_by_role("button", name="Create competition").click()
    expect(desk.get_by_role("status")).to_contain_text("created as a draft")
    row = desk.get_by_role("row", name=f"Competition {title}")
    row.get_by_role("button", name="Activate").click()
    expect(row).to_contain_text("On sale")
    row.get_by_role("link", name="Manage").click()
    expect(desk.get_by_role("heading", name=title)).to_be_visible()
    address = desk.url

    phone = new_page(PHONE, 740)
    sign_in(phone, admin.email, admin.password)
    expect_dashboard(phone, admin.name)
    phone.goto(address)
    wait_until_live(phone)
    history = phone.locator("ol").filter(has_text="Draw scheduled; its commitment")
    expect(history).to_be_visible()
    fits_the_phone(phone, history)
    history.screenshot(path=str(tmp_path / "draw-history-phone.png"))


def test_the_grant_form_dropdown_and_labels_match_the_other_fields(page, admin, tmp_path):
    sign_in(page, admin.email, admin.password)
    expect_dashboard(page, admin.name)
    page.goto(routes.ADMIN_RAFFLES)
    wait_until_live(page)
    choice = page.get_by_label("Raffle", exact=True)
    email = page.get_by_label("Member's email")
    expect(choice).to_be_visible()
    assert choice.bounding_box()["height"] >= email.bounding_box()["height"] - 1
    assert choice.bounding_box()["width"] >= email.bounding_box()["width"] - 1
    assert choice.evaluate("e => getComputedStyle(e).borderTopStyle") == "solid"
    sizes = page.locator("form label").evaluate_all(
        "labels => [...new Set(labels.map(l => getComputedStyle(l).fontSize))]"
    )
    assert len(sizes) == 1, sizes
    page.screenshot(path=str(tmp_path / "raffles-desktop.png"), full_page=True)


def test_profile_uses_a_desktops_width_in_two_columns(page, admin, tmp_path):
    sign_in(page, admin.email, admin.password)
    expect_dashboard(page, admin.name)
    page.goto(routes.PROFILE)
    wait_until_live(page)
    names = page.get_by_role("heading", name="Name and timezone")
    texts = page.get_by_role("heading", name="Text messages")
    expect(texts).to_be_visible()
    left, right = names.bounding_box(), texts.bounding_box()
    assert abs(left["y"] - right["y"]) < 2 and right["x"] > 500  # side by side
    page.screenshot(path=str(tmp_path / "profile-desktop.png"), full_page=True)


def test_the_404_heading_is_centred_with_its_icon_on_a_phone(new_page, tmp_path):
    phone = new_page(PHONE, 740)
    phone.goto("/no-such-page")
    heading = phone.get_by_role("heading", name="We could not find that page")
    expect(heading).to_be_visible()
    assert heading.evaluate("e => getComputedStyle(e).textAlign") == "center"
    phone.screenshot(path=str(tmp_path / "404-phone.png"))


def test_the_rules_lists_show_their_bullets(page):
    page.goto(routes.COMPETITION_RULES)
    item = page.get_by_role("listitem").first
    expect(item).to_be_visible()
    assert item.evaluate("e => getComputedStyle(e.parentElement).listStyleType") == "disc"

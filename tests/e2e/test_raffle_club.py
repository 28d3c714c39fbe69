"""The raffle club in a real browser: an admin opens the month's raffle, a member joins through the
test checkout, uploads a proof, and watches their entries rise when the admin approves it."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import update

from luckyclub.core import db, routes
from luckyclub.models import User, utcnow
from tests.e2e.conftest import PROJECT_ROOT, unique_person
from tests.e2e.flows import expect_dashboard, register, sign_in

pytestmark = pytest.mark.e2e


def _png(tmp_path, colour=(200, 40, 90)) -> str:
    path = tmp_path / "shared-post.png"
    buffer = io.BytesIO()
    Image.new("RGB", (320, 200), colour).save(buffer, "PNG")
    path.write_bytes(buffer.getvalue())
    return str(path)


def _open_this_months_raffle(admin_page, kind_name: str) -> None:
    admin_page.goto(routes.ADMIN_RAFFLES)
    month = datetime.now(UTC).strftime("%Y-%m")
    existing = admin_page.get_by_role("row").filter(has_text=month)
    expect(admin_page.get_by_role("heading", name="Raffles")).to_be_visible()
    if existing.count() == 0:
        admin_page.get_by_label("Month (YYYY-MM)").fill(month)
        admin_page.get_by_label("Title").fill("Laptop raffle")
        admin_page.get_by_label("Prize").fill("A Dell XPS 13")
        admin_page.get_by_role("button", name="Save raffle").click()
        expect(admin_page.get_by_role("status")).to_contain_text("Raffle created")
    row = admin_page.get_by_role("row").filter(has_text=month)
    if row.get_by_role("button", name="Open for entries").count():
        row.get_by_role("button", name="Open for entries").click()
        expect(row).to_contain_text("open")

    admin_page.goto(routes.ADMIN_PROOFS)
    expect(admin_page.get_by_role("heading", name="Review queue")).to_be_visible()
    admin_page.get_by_label("Kind of proof").fill(kind_name)
    admin_page.get_by_label("Entries it earns").fill("3")
    admin_page.get_by_role("button", name="Add proof kind").click()
    expect(admin_page.get_by_text(kind_name)).to_be_visible()


def _confirm_email(app, email: str) -> None:
    """As following the emailed link would: sending a proof needs a confirmed address."""
    db.use_database(app.database_url)
    try:
        with db.session_scope() as s:
            s.exec(update(User).where(User.email == email).values(email_verified_at=utcnow()))
    finally:
        db.use_database(None)


def total_entries(page):
    return page.get_by_role("group", name="Total entries")


def test_member_joins_uploads_a_proof_and_sees_entries_rise_when_admin_approves(
    app, new_page, admin, tmp_path
):
    admin_page = new_page()
    sign_in(admin_page, admin.email, admin.password)
    expect_dashboard(admin_page, admin.name)
    kind = "Shared the raffle on social media"
    _open_this_months_raffle(admin_page, kind)

    member = unique_person("Jamie Joiner")
    member_page = new_page()
    register(member_page, member)
    expect_dashboard(member_page, member.name)
    _confirm_email(app, member.email)
    expect(member_page.get_by_role("heading", name="Laptop raffle")).to_be_visible()

    # Join through the built-in test checkout: the same webhook code as a real Stripe payment.
    member_page.get_by_role("button", name="Join the club").click()
    expect(member_page.get_by_text("Test payment mode")).to_be_visible()
    member_page.get_by_role("button", name="Pay").click()
    expect(member_page.get_by_text("Welcome to the club!")).to_be_visible()
    expect(total_entries(member_page)).to_contain_text("15")

    # Upload a proof.
    member_page.get_by_label("What does your proof show?").select_option(label=f"{kind} (+3)")
    with member_page.expect_file_chooser() as chooser:
        member_page.get_by_role("button", name="Choose a file").click()
    chooser.value.set_files(_png(tmp_path))
    note = member_page.get_by_label("Note for the reviewer (optional)")
    note.fill("Posted on my timeline")
    member_page.get_by_role("button", name="Upload proof").click()
    expect(member_page.get_by_text("Your proof is waiting for review")).to_be_visible()
    expect(note).to_have_value("")  # the form starts afresh for the next proof

    # The admin's open queue shows it without a reload, and approves it.
    proof = admin_page.get_by_role("article", name=f"Proof from {member.name}")
    expect(proof).to_be_visible(timeout=10_000)
    proof.get_by_role("button", name="Approve").click()
    expect(admin_page.get_by_role("status").filter(has_text="Approved")).to_be_visible()

    # The member's open dashboard rises without a reload.
    expect(total_entries(member_page)).to_contain_text("18", timeout=5_000)
    expect(member_page.get_by_role("cell", name="Approved proof", exact=True)).to_be_visible()
    expect(member_page.get_by_text("approved", exact=True)).to_be_visible()
    member_page.evaluate("window.scrollTo(0, 0)")
    member_page.screenshot(path=str(PROJECT_ROOT / "docs" / "screenshots" / "dashboard.png"))

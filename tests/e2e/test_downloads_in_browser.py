"""Files in a real browser: a member clicks "Download as CSV" on the dashboard, and anyone clicks
"Download the proof (JSON)" and "Download the snapshot" on a draw's page — each saves the file,
never the app's "not found" page (a link routed inside the app would show that)."""

from __future__ import annotations

import csv
import io
import json
import secrets
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from luckyclub.club import ledger, raffles
from luckyclub.core import db, routes
from luckyclub.models import LedgerSource, Raffle, RaffleStatus, User, utcnow
from luckyclub.platform import draws, programs
from tests.e2e.conftest import unique_person
from tests.e2e.flows import register, wait_until_live

pytestmark = pytest.mark.e2e


@pytest.fixture()
def app_database(app):
    db.use_database(app.database_url)
    yield
    db.use_database(None)


def _drawn_raffle_entered_by(email: str) -> int:
    """A past raffle the member holds 4 entries in, drawn without a beacon; its draw id."""
    closes = utcnow() - timedelta(minutes=1)
    with db.session_scope() as s:
        member = s.exec(select(User).where(User.email == email)).one()
        raffle = Raffle(
            program_id=programs.club_id(s),
            month=f"18{secrets.randbelow(90) + 10}-{secrets.randbelow(12) + 1:02d}",
            title=f"Download raffle {secrets.token_hex(3)}",
            prize="A hamper",
            closes_at=closes,
            status=RaffleStatus.OPEN,
        )
        s.add(raffle)
        s.flush()
        draw = raffles.schedule_draw(s, raffle)
        draw.use_beacon = False
        draw.no_beacon_reason = "Browser test: drawn without a public beacon."
        ledger.credit(
            s,
            raffle_id=raffle.id,
            user_id=member.id,
            source=LedgerSource.BONUS,
            amount=4,
            key=f"e2e-download:{raffle.id}",
            now=closes - timedelta(hours=1),
        )
        draw_id = draw.id
    assert "drawn" in [o.status for o in draws.run_due()]
    return draw_id


def _download(page, link_name: str) -> bytes:
    with page.expect_download() as info:
        page.get_by_role("link", name=link_name).click()
    download = info.value
    assert download.failure() is None
    return open(download.path(), "rb").read()


def test_the_ledger_proof_and_snapshot_links_download_their_files(page, app_database):
    member = unique_person("Dana Downloader")
    register(page, member)
    # Creating an account hashes the password (argon2): slow on a loaded 2-core machine.
    welcome = page.get_by_role("heading", name=f"Welcome, {member.name}")
    expect(welcome).to_be_visible(timeout=60_000)
    draw_id = _drawn_raffle_entered_by(member.email)
    page.reload()
    wait_until_live(page)

    rows = list(csv.DictReader(io.StringIO(_download(page, "Download as CSV").decode())))
    assert [(r["source"], r["entries"]) for r in rows] == [("bonus", "4")]
    assert page.url.rstrip("/").endswith(routes.DASHBOARD)  # still there, no "not found"

    page.goto(routes.draw_page(draw_id))
    wait_until_live(page)
    expect(page.get_by_role("heading", name="We could not find that page")).to_have_count(0)
    proof = json.loads(_download(page, "Download the proof (JSON)"))
    snapshot = _download(page, "Download the snapshot").decode()
    assert proof["snapshot"] == snapshot and proof["seed"]  # the frozen entries, the revealed seed
    assert snapshot.count("\n") >= 1
    assert page.url.rstrip("/").endswith(routes.draw_page(draw_id))

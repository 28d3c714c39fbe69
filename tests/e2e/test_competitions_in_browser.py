"""Prize competitions in a real browser: a member answers the question and buys three tickets in the
test-payment mode while a visitor watches the list's progress bar move; then the draw falls due,
another process makes it (as cron would), a spectator of the live page sees the winning ticket
revealed and the member's competition page shows it, all without reloading."""

from __future__ import annotations

import re
import secrets
import time
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import update
from sqlmodel import select

from luckyclub.competitions import catalogue
from luckyclub.core import db, routes
from luckyclub.core.settings import get_settings
from luckyclub.models import Competition, Draw, DrawWinner, Role, User, utcnow
from luckyclub.platform import draws
from tests.db.factories import add_user
from tests.e2e.conftest import unique_person
from tests.e2e.flows import (
    expect_dashboard,
    register,
    reveal_seen,
    wait_until_live,
    watch_the_reveal,
)

pytestmark = pytest.mark.e2e

DRAW_IN = timedelta(seconds=20)  # time to open the live page before the draw is due


@pytest.fixture()
def app_database(app, monkeypatch):
    """This test's own services talk to the running app's database with the app's secret key (the
    skill question's answer is stored keyed with it), and draw without a drand round."""
    monkeypatch.setenv("LUCKYCLUB_DATA_DIR", app.env["LUCKYCLUB_DATA_DIR"])
    monkeypatch.setenv("DATABASE_URL", app.database_url)
    monkeypatch.setenv("DRAW_BEACON", "0")
    get_settings.cache_clear()
    db.use_database(app.database_url)
    yield
    db.use_database(None)
    monkeypatch.undo()
    get_settings.cache_clear()


def competition_on_sale(title: str, ends_in: timedelta = timedelta(days=1)) -> tuple[int, int]:
    """A competition of 20 tickets at £2.50, on sale for a day (or `ends_in`); its id and its
    draw's id."""
    now = utcnow()
    with db.session_scope() as s:
        admin = add_user(s, f"admin-{secrets.token_hex(4)}@example.com", Role.ADMIN)
        competition = catalogue.create(
            s,
            admin,
            title=title,
            prize="A carbon road bike",
            description="Size 56, delivered to your door.",
            ticket_price_pence=250,
            max_tickets=20,
            per_person_limit=10,
            starts_at=now - timedelta(minutes=5),
            ends_at=now + ends_in,
            question="What is the capital of France?",
            choices=["Paris", "Lyon", "Nice"],
            answer="Paris",
        )
        catalogue.activate(s, admin, competition.id)
        draw = catalogue.draw_of(s, competition.id)
        return competition.id, draw.id


def _sales_close_now(competition_id: int, draw_id: int) -> float:
    """Sales end now and the draw falls due shortly (monotonic time when it is due)."""
    now = utcnow().replace(microsecond=0)
    draw_at = now + DRAW_IN
    with db.session_scope() as s:
        s.exec(
            update(Competition)
            .where(Competition.id == competition_id)
            .values(ends_at=now - timedelta(seconds=1), draw_at=draw_at)
        )
        s.exec(update(Draw).where(Draw.id == draw_id).values(draw_at=draw_at))
    return time.monotonic() + DRAW_IN.total_seconds()


def test_a_member_buys_tickets_and_everyone_sees_the_draw(new_page, app_database):
    title = f"Win a bike {secrets.token_hex(3)}"
    competition_id, draw_id = competition_on_sale(title)

    watcher = new_page(width=390, height=800)  # a visitor on a phone, watching the list
    watcher.goto(routes.COMPETITIONS)
    wait_until_live(watcher)
    watched = watcher.get_by_role("article", name=title)
    expect(watched).to_contain_text("0 of 20 sold")
    expect(watched.get_by_role("timer")).to_be_visible()
    watcher.evaluate("window.notReloaded = true")  # gone if the page loads again

    member = new_page()
    person = unique_person("Casey Buyer")
    register(member, person)
    expect_dashboard(member, person.name)
    with db.session_scope() as s:
        s.exec(update(User).where(User.email == person.email).values(email_verified_at=utcnow()))

    member.get_by_role("navigation", name="Main").get_by_role("link", name="Competitions").click()
    member.wait_for_url(re.compile(rf"{routes.COMPETITIONS}/?$"))
    wait_until_live(member)
    card = member.get_by_role("article", name=title)
    expect(card).to_contain_text("0 of 20 sold")
    expect(card).to_contain_text("£2.50")
    card.get_by_role("link", name="Enter now").click()
    member.wait_for_url(re.compile(rf"{routes.competition_page(competition_id)}/?$"))
    wait_until_live(member)
    expect(member.get_by_role("heading", name=title)).to_be_visible()

    question = member.get_by_role("radiogroup", name="What is the capital of France?")
    question.get_by_role("radio", name="Lyon").click()
    member.get_by_label("Number of tickets").fill("3")
    member.get_by_role("button", name="Pay £7.50").click()
    expect(member.get_by_role("alert").filter(has_text="That answer is not right")).to_be_visible()

    question.get_by_role("radio", name="Paris").click()
    member.get_by_role("button", name="Pay £7.50").click()
    member.wait_for_url(re.compile(re.escape(routes.COMPETITION_TEST_CHECKOUT)))
    wait_until_live(member)
    expect(member.get_by_text("Held until")).to_be_visible()
    member.get_by_role("button", name="Pay £7.50 (test)").click()

    member.wait_for_url(re.compile(rf"{routes.competition_page(competition_id)}"))
    wait_until_live(member)
    expect(member.locator("#my-tickets")).to_have_text("Your tickets: 1–3")
    expect(member.get_by_role("status").filter(has_text="Payment received")).to_be_visible()
    expect(watched).to_contain_text("3 of 20 sold")  # the visitor's list moved by itself
    assert watcher.evaluate("window.notReloaded === true")

    due = _sales_close_now(competition_id, draw_id)
    spectator = new_page()
    spectator.goto(routes.live_page(draw_id))
    wait_until_live(spectator)
    expect(spectator.get_by_role("heading", name=title)).to_be_visible()
    expect(spectator.get_by_role("group", name="Tickets")).to_contain_text("3")
    expect(spectator.get_by_role("group", name="Entrants")).to_contain_text("1")
    watch_the_reveal(spectator)

    time.sleep(max(0.0, due - time.monotonic()) + 1)
    outcomes = draws.run_due()  # another process draws it, as cron would
    assert "drawn" in [o.status for o in outcomes]
    with db.session_scope() as s:
        winning = s.exec(select(DrawWinner.ticket).where(DrawWinner.draw_id == draw_id)).one()
    assert winning in (1, 2, 3)

    result = spectator.locator("#winner-card")
    expect(result).to_be_visible(timeout=40_000)
    expect(result.get_by_role("heading", name="We have a winner!")).to_be_visible()
    expect(result).to_contain_text(f"Ticket {winning}")
    assert "The winning ticket" in reveal_seen(spectator)  # the room's reveal

    drawn = member.locator("#competition-result")  # the member's page, never reloaded
    expect(drawn).to_be_visible(timeout=20_000)
    expect(drawn.get_by_role("heading", name="The winning ticket")).to_be_visible()
    expect(drawn).to_contain_text(f"Ticket {winning}")
    expect(drawn).to_contain_text("Won by you!")  # the member holds every ticket
    expect(member.locator("#my-tickets")).to_contain_text("You won!")
    expect(drawn.get_by_role("link", name="Watch the live draw replay")).to_have_attribute(
        "href", routes.live_page(draw_id)
    )
    drawn.get_by_role("link", name="See the proof and check the draw").click()
    member.wait_for_url(re.compile(rf"{routes.draw_page(draw_id)}/?$"))
    wait_until_live(member)
    member.get_by_label("Your ticket number").fill(str(winning))
    member.get_by_role("button", name="Check my entry").click()
    expect(member.get_by_text("The Merkle proof checks out")).to_be_visible()


def test_the_rules_explain_free_postal_entry(page):
    page.goto(routes.COMPETITION_RULES)
    wait_until_live(page)
    expect(page.get_by_role("heading", name="Free postal entry")).to_be_visible()
    expect(page.locator("#postal-address")).to_contain_text("PO Box")

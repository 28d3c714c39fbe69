"""Live pages are pushed, not polled: an open tab sends the server nothing while nothing changes,
its countdown ticks in the browser, a change made elsewhere reaches it, and a countdown reaching
zero asks the server once."""

from __future__ import annotations

import secrets
import time
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import update

from luckyclub.core import db, routes
from luckyclub.models import Competition
from luckyclub.platform import changes
from tests.e2e.flows import wait_until_live
from tests.e2e.test_competitions_in_browser import (  # noqa: F401 - a fixture, and a factory
    app_database,
    competition_on_sale,
)

# app_database: these tests write to the app's database, as another process would
pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("app_database")]

QUIET_SECONDS = 4


def _events_sent(page: Page) -> list[str]:
    """Start recording the Reflex events this tab sends (not the websocket's own pings)."""
    sent: list[str] = []

    def on_socket(socket) -> None:
        socket.on(
            "framesent", lambda frame: sent.append(str(frame)) if "event" in str(frame) else None
        )

    page.on("websocket", on_socket)
    return sent


def _timer_seconds(page: Page, name: str) -> str:
    return page.get_by_role("timer", name=name).inner_text()


def test_an_open_tab_sends_nothing_while_nothing_changes_and_hears_a_change(new_page):
    title = f"Win a canoe {secrets.token_hex(3)}"
    competition_id = competition_on_sale(title, timedelta(days=2))[0]
    page = new_page()
    sent = _events_sent(page)
    page.goto(routes.COMPETITIONS)
    wait_until_live(page)
    card = page.get_by_role("article", name=title)
    expect(card).to_contain_text("0 of 20 sold")
    page.evaluate("window.notReloaded = true")
    before = len(sent)
    first = _timer_seconds(page, f"Time left to enter {title}")

    time.sleep(QUIET_SECONDS)

    assert sent[before:] == []  # no heartbeat: the countdown ticks in the browser
    assert _timer_seconds(page, f"Time left to enter {title}") != first
    with db.session_scope() as s:  # an admin's change, made by another process
        s.exec(update(Competition).where(Competition.id == competition_id).values(max_tickets=30))
        changes.announce(s, changes.COMPETITIONS, changes.competition(competition_id))
    expect(card).to_contain_text("0 of 30 sold")
    assert page.evaluate("window.notReloaded") is True  # pushed into the open page


def test_a_countdown_at_zero_asks_once_and_the_page_moves_on(new_page):
    title = f"Win a kayak {secrets.token_hex(3)}"
    competition_id = competition_on_sale(title, timedelta(seconds=6))[0]
    page = new_page()
    sent = _events_sent(page)
    page.goto(routes.competition_page(competition_id))
    wait_until_live(page)
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    before = len(sent)

    expect(page.get_by_role("timer", name="Time left to enter")).to_be_visible()

    expect(page.get_by_text("Sales closed — drawn at")).to_be_visible(timeout=20_000)
    asks = [frame for frame in sent[before:] if ".ask" in frame]
    assert len(asks) == 1, sent[before:]

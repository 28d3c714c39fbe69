"""A signup lottery in a real browser: a creator makes a lottery list of two events, two families
enter their members, the lottery runs (in this test's process, as the jobs runner would) and every
open list page shows the result without a reload; a winner accepts from the link in their email,
and an offer left to expire passes to the next person on the waitlist, who sees it on My signups."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import update
from sqlmodel import col, select

from luckyclub.core import db, routes
from luckyclub.core.settings import PROJECT_ROOT
from luckyclub.lotteries import signups
from luckyclub.models import (
    Draw,
    ListElement,
    OutboxMessage,
    Signup,
    SignupList,
    SignupStatus,
    User,
    WaitlistEntry,
    utcnow,
)
from luckyclub.platform import draws
from tests.e2e.conftest import Person, unique_person
from tests.e2e.flows import expect_dashboard, register, wait_until_live

pytestmark = pytest.mark.e2e

ZONE = "Europe/London"  # the zone every test person registers with (flows.register)
SCREENSHOT = PROJECT_ROOT / "docs" / "screenshots" / "lottery-list.png"


@pytest.fixture()
def app_database(app):
    """This test's own session_scope() talks to the running app's database."""
    db.use_database(app.database_url)
    yield
    db.use_database(None)


def _member(new_page, name: str) -> tuple[Page, Person]:
    page = new_page()
    person = unique_person(name)
    register(page, person)
    expect_dashboard(page, person.name)
    return page, person


def _add_family(page: Page, *names: str) -> None:
    page.goto(routes.FAMILY)
    wait_until_live(page)
    for name in names:
        page.get_by_label("Name", exact=True).fill(name)
        page.get_by_role("button", name="Add family member").click()
        expect(page.get_by_role("status")).to_contain_text(f"{name} is in your family now.")


def _create_lottery_list(page: Page, title: str) -> int:
    page.goto(routes.LISTS)
    wait_until_live(page)
    page.get_by_label("Title").fill(title)
    page.get_by_label("Description").fill("Two sessions at the pool and the wall.")
    day = (utcnow() + timedelta(days=30)).date().isoformat()
    page.get_by_label("Event 1 name").fill("Swimming")
    page.get_by_label("Event 1 date").fill(day)
    page.get_by_label("Event 1 time (optional)").fill("10:00")
    page.get_by_label("Event 1 spots").fill("2")
    page.get_by_role("button", name="Add an event").click()
    page.get_by_label("Event 2 name").fill("Climbing")
    page.get_by_label("Event 2 date").fill(day)
    page.get_by_label("Event 2 spots").fill("1")
    page.get_by_label("Keep a waitlist when an element is full").check()
    page.get_by_label("Enable lottery for this list").check()
    expect(page.get_by_text(f"Times are in your timezone: {ZONE}")).to_be_visible()
    expect(page.get_by_text("Lottery cannot be disabled once the list is created.")).to_be_visible()

    too_soon = (utcnow() + timedelta(minutes=20)).astimezone(ZoneInfo(ZONE))
    lottery = page.get_by_label("Lottery will run on")
    lottery.fill(too_soon.strftime("%Y-%m-%dT%H:%M"))
    # The browser's own check (min) would stop the form: lift it, so the server's check shows.
    lottery.evaluate("input => input.removeAttribute('min')")
    page.get_by_role("button", name="Create list").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Lottery time must be at least 1 hour from now"
    )

    later = (utcnow() + timedelta(hours=3)).astimezone(ZoneInfo(ZONE))
    lottery.fill(later.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Create list").click()
    page.wait_for_url(re.compile(r"/lists/\d+$"))
    wait_until_live(page)
    return int(page.url.rstrip("/").rsplit("/", 1)[-1])


def _element(page: Page, name: str):
    return page.get_by_role("region", name=re.compile(f"^{name}"))


def _enter(page: Page, list_id: int, element: str, *members: str) -> None:
    card = _element(page, element)
    for member in members:
        card.get_by_label(member, exact=True).check()
    card.get_by_role("button", name="Enter lottery").click()
    expect(page.get_by_role("status")).to_contain_text("Entered in the lottery.")


def _lottery_time_passes(list_id: int) -> None:
    """Bring the lottery's time into the past (the form refuses less than 1 hour ahead), drawn
    without a public beacon (none in tests)."""
    past = utcnow() - timedelta(minutes=1)
    with db.session_scope() as s:
        s.exec(update(SignupList).where(col(SignupList.id) == list_id).values(lottery_at=past))
        s.exec(
            update(Draw)
            .where(col(Draw.mode) == "lottery", col(Draw.source_id) == list_id)
            .values(
                draw_at=past,
                use_beacon=False,
                no_beacon_reason="Browser test: drawn without a public beacon.",
            )
        )


def _run_the_lottery() -> None:
    """Run the due draws as the jobs runner would."""
    outcomes = draws.run_due()
    assert "drawn" in [o.status for o in outcomes]


@dataclass(frozen=True)
class Offer:
    signup_id: int
    token: str
    source: str
    user_id: int
    email: str


def _pending(list_id: int, element: str) -> list[Offer]:
    with db.session_scope() as session:
        rows = session.exec(
            select(Signup, User)
            .join(ListElement, col(ListElement.id) == col(Signup.element_id))
            .join(User, col(User.id) == col(Signup.user_id))
            .where(
                Signup.list_id == list_id,
                ListElement.name == element,
                Signup.status == SignupStatus.PENDING,
            )
        ).all()
        return [
            Offer(s.id or 0, s.accept_token or "", s.source, user.id or 0, user.email)
            for s, user in rows
        ]


def _waiting(list_id: int, element: str) -> list[int]:
    with db.session_scope() as s:
        return list(
            s.exec(
                select(WaitlistEntry.user_id)
                .join(ListElement, col(ListElement.id) == col(WaitlistEntry.element_id))
                .where(WaitlistEntry.list_id == list_id, ListElement.name == element)
                .order_by(col(WaitlistEntry.position))
            ).all()
        )


def _mail_to(email: str) -> str:
    with db.session_scope() as s:
        bodies = s.exec(
            select(OutboxMessage.text_body).where(OutboxMessage.to_address == email)
        ).all()
    return "\n".join(bodies)


def test_two_families_enter_a_lottery_and_its_offers_are_accepted_or_pass_on(
    new_page, app_database
):
    creator, creator_person = _member(new_page, "Cara Creator")
    list_id = _create_lottery_list(creator, "Summer sessions")
    expect(creator.get_by_text("🎲 This is a lottery list")).to_be_visible()
    expect(creator.get_by_text(re.compile(r"Lottery runs on .* (GMT|BST)"))).to_be_visible()
    expect(creator.get_by_role("timer")).to_be_visible()

    ann, ann_person = _member(new_page, "Ann Adams")
    _add_family(ann, "Alfie Adams")
    bob, bob_person = _member(new_page, "Bob Brown")
    people = {ann_person.email: ann, bob_person.email: bob}
    for page in people.values():
        page.goto(routes.list_page(list_id))
        wait_until_live(page)
    _enter(ann, list_id, "Swimming", "Ann Adams", "Alfie Adams")
    _enter(ann, list_id, "Climbing", "Ann Adams")
    expect(_element(ann, "Swimming")).to_contain_text("You entered: Ann Adams, Alfie Adams")
    _enter(bob, list_id, "Swimming", "Bob Brown")
    _enter(bob, list_id, "Climbing", "Bob Brown")
    # Everyone's open page counts the entries as they come, without a reload.
    expect(_element(creator, "Swimming")).to_contain_text("3 entries")
    expect(_element(creator, "Climbing")).to_contain_text("2 entries")

    _lottery_time_passes(list_id)
    bob.reload()  # (an open page learns it at its countdown's zero)
    wait_until_live(bob)
    expect(bob.get_by_role("status").filter(has_text="Lottery in progress")).to_be_visible()
    expect(_element(bob, "Swimming").get_by_role("button")).to_have_count(0)  # nothing to do

    _run_the_lottery()

    for page in (creator, ann, bob):  # never reloaded: the result is pushed
        expect(page.get_by_text("Lottery completed on")).to_be_visible(timeout=30_000)
        expect(page.get_by_role("link", name="See the proof")).to_be_visible()
        expect(_element(page, "Swimming")).to_contain_text("2 spots taken")
    assert creator.url.endswith(routes.list_page(list_id))
    # Each entrant's family members' refs, to check their entries on the draw's page.
    expect(ann.get_by_text("Your entrant refs, to check on the draw's page:")).to_be_visible()
    expect(ann.get_by_text(re.compile(r"^Alfie Adams: [0-9a-f]{32}$"))).to_be_visible()
    expect(creator.get_by_text("Your entrant refs, to check on the draw's page:")).to_have_count(0)
    alfie_ref = ann.get_by_text(re.compile(r"^Alfie Adams: ")).inner_text().split(": ")[1]
    # The proof re-runs in the browser, and Ann finds Alfie's entries in the frozen snapshot.
    ann.get_by_role("link", name="See the proof").click()
    ann.wait_for_url(re.compile(r"/draws/[0-9]+$"))
    wait_until_live(ann)
    ann.get_by_role("button", name="Re-run the verification").click()
    expect(ann.get_by_role("status").filter(has_text="Verified")).to_be_visible()
    ann.get_by_label("Your entrant ref").fill(alfie_ref)
    ann.get_by_role("button", name="Check my entry").click()
    expect(ann.get_by_text("The Merkle proof checks out")).to_be_visible()
    creator.screenshot(path=str(SCREENSHOT), full_page=True)

    # A Swimming winner accepts from the link in their email.
    [won, *_] = _pending(list_id, "Swimming")
    link = routes.offer_page(won.token)
    assert link in _mail_to(won.email)
    page = people[won.email]
    page.goto(link)
    wait_until_live(page)
    expect(page.get_by_role("heading", name=re.compile("^Swimming"))).to_be_visible()
    page.get_by_role("button", name="Accept").click()
    expect(page.get_by_role("status")).to_contain_text("Accepted: the spot is yours.")

    # Climbing's winner lets the offer run out: it passes to the one on its waitlist.
    [offered] = _pending(list_id, "Climbing")
    [second_id] = _waiting(list_id, "Climbing")
    second = next(e for e in people if e != offered.email)
    second_page = people[second]
    second_page.goto(routes.MY_SIGNUPS)
    wait_until_live(second_page)
    expect(second_page.get_by_role("heading", name="My signups")).to_be_visible()
    with db.session_scope() as s:
        s.exec(
            update(Signup)
            .where(col(Signup.id) == offered.signup_id)
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
    with db.session_scope() as s:
        assert signups.expire_offers(s, utcnow()) == 1
    [passed_on] = _pending(list_id, "Climbing")
    assert passed_on.user_id == second_id and passed_on.source == "waitlist"
    # My signups follows the member: the offer appears there without a reload.
    expect(second_page.get_by_role("button", name=re.compile("^Accept .*Climbing"))).to_be_visible(
        timeout=30_000
    )
    expect(second_page.get_by_text(re.compile("Offer: accept by")).first).to_be_visible()

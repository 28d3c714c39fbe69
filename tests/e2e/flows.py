"""Steps a person takes in the browser, shared by the end-to-end tests."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

WELCOME = re.compile(r"^Welcome, ")


def wait_until_live(page: Page) -> None:
    """Reflex pages act once their websocket is up; the shell's banner is hidden by then."""
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()


def register(page: Page, person, *, date_of_birth: str = "1990-04-21") -> None:
    """Join, then sign in with the new account, as a new member does after the thank-you."""
    submit_join_form(page, person, date_of_birth=date_of_birth)
    # Joining spends an argon2id hash: on a busy 2-core machine that alone can take seconds.
    expect(page.get_by_role("status")).to_contain_text("Thank you for joining", timeout=15_000)
    sign_in(page, person.email, person.password)


def submit_join_form(page: Page, person, *, date_of_birth: str = "1990-04-21") -> None:
    page.goto("/register")
    wait_until_live(page)
    page.get_by_label("Email").fill(person.email)
    page.get_by_label("Display name").fill(person.name)
    page.get_by_label("Password").fill(person.password)
    page.get_by_label("Date of birth").fill(date_of_birth)
    page.get_by_label("Timezone").select_option("Europe/London")
    page.get_by_role("button", name="Create account").click()


def sign_in(page: Page, email: str, password: str, *, path: str = "/login") -> None:
    page.goto(path)
    wait_until_live(page)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def expect_dashboard(page: Page, name: str) -> None:
    # After signing in the browser loads the dashboard in full (a new websocket, then on_load).
    expect(page.get_by_role("heading", name=f"Welcome, {name}")).to_be_visible(timeout=15_000)


def sign_out(page: Page) -> None:
    """Sign out and wait for the browser to land on the home page with its cookie cleared."""
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"^https?://[^/]+/$"))
    wait_until_live(page)
    expect(page.get_by_role("link", name="Join").first).to_be_visible()


# Notes, in the page, when each stage of a live draw's reveal first showed (browser clock,
# milliseconds): a raffle's reveal shows "The winning entry", a competition's "The winning ticket".
_WATCH_THE_REVEAL = """() => {
  window.seen = {};
  const stages = ["Drawing…", "The winning entry", "The winning ticket", "We have a winner!"];
  new MutationObserver(() => {
    const text = document.body.innerText;
    for (const stage of stages) {
      if (text.includes(stage) && !(stage in window.seen)) window.seen[stage] = Date.now();
    }
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def watch_the_reveal(page: Page) -> None:
    """From now on, note when each stage of the reveal shows on this page (see reveal_seen)."""
    page.evaluate(_WATCH_THE_REVEAL)


def reveal_seen(page: Page) -> dict[str, int]:
    """When each stage of the reveal first showed, in the browser's milliseconds; a reload (or a
    page that was never watched) has none."""
    return page.evaluate("window.seen || {}")

"""Browser tests: the real app (`reflex run --env prod`) on a free port and its own SQLite database,
driven by Playwright on Debian's Chromium. The app starts once per test session; each test makes its
own users, so tests do not depend on each other.
"""

from __future__ import annotations

import itertools
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from luckyclub import modes  # noqa: F401 - registers every draw pool, as the app does
from luckyclub.core.settings import PROJECT_ROOT  # noqa: F401 - the tests import it from here
from tests.fake_discord import FakeDiscord
from tests.fake_kick import FakeKick
from tests.running_app import RunningApp, running_app

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def fake_kick() -> Iterator[FakeKick]:
    """A local Kick for the session's app: one app serves every browser test (a second app built
    from this checkout would rebuild the frontend the first one serves)."""
    with FakeKick().running() as fake:
        yield fake


@pytest.fixture(scope="session")
def fake_discord() -> Iterator[FakeDiscord]:
    """A local Discord for the session's app (OAuth2 for linking, the API), like fake_kick."""
    with FakeDiscord().running() as fake:
        yield fake


@pytest.fixture(scope="session")
def app(fake_kick: FakeKick, fake_discord: FakeDiscord) -> Iterator[RunningApp]:
    settings = fake_kick.settings() | fake_discord.settings()
    with running_app(extra_env=settings, prefix="luckyclub-e2e-") as running:
        yield running


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


_client_numbers = itertools.count(1)  # one client address per browser context


@pytest.fixture()
def new_page(browser: Browser, app: RunningApp):
    """Open a page in a fresh browser context (its own cookies), as another person would; on
    `base_url`, by default the session's app."""
    contexts = []

    def open_page(width: int = 1280, height: int = 860, *, base_url: str | None = None) -> Page:
        number = next(_client_numbers)
        context = browser.new_context(
            base_url=base_url or app.url,
            viewport={"width": width, "height": height},
            timezone_id="Europe/London",
            extra_http_headers={"X-Forwarded-For": f"198.18.{number // 256}.{number % 256}"},
        )
        context.set_default_timeout(20_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture()
def page(new_page) -> Page:
    return new_page()


@dataclass
class Person:
    email: str
    password: str
    name: str


@pytest.fixture()
def admin(app: RunningApp) -> Person:
    person = Person(
        email=f"admin-{secrets.token_hex(4)}@example.com",
        password=f"admin-{secrets.token_urlsafe(12)}",
        name="Admin",
    )
    app.cli(
        "create-admin",
        "--email",
        person.email,
        extra_env={"LUCKYCLUB_ADMIN_PASSWORD": person.password},
    )
    return person


def unique_person(name: str = "Alex Member") -> Person:
    return Person(
        email=f"member-{secrets.token_hex(5)}@example.com",
        password=f"correct horse {secrets.token_hex(4)}",
        name=name,
    )

"""Browser tests: the real app (`reflex run --env prod`) on a free port and its own SQLite database,
driven by Playwright on Debian's Chromium. The app starts once per test session; each test makes its
own users, so tests do not depend on each other.
"""

from __future__ import annotations

import itertools
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from luckyclub import modes  # noqa: F401 - registers every draw pool, as the app does
from luckyclub.core.settings import PROJECT_ROOT
from tests.fake_http import free_port

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
STARTUP_SECONDS = 600  # the first start runs npm install and a production build


@dataclass
class RunningApp:
    url: str
    database_url: str
    env: dict[str, str]
    log: Path

    def cli(self, *args: str, extra_env: dict[str, str] | None = None) -> str:
        """Run `python -m luckyclub …` against the app's database; its output."""
        result = subprocess.run(
            [sys.executable, "-m", "luckyclub", *args],
            cwd=PROJECT_ROOT,
            env={**self.env, **(extra_env or {})},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout


def wait_until_serving(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the app exited while starting:\n{log.read_text()[-4000:]}")
        try:
            if (
                httpx.get(f"{url}/api/health", timeout=2).status_code == 200
                and httpx.get(f"{url}/", timeout=2).status_code == 200
            ):
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise RuntimeError(f"the app did not start in {STARTUP_SECONDS} s:\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="session")
def app() -> Iterator[RunningApp]:
    folder = Path(tempfile.mkdtemp(prefix="luckyclub-e2e-"))
    port = free_port()
    url = f"http://localhost:{port}"
    database_url = f"sqlite:///{folder / 'e2e.db'}"
    venv_bin = str(Path(sys.executable).parent)
    env = {
        **os.environ,
        "PATH": f"{venv_bin}:{os.environ.get('PATH', '')}",
        "REFLEX_USE_NPM": "1",
        "REFLEX_TELEMETRY_ENABLED": "false",
        "DATABASE_URL": database_url,
        "LUCKYCLUB_DATA_DIR": str(folder),
        "APP_URL": url,
        "SCHEDULER_ENABLED": "0",
        # Every browser context says it is its own client behind one proxy (new_page), so the
        # per-address limits (sign-ups, sign-in failures) count each person apart, as behind Nginx.
        "TRUSTED_PROXY_HOPS": "1",
    }
    env.pop("SMTP_URL", None)
    subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        cwd=PROJECT_ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    log = folder / "app.log"
    # 127.0.0.1 only: the other loopback addresses on this port stay free for the processes of
    # test_several_workers_in_browser.py, which serve this app's build (see there).
    command = [f"{venv_bin}/reflex", "run", "--env", "prod", "--frontend-port", str(port)]
    process = start_server([*command, "--backend-host", "127.0.0.1"], env, log)
    try:
        wait_until_serving(url, process, log)
        yield RunningApp(url=url, database_url=database_url, env=env, log=log)
    finally:
        stop_server(process)


def start_server(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """Start an app process in the project folder (its own process group), logging to `log`."""
    with log.open("w") as out:
        return subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop_server(process: subprocess.Popen) -> None:
    """Stop an app process and the workers it started."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


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

"""How long the app keeps everyone else waiting while members sign in. A benchmark, not a test.

N members sign in at once through the real sign-in: the sign-in page's websocket event (an argon2id
check and the login ticket), then the HTTP call the browser makes to swap the ticket for its
session cookie. Meanwhile two monitors ask, each about every 10 ms:

  health  GET /api/health (a plain route: a thread of Starlette's pool and one database ping)
  event   a cheap websocket event from another tab (the join page's timezone setter), timed from
          sending it to its update arriving

For each, the median and the worst latency while the sign-ins run (and the median before them,
idle) are printed; the aim is a worst of at most 100 ms. A third monitor, sleep, times a 1 ms sleep
of this script: how late a thread that asks for almost nothing gets a core on this machine. One
member signs in first, untimed: a process's first sign-in also pays for loading what later ones
reuse.

    .venv/bin/python bench/stall.py [--sign-ins 10] [--rounds 3] [--checkout DIR] [--postgres URL]
    .venv/bin/python bench/stall.py --url http://localhost:3000 --database-url URL

Without --url it starts the app (backend only, as the tests do) from this checkout, or from
--checkout (another commit's, to compare), on its own SQLite database, or on a scratch PostgreSQL
database it creates at --postgres and drops afterwards. With --url it measures a running app,
adding its members to that app's database (--database-url).

The figures are the app's and the machine's: on a machine whose cores other work keeps busy, a
thread waits for a core too, and the worst figures show it.
"""

from __future__ import annotations

import argparse
import itertools
import secrets
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere

import httpx  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.scratch import create_database, drop_database  # noqa: E402
from luckyclub import modes  # noqa: E402, F401 - registers every draw pool, as the app does
from luckyclub.core import db, routes, security  # noqa: E402
from luckyclub.pages.account.auth import LoginState, RegisterState  # noqa: E402
from tests.db.factories import add_buyer  # noqa: E402
from tests.reflex_tab import Tab, Update, session_after_sign_in  # noqa: E402
from tests.running_app import running_app  # noqa: E402

PASSWORD = "correct horse battery staple"
EVERY = 0.010  # seconds between a monitor's requests
AIM_MS = 100


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sign-ins", type=int, default=10, help="members signing in at once")
    parser.add_argument("--rounds", type=int, default=3, help="times the sign-ins are repeated")
    parser.add_argument("--url", help="a running app to measure instead of starting one")
    parser.add_argument("--database-url", help="with --url: that app's database (members go in)")
    parser.add_argument(
        "--checkout", type=Path, default=ROOT, help="start the app from this checkout of LuckyClub"
    )
    parser.add_argument(
        "--postgres",
        help="start the app on this new PostgreSQL database (created, then dropped)",
    )
    args = parser.parse_args()
    if args.url and not args.database_url:
        parser.error("--url needs --database-url: the members who sign in are added there")
    return args


# ---- the monitors -------------------------------------------------------------------------------


@dataclass
class Samples:
    """(sent at, latency in seconds) of each request a monitor made."""

    taken: list[tuple[float, float]] = field(default_factory=list)

    def between(self, start: float, end: float) -> list[float]:
        return [latency for sent, latency in self.taken if start <= sent <= end]


def _repeat(ask: Callable[[], None], samples: Samples, stop: threading.Event) -> None:
    while not stop.is_set():
        sent = time.monotonic()
        ask()
        samples.taken.append((sent, time.monotonic() - sent))
        time.sleep(max(0.0, sent + EVERY - time.monotonic()))


@contextmanager
def monitors(url: str) -> Iterator[dict[str, Samples]]:
    """Each monitor's samples, taken until the block ends."""
    stop = threading.Event()
    client = httpx.Client(timeout=60)
    tab = Tab(url, client_ip="198.18.250.1")
    tab.load(routes.REGISTER)
    tab.wait_for(lambda u: u.value(RegisterState, "timezone"), timeout=60)  # the page is up
    zones = itertools.cycle(["Europe/London", "UTC"])

    def ask_health() -> None:
        client.get(f"{url}/api/health").raise_for_status()

    def ask_event() -> None:
        zone = next(zones)
        tab.send(RegisterState.set_timezone, path=routes.REGISTER, value=zone)
        tab.wait_for(lambda u: u.value(RegisterState, "timezone") == zone, timeout=60)

    asks = {"health": ask_health, "event": ask_event, "sleep": lambda: time.sleep(0.001)}
    samples = {name: Samples() for name in asks}
    threads = [
        threading.Thread(target=_repeat, args=(ask, samples[name], stop), daemon=True)
        for name, ask in asks.items()
    ]
    for thread in threads:
        thread.start()
    try:
        yield samples
    finally:
        stop.set()
        for thread in threads:
            thread.join()
        tab.close()
        client.close()


# ---- the sign-ins -------------------------------------------------------------------------------


def add_members(database_url: str, count: int) -> list[str]:
    """`count` new members who sign in with PASSWORD; their emails."""
    db.use_database(database_url)
    password_hash = security.hash_password(PASSWORD)
    tag = secrets.token_hex(3)
    emails = [f"stall-{tag}-{n}@example.com" for n in range(count)]
    with db.session_scope() as s:
        for email in emails:
            add_buyer(s, email, password_hash=password_hash)
    db.use_database(None)
    return emails


def sign_in_pages(url: str, count: int) -> list[Tab]:
    """`count` tabs on the sign-in page, loaded (before the clock starts)."""
    tabs = [Tab(url, client_ip=f"198.18.251.{n}") for n in range(count)]
    for tab in tabs:
        tab.load(routes.LOGIN)
    for tab in tabs:
        tab.wait_for(lambda u: u.delta, timeout=60)  # hydrated: the page is up
    return tabs


def sign_in_all(url: str, tabs: list[Tab], emails: list[str]) -> float:
    """Every member signs in at once, as the sign-in page does; seconds until the last is in."""

    def sign_in(tab: Tab, email: str) -> None:
        form = {"email": email, "password": PASSWORD}
        tab.send(LoginState.sign_in, path=routes.LOGIN, form=form)
        ticket = tab.wait_for(Update.script, timeout=120).script()
        session_after_sign_in(url, ticket, client_ip=tab.client_ip)

    started = time.monotonic()
    with ThreadPoolExecutor(len(tabs)) as members:
        list(members.map(sign_in, tabs, emails))
    took = time.monotonic() - started
    for tab in tabs:
        tab.close()
    return took


# ---- the figures --------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f}"


def measure(url: str, database_url: str, args: argparse.Namespace) -> None:
    worst: dict[str, float] = {}
    print(f"{args.sign_ins} sign-ins at once, {args.rounds} rounds, against {url}")
    print(
        f"  {'round':<7}{'sign-ins s':>11}   {'monitor':<8}{'idle p50':>9}"
        f"{'p50 ms':>9}{'worst ms':>10}{'samples':>9}"
    )
    # A process's first sign-in loads the hashing backend and compiles its queries, once: one
    # member signs in first, untimed, so the rounds show a running app.
    sign_in_all(url, sign_in_pages(url, 1), add_members(database_url, 1))
    for number in range(1, args.rounds + 1):
        emails = add_members(database_url, args.sign_ins)
        tabs = sign_in_pages(url, len(emails))
        with monitors(url) as taken:
            time.sleep(1.0)  # the idle figures
            started = time.monotonic()
            took = sign_in_all(url, tabs, emails)
            ended = time.monotonic()
        for name, samples in taken.items():
            idle = samples.between(0, started)
            busy = samples.between(started, ended)
            worst[name] = max(worst.get(name, 0.0), max(busy))
            label = f"{number}" if name == "health" else ""
            secs = f"{took:11.2f}" if name == "health" else " " * 11
            print(
                f"  {label:<7}{secs}   {name:<8}{ms(statistics.median(idle)):>9}"
                f"{ms(statistics.median(busy)):>9}{ms(max(busy)):>10}{len(busy):>9}"
            )
    for name in ("health", "event"):
        seconds = worst[name]
        verdict = "ok" if seconds * 1000 <= AIM_MS else f"over the {AIM_MS} ms aim"
        print(f"Worst {name} latency while signing in: {seconds * 1000:.1f} ms ({verdict})")
    print(f"(This script's 1 ms sleep took up to {worst['sleep'] * 1000:.1f} ms meanwhile.)")


def main() -> None:
    args = parse_args()
    if args.url:
        measure(args.url.rstrip("/"), args.database_url, args)
        return
    print(f"Starting the app from {args.checkout} (backend only) …")
    with (
        scratch_postgres(args.postgres) as settings,
        running_app(
            settings, backend_only=True, prefix="luckyclub-stall-", root=args.checkout
        ) as app,
    ):
        measure(app.url, app.database_url, args)


@contextmanager
def scratch_postgres(url: str | None) -> Iterator[dict[str, str]]:
    """The app's DATABASE_URL setting for a new database at `url` (none: its own SQLite file)."""
    if url is None:
        yield {}
        return
    create_database(make_url(url))
    try:
        yield {"DATABASE_URL": url}
    finally:
        drop_database(make_url(url))


if __name__ == "__main__":
    main()

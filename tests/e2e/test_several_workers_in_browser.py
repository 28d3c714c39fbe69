"""Two app processes on one Redis and one PostgreSQL database, as on two machines behind Nginx:
spectators connected to different processes see the same reveal, a member's open dashboard on one
shows what an admin did through the other, and a sign-in made on one is valid on the other.

Each process runs one worker, so the test decides which process each page talks to. Both serve
the frontend that the session's app (conftest.py) built, without building it again: a build writes
the websocket's address as `ws://localhost:<port>/_event`, and the browser puts the page's own host
in place of `localhost` but keeps the port. So the processes listen on that same port on other
loopback addresses (127.0.0.2, 127.0.0.3), and each page's websocket goes to the process that
served the page. (A second `reflex run` would build `.web` again, for another port, under the
running app.)
"""

from __future__ import annotations

import io
import os
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit

import pytest
import redis
import sqlalchemy as sa
from PIL import Image
from playwright.sync_api import Page, Route, expect

from luckyclub.club import ledger, raffles
from luckyclub.core import db, routes
from luckyclub.models import LedgerSource, ProofKind, utcnow
from luckyclub.platform import accounts
from tests.db.factories import add_open_raffle, add_user
from tests.db.scratch import scratch_postgres
from tests.e2e.conftest import PROJECT_ROOT, Person, unique_person
from tests.e2e.flows import (
    expect_dashboard,
    reveal_seen,
    sign_in,
    wait_until_live,
    watch_the_reveal,
)
from tests.running_app import RunningApp, start_server, stop_server, wait_until_serving

pytestmark = pytest.mark.e2e

REDIS_URL = os.environ.get("E2E_REDIS_URL", "redis://127.0.0.1:6379/14")  # flushed at the start
POSTGRES_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
HOSTS = ("127.0.0.2", "127.0.0.3")  # process 1, process 2
REVEAL_SKEW_MS = 5_000  # how far apart two spectators may see the same step (docs/draws.md)


def _unavailable(reason: str) -> NoReturn:
    """Skip on a developer's machine; in CI a missing service fails the tests instead."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (with CI=true the several-workers tests must run)")
    pytest.skip(reason)


def _empty_redis_database() -> str | None:
    """Empty REDIS_URL's database, as the live draws' rooms are named by draw id and a previous
    run's would be found again; None, or why Redis cannot be used."""
    try:
        with redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2) as client:
            client.flushdb()
        return None
    except redis.RedisError as exc:
        return f"{type(exc).__name__}: {exc}"


def _postgres_problem() -> str | None:
    engine = sa.create_engine(POSTGRES_URL, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        return None
    except sa.exc.SQLAlchemyError as exc:
        return f"{type(exc).__name__}: {exc}".splitlines()[0]
    finally:
        engine.dispose()


def _granian(url: str) -> list[str]:
    """The server `reflex run --env prod` starts once it has built the frontend: Granian on the
    app's factory, here with one worker."""
    address = urlsplit(url)
    return [
        str(Path(sys.executable).parent / "granian"),
        *("--interface", "asgi", "--factory", "--workers", "1"),
        *("--host", str(address.hostname), "--port", str(address.port)),
        "luckyclub.luckyclub:app",
    ]


@pytest.fixture(scope="module")
def workers(app: RunningApp) -> Iterator[tuple[RunningApp, RunningApp]]:
    """Two app processes of one worker each on REDIS_URL and a scratch PostgreSQL database,
    sharing one data folder and one SECRET_KEY as several machines must. No scheduler runs."""
    if (problem := _empty_redis_database()) is not None:
        _unavailable(f"Redis unreachable at {REDIS_URL}: {problem}")
    if (problem := _postgres_problem()) is not None:
        _unavailable(f"PostgreSQL unreachable at {POSTGRES_URL.split('@')[-1]}: {problem}")
    port = urlsplit(app.url).port
    folder = Path(tempfile.mkdtemp(prefix="luckyclub-workers-"))
    with scratch_postgres(POSTGRES_URL, "luckyclub_e2e_workers") as database_url:
        shared = {
            **app.env,
            "DATABASE_URL": database_url,
            "REDIS_URL": REDIS_URL,
            "LUCKYCLUB_DATA_DIR": str(folder),
            "SECRET_KEY": secrets.token_urlsafe(48),
            "SCHEDULER_ENABLED": "0",
            # What `reflex run --env prod` sets for its server: production mode, the built
            # frontend served from .web, and no second compile of the app.
            "REFLEX_ENV_MODE": "prod",
            "__REFLEX_MOUNT_FRONTEND_COMPILED_APP": "true",
            "__REFLEX_SKIP_COMPILE": "true",
        }
        subprocess.run(
            [sys.executable, "-m", "alembic", "upgrade", "head"],
            cwd=PROJECT_ROOT,
            env=shared,
            check=True,
            capture_output=True,
        )
        first, second = (
            RunningApp(
                url=f"http://{host}:{port}",
                database_url=database_url,
                # The websocket answers pages of APP_URL's origin only.
                env={**shared, "APP_URL": f"http://{host}:{port}"},
                log=folder / f"{host}.log",
            )
            for host in HOSTS
        )
        running: list[subprocess.Popen] = []
        db.use_database(database_url)
        try:
            for worker in (first, second):
                running.append(start_server(_granian(worker.url), worker.env, worker.log))
                wait_until_serving(worker.url, running[-1], worker.log)
            yield first, second
        finally:
            for process in running:
                stop_server(process)
            db.get_engine().dispose()
            db.use_database(None)


@pytest.fixture(scope="module")
def admin_of(workers) -> Person:
    """An admin of the two processes' database."""
    person = Person(
        email=f"admin-{secrets.token_hex(4)}@example.com",
        password=f"admin-{secrets.token_urlsafe(12)}",
        name="Admin",
    )
    workers[0].cli(
        "create-admin",
        "--email",
        person.email,
        extra_env={"LUCKYCLUB_ADMIN_PASSWORD": person.password},
    )
    return person


def _member(name: str) -> Person:
    """A member with a confirmed email address, made in the database."""
    person = unique_person(name)
    with db.session_scope() as s:
        accounts.register(
            s,
            email=person.email,
            password=person.password,
            display_name=person.name,
            date_of_birth="1990-04-21",
            timezone="Europe/London",
            client_ip="198.51.100.7",
            verified=True,
        )
    return person


def _open_raffle_to_draw() -> tuple[int, str]:
    """A raffle open for another hour, with a draw made without a beacon and two members holding
    4 and 9 entries; its draw id and title."""
    tag = secrets.token_hex(3)
    with db.session_scope() as s:
        raffle = add_open_raffle(
            s,
            month=f"19{secrets.randbelow(90) + 10}-{secrets.randbelow(12) + 1:02d}",
            title=f"Live draw {tag}",
            prize="A golden ticket",
            closes_at=utcnow() + timedelta(hours=1),
        )
        draw = raffles.schedule_draw(s, raffle)
        draw.use_beacon = False
        draw.no_beacon_reason = "Browser test: drawn without a public beacon."
        for name, held in (("ann", 4), ("bob", 9)):
            member = add_user(s, f"{name}-{tag}@example.com")
            ledger.credit(
                s,
                raffle_id=raffle.id,
                user_id=member.id,
                source=LedgerSource.BASE,
                amount=held,
                key=f"e2e:{raffle.id}:{member.id}",
            )
        return draw.id, raffle.title


def _signed_in(page: Page, person: Person) -> Page:
    sign_in(page, person.email, person.password)
    expect_dashboard(page, person.name)
    return page


def test_spectators_on_different_workers_see_the_same_reveal(workers, new_page, admin_of):
    first, second = workers
    draw_id, title = _open_raffle_to_draw()

    spectators = [new_page(base_url=worker.url) for worker in (first, second)]
    for spectator in spectators:
        spectator.goto(routes.live_page(draw_id))
        wait_until_live(spectator)
        expect(spectator.get_by_role("heading", name=title)).to_be_visible()
        expect(spectator.get_by_role("group", name="Entries")).to_contain_text("13")
        watch_the_reveal(spectator)

    # The admin draws it through process 1. One process writes the reveal into the draw's room
    # in Redis, and Reflex hands each step to the other process for the spectator it holds.
    admin_page = _signed_in(new_page(base_url=first.url), admin_of)
    admin_page.goto(routes.ADMIN_DRAWS)
    wait_until_live(admin_page)
    draw_card = admin_page.get_by_role("article", name=f"Draw {title}")
    draw_card.get_by_role("button", name="Draw now").click()
    dialog = admin_page.get_by_role("dialog")
    dialog.get_by_label("Reason").fill("Drawn early for the several-workers test")
    dialog.get_by_role("button", name="Close entries and draw now").click()

    cards = [spectator.locator("#winner-card") for spectator in spectators]
    for card in cards:
        expect(card).to_be_visible(timeout=30_000)
        expect(card.get_by_role("heading", name="We have a winner!")).to_be_visible()
        expect(card).to_contain_text("of 13")
    assert cards[0].inner_text() == cards[1].inner_text()  # the same winner and winning entry
    assert all(s.url.endswith(routes.live_page(draw_id)) for s in spectators)
    seen = [reveal_seen(spectator) for spectator in spectators]  # empty after a reload
    for stages in seen:  # the room's reveal, step by step, not the result read on a poll
        assert stages["Drawing…"] <= stages["The winning entry"] <= stages["We have a winner!"]
    assert abs(seen[0]["We have a winner!"] - seen[1]["We have a winner!"]) < REVEAL_SKEW_MS


def _png(colour=(40, 120, 200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 200), colour).save(buffer, "PNG")
    return buffer.getvalue()


def _send_uploads_to(page: Page, worker: RunningApp) -> list[str]:
    """Hand this page's uploads (POST /_upload) to `worker`, as a proxy without sticky sessions
    may, while its websocket stays where it is; the list fills with the uploads handed over."""
    handed_over: list[str] = []

    def hand_over(route: Route) -> None:
        path = urlsplit(route.request.url).path
        handed_over.append(path)
        route.fulfill(response=route.fetch(url=worker.url + path, headers=route.request.headers))

    page.route("**/_upload", hand_over)
    return handed_over


def test_a_members_open_dashboard_shows_an_approval_made_on_the_other_worker(
    workers, new_page, admin_of
):
    first, second = workers
    kind = f"Shared the raffle {secrets.token_hex(3)}"
    with db.session_scope() as s:
        add_open_raffle(s)  # this month's
        s.add(ProofKind(name=kind, entries=3, monthly_limit=5))
    member = _member("Morgan Member")

    # The member's dashboard talks to process 1; their upload goes to process 2, which stores
    # the file in the shared data folder and answers through the upload's own request.
    member_page = _signed_in(new_page(base_url=first.url), member)
    handed_over = _send_uploads_to(member_page, second)
    member_page.get_by_label("What does your proof show?").select_option(label=f"{kind} (+3)")
    with member_page.expect_file_chooser() as chooser:
        member_page.get_by_role("button", name="Choose a file").click()
    chooser.value.set_files(
        files=[{"name": "shared-post.png", "mimeType": "image/png", "buffer": _png()}]
    )
    member_page.get_by_role("button", name="Upload proof").click()
    expect(member_page.get_by_text("Your proof is waiting for review")).to_be_visible()
    assert handed_over == ["/_upload"]
    expect(member_page.get_by_text("pending", exact=True)).to_be_visible()
    member_page.evaluate("window.notReloaded = true")  # gone if the page loads again

    admin_page = _signed_in(new_page(base_url=second.url), admin_of)
    admin_page.goto(routes.ADMIN_PROOFS)
    wait_until_live(admin_page)
    proof = admin_page.get_by_role("article", name=f"Proof from {member.name}")
    picture = proof.get_by_role("img", name=f"Proof from {member.name}")
    expect(picture).to_have_js_property("complete", True)
    assert picture.evaluate("image => image.naturalWidth") == 320  # read from the shared folder
    proof.get_by_role("button", name="Approve").click()
    expect(admin_page.get_by_role("status").filter(has_text="Approved")).to_be_visible()

    # The member's open dashboard (process 1) shows the approval made through process 2.
    expect(member_page.get_by_text("approved", exact=True)).to_be_visible(timeout=15_000)
    expect(member_page.get_by_role("cell", name="Approved proof", exact=True)).to_be_visible()
    assert member_page.evaluate("window.notReloaded === true")


def test_a_sign_in_on_one_worker_is_valid_on_the_other(workers, new_page):
    first, second = workers
    member = _member("Sam Session")
    page = _signed_in(new_page(base_url=first.url), member)

    # Behind Nginx every process answers one host name and gets the same cookie; here their
    # hosts differ, so the test hands the session cookie to the second host itself.
    cookies = [c for c in page.context.cookies(first.url) if c.get("httpOnly")]
    assert cookies, "signing in sets an HttpOnly session cookie"
    page.context.add_cookies(
        [{"name": c["name"], "value": c["value"], "url": second.url} for c in cookies]
    )
    page.goto(f"{second.url}{routes.DASHBOARD}")
    expect_dashboard(page, member.name)
    assert page.url.startswith(second.url)

"""What spectators cost the app: server CPU and memory per idle client, and the reveal's delay.

N lightweight clients speaking Reflex's websocket protocol watch one live draw (/live/<id>), then
the competitions list (/competitions). Prints the server's CPU per idle client per second, its
memory per client and, on the live page, the time from the draw to the last client's reveal. A
benchmark, not a test:

    .venv/bin/python bench/spectators.py [--clients 100 1000] [--big] [--idle 20]
                                         [--heartbeat auto|on|off] [--pages live competitions]
                                         [--tabs] [--keep]
    .venv/bin/python bench/spectators.py --url http://localhost:3000 --pid PID
                                         --database-url sqlite:///.data/luckyclub.db

By default each round (a number of clients on one page) gets a fresh app, started as the browser
tests start it: `reflex run --env prod` on a free port with the scheduler off, on a SQLite database
in a temp folder that was migrated (alembic upgrade head) and seeded once (`python -m luckyclub
seed-demo`, so the competitions list has cards). A fresh app per round keeps one round's memory and
queued work out of the next one's figures. With --url every round runs on that running app instead:
it measures the process --pid and its children, and adds its raffles to --database-url (a scratch
instance, not production; export its SECRET_KEY or LUCKYCLUB_DATA_DIR too).

A client is what a tab's Reflex runtime is on the wire: a websocket to /_event/ with its own token
(in the query), engine.io v4 and Socket.IO v5 on it, namespace /_event. The hydrate event
(hydrate_and_load, which also queues the page's on_load handlers) rides in the Socket.IO CONNECT
packet; the server's deltas arrive as "event" messages; the client answers the server's pings. What
a page's tab sends is learnt, not assumed: a real Chromium tab first opens the page and its frames
are recorded; every client then sends the same CONNECT packet and, with the heartbeat on, repeats
each event the tab repeated (rx.moment's `tick`) at the tab's rhythm, each client at its own moment
in the second. `--heartbeat auto` (the default) turns that on exactly when the page has one; an
idle client without it sends nothing. `--tabs` uses real Chromium tabs instead (small N: each is a
renderer process), to check that the lightweight clients cost the server what tabs do.

A round: the clients join without their heartbeat and the server finishes what their joining
queued, then its memory is read (per client: growth since before the join); the heartbeat starts,
and after a few seconds the idle window measures the server's CPU (per client: less the app's own
CPU alone, divided by the clients and the seconds). On the live page the draw follows: a club raffle
with three entrants, closing in an hour while the clients watch, has its closing time moved to a
moment from now (as an admin edits it) and once due is drawn without a beacon by this process
(draws.close and draws.perform: what `python -m luckyclub jobs run-due` does from cron). Its reveal
is timed from that trigger to each client's first delta of the room's `phase` (the reveal begins)
and to its "done" (the winners are shown).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing
import os
import random
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import timedelta
from importlib.metadata import version
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import psutil
from wsproto import ConnectionType, WSConnection
from wsproto.connection import ConnectionState
from wsproto.events import (
    CloseConnection,
    Event,
    Message,
    Ping,
    RejectConnection,
    Request,
    TextMessage,
)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
]
STARTUP_SECONDS = 600  # the first start runs npm install and a production build

AIM_CPU_MS = 0.05  # ms of server CPU per idle client per second
AIM_REVEAL_SECONDS = 2.0  # from the draw to the last of 1,000 clients
AIM_MEMORY_KIB = 200.0  # server memory per client

CLIENTS_PER_PROCESS = 500
HANDSHAKES_AT_ONCE = 20  # per client process: connections still waiting for their hydrate
HYDRATE_SECONDS = 120.0  # a client not hydrated by then counts as failed
PROBE_SECONDS = 4.5  # how long the real tab is watched after its page is up
SETTLE_SECONDS = 3.0  # after the last client is in, before the idle window
REVEAL_SECONDS = 60.0  # how long to wait for every client's reveal

# Engine.io v4 and Socket.IO v5 as Reflex's client uses them: text frames only.
NAMESPACE = "/_event"
OPEN, PING, PONG = "0", "2", "3"
CONNECTED = f"40{NAMESPACE},"
REFUSED = f"44{NAMESPACE},"
EVENT = f"42{NAMESPACE},"

# What the clients look for in the server's deltas (Reflex's root state; state/draws/draw_room.py
# and pages/draws/live_draw.py). Cheap substring tests first: most deltas are neither.
HYDRATED = '"is_hydrated_rx_state_":true'
PHASE = '"phase_rx_state_":"'  # DrawRoom.phase: "" → "drawing" → "digits" … → "done"
DONE = "done"
SHOWN_FROM_DATABASE = '"revealed":true'  # LiveDrawState.draw: the tab's fallback, not the room

BROWSER_HEADERS = [  # what Chromium sends with the upgrade, so each client's stored headers weigh
    (
        b"user-agent",
        b"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        b"HeadlessChrome/156.0.0.0 Safari/537.36 spectators-bench",
    ),
    (b"accept-language", b"en-US,en;q=0.9"),
    (b"accept-encoding", b"gzip, deflate, br, zstd"),
    (b"cache-control", b"no-cache"),
    (b"pragma", b"no-cache"),
]


def main() -> None:
    args = parse_args()
    counts = sorted(set(args.clients + ([3000] if args.big else [])))
    with test_bed(args) as bed:
        os.environ.update(bed.env)  # before luckyclub is imported: its settings read these once
        raffles = RaffleDraws()
        verdicts: list[tuple[int, str, str]] = []
        for count in counts:
            print(f"\n── {count:,} clients " + "─" * 80)
            print(
                ROW.format(
                    "page", "clients", "heartbeat", "server", "per client", "deltas", "RSS", "USS"
                )
            )
            print(ROW.format("", "", "", "CPU ms/s", "CPU ms/s", "/client/s", "KiB/cl", "KiB/cl"))
            reveal = None
            for page in args.pages:
                with bed.app() as app:
                    if page == "live":
                        figures, reveal = live_round(app, raffles, count, args)
                        verdicts += judge(count, figures, reveal)
                    else:
                        verdicts += judge(count, page_round(app, f"/{page}", count, args), None)
            if reveal is not None:
                print(reveal.describe())
        print("\nAims on this machine:")
        for count, aim, verdict in verdicts:
            print(f"  {count:>6,} clients  {aim:<56} {verdict}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[100, 1000], metavar="N")
    parser.add_argument("--big", action="store_true", help="also 3,000 clients")
    parser.add_argument("--idle", type=float, default=20.0, help="seconds of the idle window")
    parser.add_argument(
        "--heartbeat",
        choices=["auto", "on", "off"],
        default="auto",
        help="repeat the events the real tab repeats (rx.moment's tick); auto: if the page has any",
    )
    parser.add_argument(
        "--pages", nargs="+", choices=["live", "competitions"], default=["live", "competitions"]
    )
    parser.add_argument(
        "--join-timeout", type=float, default=300.0, help="seconds for all clients to hydrate"
    )
    parser.add_argument(
        "--drain-timeout",
        type=float,
        default=120.0,
        help="seconds to wait for the server to finish what the join queued",
    )
    parser.add_argument(
        "--reveal-timeout", type=float, default=60.0, help="seconds to wait for every reveal"
    )
    parser.add_argument(
        "--tabs",
        action="store_true",
        help="real Chromium tabs instead of lightweight clients (small N; heartbeat as the page)",
    )
    parser.add_argument("--url", help="a running app instead of starting one (needs --pid)")
    parser.add_argument("--pid", type=int, help="with --url: the app's process (and children)")
    parser.add_argument("--database-url", help="with --url: the app's database, for the draws")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder (app logs, db)")
    args = parser.parse_args()
    if args.url and not (args.pid and args.database_url):
        parser.error("--url needs --pid (to measure) and --database-url (to make the draws)")
    return args


# ---- the app under test ------------------------------------------------------------------------


@dataclass
class App:
    url: str
    server: Server
    started_seconds: float = 0.0  # 0: it was running already (--url)


@dataclass
class TestBed:
    """Where the rounds run. Each round gets a fresh app on the same migrated and seeded database,
    so no round's figures carry the memory or the queued events of the one before; with --url,
    every round runs on the one app given (later rounds then reuse memory earlier ones freed)."""

    env: dict[str, str]  # what this process needs to reach the app's database as the app does
    folder: Path | None = None
    url: str = ""
    pid: int = 0
    rounds: int = 0

    @contextmanager
    def app(self) -> Iterator[App]:
        self.rounds += 1
        if self.folder is None:
            yield App(self.url, Server(self.pid))
            return
        with started_app(self.folder, self.env, self.rounds) as app:
            yield app


@contextmanager
def test_bed(args: argparse.Namespace) -> Iterator[TestBed]:
    if args.url:
        print("Every round runs on the app at --url: memory figures after the first are low.")
        env = {"DATABASE_URL": args.database_url, "DRAW_BEACON": "0"}
        yield TestBed(env, url=args.url.rstrip("/"), pid=args.pid)
        return
    folder = Path(tempfile.mkdtemp(prefix="luckyclub-spectators-"))
    env = {
        "DATABASE_URL": f"sqlite:///{folder / 'app.db'}",
        "LUCKYCLUB_DATA_DIR": str(folder),
        "SCHEDULER_ENABLED": "0",
        "DRAW_BEACON": "0",
    }
    try:
        for command in (["alembic", "upgrade", "head"], ["luckyclub", "seed-demo"]):
            subprocess.run(
                [sys.executable, "-m", *command],
                cwd=PROJECT_ROOT,
                env={**os.environ, **env},
                check=True,
                capture_output=True,
            )
        print("Each round starts a fresh app (the first start in a worktree builds the frontend).")
        yield TestBed(env, folder=folder)
    finally:
        if args.keep:
            print(f"\nKept {folder} (app-<round>.log, app.db).")
        else:
            shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def started_app(folder: Path, env: dict[str, str], round_number: int) -> Iterator[App]:
    """`reflex run --env prod` on a free port, as tests/e2e/conftest.py starts it."""
    port = free_port()
    url = f"http://localhost:{port}"
    venv_bin = str(Path(sys.executable).parent)
    full_env = {
        **os.environ,
        **env,
        "APP_URL": url,  # the websocket answers this origin only
        "PATH": f"{venv_bin}:{os.environ.get('PATH', '')}",
        "REFLEX_USE_NPM": "1",
        "REFLEX_TELEMETRY_ENABLED": "false",
    }
    full_env.pop("SMTP_URL", None)
    log = folder / f"app-{round_number}.log"
    started = time.monotonic()
    with log.open("w") as out:
        process = subprocess.Popen(
            [f"{venv_bin}/reflex", "run", "--env", "prod", "--frontend-port", str(port)],
            cwd=PROJECT_ROOT,
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until_serving(url, process, log)
        yield App(url, Server(process.pid), time.monotonic() - started)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def free_port() -> int:
    with socket.socket() as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        return probe_socket.getsockname()[1]


def wait_until_serving(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"The app exited while starting:\n{log.read_text()[-4000:]}")
        with suppress(httpx.HTTPError):
            if (
                httpx.get(f"{url}/api/health", timeout=2).status_code == 200
                and httpx.get(f"{url}/", timeout=2).status_code == 200
            ):
                return
        time.sleep(1)
    sys.exit(f"The app did not start in {STARTUP_SECONDS} s:\n{log.read_text()[-4000:]}")


# ---- the server's CPU and memory -------------------------------------------------------------


@dataclass
class Memory:
    rss: int
    uss: int


class Server:
    """The app's process and its children (Reflex's CLI and the Granian worker), by psutil."""

    def __init__(self, pid: int) -> None:
        self.root = psutil.Process(pid)

    def processes(self) -> list[psutil.Process]:
        return [self.root, *self.root.children(recursive=True)]

    def cpu_seconds(self) -> float:
        return sum(self.cpu_by_process().values())

    def cpu_by_process(self) -> dict[int, float]:
        return {p.pid: cpu_seconds([p]) for p in self.processes()}

    def memory(self) -> Memory:
        rss = uss = 0
        for process in self.processes():
            with suppress(psutil.NoSuchProcess):
                info = process.memory_full_info()
                rss, uss = rss + info.rss, uss + info.uss
        return Memory(rss, uss)


def cpu_seconds(processes: list[psutil.Process]) -> float:
    total = 0.0
    for process in processes:
        with suppress(psutil.NoSuchProcess):
            times = process.cpu_times()
            total += times.user + times.system
    return total


def wait_until_quiet(server: Server, longest: float = 180.0, most_ms: float = 60.0) -> float:
    """Wait until the server works less than `most_ms` per second (a start's compilation, work a
    join left queued); the seconds it took, or -1 if it never did within `longest`."""
    started = time.monotonic()
    while time.monotonic() - started < longest:
        before = server.cpu_seconds()
        time.sleep(1.0)
        if (server.cpu_seconds() - before) * 1000 < most_ms:
            return time.monotonic() - started - 1.0
    return -1.0


# ---- what a real tab sends ---------------------------------------------------------------------


@dataclass
class Repeated:
    name: str  # "live_draw_state.tick"
    frame: str
    period: float  # seconds


@dataclass
class PageScript:
    """What a real tab's Reflex runtime sent on one page: the replay every client performs."""

    path: str
    boot: str  # the Socket.IO CONNECT packet; the hydrate event rides in it
    once: list[str] = field(default_factory=list)  # events sent once after connecting
    repeated: list[Repeated] = field(default_factory=list)  # events sent again and again

    def heartbeat_words(self) -> str:
        return ", ".join(f"{r.name.split('.')[-1]} every {r.period:.1f} s" for r in self.repeated)

    def beats_per_second(self) -> float:
        return sum(1 / r.period for r in self.repeated if r.period > 0)


def probe(base_url: str, path: str) -> PageScript:
    """Open `path` in a real Chromium tab and record the frames its websocket sends."""
    from playwright.sync_api import WebSocket, sync_playwright

    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} is missing: `make chromium` installs Debian's chromium package.")
    sent: list[tuple[float, str]] = []

    def record(frame: str | bytes) -> None:
        if isinstance(frame, str):
            sent.append((time.monotonic(), frame))

    def watch(websocket: WebSocket) -> None:
        if f"{NAMESPACE}/" in websocket.url:
            websocket.on("framesent", record)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on("websocket", watch)
            page.goto(base_url + path)
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(PROBE_SECONDS * 1000)
        finally:
            browser.close()
    boot = next((frame for _, frame in sent if frame.startswith(f"40{NAMESPACE}")), None)
    if boot is None:
        sys.exit(f"The tab on {path} sent no Socket.IO CONNECT: is the app up at {base_url}?")
    by_name: dict[str, list[tuple[float, str]]] = {}
    for at, frame in sent:
        if frame.startswith(EVENT):
            kind, body = json.loads(frame[len(EVENT) :])[:2]
            if kind == "event":
                by_name.setdefault(body.get("name", ""), []).append((at, frame))
    script = PageScript(path, boot)
    for name, frames in by_name.items():
        if len(frames) == 1:
            script.once.append(frames[0][1])
            continue
        gaps = [later[0] - earlier[0] for earlier, later in zip(frames, frames[1:], strict=False)]
        short = ".".join(part.split("____")[-1] for part in name.split(".")[-2:])
        script.repeated.append(Repeated(short, frames[-1][1], round(statistics.median(gaps), 1)))
    return script


def heartbeat_of(choice: str, script: PageScript) -> tuple[bool, str]:
    """Whether the clients repeat the tab's periodic events, and how the table says so."""
    has = script.heartbeat_words()
    if choice == "off":
        return False, f"off (tab: {has.replace(' every', '')})" if has else "none"
    if not has:
        return False, "none (the tab sends none)"
    return True, has


# ---- one lightweight client ------------------------------------------------------------------


class Spectator(asyncio.Protocol):
    """One tab: a websocket to /_event/ with its own token, speaking engine.io and Socket.IO."""

    def __init__(self, script: PageScript, host: str, origin: str) -> None:
        self.script, self.host, self.origin = script, host, origin
        self.ws = WSConnection(ConnectionType.CLIENT)
        self.transport: asyncio.Transport | None = None
        self.parts: list[str] = []
        self.hydrated: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed = False
        self.received = 0
        self.first_step_at: float | None = None  # wall clock: the room's first reveal delta
        self.done_at: float | None = None  # … and its last, the winners
        self.from_database_at: float | None = None  # the tab's own fallback showed the result

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        request = Request(
            host=self.host,
            target=f"{NAMESPACE}/?token={uuid.uuid4()}&EIO=4&transport=websocket",
            subprotocols=[REFLEX_VERSION],  # as the browser's Socket.IO client sends it
            extra_headers=[(b"origin", self.origin.encode()), *BROWSER_HEADERS],
        )
        self._write(request)

    def data_received(self, data: bytes) -> None:
        self.ws.receive_data(data)
        for event in self.ws.events():
            if isinstance(event, TextMessage):
                self.parts.append(event.data)
                if event.message_finished:
                    text = "".join(self.parts)
                    self.parts.clear()
                    self.on_message(text)
            elif isinstance(event, Ping):
                self._write(event.response())
            elif isinstance(event, RejectConnection):
                self.fail(f"the websocket upgrade was refused ({event.status_code})")
            elif isinstance(event, CloseConnection):
                if self.ws.state is ConnectionState.REMOTE_CLOSING:
                    self._write(event.response())
                self.fail(f"the server closed the websocket ({event.code})")

    def on_message(self, text: str) -> None:
        if text == PING:
            self.send(PONG)
        elif text.startswith(OPEN):
            self.send(self.script.boot)
        elif text.startswith(REFUSED):
            self.fail(f"Socket.IO refused the connection: {text[:200]}")
        elif text.startswith(EVENT):
            self.received += 1
            if not self.hydrated.done() and HYDRATED in text:
                self.hydrated.set_result(None)
                for frame in self.script.once:
                    self.send(frame)
            if (at := text.find(PHASE)) >= 0:
                start = at + len(PHASE)
                self.note_phase(text[start : text.index('"', start)])
            if self.from_database_at is None and SHOWN_FROM_DATABASE in text:
                self.from_database_at = time.time()

    def note_phase(self, phase: str) -> None:
        if phase and self.first_step_at is None:
            self.first_step_at = time.time()
        if phase == DONE and self.done_at is None:
            self.done_at = time.time()

    def start_heartbeat(self) -> None:
        """Repeat what the tab repeated, from a random moment of each period: tabs opened at
        different times do not tick together."""
        for repeated in self.script.repeated:
            self.beat_later(repeated, random.uniform(0, repeated.period))

    def beat_later(self, repeated: Repeated, delay: float) -> None:
        def beat() -> None:
            if not self.closed:
                self.send(repeated.frame)
                self.beat_later(repeated, repeated.period)

        asyncio.get_running_loop().call_later(delay, beat)

    def send(self, text: str) -> None:
        if self.ws.state is ConnectionState.OPEN:
            self._write(Message(data=text))

    def _write(self, event: Event) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(self.ws.send(event))

    def fail(self, why: str) -> None:
        if not self.hydrated.done():
            self.hydrated.set_exception(ConnectionError(why))
        self.close()

    def close(self) -> None:
        """As a tab closes: a close frame, then the connection goes."""
        self.closed = True
        if self.ws.state is ConnectionState.OPEN:
            self._write(CloseConnection(code=1000))
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if not self.hydrated.done():
            self.hydrated.set_exception(ConnectionError(f"connection lost: {exc}"))


REFLEX_VERSION = version("reflex")


# ---- many clients in a few processes -----------------------------------------------------------


class Crowd:
    """One client process's spectators, on one asyncio loop."""

    def __init__(self, address: tuple[str, int], host: str, origin: str) -> None:
        self.address, self.host, self.origin = address, host, origin
        self.spectators: list[Spectator] = []

    async def join(self, script: PageScript, count: int, budget: float) -> dict[str, Any]:
        """Connect `count` clients, a few handshakes at a time; those not hydrated within
        `budget` seconds count as failed."""
        loop = asyncio.get_running_loop()
        gate = asyncio.Semaphore(HANDSHAKES_AT_ONCE)
        deadline = loop.time() + budget

        async def one() -> None:
            async with asyncio.timeout_at(deadline), gate:
                _, spectator = await loop.create_connection(
                    lambda: Spectator(script, self.host, self.origin), *self.address
                )
                try:
                    await spectator.hydrated
                except BaseException:
                    spectator.close()
                    raise
            self.spectators.append(spectator)

        outcomes = await asyncio.gather(*(one() for _ in range(count)), return_exceptions=True)
        failures = [repr(o) for o in outcomes if isinstance(o, BaseException)]
        return {"joined": count - len(failures), "failed": len(failures), "failures": failures[:3]}

    async def beat(self) -> None:
        for spectator in self.spectators:
            spectator.start_heartbeat()

    async def received(self) -> int:
        return sum(s.received for s in self.spectators)

    async def reveals(self) -> list[tuple[float | None, float | None, float | None]]:
        return [(s.first_step_at, s.done_at, s.from_database_at) for s in self.spectators]

    async def leave(self) -> None:
        for spectator in self.spectators:
            spectator.close()
        self.spectators.clear()
        await asyncio.sleep(0.5)  # the close frames go out


def client_process(pipe: Connection, address: tuple[str, int], host: str, origin: str) -> None:
    asyncio.run(_obey(pipe, Crowd(address, host, origin)))


async def _obey(pipe: Connection, crowd: Crowd) -> None:
    loop = asyncio.get_running_loop()
    while True:
        command, *args = await loop.run_in_executor(None, pipe.recv)
        if command == "exit":
            pipe.send(None)
            return
        pipe.send(await getattr(crowd, command)(*args))


class Clients:
    """The lightweight clients of one round, spread over a few processes (CLIENTS_PER_PROCESS)."""

    def __init__(self, url: str, count: int) -> None:
        parts = urlsplit(url)
        host, port = parts.hostname or "localhost", parts.port or 80
        # Resolved once: a thousand lookups of "localhost" would only measure the resolver.
        address = socket.getaddrinfo(host, port, socket.AF_INET, socket.SOCK_STREAM)[0][4][:2]
        origin = f"{parts.scheme}://{parts.netloc}"
        context = multiprocessing.get_context("spawn")  # no copy of this process's database pool
        self.pipes: list[Connection] = []
        self.processes: list[multiprocessing.process.BaseProcess] = []
        for _ in range(max(1, math.ceil(count / CLIENTS_PER_PROCESS))):
            ours, theirs = context.Pipe()
            process = context.Process(
                target=client_process, args=(theirs, address, parts.netloc, origin), daemon=True
            )
            process.start()
            self.pipes.append(ours)
            self.processes.append(process)

    def _ask(self, command: str, *per_process: tuple) -> list:
        for pipe, args in zip(self.pipes, per_process or [()] * len(self.pipes), strict=True):
            pipe.send((command, *args))
        return [pipe.recv() for pipe in self.pipes]

    def join(self, script: PageScript, count: int, budget: float) -> tuple[int, list[str]]:
        """How many joined, and the first few failures."""
        n = len(self.pipes)
        shares = [count // n + (i < count % n) for i in range(n)]
        answers = self._ask("join", *[(script, share, budget) for share in shares])
        return sum(a["joined"] for a in answers), [f for a in answers for f in a["failures"]]

    def beat(self) -> None:
        self._ask("beat")

    def received(self) -> int:
        return sum(self._ask("received"))

    def reveals(self) -> list[tuple[float | None, float | None, float | None]]:
        return [times for answer in self._ask("reveals") for times in answer]

    def cpu_seconds(self) -> float:
        return cpu_seconds([psutil.Process(p.pid) for p in self.processes if p.pid is not None])

    def stop(self) -> None:
        self._ask("leave")
        self._ask("exit")
        for process in self.processes:
            process.join(timeout=10)


# ---- or real tabs ---------------------------------------------------------------------------

# Put into every tab before the page's own scripts: counts the deltas its websocket receives and
# notes, by the browser's clock, when it saw the same markers the lightweight clients look for.
TAB_WATCH = f"""(() => {{
  const Native = window.WebSocket;
  const seen = (window.__spectator = {{received: 0, hydrated: false, first: null, done: null,
                                       fromDatabase: null}});
  window.WebSocket = class extends Native {{
    constructor(...args) {{
      super(...args);
      this.addEventListener("message", (message) => {{
        const text = typeof message.data === "string" ? message.data : "";
        if (!text.startsWith({json.dumps(EVENT)})) return;
        seen.received++;
        if (text.includes({json.dumps(HYDRATED)})) seen.hydrated = true;
        const at = text.indexOf({json.dumps(PHASE)});
        if (at >= 0) {{
          const start = at + {len(PHASE)};
          const phase = text.slice(start, text.indexOf('"', start));
          if (phase && seen.first === null) seen.first = Date.now();
          if (phase === {json.dumps(DONE)} && seen.done === null) seen.done = Date.now();
        }}
        if (seen.fromDatabase === null && text.includes({json.dumps(SHOWN_FROM_DATABASE)}))
          seen.fromDatabase = Date.now();
      }});
    }}
  }};
}})();"""


class Tabs:
    """Real Chromium tabs, each in its own browser context (its own session, so its own token),
    with the same interface as Clients. Each tab is a renderer process: for small N only. A tab
    runs its page's heartbeat itself, from the start; it also fetches the page's HTML and scripts
    from the app, as a first visit does."""

    def __init__(self, url: str, count: int) -> None:
        from playwright.sync_api import sync_playwright

        self.url = url
        self.playwright = sync_playwright().start()
        self.browser = self.playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        self.pages: list[Any] = []

    def join(self, script: PageScript, count: int, budget: float) -> tuple[int, list[str]]:
        deadline = time.monotonic() + budget
        failures = []
        for _ in range(count):
            context = self.browser.new_context()
            context.add_init_script(TAB_WATCH)
            page = context.new_page()
            try:
                timeout = max(1.0, deadline - time.monotonic()) * 1000
                page.goto(self.url + script.path, timeout=timeout)
                page.wait_for_function("window.__spectator.hydrated", timeout=timeout)
                self.pages.append(page)
            except Exception as error:  # noqa: BLE001 - counted and shown as a failed join
                failures.append(repr(error))
                context.close()
        return count - len(failures), failures[:3]

    def beat(self) -> None:
        """Nothing to start: a tab's heartbeat runs from the moment its page is up."""

    def received(self) -> int:
        return sum(page.evaluate("window.__spectator.received") for page in self.pages)

    def reveals(self) -> list[tuple[float | None, float | None, float | None]]:
        def seconds(ms: float | None) -> float | None:
            return None if ms is None else ms / 1000

        seen = [page.evaluate("window.__spectator") for page in self.pages]
        return [(seconds(s["first"]), seconds(s["done"]), seconds(s["fromDatabase"])) for s in seen]

    def cpu_seconds(self) -> float:
        """Chromium's and Playwright's driver: every process this one started."""
        return cpu_seconds(psutil.Process().children(recursive=True))

    def stop(self) -> None:
        self.browser.close()
        self.playwright.stop()


# ---- the draws ---------------------------------------------------------------------------------


class RaffleDraws:
    """Club raffle draws for the live page, made and drawn with the app's own services."""

    def __init__(self) -> None:
        from luckyclub import modes  # noqa: F401 - every mode's draw pool, as the app registers
        from luckyclub.core.db import session_scope
        from luckyclub.models import id_of
        from luckyclub.platform import accounts, members

        with session_scope() as s:
            admin, _ = members.create_or_promote_admin(
                s,
                email="spectators-bench@example.com",
                password=secrets.token_urlsafe(16),
                display_name="Spectators Bench",
            )
            self.admin_id = id_of(admin)
            self.entrant_ids: list[int] = []
            for n in range(3):
                email = f"spectator-entrant-{n}@example.com"
                user = accounts.find_by_email(s, email) or accounts.register(
                    s,
                    email=email,
                    password=secrets.token_urlsafe(16),
                    display_name=f"Entrant {n + 1}",
                    date_of_birth="1990-04-21",
                    timezone="UTC",
                    client_ip=f"198.18.255.{n + 1}",  # one sign-up per address: no limit met
                    verified=True,
                )
                assert user is not None
                self.entrant_ids.append(id_of(user))

    def schedule(self, title: str) -> tuple[int, int]:
        """An open raffle with entries, closing in an hour: its draw's id and its own."""
        from luckyclub.club import ledger, raffles
        from luckyclub.core.db import get_existing, session_scope
        from luckyclub.models import LedgerSource, User, id_of, utcnow

        with session_scope() as s:
            admin = get_existing(s, User, self.admin_id)
            month = next(
                m
                for m in (f"{year}-{mm:02d}" for year in range(2090, 2200) for mm in range(1, 13))
                if raffles.raffle_for_month(s, m) is None
            )
            raffle = raffles.create(
                s,
                admin,
                month=month,
                title=title,
                prize="A seat in the front row",
                closes_at=utcnow() + timedelta(hours=1),
            )
            raffle, _ = raffles.open_raffle(s, admin, id_of(raffle))
            for held, user_id in enumerate(self.entrant_ids, start=3):
                ledger.credit(
                    s,
                    raffle_id=id_of(raffle),
                    user_id=user_id,
                    source=LedgerSource.BASE,
                    amount=held,
                    key=f"spectators:{raffle.id}:{user_id}",
                )
            draw = raffles.draw_of(s, id_of(raffle))
            assert draw is not None
            return id_of(draw), id_of(raffle)

    def close_soon(self, raffle_id: int, seconds: float) -> float:
        """Move the raffle's closing time (and so its draw's) to `seconds` from now, as an admin
        edits it; the new draw time."""
        from luckyclub.club import raffles
        from luckyclub.core.db import get_existing, session_scope
        from luckyclub.models import User, utcnow

        with session_scope() as s:
            closes_at = utcnow() + timedelta(seconds=seconds)
            raffles.update(s, get_existing(s, User, self.admin_id), raffle_id, closes_at=closes_at)
            return closes_at.timestamp()

    def draw(self, draw_id: int) -> str:
        """Close the pool and draw it, as `jobs run-due` does for a due draw; the outcome."""
        from luckyclub.core.db import session_scope
        from luckyclub.platform import draws

        with session_scope() as s:
            draws.close(s, draw_id)
        return draws.perform(draw_id).status


# ---- the rounds --------------------------------------------------------------------------------

ROW = "{:<15} {:>11}  {:<24} {:>9} {:>10} {:>9} {:>7} {:>7}"
ALONE_SECONDS = 5.0  # the app's own CPU with no client, before each round
SATURATED = 0.9  # share of a core: one Python process cannot give more


@dataclass
class Figures:
    page: str
    asked: int
    joined: int = 0
    heartbeat: str = ""
    alone_ms: float = 0.0  # server CPU with no client, ms per second
    server_ms: float = 0.0  # … with the clients, in the idle window
    busiest: float = 0.0  # the busiest server process's share of a core in the idle window
    beats: float = 0.0  # the events each client sent per second (its heartbeat)
    deltas: float = 0.0  # what each client received per second in the idle window
    client_share: float = 0.0  # the clients' own CPU in the idle window, share of one core
    rss_kib: float = 0.0  # server memory per client, once they are all in
    uss_kib: float = 0.0
    grew_mib: float = 0.0  # server USS growth during the idle window (a backlog, if any)
    join_seconds: float = 0.0  # until the last client was hydrated
    drain_seconds: float = 0.0  # then until the server was quiet (-1: it never was)

    @property
    def saturated(self) -> bool:
        """The server could not do what it was asked: a process at a full core, or clients got
        fewer deltas than the ticks they sent (each answered tick brings one at least). The
        per-client CPU is then a lower bound."""
        return self.busiest >= SATURATED or self.deltas < 0.9 * self.beats

    @property
    def per_client_ms(self) -> float:
        return (self.server_ms - self.alone_ms) / self.joined if self.joined else math.inf

    def notes(self, app: App) -> list[str]:
        notes = [
            f"app alone {self.alone_ms:.1f} ms/s",
            f"joined in {self.join_seconds:.1f} s",
            f"clients used {self.client_share:.0%} of a core",
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
        ]
        if app.started_seconds:
            notes.insert(0, f"fresh app (up in {app.started_seconds:.0f} s)")
        if self.drain_seconds < 0:
            notes.insert(-2, "the server never went quiet after the join")
        elif self.drain_seconds >= 1:
            notes.insert(-2, f"the server was busy {self.drain_seconds:.0f} s more")
        if abs(self.grew_mib) >= 1:
            notes.append(f"server USS {self.grew_mib:+.0f} MiB in the idle window")
        if self.saturated:
            notes.append(
                f"SATURATED: its busiest process used {self.busiest:.0%} of a core and a client "
                f"got {self.deltas:.2f} deltas a second for {self.beats:.1f} ticks sent"
            )
        return notes

    def row(self) -> str:
        return ROW.format(
            self.page,
            f"{self.joined:,}/{self.asked:,}",
            self.heartbeat[:24],
            f"{self.server_ms:.0f}",
            f"{'>=' if self.saturated else ''}{self.per_client_ms:.3f}",
            f"{self.deltas:.2f}",
            f"{self.rss_kib:.0f}",
            f"{self.uss_kib:.0f}",
        )


def page_round(app: App, path: str, count: int, args: argparse.Namespace) -> Figures:
    """N clients on one page: they join, memory, the idle window; then they leave."""
    figures, clients = watch(app, path, count, args)
    clients.stop()
    return figures


def watch(
    app: App, path: str, count: int, args: argparse.Namespace
) -> tuple[Figures, Clients | Tabs]:
    """A real tab shows what the page sends. N clients join without their heartbeat and the
    server finishes what their joining queued; memory per client is measured then. Then the
    heartbeat starts and, after a moment to settle, the idle window. The clients stay connected
    for the caller."""
    server, figures = app.server, Figures(path, count)
    wait_until_quiet(server)
    script = probe(app.url, path)
    heartbeat, figures.heartbeat = heartbeat_of("auto" if args.tabs else args.heartbeat, script)
    wait_until_quiet(server)
    figures.alone_ms = server_ms(server, ALONE_SECONDS)
    before = server.memory()
    clients = (Tabs if args.tabs else Clients)(app.url, count)
    started = time.monotonic()
    figures.joined, failures = clients.join(script, count, args.join_timeout)
    figures.join_seconds = time.monotonic() - started
    if failures:
        print(f"  {count - figures.joined} clients failed to join {path}, e.g. {failures[0]}")
    # Tabs tick from the start: their server never goes quiet.
    figures.drain_seconds = 0.0 if args.tabs else wait_until_quiet(server, args.drain_timeout)
    joined = server.memory()
    if figures.joined:
        figures.rss_kib = (joined.rss - before.rss) / 1024 / figures.joined
        figures.uss_kib = (joined.uss - before.uss) / 1024 / figures.joined
    if heartbeat:
        clients.beat()
        figures.beats = script.beats_per_second()
    time.sleep(SETTLE_SECONDS)
    received, client_cpu, started = clients.received(), clients.cpu_seconds(), time.monotonic()
    figures.server_ms, figures.busiest = server_window(server, args.idle)
    elapsed = time.monotonic() - started
    if figures.joined:
        figures.deltas = (clients.received() - received) / figures.joined / elapsed
    figures.client_share = (clients.cpu_seconds() - client_cpu) / elapsed
    figures.grew_mib = (server.memory().uss - joined.uss) / 2**20
    print(figures.row())
    print(" " * 17 + "; ".join(figures.notes(app)))
    return figures, clients


def server_ms(server: Server, seconds: float) -> float:
    """The server's CPU over a window, in ms per second."""
    return server_window(server, seconds)[0]


def server_window(server: Server, seconds: float) -> tuple[float, float]:
    """The server's CPU over a window in ms per second, and the busiest process's share of a
    core: near 1, that process had no time left and the per-client figure is a lower bound."""
    started, before = time.monotonic(), server.cpu_by_process()
    time.sleep(seconds)
    after, elapsed = server.cpu_by_process(), time.monotonic() - started
    spent = [after[pid] - before.get(pid, 0.0) for pid in after]
    return sum(spent) * 1000 / elapsed, max(spent, default=0.0) / elapsed


@dataclass
class Reveal:
    draw_id: int
    watching: int
    outcome: str
    trigger_seconds: float  # close + perform
    first_steps: list[float]  # per client: seconds from the trigger to the reveal's first delta
    done: list[float]  # … to the winners
    from_database: int  # clients that showed the result from their own database look only
    missed: int  # clients that showed nothing
    waited: float  # how long the clients were given

    def describe(self) -> str:
        lines = [
            f"Reveal of draw {self.draw_id} to {self.watching:,} clients: {self.outcome} "
            f"in {self.trigger_seconds:.2f} s by this process (close + perform)."
        ]
        if self.first_steps:
            steps = sorted(self.first_steps)
            lines.append(
                f"  It began {steps[0]:.2f} s after the trigger for the first client, "
                f"{statistics.median(steps):.2f} s for the median, {steps[-1]:.2f} s for the "
                f"last ({len(steps):,} of {self.watching:,})."
            )
        if self.done:
            done = sorted(self.done)
            lines.append(
                f"  The winners reached the first after {done[0]:.2f} s and the last after "
                f"{done[-1]:.2f} s ({len(done):,}): {done[-1] - done[0]:.2f} s apart (the room "
                f"pauses {STEP_SECONDS:.0f} s per step)."
            )
        if self.from_database or self.missed:
            lines.append(
                f"  {self.from_database:,} showed the result from their own look at the database, "
                f"{self.missed:,} showed nothing within {self.waited:.0f} s."
            )
        return "\n".join(lines)


STEP_SECONDS = 1.0  # state/draws/draw_room.py: the reveal's pause between two writes


def live_round(
    app: App, raffles: RaffleDraws, count: int, args: argparse.Namespace
) -> tuple[Figures, Reveal]:
    """N clients on /live/<id> of a raffle closing in an hour, for the idle figures; then its
    closing time is moved to a moment from now, and once due it is drawn as cron would."""
    draw_id, raffle_id = raffles.schedule(f"Spectators bench: {count:,} watching")
    figures, clients = watch(app, f"/live/{draw_id}", count, args)
    seen: list[tuple[float | None, float | None, float | None]] = []
    try:
        draw_at = raffles.close_soon(raffle_id, DUE_IN_SECONDS)
        time.sleep(max(0.0, draw_at - time.time()) + 0.1)
        triggered = time.time()
        outcome = raffles.draw(draw_id)
        trigger_seconds = time.time() - triggered
        deadline = time.monotonic() + args.reveal_timeout
        while time.monotonic() < deadline:
            seen = clients.reveals()
            if all(done is not None for _, done, _ in seen):
                break
            time.sleep(0.5)
    finally:
        clients.stop()
    reveal = Reveal(
        draw_id=draw_id,
        watching=len(seen),
        outcome=outcome,
        trigger_seconds=trigger_seconds,
        first_steps=[first - triggered for first, _, _ in seen if first is not None],
        done=[done - triggered for _, done, _ in seen if done is not None],
        from_database=sum(first is None and db is not None for first, _, db in seen),
        missed=sum(first is None and db is None for first, _, db in seen),
        waited=args.reveal_timeout,
    )
    return figures, reveal


DUE_IN_SECONDS = 3.0  # the moved closing time: the room is told of the change, if it listens


def judge(count: int, figures: Figures, reveal: Reveal | None) -> list[tuple[int, str, str]]:
    def verdict(ok: bool, value: str) -> str:
        return f"{value:>11}  {'meets' if ok else 'MISSES'}"

    page = figures.page.split("/")[1]
    verdicts = [
        (
            count,
            f"{page}: idle CPU <= {AIM_CPU_MS} ms per client per second",
            verdict(
                figures.per_client_ms <= AIM_CPU_MS and not figures.saturated,
                f"{'>=' if figures.saturated else ''}{figures.per_client_ms:.3f} ms",
            ),
        ),
        (
            count,
            f"{page}: server memory <= {AIM_MEMORY_KIB:.0f} KiB per client",
            verdict(figures.uss_kib <= AIM_MEMORY_KIB, f"{figures.uss_kib:.0f} KiB"),
        ),
    ]
    if reveal is not None:
        last = max(reveal.first_steps) if reveal.first_steps else math.inf
        everyone = len(reveal.first_steps) == reveal.watching == figures.asked
        verdicts.append(
            (
                count,
                f"{page}: the reveal reaches all within {AIM_REVEAL_SECONDS:.0f} s",
                verdict(
                    everyone and last <= AIM_REVEAL_SECONDS,
                    f"{last:.2f} s" if math.isfinite(last) else "none",
                ),
            )
        )
    return verdicts


if __name__ == "__main__":
    main()

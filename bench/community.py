"""A community raffle at streaming scale, on PostgreSQL: Kick's webhook under a busy chat, the
hourly conversion of chat time, and the leaderboard of a big community.

1. Webhook. 1,000 chatters talk for a simulated hour, each once a minute: 60,000 chat.message.sent
   deliveries, each signed with RSA (PKCS#1 v1.5, SHA-256) the way Kick signs, POSTed by a few
   client threads to the real route of a real server (uvicorn serving the app's API in its own
   process, KICK_PUBLIC_KEY set to the bench's key). While they arrive, the inbox is processed
   as the kick_inbox job does (community.inbox.process_due, in threads), and after each simulated
   minute the chat-time tick runs for it (community.chat_time.tick), as the every-minute job would.
   Figure: the webhook's p95 response time, measured at the client, aim <= 50 ms.
2. Conversion. community.chat_time.convert_hour for that hour (1,000 viewers x 60 minutes, half
   of them linked: ledger rows; half not: held tickets), one unit of work. Aim <= 2 s.
3. Leaderboard. 100,000 more viewers hold tickets in the period (ledger rows by COPY, balances
   built from them); community.views.leaderboard, timed over 200 calls. Aim p95 <= 20 ms.

Deliveries go as fast as the clients can send them, about 50 times Kick's rate for such a chat:
the p95 is under load. The hour simulated is the last whole hour (message bodies carry its
times; the signed Kick timestamps are real, inside the webhook's 10-minute window). A benchmark,
not a test:

    .venv/bin/python bench/community.py [--chatters 1000] [--minutes 60] [--clients 4]
        [--processors 2] [--viewers 100000] [--database-url URL] [--keep] [--seed 7] [--profile]

--profile prints where the conversion's time goes: each SQL statement's share and the top Python
functions by own time (cProfile).
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import io
import json
import os
import pstats
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import padding, rsa  # noqa: E402
from sqlalchemy import event, func  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import Session, SQLModel, col, select  # noqa: E402

from bench.scratch import (  # noqa: E402
    add_database_args,
    api_server,
    load_period_viewers,
    scratch_database,
    timed_posts,
    url_of,
    vacuum_analyze,
)
from luckyclub.core import db, routes  # noqa: E402
from luckyclub.core.settings import get_settings  # noqa: E402
from luckyclub.integrations.kick import signed_bytes  # noqa: E402
from luckyclub.models import (  # noqa: E402
    Community,
    KickEvent,
    KickIdentity,
    Program,
    User,
    utcnow,
)

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/luckyclub_bench_community"
BROADCASTER = 900_000_001
FIRST_CHATTER = 10_000_001
AIM_WEBHOOK_MS, AIM_CONVERT_S, AIM_BOARD_MS = 50.0, 2.0, 20.0
BOARD_CALLS = 200


def main() -> None:
    args = parse_args()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    # The app's settings, before anything reads them: a private data folder, a fixed secret key,
    # the bench's Kick key, no scheduler (the bench runs the jobs' functions itself).
    os.environ.setdefault("SECRET_KEY", "bench-secret-key")
    os.environ.setdefault("LUCKYCLUB_DATA_DIR", tempfile.mkdtemp(prefix="luckyclub-bench-"))
    os.environ["KICK_PUBLIC_KEY"] = pem
    os.environ["SCHEDULER_ENABLED"] = "0"
    get_settings.cache_clear()
    pool = args.clients + args.processors + 4
    with scratch_database(args, pool_size=pool) as engine:
        SQLModel.metadata.create_all(engine)
        url = url_of(engine)
        db._engines[url] = engine  # the app's session_scope() uses this engine (and its pool)
        db.use_database(url)
        run(engine, args, key)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chatters", type=int, default=1000)
    parser.add_argument("--minutes", type=int, default=60, help="of the simulated hour (<= 60)")
    parser.add_argument("--clients", type=int, default=4, help="threads sending deliveries")
    parser.add_argument("--processors", type=int, default=2, help="threads processing the inbox")
    parser.add_argument("--viewers", type=int, default=100_000, help="for the leaderboard")
    parser.add_argument(
        "--profile", action="store_true", help="where the conversion's time goes (SQL and Python)"
    )
    add_database_args(parser, DEFAULT_URL)
    args = parser.parse_args()
    args.minutes = max(1, min(args.minutes, 60))
    return args


def run(engine: Engine, args: argparse.Namespace, key: rsa.RSAPrivateKey) -> None:
    from luckyclub.community import chat_time  # after the settings are in place

    rng = random.Random(args.seed)
    hour = chat_time.hour_of(utcnow()) - timedelta(hours=1)
    community_id = setup(engine, args.chatters, hour)
    print(
        f"Community with {args.chatters:,} chatters ({args.chatters // 2:,} linked); "
        f"simulated hour {hour:%Y-%m-%d %H:%M} UTC, {args.minutes} minutes."
    )

    with api_server(url_of(engine)) as base:
        latencies, seconds = webhook_hour(base, community_id, hour, key, args, rng)
    report_webhook(latencies, seconds)

    converted, convert_seconds = convert(community_id, hour, profile=args.profile)
    print(
        f"\nConversion of the hour: {converted.viewers:,} viewers, {converted.minutes:,} minutes "
        f"-> {converted.tickets:,} tickets in {convert_seconds:.2f} s "
        f"(aim <= {AIM_CONVERT_S:.0f} s: {verdict(convert_seconds <= AIM_CONVERT_S)})."
    )
    expected = args.chatters * (args.minutes // 60) * 10
    if args.minutes == 60 and converted.tickets != expected:
        print(f"  ! expected {expected:,} tickets (60 minutes = 10 tickets each)")

    period_id = load_viewers(engine, community_id, hour, args.viewers, rng)
    vacuum_analyze(engine)
    report_board(leaderboard(engine, period_id))


# ---- the community and its chatters -------------------------------------------------------------


def setup(engine: Engine, chatters: int, hour: datetime) -> int:
    with Session(engine) as session:
        program = Program(slug="bench-streamer", name="Bench Streamer")
        session.add(program)
        session.flush()
        community = Community(
            program_id=program.id,
            kick_broadcaster_id=BROADCASTER,
            is_live=True,
            live_since=hour - timedelta(hours=1),
        )
        session.add(community)
        users = [
            User(
                email=f"chatter{n}@bench.example",
                password_hash="-",
                display_name=f"Chatter {n}",
                date_of_birth=hour.date().replace(year=1990),
                email_verified_at=hour,
            )
            for n in range(chatters // 2)
        ]
        session.add_all(users)
        session.flush()
        session.add_all(
            KickIdentity(
                kick_user_id=FIRST_CHATTER + n,
                username=f"chatter{n}",
                user_id=user.id,
                linked_at=hour - timedelta(days=1),
                updated_at=hour - timedelta(days=1),
            )
            for n, user in enumerate(users)
        )
        session.commit()
        assert community.id is not None
        return community.id


# ---- 1. the webhook under a busy chat -----------------------------------------------------------


def chat_body(kick_id: int, at: datetime, n: int) -> bytes:
    return json.dumps(
        {
            "message_id": f"bench-chat-{n}",
            "broadcaster": {"user_id": BROADCASTER, "username": "streamer"},
            "sender": {"user_id": kick_id, "username": f"chatter{kick_id - FIRST_CHATTER}"},
            "content": "gg",
            "emotes": [],
            "created_at": at.isoformat().replace("+00:00", "Z"),
        }
    ).encode()


def deliveries(
    chatters: int, minute: datetime, first: int, rng: random.Random
) -> list[tuple[str, bytes]]:
    """One message from each chatter in this minute, in a shuffled order, with message ids."""
    order = list(range(chatters))
    rng.shuffle(order)
    out = []
    for k, n in enumerate(order):
        at = minute + timedelta(seconds=rng.uniform(0, 59.9))
        out.append((f"01BENCH{first + k:019d}", chat_body(FIRST_CHATTER + n, at, first + k)))
    return out


def signed_headers(key: rsa.RSAPrivateKey, message_id: str, body: bytes) -> dict[str, str]:
    stamp = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    signature = key.sign(signed_bytes(message_id, stamp, body), padding.PKCS1v15(), hashes.SHA256())
    return {
        "Content-Type": "application/json",
        "Kick-Event-Message-Id": message_id,
        "Kick-Event-Subscription-Id": "01BENCHSUBSCRIPTION",
        "Kick-Event-Signature": base64.b64encode(signature).decode(),
        "Kick-Event-Message-Timestamp": stamp,
        "Kick-Event-Type": "chat.message.sent",
        "Kick-Event-Version": "1",
    }


def send_all(
    base: str, key: rsa.RSAPrivateKey, batch: list[tuple[str, bytes]], clients: int
) -> list[float]:
    """POST every delivery of the batch from `clients` threads; the milliseconds of each answer
    (each is signed just before it goes, outside the clock)."""
    return timed_posts(
        base,
        routes.KICK_WEBHOOK,
        ((body, signed_headers(key, message_id, body)) for message_id, body in batch),
        clients,
        lambda r: "" if r.status_code == 200 else f"{r.status_code} {r.text[:200]}",
        what="deliveries",
    )


class InboxProcessors:
    """Threads doing what the kick_inbox job does, until stopped."""

    def __init__(self, count: int) -> None:
        self.stopping = threading.Event()
        self.processed = 0
        self.failed = 0
        self._lock = threading.Lock()
        self.threads = [threading.Thread(target=self._loop) for _ in range(count)]

    def __enter__(self) -> InboxProcessors:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join()

    def _loop(self) -> None:
        from luckyclub.community import inbox

        while not self.stopping.is_set():
            done = inbox.process_due(limit=200)
            with self._lock:
                self.processed += done.processed
                self.failed += done.failed
            if done.processed == 0 and done.failed == 0:
                time.sleep(0.02)


def unprocessed(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(
            select(func.count()).select_from(KickEvent).where(col(KickEvent.processed_at).is_(None))
        ).one()


def webhook_hour(
    base: str,
    community_id: int,
    hour: datetime,
    key: rsa.RSAPrivateKey,
    args: argparse.Namespace,
    rng: random.Random,
) -> tuple[list[float], float]:
    from luckyclub.community import chat_time

    latencies: list[float] = []
    ticked = 0
    began = time.perf_counter()
    engine = db.get_engine()
    with InboxProcessors(args.processors) as processors:
        for m in range(args.minutes):
            minute = hour + timedelta(minutes=m)
            batch = deliveries(args.chatters, minute, m * args.chatters, rng)
            latencies += send_all(base, key, batch, args.clients)
            while unprocessed(engine):  # the minute's chats are in before it is ticked
                time.sleep(0.01)
            with db.session_scope() as session:
                community = session.get(Community, community_id)
                assert community is not None
                ticked += chat_time.tick(session, community, minute)
            if (m + 1) % 10 == 0 or m + 1 == args.minutes:
                print(
                    f"  minute {m + 1:>2}: {len(latencies):,} delivered, "
                    f"{processors.processed:,} processed, {ticked:,} chat minutes, "
                    f"p95 so far {p95(latencies):.1f} ms"
                )
    if processors.failed:
        print(f"  ! {processors.failed} events failed to process")
    return latencies, time.perf_counter() - began


def report_webhook(latencies: list[float], seconds: float) -> None:
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    print(
        f"\nWebhook: {len(latencies):,} signed deliveries in {seconds:.0f} s "
        f"({len(latencies) / seconds:.0f}/s, inbox processed alongside): "
        f"p50 {cuts[49]:.1f} ms, p95 {cuts[94]:.1f} ms, p99 {cuts[98]:.1f} ms, "
        f"max {max(latencies):.1f} ms (aim p95 <= {AIM_WEBHOOK_MS:.0f} ms: "
        f"{verdict(cuts[94] <= AIM_WEBHOOK_MS)})."
    )


# ---- 2. the hour's conversion -------------------------------------------------------------------


def convert(community_id: int, hour: datetime, *, profile: bool = False):
    from luckyclub.community import chat_time

    statements: Counter[str] = Counter()
    spent: Counter[str] = Counter()
    engine = db.get_engine()

    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_started"] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        shape = " ".join(statement.split())[:110]
        statements[shape] += 1
        spent[shape] += time.perf_counter() - conn.info.pop("bench_started")

    profiler = cProfile.Profile() if profile else None
    if profile:
        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "after_cursor_execute", after)
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    with db.session_scope() as session:
        community = session.get(Community, community_id)
        assert community is not None
        converted = chat_time.convert_hour(session, community, hour)
    seconds = time.perf_counter() - started
    if profiler:
        profiler.disable()
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
        print(f"\n  SQL of the conversion ({sum(statements.values()):,} statements):")
        for shape, total in spent.most_common(8):
            print(f"  {total * 1000:8.0f} ms {statements[shape]:>6}x  {shape}")
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(12)
        print("\n".join(out.getvalue().splitlines()[:32]))
    return converted, seconds


# ---- 3. the leaderboard of a big community ------------------------------------------------------


def load_viewers(
    engine: Engine, community_id: int, hour: datetime, viewers: int, rng: random.Random
) -> int:
    """`viewers` more accounts holding tickets in the hour's period (bench/scratch.py)."""
    from luckyclub.community import periods

    started = time.perf_counter()
    with db.session_scope() as session:
        community = session.get(Community, community_id)
        assert community is not None
        period_id = periods.period_of(session, community, hour).id
    assert period_id is not None
    load_period_viewers(engine, period_id, hour, viewers, rng)
    print(
        f"\nLoaded {viewers:,} more viewers' tickets into the period in "
        f"{time.perf_counter() - started:.1f} s."
    )
    return period_id


def leaderboard(engine: Engine, period_id: int) -> list[float]:
    from luckyclub.community import views

    timings: list[float] = []
    for n in range(BOARD_CALLS + 5):
        with Session(engine) as session:
            started = time.perf_counter()
            rows = views.leaderboard(session, period_id)
            elapsed = (time.perf_counter() - started) * 1000
        if n >= 5:  # the first calls open connections and warm the cache
            timings.append(elapsed)
    assert rows and rows[0].tickets >= rows[-1].tickets
    return timings


def report_board(timings: list[float]) -> None:
    cuts = statistics.quantiles(timings, n=100, method="inclusive")
    print(
        f"Leaderboard (top {views_size()}) of the period: {len(timings)} calls, "
        f"p50 {cuts[49]:.2f} ms, p95 {cuts[94]:.2f} ms "
        f"(aim p95 <= {AIM_BOARD_MS:.0f} ms: {verdict(cuts[94] <= AIM_BOARD_MS)})."
    )


def views_size() -> int:
    from luckyclub.community import views

    return views.LEADERBOARD_SIZE


# ---- figures ------------------------------------------------------------------------------------


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[94] if len(values) > 1 else 0.0


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


if __name__ == "__main__":
    main()

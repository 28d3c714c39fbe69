"""How long a big signup lottery takes to close and run, and to verify, on PostgreSQL.

Loads one lottery list of E events (spots 1 to 10 each, a per-member limit, a waitlist) and N
entries from F families (1 to 4 family members each) into a scratch database, then, in a fresh
process, runs the real app code: the draws job's close (snapshot of (element, entrant ref) lines,
the frozen terms) and run (the draw, the winners' DrawWinner rows, pending signups, waitlists in
drawn order, one email per account and one to the creator, all in one transaction), then the
public proof and its verification (the engine re-runs assignment and waitlists). A benchmark,
not a test:

    .venv/bin/python bench/lottery.py [--elements 2000 --entries 50000 --families 10000]
                                      [--limit 3] [--families-together] [--no-beacon]
                                      [--database-url URL] [--keep]

The beacon: by default the draw is bound to drand quicknet round 1000, served by a local relay
(tests/drand_relay.py), as bench/draw.py does. The seed is fixed by --seed, so runs on the same
data give the same snapshot and result: the lines under "Result" must not change when the code
gets faster.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import multiprocessing
import os
import pstats
import random
import sys
import time
from contextlib import nullcontext
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import Session, SQLModel, func, select  # noqa: E402

from bench.draw import Recorder, peak_rss_mib  # noqa: E402
from bench.scratch import (  # noqa: E402
    add_database_args,
    copy_lines,
    scratch_database,
    url_of,
    user_lines,
    vacuum_analyze,
)
from luckyclub.core import db  # noqa: E402
from luckyclub.models import (  # noqa: E402
    ListKind,
    OutboxMessage,
    Signup,
    SignupList,
    WaitlistEntry,
)
from tests import drand_relay  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/luckyclub_bench_lottery"
AIM_SECONDS = 5.0
SECRET_KEY = "bench-secret-key"  # fixed, so entrant refs (and the snapshot) repeat run to run
CLOSES = drand_relay.close_time_for(drand_relay.ROUND)  # its bound round is the recorded one
AFTER_ROUND = CLOSES + timedelta(minutes=1)


def main() -> None:
    args = parse_args()
    with scratch_database(args) as engine:
        list_id = load_and_report(engine, args)
        engine.dispose()
        child = multiprocessing.get_context("spawn").Process(
            target=timed_run, args=(url_of(engine), list_id, args)
        )
        child.start()
        child.join()
        if child.exitcode:
            print(f"\nThe timed run failed (exit code {child.exitcode}).")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--elements", type=int, default=2_000)
    parser.add_argument("--entries", type=int, default=50_000)
    parser.add_argument("--families", type=int, default=10_000, help="accounts that enter")
    parser.add_argument("--limit", type=int, default=3, help="spots one family member may win")
    parser.add_argument(
        "--families-together", action="store_true", help="an account's entries win together"
    )
    parser.add_argument(
        "--no-beacon", action="store_true", help="draw with DRAW_BEACON=0 instead of a local relay"
    )
    parser.add_argument(
        "--profile", action="store_true", help="also print where the run spends its time"
    )
    add_database_args(parser, DEFAULT_URL)
    return parser.parse_args()


# ---- loading ------------------------------------------------------------------------------------


def load_and_report(engine: Engine, args: argparse.Namespace) -> int:
    print(
        f"Loading a lottery of {args.elements:,} events and {args.entries:,} entries from "
        f"{args.families:,} families …"
    )
    started = time.perf_counter()
    list_id = load(engine, args, random.Random(args.seed))
    print(f"Loaded in {time.perf_counter() - started:.1f} s.")
    vacuum_analyze(engine)
    return list_id


def load(engine: Engine, args: argparse.Namespace, rng: random.Random) -> int:
    SQLModel.metadata.create_all(engine)
    created = (CLOSES - timedelta(days=30)).isoformat()
    with Session(engine) as session:
        raw = session.connection().connection.driver_connection
        with raw.cursor() as cursor:
            copy_lines(
                cursor,
                "COPY app_user (email, password_hash, display_name, date_of_birth, timezone, role,"
                " show_on_leaderboard, created_at) FROM STDIN",
                user_lines(args.families, CLOSES, rng),
            )
            users = [row[0] for row in cursor.execute("SELECT id FROM app_user ORDER BY id")]
            copy_lines(
                cursor,
                "COPY family_member (user_id, name, is_self, created_at) FROM STDIN",
                (
                    f"{user}\tChild {n}\t{'t' if n == 0 else 'f'}\t{created}\n"
                    for user in users
                    for n in range(rng.choice((1, 2, 2, 3, 3, 4)))
                ),
            )
            members = list(cursor.execute("SELECT id, user_id FROM family_member ORDER BY id"))
        signup_list = SignupList(
            creator_id=users[0],
            title="Summer swimming lessons",
            kind=ListKind.EVENTS,
            per_member_limit=args.limit,
            waitlist=True,
            families_together=args.families_together,
            is_lottery=True,
            lottery_at=CLOSES,
            timezone="Europe/London",
        )
        session.add(signup_list)
        session.commit()
        list_id = signup_list.id
        assert list_id is not None
        with raw.cursor() as cursor:
            copy_lines(
                cursor,
                "COPY list_element (list_id, name, event_date, event_time, place,"
                " spots, created_at) FROM STDIN",
                element_lines(list_id, args.elements, rng),
            )
            elements = [
                row[0]
                for row in cursor.execute(
                    "SELECT id FROM list_element WHERE list_id = %s ORDER BY id", (list_id,)
                )
            ]
            copy_lines(
                cursor,
                "COPY lottery_entry (list_id, element_id, family_member_id, user_id, created_at)"
                " FROM STDIN",
                (
                    f"{list_id}\t{element}\t{member}\t{user}\t{created}\n"
                    for element, member, user in entry_choices(args.entries, elements, members, rng)
                ),
            )
        raw.commit()
        found = session.exec(select(func.count()).select_from(text("family_member"))).one()
        print(f"  {len(users):,} accounts, {found:,} family members, {len(elements):,} events")
    return list_id


def element_lines(list_id: int, count: int, rng: random.Random):
    first = date(2027, 1, 1)
    for n in range(count):
        day = first + timedelta(days=rng.randrange(365))
        at = (
            "\\N" if rng.random() < 0.2 else f"{rng.randrange(8, 20):02d}:{rng.choice((0, 30)):02d}"
        )
        yield (
            f"{list_id}\tLesson {n + 1}\t{day.isoformat()}\t{at}\tPool {n % 7}\t"
            f"{rng.randint(1, 10)}\t{CLOSES.isoformat()}\n"
        )


def entry_choices(entries: int, elements: list[int], members: list, rng: random.Random):
    """`entries` distinct (element, member, account): popular events draw more entries (weights
    spread like real interest), and a family tends to enter its members for the same events."""
    weights = [rng.paretovariate(1.2) for _ in elements]
    chosen: set[tuple[int, int]] = set()
    by_account: dict[int, list[int]] = {}
    for member, user in members:
        by_account.setdefault(user, []).append(member)
    account_of = dict(members)
    while len(chosen) < entries:
        element = rng.choices(elements, weights)[0]
        member, user = members[rng.randrange(len(members))]
        family = by_account[user] if rng.random() < 0.5 else [member]
        for one in family:
            if len(chosen) < entries:
                chosen.add((element, one))
    for element, member in sorted(chosen):
        yield element, member, account_of[member]


# ---- timing -------------------------------------------------------------------------------------


def timed_run(url: str, list_id: int, args: argparse.Namespace) -> None:
    os.environ["SECRET_KEY"] = SECRET_KEY
    os.environ["DRAW_BEACON"] = "0" if args.no_beacon else "1"
    os.environ["DRAW_BEACON_MARGIN_SECONDS"] = "10"
    relay = nullcontext() if args.no_beacon else drand_relay.serve()
    with relay as served:
        if served:
            os.environ["DRAND_RELAYS"] = served[0]
        run_lottery(url, list_id, args)


def instrument(recorder: Recorder) -> None:
    from luckyclub.draws import proof
    from luckyclub.integrations import drand
    from luckyclub.lotteries import pool
    from luckyclub.platform import draws, notify

    steps = [
        (pool, "_entries", "read entries (SQL)"),
        (pool, "_refs", "entrant refs (HMAC)"),
        (pool, "ordered_elements", "read elements (SQL)"),
        (pool, "encode_lottery", "encode snapshot"),
        (draws, "snapshot_digest", "SHA-256 digest"),
        (draws, "merkle_root", "Merkle root"),
        (drand, "fetch_round", "beacon: fetch + BLS check"),
        (proof, "draw_lottery", "the lottery (engine)"),
        (draws, "add_winners", "DrawWinner rows"),
        (pool, "_record", "signups + waitlists"),
        (notify, "notify_all", "queue emails"),
        (notify, "_messages", "render emails"),
        (proof, "decode_columns", "decode snapshot"),
        (proof, "verify_beacon", "beacon: BLS check"),
    ]
    for module, name, label in steps:
        if hasattr(module, name):
            recorder.instrument(module, name, label)


def run_lottery(url: str, list_id: int, args: argparse.Namespace) -> None:
    from luckyclub import modes  # noqa: F401 - the lottery's pool
    from luckyclub.draws import commitment
    from luckyclub.lotteries import phase
    from luckyclub.platform import draw_public, draws

    db.use_database(url)
    recorder = Recorder(False)
    instrument(recorder)
    beacon = "none (DRAW_BEACON=0)" if args.no_beacon else "drand round 1000 from a local relay"
    print(f"\nTiming the lottery in a fresh process (beacon: {beacon}) …")
    with db.session_scope() as session:
        draw = phase.sync_draw(session, session.get(SignupList, list_id))
        assert draw is not None
        seed = hashlib.sha256(f"bench-lottery-{args.seed}".encode()).digest()
        draw.seed, draw.commitment = seed.hex(), commitment(seed)  # fixed: comparable runs
        session.flush()
        draw_id = draw.id
    with recorder.stage("close"), db.session_scope() as session:
        recorder.timed("close() before commit", draws.close, session, draw_id, CLOSES)
        recorder.timed("commit", session.commit)
    profiler = cProfile.Profile() if args.profile else None
    with recorder.stage("run"), profiler or nullcontext():
        outcome = draws.perform(draw_id, now=CLOSES if args.no_beacon else AFTER_ROUND)
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
    if outcome.status != "drawn":
        sys.exit(f"The lottery did not run: {outcome.status}: {outcome.message}")
    with recorder.stage("proof document"), db.session_scope() as session:
        document = draw_public.proof_document(session, draw_id)
        recorder.timed("as JSON", json.dumps, document)
    with recorder.stage("verify proof"):
        report = draw_public.verify_document(document)

    print(f"\n  {'stage / part':<40}{'seconds':>9}{'peak RSS MiB':>14}")
    for stage in recorder.stages:
        print(f"  {stage.name:<40}{stage.seconds:>9.2f}{stage.peak_rss_mib:>14.0f}")
        for label, seconds in stage.parts.items():
            print(f"    {label:<38}{seconds:>9.2f}")
        if stage.parts:
            print(f"    {'(other)':<38}{stage.seconds - sum(stage.parts.values()):>9.2f}")
    seconds = {stage.name: stage.seconds for stage in recorder.stages}
    close_and_run = seconds["close"] + seconds["run"]
    verify = seconds["verify proof"]
    print(
        f"\n  close + run: {close_and_run:.2f} s (aim ≤ {AIM_SECONDS:.0f} s: "
        f"{'ok' if close_and_run <= AIM_SECONDS else 'MISSED'}); verify: {verify:.2f} s "
        f"(aim ≤ {AIM_SECONDS:.0f} s: {'ok' if verify <= AIM_SECONDS else 'MISSED'}); "
        f"peak RSS {peak_rss_mib():.0f} MiB"
    )
    with db.session_scope() as session:
        print_result(session, draw_id, list_id, report.summary)


def print_result(session: Session, draw_id: int, list_id: int, verified: str) -> None:
    from luckyclub.models import Draw

    draw = session.get(Draw, draw_id)
    assert draw is not None and draw.result is not None
    elements = json.loads(draw.result)[0]["result"]["elements"]
    result = hashlib.sha256(json.dumps(elements).encode()).hexdigest()

    def rows(table) -> int:
        return session.exec(select(func.count()).select_from(table)).one()

    print("\nResult (identical from run to run on the same data and seed):")
    print(f"  entrants {draw.entrant_count:,}, entries {draw.entry_count:,}")
    print(f"  snapshot digest {draw.snapshot_digest}")
    print(f"  result SHA-256  {result}")
    print(
        f"  {rows(Signup):,} pending signups, {rows(WaitlistEntry):,} waitlist places, "
        f"{rows(OutboxMessage):,} emails queued"
    )
    print(f"  proof: {verified}")


if __name__ == "__main__":
    main()

"""How long closing and drawing a million-member raffle takes, and how much memory, on PostgreSQL.

Loads N members holding E entries in all (a skewed spread summing to exactly E) into one open raffle
of a scratch database, then, in a fresh process, runs the real app code: services.draws
schedule_raffle, close (snapshot: read, entrant refs, encode, SHA-256, Merkle root, store) and
perform (the draw), then draw_public.proof_document, its verification and one member's entry check.
A benchmark, not a test:

    .venv/bin/python bench/draw.py [--members 1000000 --entries 50000000] [--database-url URL]
                                   [--keep] [--no-beacon] [--tracemalloc]

The beacon: by default the draw is bound to drand quicknet round 1000, a real recorded round served
by a local relay (tests/drand_relay.py), so the timing includes fetching it and checking its BLS
signature, as in production, without the network. --no-beacon draws with DRAW_BEACON=0 instead.
The draw's seed is fixed by --seed, so two runs on the same data give the same snapshot, Merkle root
and winners: the lines printed under "Result" must not change when the code gets faster.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import multiprocessing
import os
import random
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import ModuleType

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import Session, SQLModel  # noqa: E402

from bench.scratch import (  # noqa: E402
    add_database_args,
    bulk_loading,
    copy_lines,
    scratch_database,
    url_of,
    user_lines,
    vacuum_analyze,
)
from luckyclub.club.raffles import month_of  # noqa: E402
from luckyclub.core import db  # noqa: E402
from luckyclub.models import EntryBalance, Raffle, RaffleStatus, RaffleTotal  # noqa: E402
from luckyclub.platform import programs  # noqa: E402
from tests import drand_relay  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/luckyclub_bench_draw"
AIM_SECONDS = 10.0
AIM_MIB = 1024.0
BASE_ENTRIES = 15  # every member's monthly base entries; the rest are earned, very unevenly
SECRET_KEY = "bench-secret-key"  # fixed, so entrant refs (and the snapshot) repeat run to run
CLOSES = drand_relay.close_time_for(drand_relay.ROUND)  # its bound round is the recorded one
AFTER_ROUND = CLOSES + timedelta(minutes=1)


def main() -> None:
    args = parse_args()
    if args.entries < args.members:
        sys.exit("Every member holds at least one entry: give --entries >= --members.")
    with scratch_database(args) as engine:
        raffle_id = load_and_report(engine, args)
        engine.dispose()  # the loader's connections close before the draw starts
        # A fresh process, as the scheduler's would be: its peak memory is the draw's own, not the
        # loader's.
        child = multiprocessing.get_context("spawn").Process(
            target=timed_draw, args=(url_of(engine), raffle_id, args)
        )
        child.start()
        child.join()
        if child.exitcode:
            print(f"\nThe timed draw failed (exit code {child.exitcode}).")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--entries", type=int, default=50_000_000, help="entries of all members")
    add_database_args(parser, DEFAULT_URL)
    parser.add_argument(
        "--no-beacon", action="store_true", help="draw with DRAW_BEACON=0 instead of a local relay"
    )
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="also report each stage's peak of Python allocations (slows everything down)",
    )
    return parser.parse_args()


# ---- loading ------------------------------------------------------------------------------------


def load_and_report(engine: Engine, args: argparse.Namespace) -> int:
    print(f"Loading {args.members:,} members holding {args.entries:,} entries …")
    started = time.perf_counter()
    held = spread(args.entries, args.members, random.Random(args.seed))
    raffle_id = load(engine, held)
    print(f"Loaded in {time.perf_counter() - started:.1f} s.")
    describe(held)
    started = time.perf_counter()
    vacuum_analyze(engine)
    print(f"VACUUM ANALYZE in {time.perf_counter() - started:.1f} s.")
    return raffle_id


def spread(entries: int, members: int, rng: random.Random) -> list[int]:
    """Each member's entries, summing to exactly `entries`: the same base for all, plus earned
    entries spread like real activity (Pareto, alpha 1.5: most earn a little, a few earn a lot)."""
    base = min(BASE_ENTRIES, entries // members)
    earned = entries - base * members
    activity = [rng.paretovariate(1.5) - 1.0 for _ in range(members)]
    scale = earned / sum(activity)
    held = [base + int(a * scale) for a in activity]
    short = entries - sum(held)  # rounding down left fewer than `members` unplaced
    for n in rng.sample(range(members), short):
        held[n] += 1
    return held


def describe(held: list[int]) -> None:
    ranked = sorted(held)
    top = ranked[-max(len(ranked) // 100, 1) :]
    print(
        f"Entries per member: min {ranked[0]:,}, median {ranked[len(ranked) // 2]:,}, "
        f"99th percentile {ranked[len(ranked) * 99 // 100]:,}, max {ranked[-1]:,}; "
        f"the top 1 % hold {sum(top) / sum(ranked):.0%} of all entries."
    )


def load(engine: Engine, held: list[int]) -> int:
    """The schema, one open raffle closing at CLOSES, the members and their cached balances (COPY).

    The draw reads the balance cache (entry_balance), never the ledger rows, so only the cache and
    the raffle's total are loaded: what the ledger would hold after `rebuild-cache`.
    """
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        raffle = Raffle(
            program_id=programs.club_id(session),
            month=month_of(CLOSES),
            title="The million-member raffle",
            prize="A gaming chair",
            closes_at=CLOSES,
            status=RaffleStatus.OPEN,
        )
        session.add(raffle)
        session.commit()
        raffle_id = raffle.id
    with bulk_loading(engine, EntryBalance.__table__):
        copy_members(engine, raffle_id, held)
    with Session(engine) as session:
        session.add(RaffleTotal(raffle_id=raffle_id, entries=sum(held), entrants=len(held)))
        session.commit()
    return raffle_id


def copy_members(engine: Engine, raffle_id: int, held: list[int]) -> None:
    joined = CLOSES - timedelta(days=400)
    raw = engine.raw_connection()
    try:
        conn = raw.driver_connection
        with conn.cursor() as cursor:
            copy_lines(
                cursor,
                "COPY app_user (email, password_hash, display_name, date_of_birth, timezone, role,"
                " show_on_leaderboard, created_at) FROM STDIN",
                user_lines(len(held), joined, random.Random(0)),
            )
            cursor.execute("SELECT id FROM app_user ORDER BY id")
            user_ids = [row[0] for row in cursor.fetchall()]
            copy_lines(
                cursor,
                "COPY entry_balance (raffle_id, user_id, held) FROM STDIN",
                (f"{raffle_id}\t{u}\t{h}\n" for u, h in zip(user_ids, held, strict=True)),
            )
        conn.commit()
    finally:
        raw.close()


# ---- timing -------------------------------------------------------------------------------------


@dataclass
class Stage:
    name: str
    seconds: float = 0.0
    parts: dict[str, float] = field(default_factory=dict)
    peak_rss_mib: float = 0.0
    traced_peak_mib: float | None = None


class Recorder:
    """Seconds per stage, and within a stage per instrumented function (its own time, without
    instrumented functions it calls); peak memory after each stage."""

    def __init__(self, trace_memory: bool) -> None:
        self.trace_memory = trace_memory
        self.stages: list[Stage] = []
        self._current: Stage | None = None
        self._inner: list[float] = []  # time spent in instrumented callees, per open call

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        self._current = Stage(name)
        if self.trace_memory:
            tracemalloc.reset_peak()
        started = time.perf_counter()
        try:
            yield
        finally:
            self._current.seconds = time.perf_counter() - started
            self._current.peak_rss_mib = peak_rss_mib()
            if self.trace_memory:
                self._current.traced_peak_mib = tracemalloc.get_traced_memory()[1] / 2**20
            self.stages.append(self._current)
            self._current = None

    def timed(self, label: str, work: Callable, *args, **kwargs):
        self._inner.append(0.0)
        started = time.perf_counter()
        try:
            return work(*args, **kwargs)
        finally:
            elapsed = time.perf_counter() - started
            own = elapsed - self._inner.pop()
            if self._inner:
                self._inner[-1] += elapsed
            if self._current is not None:
                parts = self._current.parts
                parts[label] = parts.get(label, 0.0) + own

    def instrument(self, module: ModuleType, name: str, label: str) -> None:
        """Time every call of module.name (as the module's own code looks it up) under `label`."""
        original = getattr(module, name)

        @functools.wraps(original)
        def timed(*args, **kwargs):
            return self.timed(label, original, *args, **kwargs)

        setattr(module, name, timed)

    def refs_apart(self, module: ModuleType, name: str, label: str) -> None:
        """module.name takes an iterable of entries made lazily (refs computed as it reads them):
        time making them under `label`, apart from the function's own work."""
        original = getattr(module, name)

        @functools.wraps(original)
        def materialised(entries, *args, **kwargs):
            return original(self.timed(label, list, entries), *args, **kwargs)

        setattr(module, name, materialised)


def peak_rss_mib() -> float:
    """This process's peak resident memory: VmHWM where Linux gives it, else ru_maxrss.

    ru_maxrss survives exec on Linux, so in the spawned process it starts at the loader's peak;
    VmHWM belongs to the process's own memory and starts from nothing.
    """
    with suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    return ru_maxrss_mib()


def ru_maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def instrument_app(recorder: Recorder) -> None:
    """Wrap the steps of close, perform, proof and entry check that are worth telling apart."""
    from luckyclub.club import ledger, raffles
    from luckyclub.draws import proof
    from luckyclub.integrations import drand
    from luckyclub.platform import draw_public, draws

    steps = [
        (ledger, "holders", "read holders (SQL)"),
        (raffles, "encode_weighted", "encode snapshot"),
        (draws, "snapshot_digest", "SHA-256 digest"),
        (draws, "snapshot_lines", "split lines (Merkle leaves)"),
        (draws, "merkle_root", "Merkle root"),
        (drand, "fetch_round", "beacon: fetch + BLS check"),
        (draws, "_users_by_ref", "find winners' members (refs)"),
        (proof, "decode_columns", "decode snapshot"),
        (proof, "draw_weighted_columns", "pick winners"),
        (proof, "snapshot_digest", "SHA-256 digest"),
        (proof, "snapshot_lines", "split lines (Merkle leaves)"),
        (proof, "merkle_root", "Merkle root"),
        (proof, "verify_beacon", "beacon: BLS check"),
        (draw_public, "snapshot_lines", "split lines (Merkle leaves)"),
        (draw_public, "inclusion_proof", "inclusion proof"),
        (draw_public, "verify_inclusion", "check inclusion proof"),
    ]
    for module, name, label in steps:
        if hasattr(module, name):  # a step the code no longer has is simply not shown
            recorder.instrument(module, name, label)
    recorder.refs_apart(raffles, "encode_weighted", "entrant refs (HMAC)")


def timed_draw(url: str, raffle_id: int, args: argparse.Namespace) -> None:
    """In a fresh process: schedule, close, draw, prove, verify, check one entry; then report."""
    os.environ["SECRET_KEY"] = SECRET_KEY
    os.environ["DRAW_BEACON"] = "0" if args.no_beacon else "1"
    os.environ["DRAW_BEACON_MARGIN_SECONDS"] = "10"
    relay = nullcontext() if args.no_beacon else drand_relay.serve()
    with relay as served:
        if served:
            os.environ["DRAND_RELAYS"] = served[0]
        run_draw(url, raffle_id, args)


def run_draw(url: str, raffle_id: int, args: argparse.Namespace) -> None:
    from luckyclub.club import raffles
    from luckyclub.draws import commitment
    from luckyclub.platform import draw_public, draws

    db.use_database(url)
    recorder = Recorder(args.tracemalloc)
    instrument_app(recorder)
    if args.tracemalloc:
        tracemalloc.start()
    started_rss = peak_rss_mib()
    beacon = "none (DRAW_BEACON=0)" if args.no_beacon else "drand round 1000 from a local relay"
    print(f"\nTiming the draw in a fresh process (beacon: {beacon}) …")

    with recorder.stage("schedule"), db.session_scope() as session:
        draw = raffles.schedule_draw(session, session.get(Raffle, raffle_id))
        seed = hashlib.sha256(f"bench-draw-{args.seed}".encode()).digest()
        draw.seed, draw.commitment = seed.hex(), commitment(seed)  # fixed: comparable runs
        session.flush()
        draw_id = draw.id
    with recorder.stage("close"), db.session_scope() as session:
        recorder.timed("close() before commit", draws.close, session, draw_id, CLOSES)
        recorder.timed("store snapshot + commit", session.commit)
    with recorder.stage("draw"):
        outcome = draws.perform(draw_id, now=CLOSES if args.no_beacon else AFTER_ROUND)
    if outcome.status != "drawn":
        sys.exit(f"The draw did not happen: {outcome.status}: {outcome.message}")

    with recorder.stage("proof document"), db.session_scope() as session:
        document = draw_public.proof_document(session, draw_id)
        recorder.timed("as JSON", json.dumps, document)
    with recorder.stage("verify proof"):
        report = draw_public.verify_document(document)
    del document
    with db.session_scope() as session:
        member_ref, _ = raffles.member_ref(session, raffle_id, args.members // 2)
        for name in ("check one entry (first)", "check one entry (again)"):
            with recorder.stage(name):
                check = draw_public.check_entry(session, draw_id, member_ref, client_ip="127.0.0.1")

    print_report(recorder, started_rss)
    with db.session_scope() as session:
        print_result(session, draw_id, report.summary, check.verified)


def print_report(recorder: Recorder, started_rss: float) -> None:
    print(f"\n  {'stage / part':<40}{'seconds':>9}{'peak RSS MiB':>14}", end="")
    print(f"{'traced peak MiB':>17}" if recorder.trace_memory else "")
    for stage in recorder.stages:
        traced = f"{stage.traced_peak_mib:>17.0f}" if stage.traced_peak_mib is not None else ""
        print(f"  {stage.name:<40}{stage.seconds:>9.2f}{stage.peak_rss_mib:>14.0f}{traced}")
        if stage.parts:
            for label, seconds in stage.parts.items():
                print(f"    {label:<38}{seconds:>9.2f}")
            other = stage.seconds - sum(stage.parts.values())
            print(f"    {'(other)':<38}{other:>9.2f}")
    seconds = {stage.name: stage.seconds for stage in recorder.stages}
    close_and_draw = seconds["close"] + seconds["draw"]
    peak = max(stage.peak_rss_mib for stage in recorder.stages)
    print(
        f"\n  peak RSS at start (imports)  {started_rss:.0f} MiB; ru_maxrss at the end "
        f"{ru_maxrss_mib():.0f} MiB (Linux carries the loading process's peak into it)"
    )
    print(
        f"  close + draw: {close_and_draw:.2f} s (aim < {AIM_SECONDS:.0f} s: "
        f"{'ok' if close_and_draw < AIM_SECONDS else 'MISSED'});"
        f" peak RSS {peak:.0f} MiB (aim < {AIM_MIB:.0f} MiB: "
        f"{'ok' if peak < AIM_MIB else 'MISSED'})"
    )


def print_result(session: Session, draw_id: int, verified: str, entry_ok: bool) -> None:
    """What must not change when the code changes: the published digests and the winners."""
    from luckyclub.models import Draw

    draw = session.get(Draw, draw_id)
    winners = json.loads(draw.result)[0]["result"]["winners"]
    drawn = ", ".join(f"{w['entrant']} #{w['ticket']}" for w in winners)
    print("\nResult (identical from run to run on the same data and seed):")
    print(f"  entrants {draw.entrant_count:,}, entries {draw.entry_count:,}")
    print(f"  snapshot digest {draw.snapshot_digest}")
    print(f"  merkle root     {draw.merkle_root}")
    print(f"  winners         {drawn}")
    print(f"  proof: {verified}; one member's entry check: {'ok' if entry_ok else 'FAILED'}")


if __name__ == "__main__":
    main()

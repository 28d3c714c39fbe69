"""How fast the member dashboard and the leaderboard read a large entry ledger, on PostgreSQL.

Loads N members x R ledger rows into one open raffle of a scratch database, then times the real
service functions (luckyclub.club.ledger) through a real Session. A benchmark, not a test:

    .venv/bin/python bench/ledger.py [--members 100000 --rows 20] [--database-url URL] [--keep]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from sqlalchemy import event, text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import Session, SQLModel  # noqa: E402

from bench.scratch import (  # noqa: E402
    add_database_args,
    bulk_loading,
    copy_lines,
    scratch_database,
    user_lines,
    vacuum_analyze,
)
from luckyclub.club import ledger  # noqa: E402
from luckyclub.club.raffles import month_end, month_of  # noqa: E402
from luckyclub.models import EntryLedger, LedgerSource, Raffle, RaffleStatus, utcnow  # noqa: E402
from luckyclub.platform import programs

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/luckyclub_bench"
AIM_MS = 20.0
WARM_UP = 3  # calls of each query before timing: connections open, pages cached
EARNED = (LedgerSource.PROOF, LedgerSource.BONUS, LedgerSource.WATCHTIME, LedgerSource.WAGER)


def main() -> None:
    args = parse_args()
    with scratch_database(args) as engine:
        run(engine, args)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--rows", type=int, default=20, help="ledger rows per member")
    parser.add_argument("--samples", type=int, default=200, help="timed calls per query")
    add_database_args(parser, DEFAULT_URL)
    parser.add_argument(
        "--no-proposal",
        action="store_true",
        help="skip timing the design alternatives (covering index, balance cache)",
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=120.0,
        help="seconds a query may take in all before its timing stops early (after 5 calls)",
    )
    return parser.parse_args()


# ---- loading ------------------------------------------------------------------------------------


def load(engine: Engine, members: int, rows: int, rng: random.Random) -> tuple[int, list[int]]:
    """The schema, one open raffle, `members` accounts and members x rows ledger rows (COPY)."""
    SQLModel.metadata.create_all(engine)
    now = utcnow()
    month = month_of(now)
    with Session(engine) as session:
        raffle = Raffle(
            program_id=programs.club_id(session),
            month=month,
            title=f"Raffle {month}",
            prize="A gaming chair",
            closes_at=month_end(month),
            status=RaffleStatus.OPEN,
        )
        session.add(raffle)
        session.commit()
        raffle_id = raffle.id

    with bulk_loading(engine, EntryLedger.__table__):
        user_ids = copy_rows(engine, raffle_id, members, rows, now, rng)
    # The app keeps the balance cache with every ledger row; a bulk load builds it once at the end.
    started = time.perf_counter()
    with Session(engine) as session:
        ledger.rebuild_cache(session)
        session.commit()
    print(f"Balance cache built from the ledger in {time.perf_counter() - started:.1f} s.")
    return raffle_id, user_ids


def copy_rows(
    engine: Engine, raffle_id: int, members: int, rows: int, now: datetime, rng: random.Random
) -> list[int]:
    raw = engine.raw_connection()
    try:
        conn = raw.driver_connection
        with conn.cursor() as cursor:
            copy_lines(
                cursor,
                "COPY app_user (email, password_hash, display_name, date_of_birth, timezone, role,"
                " show_on_leaderboard, created_at) FROM STDIN",
                user_lines(members, now, rng),
            )
            cursor.execute("SELECT id FROM app_user ORDER BY id")
            user_ids = [row[0] for row in cursor.fetchall()]
            copy_lines(
                cursor,
                "COPY entry_ledger (raffle_id, user_id, source, amount, idempotency_key, reason,"
                " actor_id, created_at) FROM STDIN",
                ledger_lines(raffle_id, user_ids, rows, now, rng),
            )
        conn.commit()
    finally:
        raw.close()
    return user_ids


def ledger_lines(
    raffle_id: int, user_ids: list[int], rows: int, now: datetime, rng: random.Random
) -> Iterator[str]:
    """Base entries first, then earned entries in time order, members interleaved as in real life
    (each member's rows end up scattered over the table, not side by side)."""
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0, tzinfo=UTC)
    span = max((now - start).total_seconds(), 3600.0)
    total = len(user_ids) * rows
    n = 0
    for round_no in range(rows):
        order = user_ids[:]
        rng.shuffle(order)
        for user_id in order:
            moment = (start + timedelta(seconds=span * n / total)).isoformat()
            if round_no == 0:
                source, amount, reason = LedgerSource.BASE, 15, "Membership"
            elif round_no == rows - 1 and rng.random() < 0.05:
                source, amount, reason = LedgerSource.CORRECTION, -1, "Duplicate proof"
            else:
                source = rng.choice(EARNED)
                amount = rng.randint(1, 50 if source == LedgerSource.WAGER else 5)
                reason = ""
            key = f"bench:{user_id}:{round_no}"
            yield f"{raffle_id}\t{user_id}\t{source}\t{amount}\t{key}\t{reason}\t\\N\t{moment}\n"
            n += 1


# ---- timing -------------------------------------------------------------------------------------


class Clock:
    """Milliseconds per named part, and per whole call."""

    def __init__(self) -> None:
        self.parts: dict[str, list[float]] = {}

    def __call__(self, name: str, work: Callable):
        started = time.perf_counter()
        result = work()
        self.parts.setdefault(name, []).append((time.perf_counter() - started) * 1000)
        return result


def percentiles(values: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49], cuts[94]


def dashboard(engine: Engine, raffle_id: int, user_id: int, clock: Clock) -> None:
    """What a member's dashboard reads: balance, per-source breakdown, odds, newest 50 rows."""
    with Session(engine) as session:
        mine = clock("balance", lambda: ledger.balance(session, raffle_id, user_id))
        clock("breakdown", lambda: ledger.breakdown(session, raffle_id, user_id))
        totals = clock("totals", lambda: ledger.totals(session, raffle_id))
        ledger.Odds(mine=mine, total=totals.entries).sentence()
        clock(
            "member_rows",
            lambda: ledger.member_rows(session, user_id, raffle_id=raffle_id, limit=50),
        )


def leaderboard(engine: Engine, raffle_id: int, clock: Clock) -> None:
    with Session(engine) as session:
        clock("leaderboard", lambda: ledger.leaderboard(session, raffle_id))


DASHBOARD, LEADERBOARD = "dashboard (whole page)", "leaderboard (whole call)"


def within(samples: int, budget: float) -> Iterator[int]:
    """0, 1, … samples - 1, stopping early (after at least 5) once `budget` seconds are spent:
    a query that takes seconds has shown its p95 long before 200 calls."""
    began = time.perf_counter()
    for n in range(samples):
        if n >= 5 and time.perf_counter() - began > budget:
            return
        yield n


def measure(
    engine: Engine, raffle_id: int, members: list[int], samples: int, budget: float
) -> Clock:
    for user_id in members[:WARM_UP]:
        dashboard(engine, raffle_id, user_id, Clock())
        leaderboard(engine, raffle_id, Clock())
    clock = Clock()
    for n in within(samples, budget):
        clock(DASHBOARD, lambda n=n: dashboard(engine, raffle_id, members[n], clock))
    for _ in within(samples, budget):
        clock(LEADERBOARD, lambda: leaderboard(engine, raffle_id, clock))
    return clock


def report(clock: Clock) -> None:
    print(
        f"\n  {'query':<28}{'calls':>7}{'p50 ms':>10}{'p95 ms':>10}   aim: p95 <= {AIM_MS:.0f} ms"
    )
    for name in (DASHBOARD, LEADERBOARD):
        p50, p95 = percentiles(clock.parts[name])
        verdict = "ok" if p95 <= AIM_MS else "MISSED"
        print(f"  {name:<28}{len(clock.parts[name]):>7}{p50:>10.2f}{p95:>10.2f}   {verdict}")
    print("  of which:")
    for name, values in clock.parts.items():
        if name not in (DASHBOARD, LEADERBOARD):
            p50, p95 = percentiles(values)
            print(f"    {'ledger.' + name + '()':<26}{len(values):>7}{p50:>10.2f}{p95:>10.2f}")


def slowest_part(clock: Clock) -> str:
    parts = {k: v for k, v in clock.parts.items() if k in PART_CALLS}
    return max(parts, key=lambda name: percentiles(parts[name])[1])


PART_CALLS: dict[str, Callable[[Session, int, int], object]] = {
    "balance": lambda s, r, u: ledger.balance(s, r, u),
    "breakdown": lambda s, r, u: ledger.breakdown(s, r, u),
    "totals": lambda s, r, u: ledger.totals(s, r),
    "member_rows": lambda s, r, u: ledger.member_rows(s, u, raffle_id=r, limit=50),
    "leaderboard": lambda s, r, u: ledger.leaderboard(s, r),
}


def explain(engine: Engine, name: str, raffle_id: int, user_id: int) -> None:
    """EXPLAIN ANALYZE of exactly the SQL the service function sends."""
    sent: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        with Session(engine) as session:
            PART_CALLS[name](session, raffle_id, user_id)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    statement, parameters = sent[-1]
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
            plan = [row[0] for row in cursor.fetchall()]
    finally:
        raw.close()
    print(f"\nEXPLAIN ANALYZE of the slowest query, ledger.{name}():")
    print("  " + " ".join(statement.split()))
    for line in plan:
        print("  " + line)


# ---- design alternatives (prototype SQL in the scratch database, not the app's code) -----------

BALANCE_CACHE = """
CREATE TABLE entry_balance (
    raffle_id integer NOT NULL REFERENCES raffle (id),
    user_id integer NOT NULL REFERENCES app_user (id),
    held integer NOT NULL,
    PRIMARY KEY (raffle_id, user_id)
);
INSERT INTO entry_balance (raffle_id, user_id, held)
    SELECT raffle_id, user_id, sum(amount) FROM entry_ledger GROUP BY raffle_id, user_id;
CREATE INDEX ix_entry_balance_board ON entry_balance (raffle_id, held DESC, user_id);
CREATE TABLE raffle_total (
    raffle_id integer PRIMARY KEY REFERENCES raffle (id),
    entries bigint NOT NULL,
    entrants integer NOT NULL
);
INSERT INTO raffle_total
    SELECT raffle_id, sum(held), count(*) FILTER (WHERE held > 0)
    FROM entry_balance GROUP BY raffle_id;
"""

CACHED_TOTALS = text(
    "SELECT coalesce(sum(held), 0), count(*) FILTER (WHERE held > 0)"
    " FROM entry_balance WHERE raffle_id = :raffle_id"
)
TOTALS_ROW = text("SELECT entries, entrants FROM raffle_total WHERE raffle_id = :raffle_id")
CACHED_BOARD = text(
    "SELECT u.*, b.held FROM entry_balance b JOIN app_user u ON u.id = b.user_id"
    " WHERE b.raffle_id = :raffle_id AND b.held > 0 ORDER BY b.held DESC, b.user_id LIMIT 25"
)
CACHED_BALANCE = text(
    "SELECT held FROM entry_balance WHERE raffle_id = :raffle_id AND user_id = :user_id"
)
KEEP_BALANCE = text(
    "INSERT INTO entry_balance (raffle_id, user_id, held) VALUES (:raffle_id, :user_id, :amount)"
    " ON CONFLICT (raffle_id, user_id) DO UPDATE SET held = entry_balance.held + excluded.held"
    " RETURNING held"
)
KEEP_TOTAL = text(
    "UPDATE raffle_total SET entries = entries + :amount WHERE raffle_id = :raffle_id"
)


def time_sql(engine: Engine, statement, params: Callable[[], dict], samples: int) -> list[float]:
    times = []
    with Session(engine) as session:
        for n in range(samples + 20):
            started = time.perf_counter()
            session.execute(statement, params()).all()
            if n >= 20:  # the first 20 warm up
                times.append((time.perf_counter() - started) * 1000)
    return times


def propose(
    engine: Engine,
    raffle_id: int,
    sample: list[int],
    samples: int,
    budget: float,
    rng: random.Random,
) -> None:
    print("\nDesign alternatives, timed on the same data (prototype SQL, not the app's code):")

    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE INDEX ix_bench_ledger_cover ON entry_ledger (raffle_id, user_id)"
                " INCLUDE (amount)"
            )
        )
    vacuum_analyze(engine)
    print(
        f"  A. covering index (raffle_id, user_id) INCLUDE (amount): built in "
        f"{time.perf_counter() - started:.1f} s"
    )
    clock = Clock()
    for _ in within(samples, budget):
        with Session(engine) as session:
            clock("totals", lambda s=session: ledger.totals(s, raffle_id))
            clock("leaderboard", lambda s=session: ledger.leaderboard(s, raffle_id))
    for name, values in clock.parts.items():
        p50, p95 = percentiles(values)
        print(f"     ledger.{name + '()':<32}p50 {p50:8.2f} ms   p95 {p95:8.2f} ms")
    with engine.begin() as conn:
        conn.execute(text("DROP INDEX ix_bench_ledger_cover"))

    started = time.perf_counter()
    with engine.begin() as conn:
        for statement in BALANCE_CACHE.split(";"):
            if statement.strip():
                conn.execute(text(statement))
    vacuum_analyze(engine)
    print(
        f"  B. entry_balance(raffle_id, user_id, held) + raffle_total(raffle_id, entries, "
        f"entrants): built in {time.perf_counter() - started:.1f} s"
    )
    one = {"raffle_id": raffle_id}
    for label, statement, params in (
        ("balance (one row)", CACHED_BALANCE, lambda: one | {"user_id": rng.choice(sample)}),
        ("totals: sum over entry_balance", CACHED_TOTALS, lambda: one),
        ("totals: raffle_total row", TOTALS_ROW, lambda: one),
        ("leaderboard top 25", CACHED_BOARD, lambda: one),
    ):
        p50, p95 = percentiles(time_sql(engine, statement, params, samples))
        print(f"     {label:<37}p50 {p50:8.2f} ms   p95 {p95:8.2f} ms")
    write_cost(engine, raffle_id, sample, samples)


def write_cost(engine: Engine, raffle_id: int, sample: list[int], samples: int) -> None:
    """What keeping the cache costs each credit: ledger.credit() + commit, without and with it."""
    plain, kept = [], []
    for n in range(samples):
        for keep, times in ((False, plain), (True, kept)):
            user_id = sample[n % len(sample)]
            with Session(engine) as session:
                started = time.perf_counter()
                ledger.credit(
                    session,
                    raffle_id=raffle_id,
                    user_id=user_id,
                    source=LedgerSource.BONUS,
                    amount=1,
                    key=f"bench:write:{keep}:{n}",
                )
                if keep:
                    params = {"raffle_id": raffle_id, "user_id": user_id, "amount": 1}
                    session.execute(KEEP_BALANCE, params)
                    session.execute(KEEP_TOTAL, params)
                session.commit()
                times.append((time.perf_counter() - started) * 1000)
    for label, times in (("credit + commit", plain), ("credit + both caches + commit", kept)):
        p50, p95 = percentiles(times)
        print(f"     write: {label:<30}p50 {p50:8.2f} ms   p95 {p95:8.2f} ms")


# ---- the run ------------------------------------------------------------------------------------


def run(engine: Engine, args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    total = args.members * args.rows
    print(f"Loading {args.members:,} members x {args.rows} rows = {total:,} ledger rows …")
    started = time.perf_counter()
    raffle_id, user_ids = load(engine, args.members, args.rows, rng)
    loaded = time.perf_counter() - started
    print(f"Loaded in {loaded:.1f} s ({total / loaded:,.0f} rows/s).")
    started = time.perf_counter()
    vacuum_analyze(engine)
    print(f"VACUUM ANALYZE in {time.perf_counter() - started:.1f} s.")

    sample = rng.sample(user_ids, min(args.samples, len(user_ids)))
    print(
        f"\nTiming the real service functions: {args.samples} random members' dashboards, then "
        f"{args.samples} leaderboards (each stops early once {args.budget:.0f} s are spent)."
    )
    clock = measure(engine, raffle_id, sample, args.samples, args.budget)
    report(clock)
    slowest = slowest_part(clock)
    explain(engine, slowest, raffle_id, sample[0])
    if not args.no_proposal:
        propose(engine, raffle_id, sample, args.samples, args.budget, rng)


if __name__ == "__main__":
    main()

"""Ticket purchases per second through the fulfilment function, beside bare SQL, on PostgreSQL.

For 1, 8 and 32 concurrent clients (threads, each with its own connection), all buying tickets in
one competition (its row is the hot spot every purchase updates):

  fulfil  the real path: a pending order holding its 1-3 tickets (made beforehand, not timed, as
          start_checkout leaves it) is paid through luckyclub.competitions.fulfilment.fulfil(
          session, checkout, source=...) in a transaction of its own, as the webhook calls it:
          the order locked, the capped UPDATE that turns the hold into numbers, the ticket rows,
          the order marked paid and the buyer's notifications queued in the outbox.
  bare    the least any purchase must do: one transaction of the capped UPDATE
          (sold = sold + n WHERE sold + held + n <= max_tickets RETURNING sold) and an INSERT of
          the n ticket rows.

Both buy the same quantities in the same order. The ratio fulfil/bare is the figure; the aim is at
least half the bare rate at 8 clients. A benchmark, not a test:

    .venv/bin/python bench/purchase.py [--purchases 2000] [--clients 1,8,32] [--processes]
                                       [--database-url URL] [--keep] [--profile]

Clients are threads of this process by default (as the app's web workers run), each with its own
connection; --processes makes them processes, so Python's GIL is out of the figure.

--profile prints where one client's fulfil time goes: each SQL statement's share and the top
Python functions by own time (cProfile).
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import io
import multiprocessing
import os
import pstats
import random
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from sqlalchemy import event, insert, text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import Session, SQLModel  # noqa: E402

from bench.scratch import add_database_args, scratch_database, url_of  # noqa: E402
from luckyclub.core import db  # noqa: E402
from luckyclub.models import (  # noqa: E402
    Competition,
    CompetitionStatus,
    OrderStatus,
    Ticket,
    TicketOrder,
    User,
    utcnow,
)

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/luckyclub_bench_purchase"
AIM_RATIO = 0.5  # at 8 clients
WARM_UP = 20  # purchases per run before the clock starts: connections open, statements cached
PRICE = 250


def main() -> None:
    args = parse_args()
    # The app's settings, before anything reads them: a private data folder, a fixed key.
    os.environ.setdefault("SECRET_KEY", "bench-secret-key")
    os.environ.setdefault("LUCKYCLUB_DATA_DIR", tempfile.mkdtemp(prefix="luckyclub-bench-"))
    os.environ.pop("STRIPE_SECRET_KEY", None)  # fulfil never calls Stripe; nothing else may
    with scratch_database(args, pool_size=max(args.clients) + 2) as engine:
        run(engine, args)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--purchases", type=int, default=2000, help="timed purchases per run")
    parser.add_argument(
        "--clients", type=lambda s: [int(n) for n in s.split(",")], default=[1, 8, 32]
    )
    add_database_args(parser, DEFAULT_URL)
    parser.add_argument(
        "--processes",
        action="store_true",
        help="clients are processes (an engine each), not threads of one process sharing its GIL",
    )
    parser.add_argument("--profile", action="store_true", help="where one fulfil's time goes")
    return parser.parse_args()


# ---- the data ------------------------------------------------------------------------------------


def load(engine: Engine, buyers: int) -> list[int]:
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        users = [
            User(
                email=f"buyer{n}@example.com",
                password_hash="-",
                display_name=f"Buyer {n}",
                date_of_birth=utcnow().date().replace(year=1990),
                email_verified_at=utcnow(),
            )
            for n in range(buyers)
        ]
        session.add_all(users)
        session.commit()
        return [user.id for user in users]


def new_competition(engine: Engine, title: str) -> int:
    """Open, and big enough never to sell out during a run."""
    now = utcnow()
    with Session(engine) as session:
        competition = Competition(
            title=title,
            prize="A bench",
            ticket_price_pence=PRICE,
            max_tickets=10_000_000,
            per_person_limit=10_000_000,
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(days=1),
            draw_at=now + timedelta(days=1),
            question="What is the capital of France?",
            choices='["Paris", "Lyon"]',
            answer_hash="-",
            status=CompetitionStatus.ACTIVE,
        )
        session.add(competition)
        session.commit()
        return competition.id


def pending_orders(
    engine: Engine, competition_id: int, quantities: list[int], user_ids: list[int]
) -> list[dict]:
    """The orders start_checkout would leave, holding their tickets; returns their checkouts as
    Stripe's checkout.session.completed event carries them."""
    now = utcnow()
    run = f"{competition_id}_{time.monotonic_ns()}"
    rows = [
        {
            "competition_id": competition_id,
            "user_id": user_ids[n % len(user_ids)],
            "quantity": quantity,
            "amount_pence": quantity * PRICE,
            "status": OrderStatus.PENDING,
            "checkout_id": f"cs_bench_{run}_{n}",
            "expires_at": now + timedelta(minutes=15),
            "created_at": now,
            "refund_attempts": 0,
        }
        for n, quantity in enumerate(quantities)
    ]
    with Session(engine) as session:
        ids = session.execute(insert(TicketOrder).returning(TicketOrder.id), rows).scalars().all()
        session.execute(
            text("UPDATE competition SET held = held + :n WHERE id = :id"),
            {"n": sum(quantities), "id": competition_id},
        )
        session.commit()
    return [
        {
            "id": row["checkout_id"],
            "object": "checkout.session",
            "mode": "payment",
            "status": "complete",
            "payment_status": "paid",
            "amount_total": row["amount_pence"],
            "currency": "gbp",
            "client_reference_id": str(order_id),
            "payment_intent": f"pi_bench_{order_id}",
            "metadata": {"kind": "competition", "order_id": str(order_id)},
        }
        for order_id, row in zip(ids, rows, strict=True)
    ]


def bare_order(engine: Engine, competition_id: int, user_id: int) -> int:
    """The one order every bare purchase's tickets point at (the foreign key wants one)."""
    with Session(engine) as session:
        order = TicketOrder(
            competition_id=competition_id,
            user_id=user_id,
            quantity=1,
            amount_pence=PRICE,
            status=OrderStatus.PAID,
            expires_at=utcnow(),
        )
        session.add(order)
        session.commit()
        return order.id


# ---- the two ways to buy -----------------------------------------------------------------------


def fulfil_one(engine: Engine) -> Callable[[dict], None]:
    from luckyclub.competitions import fulfilment

    def buy(checkout: dict) -> None:
        with Session(engine, expire_on_commit=False) as session:
            done = fulfilment.fulfil(session, checkout, source="bench")
            session.commit()
        if done.outcome != "numbered":
            raise RuntimeError(f"fulfil said {done.outcome}: {done.message}")

    return buy


CAPPED_UPDATE = text(
    "UPDATE competition SET sold = sold + :n "
    "WHERE id = :id AND sold + held + :n <= max_tickets RETURNING sold"
)


def bare_one(engine: Engine, *, competition_id: int, order_id: int, user_id: int):
    def buy(quantity: int) -> None:
        now = utcnow()
        with engine.begin() as conn:
            sold = conn.execute(CAPPED_UPDATE, {"n": quantity, "id": competition_id}).scalar_one()
            conn.execute(
                insert(Ticket),
                [
                    {
                        "competition_id": competition_id,
                        "number": number,
                        "order_id": order_id,
                        "user_id": user_id,
                        "status": "active",
                        "created_at": now,
                    }
                    for number in range(sold - quantity + 1, sold + 1)
                ],
            )

    return buy


Buyer = Callable[[Engine], Callable[[Any], None]]  # makes one client's buy(item) on an engine


def timed(clients: int, work: list, buyer: Buyer, engine: Engine, processes: bool) -> float:
    """Purchases per second: `clients` threads sharing the engine's pool, or processes with an
    engine each, take the work in turn, released together once connected."""
    shares = [work[n::clients] for n in range(clients)]
    if processes:
        forked = multiprocessing.get_context("fork")
        start = forked.Barrier(clients + 1)
        workers = [
            forked.Process(target=_process_client, args=(url_of(engine), buyer, share, start))
            for share in shares
        ]
    else:
        buy = buyer(engine)
        start = threading.Barrier(clients + 1)
        failures: list[BaseException] = []
        workers = [
            threading.Thread(target=_thread_client, args=(buy, share, start, failures))
            for share in shares
        ]
    for worker in workers:
        worker.start()
    start.wait()
    began = time.perf_counter()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - began
    if processes and any(worker.exitcode for worker in workers):
        raise RuntimeError("a client process failed (its error is above)")
    if not processes and failures:
        raise RuntimeError(f"{len(failures)} clients failed; the first: {failures[0]!r}")
    return len(work) / elapsed


def _thread_client(buy, share: list, start, failures: list) -> None:
    start.wait()
    try:
        for item in share:
            buy(item)
    except BaseException as exc:  # noqa: BLE001 - reported by timed()
        failures.append(exc)


def _process_client(url: str, buyer: Buyer, share: list, start) -> None:
    engine = db.make_engine(url, pool_size=1)  # never the parent's connections
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))  # connected before the clock starts
    buy = buyer(engine)
    start.wait()
    for item in share:
        buy(item)
    engine.dispose()


# ---- the run -----------------------------------------------------------------------------------


def run(engine: Engine, args: argparse.Namespace) -> None:
    user_ids = load(engine, max(args.clients))
    rng = random.Random(args.seed)
    kind = "processes" if args.processes else "threads of one process"
    print(
        f"\n{args.purchases} purchases of 1-3 tickets per run, one competition, clients are "
        f"{kind}, PostgreSQL {server_version(engine)}\n"
    )
    print(f"{'clients':>7}  {'fulfil/s':>9}  {'bare/s':>9}  {'ratio':>6}")
    ratios: dict[int, float] = {}
    for clients in args.clients:
        quantities = [rng.randint(1, 3) for _ in range(args.purchases + WARM_UP)]
        warm, timed_quantities = quantities[:WARM_UP], quantities[WARM_UP:]

        competition_id = new_competition(engine, f"fulfil x{clients}")
        checkouts = pending_orders(engine, competition_id, quantities, user_ids)
        timed(min(clients, WARM_UP), checkouts[:WARM_UP], fulfil_one, engine, False)
        fulfil_rate = timed(clients, checkouts[WARM_UP:], fulfil_one, engine, args.processes)

        competition_id = new_competition(engine, f"bare x{clients}")
        order_id = bare_order(engine, competition_id, user_ids[0])
        bare = functools.partial(
            bare_one, competition_id=competition_id, order_id=order_id, user_id=user_ids[0]
        )
        timed(min(clients, WARM_UP), warm, bare, engine, False)
        bare_rate = timed(clients, timed_quantities, bare, engine, args.processes)

        ratios[clients] = fulfil_rate / bare_rate
        print(f"{clients:>7}  {fulfil_rate:>9.0f}  {bare_rate:>9.0f}  {ratios[clients]:>6.2f}")
    if 8 in ratios:
        verdict = "meets" if ratios[8] >= AIM_RATIO else "MISSES"
        print(f"\nAt 8 clients fulfil runs at {ratios[8]:.0%} of bare SQL: {verdict} the aim")
        print(f"({AIM_RATIO:.0%}).")
    if args.profile:
        profile(engine, user_ids, args.seed)


def server_version(engine: Engine) -> str:
    with engine.connect() as conn:
        return conn.execute(text("SHOW server_version")).scalar_one().split()[0]


def profile(engine: Engine, user_ids: list[int], seed: int) -> None:
    """One client's fulfils under cProfile, and the statements one purchase sends."""
    rng = random.Random(seed)
    count = 500
    competition_id = new_competition(engine, "profile")
    checkouts = pending_orders(
        engine, competition_id, [rng.randint(1, 3) for _ in range(count + 1)], user_ids
    )
    buy = fulfil_one(engine)
    spent: dict[str, list[float]] = {}  # statement → seconds, per call

    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info["began"] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        took = time.perf_counter() - conn.info.pop("began")
        spent.setdefault(" ".join(statement.split())[:90], []).append(took)

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    profiler = cProfile.Profile()
    began = time.perf_counter()
    profiler.enable()
    for checkout in checkouts[1:]:
        buy(checkout)
    profiler.disable()
    elapsed = time.perf_counter() - began
    event.remove(engine, "before_cursor_execute", before)
    event.remove(engine, "after_cursor_execute", after)
    print(
        f"\n{count} fulfils by one client: {count / elapsed:.0f}/s ({elapsed / count * 1000:.1f} ms"
    )
    print("each). The statements one fulfil sends, in ms per purchase:")
    for statement, took in sorted(spent.items(), key=lambda item: -sum(item[1])):
        print(f"  {sum(took) / count * 1000:6.2f}  {statement}")
    for title, order, only in (
        ("The app's functions by time spent in them and below", "cumtime", "luckyclub"),
        ("All functions by own time", "tottime", ""),
    ):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(only, 10)
        table = out.getvalue().splitlines()
        start = next(n for n, line in enumerate(table) if "ncalls" in line)
        print(f"\n{title}:")
        print("\n".join(line for line in table[start:] if line.strip()))


if __name__ == "__main__":
    main()

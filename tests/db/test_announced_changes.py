"""Services announce what they change (platform/changes.py): each change is heard on the topics
the pages showing it follow, once its unit of work commits, and never when it fails.

Each case makes its records, then calls a service twice: first while every unit of work that
announced something fails at its commit with a UserError (nothing may be heard), then normally
(its topics must be heard). A case's topics are ones only its own service announces, so a test
fails when that announce is removed.
"""

from __future__ import annotations

import io
import itertools
import queue
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import Session, col, select

from luckyclub import jobs
from luckyclub.club import ledger, membership, proofs, raffles
from luckyclub.competitions import (
    catalogue,
    checkout,
    fulfilment,
    minimum,
    postal,
    refunds,
    responsible_play,
)
from luckyclub.competitions.checkout import start_checkout
from luckyclub.core import db
from luckyclub.core.errors import UserError
from luckyclub.models import (
    Competition,
    Draw,
    DrawWinner,
    LedgerSource,
    RaffleStatus,
    Role,
    TicketOrder,
    User,
    utcnow,
)
from luckyclub.platform import accounts, changes, draw_actions, draws, members, wins
from tests.db.factories import add_buyer, add_competition, add_open_raffle, add_user
from tests.unit.test_proof_files import screenshot

_markers = itertools.count()


class Ear:
    """A listener on the change feed that can tell what a call's commits were heard as."""

    def __init__(self) -> None:
        self.heard: queue.Queue[frozenset[str]] = queue.Queue()
        self.listening = changes.listen(self.heard.put)
        assert self.listening.wait_until_ready(), "the listener never started listening"

    def changes_since_last_time(self) -> list[frozenset[str]]:
        """Every change heard since the last call: a marker committed now closes the list, as
        changes arrive in commit order."""
        marker = f"marker:{next(_markers)}"
        with db.session_scope() as session:
            changes.announce(session, marker)
        heard = []
        while marker not in (topics := self.heard.get(timeout=10)):
            heard.append(topics)
        return heard

    def since_last_time(self) -> set[str]:
        """Every topic heard since the last call."""
        return set().union(*self.changes_since_last_time())


@pytest.fixture()
def ear(app_db) -> Iterator[Ear]:
    ear = Ear()
    yield ear
    ear.listening.stop()


REFUSED = "This unit of work fails after announcing its change."


@contextmanager
def announcing_commits_fail() -> Iterator[None]:
    """Every unit of work that announced something fails at its commit, as one refused by a
    UserError would; the others (a draw's claim, say) commit as usual."""

    def refuse(session: Session) -> None:
        if session.info.get(changes._PENDING):
            raise UserError(REFUSED)

    # First in line: on PostgreSQL the feed's own before_commit hook sends the NOTIFY.
    event.listen(Session, "before_commit", refuse, insert=True)
    try:
        yield
    finally:
        event.remove(Session, "before_commit", refuse)


# ---- records the cases start from ---------------------------------------------------------------

Records = dict[str, Any]


def _admin(session: Session) -> User:
    return add_user(session, f"admin{next(_markers)}@example.com", Role.ADMIN)


def _as(session: Session, user_id: int) -> User:
    return db.get_existing(session, User, user_id)


def _raffle_draw(session: Session, *, state: str = "scheduled") -> Records:
    """A raffle whose close has passed, its draw in `state` (scheduled, closed or drawn), and
    two members holding entries in it."""
    now = utcnow()
    raffle = add_open_raffle(session, month="2023-08", closes_at=now - timedelta(minutes=1))
    draw = raffles.schedule_draw(session, raffle)
    session.commit()
    members = [add_user(session, f"{name}@example.com") for name in ("ann", "bob")]
    for held, member in enumerate(members, start=5):
        ledger.credit(
            session,
            raffle_id=raffle.id,
            user_id=member.id,
            source=LedgerSource.BASE,
            amount=held,
            key=f"test:{member.id}",
            now=now - timedelta(days=1),
        )
    session.commit()
    if state in ("closed", "drawn"):
        with db.session_scope() as writing:
            assert draws.close(writing, draw.id)
    if state == "drawn":
        assert draws.perform(draw.id).status == "drawn"
    return {
        "admin": _admin(session).id,
        "draw": draw.id,
        "raffle": raffle.id,
        "members": [member.id for member in members],
    }


def _winners(draw_id: int) -> list[DrawWinner]:
    with db.session_scope() as session:
        query = select(DrawWinner).where(DrawWinner.draw_id == draw_id)
        return list(session.exec(query.order_by(col(DrawWinner.id))).all())


def _draw_topics(draw_id: int, *pool: str) -> set[str]:
    return {changes.draw(draw_id), changes.ADMIN_DRAWS, *pool}


def _winner_topics(*user_ids: int | None) -> set[str]:
    return {changes.ADMIN_WINNERS} | {changes.member(u) for u in user_ids if u is not None}


def _raffle_draw_and_winners(r: Records) -> set[str]:
    """The raffle's draw and the club changed, and so did every winner of the draw."""
    winners = [w.user_id for w in _winners(r["draw"])]
    return _draw_topics(r["draw"], changes.CLUB) | _winner_topics(*winners)


# ---- accounts ----------------------------------------------------------------------------------


def _member(session: Session) -> Records:
    return {"admin": _admin(session).id, "member": add_user(session, "ann@example.com").id}


def _shown_on_leaderboard(r: Records) -> None:
    with db.session_scope() as session:
        accounts.set_show_on_leaderboard(session, _as(session, r["member"]), True)


def _verified_by_an_admin(r: Records) -> None:
    with db.session_scope() as session:
        members.mark_verified(session, _as(session, r["admin"]), r["member"])


# ---- the club ----------------------------------------------------------------------------------


def _club(session: Session, *, proof: bool = False) -> Records:
    """This month's raffle, open, a proof kind, and a member whose email is confirmed (with a
    proof waiting for review)."""
    now = utcnow()
    raffle = add_open_raffle(session, raffles.month_of(now), closes_at=now + timedelta(days=10))
    admin = _admin(session)
    kind = proofs.create_kind(session, admin, name="Shared a post", entries=3, monthly_limit=2)
    member = add_user(session, "ann@example.com")
    member.email_verified_at = now
    session.commit()
    records = {"admin": admin.id, "raffle": raffle.id, "kind": kind.id, "member": member.id}
    if proof:
        _proof_sent(records)
    return records


def _draft_raffle(session: Session) -> int:
    now = utcnow()
    raffle = add_open_raffle(
        session, "2099-01", closes_at=now + timedelta(days=10), status=RaffleStatus.DRAFT
    )
    raffles.schedule_draw(session, raffle)  # as raffles.create does
    session.commit()
    return raffle.id


def _base_entries(r: Records) -> None:
    with db.session_scope() as session:
        raffle = raffles.get(session, r["raffle"])
        assert raffles.credit_base_entries(session, raffle, r["member"]) is not None


def _raffle_opened(r: Records) -> None:
    with db.session_scope() as session:
        raffles.open_raffle(session, _as(session, r["admin"]), r["raffle"])


def _proof_sent(r: Records) -> None:
    picture = io.BytesIO()
    screenshot(1).save(picture, format="PNG")
    with db.session_scope() as session:
        proof = proofs.submit(
            session,
            _as(session, r["member"]),
            kind_id=r["kind"],
            filename="post.png",
            data=picture.getvalue(),
            note="",
        )
        session.flush()
        r["proof"] = proof.id


def _proof_approved(r: Records) -> None:
    with db.session_scope() as session:
        proofs.review(session, _as(session, r["admin"]), r["proof"], approve=True)


def _joined_through_the_webhook(r: Records) -> None:
    with db.session_scope() as session:
        member = _as(session, r["member"])
    checkout_id = membership.start_checkout(member.id).split("session=", 1)[1]
    membership.complete_test_checkout(None, member, checkout_id)


def _club_member(r: Records) -> set[str]:
    return {changes.member(r["member"])}


# ---- competitions ------------------------------------------------------------------------------


def _competition(session: Session, *, active: bool = True, orders: str = "") -> Records:
    """A competition on sale (or a draft) and two buyers; with `orders` "holding", Ann holds two
    tickets in a checkout; "paid", she paid for them; "both", she paid and Bob holds one."""
    admin = _admin(session)
    competition = add_competition(session, admin, active=active, min_tickets=3)
    ann, bob = add_buyer(session, "ann@example.com"), add_buyer(session, "bob@example.com")
    records = {"admin": admin.id, "competition": competition.id, "member": ann.id, "bob": bob.id}
    if orders:
        started = start_checkout(ann.id, competition.id, 2, "Paris")
        records |= {"order": started.order_id, "checkout": started.url.split("session=")[1]}
    if orders in ("paid", "both"):
        fulfilment.pay_test_checkout(ann, records["checkout"])
    if orders == "both":
        start_checkout(bob.id, competition.id, 1, "Paris")
    return records


def _tickets_held(r: Records) -> None:
    start_checkout(r["member"], r["competition"], 2, "Paris")


def _paid_through_the_webhook(r: Records) -> None:
    with db.session_scope() as session:
        buyer = _as(session, r["member"])
    assert fulfilment.pay_test_checkout(buyer, r["checkout"]).numbers == (1, 2)


def _hold_ran_out(session: Session) -> Records:
    records = _competition(session, orders="holding")
    order = db.get_existing(session, TicketOrder, records["order"])
    order.expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    return records


def _refunded(r: Records) -> None:
    with db.session_scope() as session:
        refunds.refund_order(session, _as(session, r["admin"]), r["order"], "Asked to withdraw")


def _refund_due(session: Session) -> Records:
    records = _competition(session, orders="paid")
    _refunded(records)
    return records


def _refund_paid_back(r: Records) -> None:
    # Each attempt later than the last: a failed one leaves its claim on the order for a while.
    r["at"] = r.get("at", utcnow()) + timedelta(hours=1)
    refunds.process_refunds(r["at"])


def _postal_entry(r: Records) -> None:
    with db.session_scope() as session:
        postal.record_postal(
            session,
            _as(session, r["admin"]),
            r["competition"],
            name="Ann Post",
            address="1 High St, Leeds",
            answer="Paris",
            email="ann@example.com",
        )


def _published(r: Records) -> None:
    with db.session_scope() as session:
        catalogue.activate(session, _as(session, r["admin"]), r["competition"])


def _described(r: Records) -> None:
    with db.session_scope() as session:
        catalogue.update(
            session, _as(session, r["admin"]), r["competition"], description="Now in red."
        )


def _ended_short(session: Session) -> Records:
    records = _competition(session, orders="paid")
    competition = db.get_existing(session, Competition, records["competition"])
    competition.ends_at = utcnow() - timedelta(seconds=1)
    session.commit()
    return records


def _flagged_short(r: Records) -> None:
    with db.session_scope() as session:
        assert minimum.flag_below_minimum(session)


def _cancelled(r: Records) -> None:
    with db.session_scope() as session:
        catalogue.cancel(session, _as(session, r["admin"]), r["competition"], "Prize withdrawn")


def _limit_lowered(r: Records) -> None:
    with db.session_scope() as session:
        responsible_play.set_monthly_limit(session, _as(session, r["member"]), 5000)


def _competition_and(r: Records, *members: str) -> set[str]:
    """The competition's page and the list changed, and so did these members' own pages."""
    return set(catalogue.topics(r["competition"])) | {changes.member(r[m]) for m in members}


def _competition_draw(r: Records) -> set[str]:
    with db.session_scope() as session:
        draw = catalogue.draw_of(session, r["competition"])
        assert draw is not None
        return {*draws.topics_of(session, draw), changes.ADMIN_DRAWS}


# ---- the draw lifecycle ------------------------------------------------------------------------


def _raffle_created(r: Records) -> None:
    with db.session_scope() as session:
        raffle = raffles.create(
            session, _as(session, r["admin"]), month="2099-01", title="Jan", prize="A bike"
        )
        session.flush()
        r["created"] = raffles.draw_of(session, raffle.id).id


def _raffle_prize_changed(r: Records) -> None:
    with db.session_scope() as session:
        raffles.update(session, _as(session, r["admin"]), r["raffle"], prize="Two bikes")


def _waited_for_beacon(r: Records) -> None:
    outcome = draws.perform(r["draw"], now=utcnow() + timedelta(minutes=1))
    assert outcome.status == "waiting"


def _void(r: Records) -> None:
    with db.session_scope() as session:
        draw_actions.void(session, _as(session, r["admin"]), r["draw"], "Prize withdrawn")


def _override(r: Records) -> None:
    with db.session_scope() as session:
        draw_actions.override(
            session, _as(session, r["admin"]), r["draw"], email="bob@example.com", reason="Court"
        )


def _reroll(r: Records) -> None:
    [first] = _winners(r["draw"])
    r["replaced"] = first.user_id
    with db.session_scope() as session:
        draw_actions.reroll(session, _as(session, r["admin"]), first.id, "Did not answer")


def _winner_contacted(r: Records) -> None:
    [winner] = _winners(r["draw"])
    with db.session_scope() as session:
        draw_actions.set_winner_status(session, _as(session, r["admin"]), winner.id, "contacted")


def _winner_named(r: Records) -> None:
    [winner] = _winners(r["draw"])
    assert winner.user_id is not None
    with db.session_scope() as session:
        wins.set_name_consent(session, _as(session, winner.user_id), winner.id, True)


@dataclass(frozen=True)
class Case:
    name: str
    setup: Callable[[Session], Records]
    act: Callable[[Records], object]  # the service call, committing its own unit(s) of work
    topics: Callable[[Records], set[str]]  # what it must be heard as (read after it ran)
    beacon: bool = False  # draws bind to a drand round (no relay answers); otherwise they do not

    def __str__(self) -> str:
        return self.name


CASES = [
    Case(
        "a member's choice to be named on the leaderboard",
        _member,
        _shown_on_leaderboard,
        lambda r: {changes.member(r["member"]), changes.CLUB},
    ),
    Case(
        "a member's email confirmed by an admin",
        _member,
        _verified_by_an_admin,
        lambda r: {changes.member(r["member"])},
    ),
    Case(
        "a member's base entries in the club raffle",
        _club,
        _base_entries,
        lambda r: _club_member(r) | {changes.CLUB},
    ),
    Case(
        "a raffle opened by an admin",
        lambda s: {"admin": _admin(s).id, "raffle": _draft_raffle(s)},
        _raffle_opened,
        lambda r: {changes.CLUB},
    ),
    Case(
        "a proof sent for review",
        _club,
        _proof_sent,
        lambda r: _club_member(r) | {changes.ADMIN_PROOFS},
    ),
    Case(
        "a proof approved",
        lambda s: _club(s, proof=True),
        _proof_approved,
        lambda r: _club_member(r) | {changes.ADMIN_PROOFS, changes.CLUB},
    ),
    Case(
        "a membership paid for through the webhook",
        _club,
        _joined_through_the_webhook,
        _club_member,
    ),
    Case(
        "tickets held by a checkout",
        _competition,
        _tickets_held,
        lambda r: _competition_and(r, "member"),
    ),
    Case(
        "a ticket order paid and numbered through the webhook",
        lambda s: _competition(s, orders="holding"),
        _paid_through_the_webhook,
        lambda r: _competition_and(r, "member"),
    ),
    Case(
        "a hold released by the competitions job",
        _hold_ran_out,
        lambda r: jobs.run_competitions(),
        lambda r: _competition_and(r, "member"),
    ),
    Case(
        "an order refunded by an admin",
        lambda s: _competition(s, orders="paid"),
        _refunded,
        lambda r: _competition_and(r, "member"),
    ),
    Case(
        "a refund paid back",
        _refund_due,
        _refund_paid_back,
        lambda r: {changes.member(r["member"])},
    ),
    Case(
        "a postal entry by a member",
        _competition,
        _postal_entry,
        lambda r: _competition_and(r, "member"),
    ),
    Case(
        "a competition published by an admin",
        lambda s: _competition(s, active=False),
        _published,
        _competition_and,
    ),
    Case(
        "a competition edited by an admin",
        _competition,
        _described,
        _competition_and,
    ),
    Case(
        "a competition that ended short of its minimum",
        _ended_short,
        _flagged_short,
        _competition_and,
    ),
    Case(
        "a competition cancelled, its orders released and refunded",
        lambda s: _competition(s, orders="both"),
        _cancelled,
        lambda r: _competition_and(r, "member", "bob") | _competition_draw(r),
    ),
    Case(
        "a member's spending limit",
        _competition,
        _limit_lowered,
        lambda r: {changes.member(r["member"])},
    ),
    Case(
        "a raffle and its draw scheduled by an admin",
        lambda s: {"admin": _admin(s).id},
        _raffle_created,
        lambda r: _draw_topics(r["created"], changes.CLUB),
    ),
    Case(
        "a raffle's edit carried to its draw",
        _raffle_draw,
        _raffle_prize_changed,
        lambda r: _draw_topics(r["draw"], changes.CLUB),
    ),
    Case(
        "a pool closed by the draws job",
        _raffle_draw,
        lambda r: jobs.run_draws(),
        lambda r: _draw_topics(r["draw"], changes.CLUB),
        beacon=True,
    ),
    Case(
        "a draw waiting for its beacon round",
        lambda s: _raffle_draw(s, state="closed"),
        _waited_for_beacon,
        lambda r: _draw_topics(r["draw"], changes.CLUB),
        beacon=True,
    ),
    Case(
        "a pool drawn by the draws job",
        lambda s: _raffle_draw(s, state="closed"),
        lambda r: jobs.run_draws(),
        _raffle_draw_and_winners,
    ),
    Case(
        "a draw voided by an admin",
        _raffle_draw,
        _void,
        lambda r: _draw_topics(r["draw"], changes.CLUB),
    ),
    Case(
        "a winner named by an admin's override",
        lambda s: _raffle_draw(s, state="closed"),
        _override,
        lambda r: _draw_topics(r["draw"], changes.CLUB) | _winner_topics(r["members"][1]),
    ),
    Case(
        "a winner rerolled",
        lambda s: _raffle_draw(s, state="drawn"),
        _reroll,
        _raffle_draw_and_winners,
    ),
    Case(
        "a winner's next step",
        lambda s: _raffle_draw(s, state="drawn"),
        _winner_contacted,
        _raffle_draw_and_winners,
    ),
    Case(
        "a winner's consent to show their name",
        lambda s: _raffle_draw(s, state="drawn"),
        _winner_named,
        _raffle_draw_and_winners,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_a_change_is_heard_on_its_topics_once_committed_and_never_when_it_fails(
    session, ear, settings_env, case
):
    settings_env(
        DRAW_BEACON="1" if case.beacon else "0",
        DRAND_RELAYS="http://127.0.0.1:9",
        STRIPE_SECRET_KEY=None,  # payments through the local test twin and the real webhook
        STRIPE_WEBHOOK_SECRET=None,
    )
    records = case.setup(session)
    ear.since_last_time()  # what making the records said

    with pytest.raises(UserError, match=REFUSED), announcing_commits_fail():
        case.act(records)
    assert ear.since_last_time() == set()

    case.act(records)
    heard = ear.since_last_time()
    wanted = case.topics(records)
    assert wanted <= heard, f"not heard: {sorted(wanted - heard)}"


def test_a_draw_is_followed_on_its_own_topic_and_its_sources(session, no_beacon):
    raffle = _raffle_draw(session)
    competition = add_competition(session)
    competition_draw = draws.draw_of(session, "competition", competition.id)
    assert competition_draw is not None

    raffle_draw = db.get_existing(session, Draw, raffle["draw"])
    assert draws.topics_of(None, raffle_draw) == (changes.draw(raffle["draw"]), changes.CLUB)
    assert draws.topics_of(session, competition_draw) == (
        changes.draw(competition_draw.id),
        changes.competition(competition.id),
        changes.COMPETITIONS,
    )


def test_holds_that_run_out_together_are_released_in_one_change(session, ear):
    competition = add_competition(session)
    buyers = [add_buyer(session, f"buyer{n}@example.com") for n in range(3)]
    for buyer in buyers:
        start_checkout(buyer.id, competition.id, 1, "Paris")
    ear.since_last_time()

    assert checkout.expire_holds(utcnow() + timedelta(minutes=16)) == 3

    [change] = ear.changes_since_last_time()
    assert change == {*catalogue.topics(competition.id), *(changes.member(b.id) for b in buyers)}

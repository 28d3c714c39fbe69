"""What the public sees of draws: the page per draw, its proof, entry checks, champions, and the
admin's winner queue and announcement. Read-only; every change is in platform/draws.py
and platform/draw_actions.py.

What is public follows the draw's life: the commitment from the start; the snapshot, its digest,
Merkle root and bound beacon round once closed; the seed and the winners once drawn (or void).
"""

from __future__ import annotations

import json
import re
import threading
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, func
from sqlmodel import Session, col, select

from luckyclub.core import db, routes
from luckyclub.core.settings import get_settings
from luckyclub.draws import (
    ALGORITHM,
    BeaconRound,
    VerifyReport,
    commitment,
    merkle_root,
    round_time,
    snapshot_digest,
    snapshot_lines,
    verify,
    verify_inclusion,
)
from luckyclub.draws.merkle import MerkleTree
from luckyclub.models import (
    Draw,
    DrawSnapshot,
    DrawStatus,
    DrawTrigger,
    DrawWinner,
    User,
    id_of,
    utcnow,
)
from luckyclub.platform import draw_kinds, draws, throttle

REVEALED = (DrawStatus.DRAWN, DrawStatus.VOID)
STATUS_WORDS: dict[str, str] = {
    DrawStatus.SCHEDULED: "Open for entries",
    DrawStatus.CLOSED: "Closed: waiting for the draw",
    DrawStatus.WAITING_FOR_BEACON: "Waiting for public randomness",
    DrawStatus.DRAWN: "Drawn",
    DrawStatus.VOID: "Void",
}


@dataclass(frozen=True)
class WinnerView:
    winner_id: int
    position: int
    reroll: int
    ticket: str  # "#12 of 4,000", or "chosen by an admin"
    entrant_ref: str
    name: str  # display name if the member chose so, else "Member #n"
    replaced: bool
    replaced_reason: str
    ticket_number: int | None = None  # 1-based winning ticket; None for a manual override


@dataclass(frozen=True)
class DrawView:
    id: int
    title: str
    prize: str
    mode: str
    kind: str  # the snapshot's kind: weighted (entries), tickets (numbered tickets), lottery
    status: str
    status_words: str
    draw_at: datetime
    commitment: str
    closed_at: datetime | None
    entrant_count: int
    entry_count: int
    snapshot_digest: str
    merkle_root: str
    use_beacon: bool
    beacon_round: int | None
    beacon_at: datetime | None
    beacon_randomness: str
    no_beacon_reason: str
    waiting_problem: str
    seed: str  # "" until drawn or void
    drawn_at: datetime | None
    is_override: bool
    reason: str  # the override's or the void's
    rerolls: int
    winners: tuple[WinnerView, ...]
    trigger: str = ""  # scheduled, admin or manual_override once drawn
    attempts: int = 0  # beacon fetches that failed
    next_attempt_at: datetime | None = None
    running: bool = False  # a trigger holds the claim right now
    winner_count: int = 0  # all its winner rows; `winners` holds at most SHOWN_WINNERS of them

    @property
    def more_winners(self) -> int:
        """Winners the page does not list (a big lottery's thousands of spots): the proof and
        the snapshot have them all."""
        return max(self.winner_count - len(self.winners), 0)

    @property
    def outcome(self) -> str:
        """ "" until the result is out; then void, override (an admin chose) or random."""
        if self.status not in REVEALED:
            return ""
        if self.status == DrawStatus.VOID:
            return "void"
        return "override" if self.is_override else "random"

    @property
    def standing(self) -> tuple[WinnerView, ...]:
        """The winners as they stand: those replaced by a reroll left out."""
        return tuple(w for w in self.winners if not w.replaced)


# A draw page lists its winners; a signup lottery may have thousands (one per spot), which no
# one reads on a page and every reload would carry: pages list the first ones, in place order.
SHOWN_WINNERS = 100


def view(session: Session, draw_id: int) -> DrawView | None:
    draw = session.get(Draw, draw_id)
    return None if draw is None else _view_of(session, draw)


def followed(session: Session, draw_id: int) -> tuple[DrawView, tuple[str, ...]] | None:
    """A draw's view and the change topics that may change it (its own and its pool's), for a
    page that shows it live."""
    draw = session.get(Draw, draw_id)
    return None if draw is None else (_view_of(session, draw), draws.topics_of(session, draw))


def _view_of(session: Session, draw: Draw) -> DrawView:
    revealed = draw.status in REVEALED
    # Frozen counts from the snapshot once closed; until then the raffle's running totals.
    entrants, entries = (
        (draw.entrant_count, draw.entry_count)
        if draw.closed_at is not None
        else draws.pool_of(draw).live_counts(session, draw)
    )
    return DrawView(
        id=id_of(draw),
        title=draw.title,
        prize=draw.prize,
        mode=draw.mode,
        kind=draw.kind,
        status=draw.status,
        status_words=STATUS_WORDS[draw.status],
        draw_at=draw.draw_at,
        commitment=draw.commitment,
        closed_at=draw.closed_at,
        entrant_count=entrants,
        entry_count=entries,
        snapshot_digest=draw.snapshot_digest or "",
        merkle_root=draw.merkle_root or "",
        use_beacon=draw.use_beacon,
        beacon_round=draw.beacon_round,
        beacon_at=(
            datetime.fromtimestamp(round_time(draw.beacon_round), UTC)
            if draw.beacon_round
            else None
        ),
        beacon_randomness=draw.beacon_randomness or "",
        no_beacon_reason=draw.no_beacon_reason or "",
        waiting_problem=draw.last_problem or "",
        seed=draw.seed if revealed else "",
        drawn_at=draw.drawn_at,
        is_override=draw.trigger == DrawTrigger.OVERRIDE,
        reason=draw.reason or "",
        rerolls=max(len(json.loads(draw.result)) - 1, 0) if draw.result else 0,
        winners=tuple(winners := _winner_views(session, draw, limit=SHOWN_WINNERS)),
        winner_count=len(winners) if len(winners) < SHOWN_WINNERS else _winner_count(session, draw),
        trigger=draw.trigger or "",
        attempts=draw.attempts,
        next_attempt_at=draw.next_attempt_at if draw.status in draws.OPEN_STATUSES else None,
        running=draw.claimed_until is not None and draw.claimed_until > utcnow(),
    )


def recent_views(session: Session, *, limit: int = 100) -> list[DrawView]:
    """Every draw for the admin console, the latest draw time first."""
    rows = session.exec(
        select(Draw).order_by(col(Draw.draw_at).desc(), col(Draw.id).desc()).limit(limit)
    ).all()
    return [_view_of(session, draw) for draw in rows]


def winner_name(user: User | None, *, shown: bool) -> str:
    """A winner as the public reads them: their display name only if they agreed to it for this
    win (`shown`, the winner's choice on their dashboard), else "Member #<id>"."""
    if user is None:
        return "An entrant"
    return user.display_name if shown else f"Member #{user.id}"


def _winner_count(session: Session, draw: Draw) -> int:
    return session.exec(
        select(func.count()).select_from(DrawWinner).where(DrawWinner.draw_id == draw.id)
    ).one()


def _winner_views(session: Session, draw: Draw, *, limit: int | None = None) -> list[WinnerView]:
    rows = session.exec(
        select(DrawWinner, User)
        .join(User, col(User.id) == col(DrawWinner.user_id), isouter=True)
        .where(DrawWinner.draw_id == draw.id)
        .order_by(col(DrawWinner.position), col(DrawWinner.reroll))
        .limit(limit)
    ).all()
    kind = draw_kinds.for_draw(draw)
    return [
        WinnerView(
            winner_id=id_of(winner),
            position=winner.position,
            reroll=winner.reroll,
            ticket=kind.winner_line(
                winner.ticket,
                total=draw.entry_count,
                override=draw.trigger == DrawTrigger.OVERRIDE,
                element=winner.element or "",
            ),
            entrant_ref=winner.entrant_ref,
            name=winner_name(user, shown=winner.show_name),
            replaced=winner.status == "replaced",
            replaced_reason=winner.replaced_reason or "",
            ticket_number=kind.drawn_number(winner.ticket),
        )
        for winner, user in rows
    ]


# ---- the proof -------------------------------------------------------------------------------


class ProofNotReady(Exception):
    """The draw has no proof yet (or not that reroll); the message says why."""


def proof_document(session: Session, draw_id: int, reroll: int = 0) -> dict:
    """The public proof of a drawn pool (or of its N-th reroll): the JSON `verify` re-runs."""
    draw = session.get(Draw, draw_id)
    if draw is None:
        raise ProofNotReady("There is no such draw.")
    if draw.status != DrawStatus.DRAWN:
        raise ProofNotReady(
            f"This draw is {STATUS_WORDS[draw.status].lower()}; its proof is published once it "
            "is drawn."
        )
    runs = draws.runs_of(draw)
    if not 0 <= reroll < len(runs):
        raise ProofNotReady(f"This draw has no reroll {reroll}.")
    return document_of(draw, db.get_existing(session, DrawSnapshot, draw.id).body, reroll)


def document_of(draw, snapshot: bytes, reroll: int) -> dict:
    """A drawn draw's proof from its stored columns (a Draw, or any row with the same names: the
    migration test builds proofs from a database at an older schema this way)."""
    beacon = None
    if draw.use_beacon:
        beacon = BeaconRound(
            draw.beacon_round, draw.beacon_randomness, draw.beacon_signature
        ).to_dict() | {"margin_seconds": draw.beacon_margin_seconds}
    return {
        "algorithm": ALGORITHM,
        "kind": draw.kind,
        "commitment": draw.commitment,
        "seed": draw.seed,
        "closed_at": int(draw.closed_at.timestamp()),
        "beacon": beacon,
        "no_beacon_reason": None if beacon else draw.no_beacon_reason,
        "snapshot": snapshot.decode("utf-8"),
        "snapshot_digest": draw.snapshot_digest,
        "merkle_root": draw.merkle_root,
        **json.loads(draw.result)[reroll],
        "draw": {
            "id": draw.id,
            "title": draw.title,
            "prize": draw.prize,
            "mode": draw.mode,
            "trigger": draw.trigger,
            "reroll": reroll,
            "drawn_at": draw.drawn_at.isoformat(),
            "page": get_settings().app_url + routes.draw_page(draw.id),
        },
    }


def verify_document(document: dict) -> VerifyReport:
    """Re-run a proof; a manual override is reported as what it is, never as a random draw."""
    override = document.get("manual_override") if isinstance(document, dict) else None
    if not override:
        return verify(document)
    differences = [
        "this draw was a manual override by an admin, not a random draw "
        f"(reason: {override.get('reason') or 'none given'})"
    ]
    try:
        seed = bytes.fromhex(document["seed"])
        snapshot = document["snapshot"].encode("utf-8")
        lines = snapshot_lines(snapshot)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        return VerifyReport((*differences, f"the proof is malformed: {error}"))
    if commitment(seed) != document.get("commitment"):
        differences.append("commitment does not match the seed")
    if snapshot_digest(snapshot) != document.get("snapshot_digest"):
        differences.append("snapshot digest differs from the snapshot's SHA-256")
    if merkle_root(lines) != document.get("merkle_root"):
        differences.append("merkle root differs from the snapshot's")
    # Where a line keeps the entrant ref: a weighted line's first field, a ticket's second, ….
    kind = draw_kinds.KINDS.get(document.get("kind", ""), draw_kinds.WEIGHTED_KIND)
    refs = {line.split(b"\t")[kind.ref_column].decode() for line in lines}
    for ref in override.get("winners", []):
        if ref not in refs:
            differences.append(f"the chosen winner {ref} is not in the snapshot")
    return VerifyReport(differences=tuple(differences))


def verify_draw(session: Session, draw_id: int, reroll: int = 0) -> VerifyReport:
    return verify_document(proof_document(session, draw_id, reroll))


def snapshot_text(session: Session, draw_id: int) -> bytes | None:
    """The published snapshot, once the pool has closed."""
    draw = session.get(Draw, draw_id)
    if draw is None or draw.closed_at is None:
        return None
    return db.get_existing(session, DrawSnapshot, draw_id).body


# ---- "check my entry" ----------------------------------------------------------------------


@dataclass(frozen=True)
class EntryCheck:
    found: bool
    message: str
    line: str = ""
    index: int = 0
    path: tuple[str, ...] = ()
    verified: bool = False
    size: int = 0  # lines in the snapshot: the inclusion proof's tree size
    root: str = ""  # the Merkle root published at close, which the path leads to
    retry_after: int = 0  # seconds, when this client address checked too often


def check_entry(
    session: Session, draw_id: int, ref: str, *, client_ip: str, now: datetime | None = None
) -> EntryCheck:
    """Find an entrant ref (or a ticket) in the snapshot and check its Merkle inclusion proof
    against the root. Limited per client address (throttle.ENTRY_CHECK_ADDRESS): a check reads a
    whole snapshot the first time, so nobody may make the server do it without end."""
    now = now or utcnow()
    key = throttle.ENTRY_CHECK_ADDRESS.on(client_ip)
    if wait := throttle.wait_seconds(session, [key], now):
        return EntryCheck(
            False,
            f"Too many checks from your network: try again in {throttle.human_wait(wait)}.",
            retry_after=wait,
        )
    throttle.count(session, [(throttle.ENTRY_CHECK_ADDRESS, client_ip)], now)
    ref = (ref or "").strip().lower()
    draw = session.get(Draw, draw_id)
    # The root is set with closed_at, when the snapshot is frozen.
    if draw is None or draw.closed_at is None or draw.merkle_root is None:
        return EntryCheck(False, "The snapshot is published when the pool closes; check back then.")
    kind = draw_kinds.for_draw(draw)
    if kind.numbered:
        return _check_ticket(session, draw, draw.merkle_root, ref)
    if len(ref) != 32 or any(c not in "0123456789abcdef" for c in ref):
        return EntryCheck(
            False, "An entrant ref is 32 characters, 0-9 and a-f: copy it from your dashboard."
        )
    snapshot = _snapshot(draw, session)
    if kind.ref_column == 1:  # a lottery's lines are "element<TAB>ref": found by ref
        held = snapshot.tickets_of_ref.get(ref.encode())
        if held is None:
            return EntryCheck(False, "That ref is not in this draw's snapshot.")
        index, entered = held
        return _found(
            snapshot,
            index,
            draw.merkle_root,
            f"Found {kind.chances(entered)} for this ref; the first is line {index + 1:,} of "
            f"{len(snapshot.lines):,}.",
        )
    index = bisect_left(snapshot.keys, ref.encode())
    if index == len(snapshot.keys) or snapshot.keys[index] != ref.encode():
        return EntryCheck(False, "That ref is not in this draw's snapshot.")
    line = snapshot.lines[index]
    entries = line.decode().rstrip("\n").split("\t")[1]
    return _found(
        snapshot,
        index,
        draw.merkle_root,
        f"Found: line {index + 1:,} of {len(snapshot.lines):,}, holding "
        f"{kind.chances(int(entries))}.",
    )


def _check_ticket(session: Session, draw: Draw, root: str, text: str) -> EntryCheck:
    """A numbered-ticket pool: find a ticket by its number (or a member's first ticket by their
    ref) in the snapshot, whose lines are "number<TAB>ref" in number order."""
    snapshot = _snapshot(draw, session)
    text = text.lstrip("#").replace(",", "")
    if re.fullmatch(r"[0-9]{1,11}", text):
        number = int(text)
        index = bisect_left(snapshot.keys, number)
        if index == len(snapshot.keys) or snapshot.keys[index] != number:
            return EntryCheck(
                False, f"Ticket {number:,} is not in this draw's snapshot (not sold, or refunded)."
            )
        what = f"ticket {number:,}"
    elif len(text) == 32 and all(c in "0123456789abcdef" for c in text):
        held = snapshot.tickets_of_ref.get(text.encode())
        if held is None:
            return EntryCheck(False, "That ref holds no ticket in this draw's snapshot.")
        index, count = held
        what = f"{count:,} ticket{'s' if count != 1 else ''} for this ref; the first"
    else:
        return EntryCheck(False, "Give a ticket number, like 42, or your 32-character entrant ref.")
    return _found(
        snapshot, index, root, f"Found {what}: line {index + 1:,} of {len(snapshot.lines):,}."
    )


def _found(snapshot: _Snapshot, index: int, root: str, found: str) -> EntryCheck:
    line = snapshot.lines[index]
    proof = snapshot.tree.proof(index)
    ok = verify_inclusion(line, proof, root)
    return EntryCheck(
        True,
        found
        + (
            " The Merkle proof checks out against the published root."
            if ok
            else " The Merkle proof does NOT match the published root."
        ),
        line=line.decode().rstrip("\n"),
        index=index,
        path=proof.path,
        verified=ok,
        size=len(snapshot.lines),
        root=root,
    )


@dataclass(frozen=True)
class _Snapshot:
    """One frozen snapshot as entry checks read it, built once: its lines, its Merkle tree with
    every level kept, and what finds a line (the refs of a weighted pool, in order; a ticket
    pool's numbers, in order, and each ref's first line and count). Rebuilding the tree took over
    a second per check on a million entrants; a check now takes a bisection and one hash a level."""

    lines: tuple[bytes, ...]
    keys: list  # bytes refs (weighted) or int numbers (tickets), sorted like the lines
    # tickets and lottery (the ref is a line's second field): ref -> (first line, how many)
    tickets_of_ref: dict[bytes, tuple[int, int]]
    tree: MerkleTree


_snapshots: dict[str, _Snapshot] = {}  # the last snapshot checked, by digest: checks come in bursts
_snapshot_lock = threading.Lock()


def _snapshot(draw: Draw, session: Session) -> _Snapshot:
    digest = draw.snapshot_digest
    if digest is None:
        raise ValueError(f"Draw {draw.id} has no snapshot: it is not closed.")
    with _snapshot_lock:  # a burst of first checks builds it once
        if digest not in _snapshots:
            body = db.get_existing(session, DrawSnapshot, draw.id).body
            lines = tuple(snapshot_lines(body))
            firsts = [line.split(b"\t", 1) for line in lines]
            keys: list = []
            tickets_of_ref: dict[bytes, tuple[int, int]] = {}
            kind = draw_kinds.for_draw(draw)
            if kind.ref_column == 1:
                for index, (_, ref) in enumerate(firsts):
                    first, count = tickets_of_ref.get(ref.rstrip(b"\n"), (index, 0))
                    tickets_of_ref[ref.rstrip(b"\n")] = (first, count + 1)
            if kind.numbered:
                keys = [int(number) for number, _ in firsts]
            elif kind.ref_column == 0:
                keys = [first for first, _ in firsts]
            _snapshots.clear()
            _snapshots[digest] = _Snapshot(lines, keys, tickets_of_ref, MerkleTree.over(lines))
        return _snapshots[digest]


# ---- winners: champions, the admin's queue, announcements --------------------------------------


@dataclass(frozen=True)
class ChampionRow:
    draw_id: int
    name: str
    prize: str
    title: str
    mode: str
    drawn_at: datetime | None  # set whenever a draw has winners
    override: bool
    details: str = ""  # what an admin wrote about the winner
    mode_title: str = ""  # what the mode is called: "Club raffle"
    media_url: str = ""  # the winner's photo or video, if an admin added one
    media_type: str = ""


def _media_url(winner: DrawWinner) -> str:
    return routes.winner_media(id_of(winner)) if winner.media_name else ""


def _winners_newest_first(
    session: Session, *conditions: ColumnElement[bool], limit: int
) -> Sequence[tuple[DrawWinner, Draw, User | None]]:
    """(winner, draw, member or None) rows, newest draw first, then by place and reroll."""
    return session.exec(
        select(DrawWinner, Draw, User)
        .join(Draw, col(Draw.id) == col(DrawWinner.draw_id))
        .join(User, col(User.id) == col(DrawWinner.user_id), isouter=True)
        .where(*conditions)
        .order_by(col(Draw.drawn_at).desc(), col(DrawWinner.position), col(DrawWinner.reroll))
        .limit(limit)
    ).all()


def champions(session: Session, *, limit: int = 100) -> list[ChampionRow]:
    """Published winners of every mode, newest draw first."""
    published = (col(DrawWinner.published_at).is_not(None), col(DrawWinner.status) != "replaced")
    rows = _winners_newest_first(session, *published, limit=limit)
    return [
        ChampionRow(
            draw_id=id_of(draw),
            name=winner_name(user, shown=winner.show_name),
            prize=draw.prize,
            title=draw.title,
            mode=draw.mode,
            mode_title=draws.mode_title(draw.mode),
            drawn_at=draw.drawn_at,
            override=draw.trigger == DrawTrigger.OVERRIDE,
            details=winner.details or "",
            media_url=_media_url(winner),
            media_type=winner.media_type or "",
        )
        for winner, draw, user in rows
    ]


@dataclass(frozen=True)
class QueueRow:
    winner_id: int
    draw_id: int
    title: str
    prize: str
    drawn_at: datetime | None  # set whenever a draw has winners
    position: int
    reroll: int
    name: str
    email: str
    status: str
    published: bool
    replaced_reason: str
    override: bool
    mode: str = ""
    ticket_words: str = ""  # the winning ticket as printed ("Ticket 42"); "" without tickets
    details: str = ""
    media_url: str = ""
    media_type: str = ""
    public_name: str = ""  # how Champions names them: by name only with their consent
    shows_name: bool = False  # the winner agreed to be named


def winner_queue(session: Session, *, limit: int = 200) -> list[QueueRow]:
    """Every winner of a prize for the admin, newest draw first: who to contact, deliver to,
    publish. A signup lottery's spots are not prizes (their winners accept them from the email,
    or the spot goes down the waitlist), and its thousands of winners would bury the prizes."""
    rows = _winners_newest_first(session, col(DrawWinner.element).is_(None), limit=limit)
    return [
        QueueRow(
            winner_id=id_of(winner),
            draw_id=id_of(draw),
            title=draw.title,
            prize=draw.prize,
            drawn_at=draw.drawn_at,
            position=winner.position,
            reroll=winner.reroll,
            name=user.display_name if user else "(not a member)",
            email=user.email if user else "",
            status=winner.status,
            published=winner.published_at is not None,
            replaced_reason=winner.replaced_reason or "",
            override=draw.trigger == DrawTrigger.OVERRIDE,
            mode=draw.mode,
            ticket_words=draw_kinds.for_draw(draw).ticket_words(winner.ticket),
            details=winner.details or "",
            media_url=_media_url(winner),
            media_type=winner.media_type or "",
            public_name=winner_name(user, shown=winner.show_name),
            shows_name=winner.show_name,
        )
        for winner, draw, user in rows
    ]


Announcer = Callable[[Session, int], str]
_announcers: dict[str, Announcer] = {}


def register_announcement(mode: str, announce: Announcer) -> None:
    """A mode with an announcement of its own (the community raffle's, in the seed's format)."""
    _announcers[mode] = announce


def announcement(session: Session, draw_id: int) -> str:
    """Text for the admin to copy: the mode's own announcement if it has one, else the winners in
    the draw kind's words (winning ticket, totals, the winner's odds), then the proof."""
    draw = session.get(Draw, draw_id)
    if draw is None or draw.status != DrawStatus.DRAWN:
        return ""
    if (announce := _announcers.get(draw.mode)) is not None:
        return announce(session, draw_id)
    page = get_settings().app_url + routes.draw_page(id_of(draw))
    snapshot = db.get_existing(session, DrawSnapshot, draw.id).body
    standing = [w for w in _winner_views(session, draw) if not w.replaced]
    lines = draw_kinds.for_draw(draw).announcement(draw, snapshot, standing)
    lines.append(f"Check the draw yourself — seed, snapshot and proof: {page}")
    return "\n".join(lines)

"""A draw as its public pages show it: plain values for the browser, times in UTC with the zone
named. Built from draw_public's views; never a database row, never the seed before it is public."""

from __future__ import annotations

from dataclasses import dataclass

from luckyclub.core import routes
from luckyclub.core.words import count, when
from luckyclub.models import DrawStatus
from luckyclub.platform import draw_kinds, draw_public


@dataclass
class DrawSummary:
    id: int = 0
    title: str = ""
    prize: str = ""
    status: str = ""
    status_words: str = ""
    draw_at: str = ""
    draw_at_ts: int = 0  # Unix seconds, for the countdown the browser runs
    commitment: str = ""
    closed: bool = False
    closed_at: str = ""
    entrant_count: int = 0
    entry_count: int = 0
    snapshot_digest: str = ""
    merkle_root: str = ""
    use_beacon: bool = True
    beacon_round: int = 0
    beacon_at: str = ""
    no_beacon_reason: str = ""
    waiting_words: str = ""  # while it waits for the beacon: why, and when it asks again
    seed: str = ""
    drawn_at: str = ""
    revealed: bool = False
    is_drawn: bool = False
    is_void: bool = False
    is_override: bool = False
    reason: str = ""
    page_url: str = ""
    live_url: str = ""
    proof_url: str = ""
    snapshot_url: str = ""
    # In the words of the draw's kind (platform/draw_kinds.py):
    kind: str = ""  # the snapshot kind, for parts of a page with one variant per kind
    numbered: bool = False  # numbered tickets: a winner is headlined by the ticket
    entrants_words: str = ""  # "12 entrants"
    entries_words: str = ""  # "40 entries", "1 ticket"
    entries_title: str = "Entries"  # "Entries", "Tickets"
    winning_words: str = ""  # "The winning entry", "The winning ticket"
    check_hint: str = ""  # where an entrant finds what to check, and what the check does
    check_label: str = ""  # "Your entrant ref", "Your ticket number"
    check_placeholder: str = ""
    check_input_mode: str = "text"  # "numeric" for ticket numbers
    more_winners_words: str = ""  # "Showing the first 100 of 6,722 winners: …", "" if all shown


@dataclass
class WinnerRow:
    position: int
    reroll: int
    ticket: str
    entrant_ref: str
    name: str
    replaced: bool
    replaced_reason: str


@dataclass
class ProofLink:
    label: str
    href: str


def waiting_words(view: draw_public.DrawView) -> str:
    """Why a draw waits, for anyone: in words, never the relays' error text (admins see that)."""
    if view.status != DrawStatus.WAITING_FOR_BEACON:
        return ""
    retry = f" (next try {when(view.next_attempt_at)})" if view.next_attempt_at else ""
    return (
        f"Waiting for public randomness: drand round {view.beacon_round:,} has not reached us "
        f"yet. We keep asking{retry}, and the draw happens as soon as it arrives."
    )


def summary(view: draw_public.DrawView) -> DrawSummary:
    kind = draw_kinds.for_draw(view)
    return DrawSummary(
        id=view.id,
        title=view.title,
        prize=view.prize,
        status=view.status,
        status_words=view.status_words,
        draw_at=when(view.draw_at),
        draw_at_ts=int(view.draw_at.timestamp()),
        commitment=view.commitment,
        closed=view.closed_at is not None,
        closed_at=when(view.closed_at),
        entrant_count=view.entrant_count,
        entry_count=view.entry_count,
        snapshot_digest=view.snapshot_digest,
        merkle_root=view.merkle_root,
        use_beacon=view.use_beacon,
        beacon_round=view.beacon_round or 0,
        beacon_at=when(view.beacon_at),
        no_beacon_reason=view.no_beacon_reason,
        waiting_words=waiting_words(view),
        seed=view.seed,
        drawn_at=when(view.drawn_at),
        revealed=view.status in draw_public.REVEALED,
        is_drawn=view.status == DrawStatus.DRAWN,
        is_void=view.status == DrawStatus.VOID,
        is_override=view.is_override,
        reason=view.reason,
        page_url=routes.draw_page(view.id),
        live_url=routes.live_page(view.id),
        proof_url=routes.draw_proof(view.id),
        snapshot_url=routes.draw_snapshot(view.id),
        kind=kind.name,
        numbered=kind.numbered,
        entrants_words=count(view.entrant_count, "entrant"),
        entries_words=kind.chances(view.entry_count),
        entries_title=kind.title,
        winning_words=kind.winning,
        check_hint=kind.check_hint,
        check_label=kind.check_label,
        check_placeholder=kind.check_placeholder,
        check_input_mode=kind.check_input_mode,
        more_winners_words=(
            f"Showing the first {len(view.winners):,} of {view.winner_count:,} winners: the "
            "proof lists them all."
            if view.more_winners
            else ""
        ),
    )


def winner_rows(view: draw_public.DrawView) -> list[WinnerRow]:
    return [
        WinnerRow(
            position=w.position,
            reroll=w.reroll,
            ticket=w.ticket,
            entrant_ref=w.entrant_ref,
            name=w.name,
            replaced=w.replaced,
            replaced_reason=w.replaced_reason,
        )
        for w in view.winners
    ]


def reroll_proofs(view: draw_public.DrawView) -> list[ProofLink]:
    return [
        ProofLink(label=f"Proof of reroll {n}", href=routes.draw_proof(view.id, n))
        for n in range(1, view.rerolls + 1)
    ]

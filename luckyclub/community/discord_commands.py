"""The community raffle's Discord slash commands as plain functions: who calls, in which
community, with which options → the reply. api/discord.py turns an interaction into a call here;
the services do the work and re-check every moderator action themselves.

Who is a moderator is decided here for every command: the community's Discord role (by name) or
the LuckyClub moderator role of the caller's linked account."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from luckyclub.club import ledger
from luckyclub.club.raffles import month_label, month_of
from luckyclub.community import (
    announcements,
    claims,
    communities,
    discord_link,
    identities,
    periods,
    pool,
    tickets,
    views,
)
from luckyclub.core import db, routes
from luckyclub.core.errors import UserError
from luckyclub.core.settings import get_settings
from luckyclub.core.words import when
from luckyclub.integrations import discord
from luckyclub.models import (
    AffiliateClaim,
    ClaimStatus,
    Community,
    DrawStatus,
    Raffle,
    User,
    id_of,
    utcnow,
)
from luckyclub.platform import audit, roles

LEADERBOARD_DEFAULT, LEADERBOARD_MOST = 10, 25
HISTORY_SIZE = 5
EVERYONE = ("tickets", "leaderboard", "raffle info", "raffle history", "link shuffle")
MODERATORS = (
    "raffle give",
    "raffle remove",
    "raffle verify",
    "raffle stats",
    "raffle draw",
    "raffle reset",
)
DEFERRED = ("raffle draw",)  # answered at once with "thinking…", then followed up


@dataclass(frozen=True)
class Caller:
    """Who typed the command: their Discord id and the names of their roles in the server."""

    discord_user_id: int
    role_names: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Reply:
    """What a command answers. `confirm`: the command this asks to confirm (a button on a slash
    command, `!<command> confirm` with the bot); it is run again with {"confirm": True}."""

    content: str
    ephemeral: bool = True
    confirm: str | None = None


@dataclass(frozen=True)
class Asked:
    """One command as a handler gets it: where (the session, the community), who, with which
    options, and when."""

    session: Session
    community: Community
    caller: Caller
    options: Mapping[str, Any]
    now: datetime

    def period(self) -> Raffle | None:
        """The community's period holding `now`, if anything has happened in it yet."""
        return views.find_period(self.session, self.community, self.now)


@dataclass(frozen=True)
class Acting:
    """A moderator command's actor: the caller's LuckyClub account, and the community's Discord
    role when that role (not a LuckyClub role) is what makes them a moderator."""

    account: User
    discord_role: str | None = None


class NotLinked(UserError):
    pass


def _url(path: str) -> str:
    return f"{get_settings().app_url}{path}"


def how_to_link(session: Session, community: Community) -> str:
    slug = communities.slug_of(session, community)
    return (
        "Your Discord account is not linked to LuckyClub yet. Sign in at "
        f"{_url(routes.community_mine(slug))} and link Discord there, then try again."
    )


def community_of_guild(session: Session, guild_id: int) -> Community | None:
    return session.exec(select(Community).where(Community.discord_guild_id == guild_id)).first()


def is_moderator(session: Session, community: Community, caller: Caller) -> bool:
    """The community's Discord role, or the LuckyClub moderator role of the linked account."""
    if community.discord_moderator_role and community.discord_moderator_role in caller.role_names:
        return True
    account = discord_link.account_of(session, caller.discord_user_id)
    return account is not None and roles.has_role(
        session, account, roles.ScopedRole.MODERATOR, roles.Scope.PROGRAM, community.program_id
    )


def _account(session: Session, community: Community, discord_user_id: int) -> User:
    account = discord_link.account_of(session, discord_user_id)
    if account is None:
        raise NotLinked(how_to_link(session, community))
    return account


def _other(session: Session, discord_user_id: int) -> User:
    account = discord_link.account_of(session, discord_user_id)
    if account is None:
        raise UserError(
            f"<@{discord_user_id}> has not linked a LuckyClub account, so they hold no tickets yet."
        )
    return account


def _acting(session: Session, community: Community, caller: Caller) -> Acting:
    """Changes are made, authorised and audited as the caller's LuckyClub account: by its own
    moderator role, else by the community's Discord role the caller holds (the services check
    either again). A role holder who has not linked Discord is told how to."""
    account = discord_link.account_of(session, caller.discord_user_id)
    if account is None:
        raise NotLinked(
            "Moderator actions are recorded against a LuckyClub account: "
            + how_to_link(session, community)
        )
    if roles.has_role(
        session, account, roles.ScopedRole.MODERATOR, roles.Scope.PROGRAM, community.program_id
    ):
        return Acting(account)
    role = community.discord_moderator_role
    if role and role in caller.role_names:
        return Acting(account, role)
    raise UserError(REFUSED)


def _whole(options: Mapping[str, Any], name: str) -> int:
    value = options.get(name)
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise UserError(f"Give {name} as a whole number.") from None


def _user(options: Mapping[str, Any]) -> int:
    """The `user` option: a Discord snowflake (it fits a BIGINT)."""
    value = _whole(options, "user")
    if not 0 < value < 2**63:
        raise UserError("Pick the user from Discord's list.")
    return value


# ---- everyone ----------------------------------------------------------------------------------


def my_tickets(ask: Asked) -> Reply:
    """/tickets [user]: a balance by source; only the caller sees it unless it is about someone
    else (then the channel does)."""
    about = (
        _user(ask.options) if ask.options.get("user") is not None else ask.caller.discord_user_id
    )
    other = about != ask.caller.discord_user_id
    if other:
        account = _other(ask.session, about)
        whose = f"<@{about}> holds"
    else:
        account = _account(ask.session, ask.community, ask.caller.discord_user_id)
        whose = "You hold"
    period = ask.period()
    sums = tickets.balance_by_source(ask.session, id_of(period), id_of(account)) if period else {}
    total = sum(sums.values())
    lines = [f"{whose} {total} ticket{'s' if total != 1 else ''} this month."]
    lines += [
        f"- {tickets.SOURCE_WORDS.get(source, source)}: {amount}"
        for source, amount in sums.items()
        if amount
    ]
    return Reply("\n".join(lines), ephemeral=not other)


def leaderboard(ask: Asked) -> Reply:
    """/leaderboard [top]: 10 by default, at most 25."""
    top = _whole(ask.options, "top") if ask.options.get("top") is not None else LEADERBOARD_DEFAULT
    if not 1 <= top <= LEADERBOARD_MOST:
        raise UserError(f"Ask for between 1 and {LEADERBOARD_MOST} places.")
    period = ask.period()
    rows = views.leaderboard(ask.session, id_of(period), limit=top) if period else ()
    if not rows:
        return Reply("Nobody holds tickets this month yet.", ephemeral=False)
    lines = [f"Top {len(rows)} this month:"]
    lines += [f"{row.rank}. {discord.plain(row.name)} — {row.tickets} tickets" for row in rows]
    return Reply("\n".join(lines), ephemeral=False)


def raffle_info(ask: Asked) -> Reply:
    """/raffle info: the period, its totals and participants, the prize and when it ends."""
    month = month_of(ask.now)
    period = ask.period()
    counts = ledger.totals(ask.session, id_of(period)) if period else ledger.RaffleTotals(0, 0)
    name = communities.name_of(ask.session, ask.community)
    lines = [
        f"{name} — {month_label(month)}",
        f"Prize: {ask.community.prize or 'to be announced'}",
        f"Tickets: {counts.entries} held by {counts.entrants} participants",
        f"Ends: {when(periods.period_end(month))}",
        f"More: {_url(routes.community_page(communities.slug_of(ask.session, ask.community)))}",
    ]
    return Reply("\n".join(lines), ephemeral=False)


def raffle_history(ask: Asked) -> Reply:
    """/raffle history: the last 5 winners, each with the link to its proof."""
    winners = views.past_winners(ask.session, ask.community, limit=HISTORY_SIZE)
    if not winners:
        return Reply("No draws yet.", ephemeral=False)
    lines = ["Last winners:"]
    lines += [
        f"{w.label}: {discord.plain(w.name)} ({w.tickets} of {w.total_tickets} tickets), proof: "
        f"{_url(w.proof_url)}"
        for w in winners
    ]
    return Reply("\n".join(lines), ephemeral=False)


def link_shuffle(ask: Asked) -> Reply:
    """/link shuffle <username>: claims an affiliate username for a moderator to verify."""
    account = _account(ask.session, ask.community, ask.caller.discord_user_id)
    row = claims.claim(
        ask.session, account, ask.community, str(ask.options.get("username") or ""), ask.now
    )
    return Reply(f"Claimed {row.username}: a moderator will verify it.")


# ---- moderators --------------------------------------------------------------------------------


def give(ask: Asked) -> Reply:
    """/raffle give <user> <tickets> <reason>"""
    return _change_tickets(ask, tickets.give, "Gave {} to")


def remove(ask: Asked) -> Reply:
    """/raffle remove <user> <tickets> <reason>"""
    return _change_tickets(ask, tickets.remove, "Removed {} from")


def _change_tickets(ask: Asked, change: Callable[..., object], done: str) -> Reply:
    """Give or take a viewer's tickets as the moderator's own service call (checked, audited)."""
    acting = _acting(ask.session, ask.community, ask.caller)
    who = _user(ask.options)
    viewer = _other(ask.session, who)
    amount = _whole(ask.options, "tickets")
    reason = str(ask.options.get("reason") or "")
    change(
        ask.session,
        acting.account,
        ask.community,
        id_of(viewer),
        amount,
        reason,
        ask.now,
        discord_role=acting.discord_role,
    )
    return Reply(f"{done.format(f'{amount} tickets')} <@{who}>.", ephemeral=False)


def verify(ask: Asked) -> Reply:
    """/raffle verify <username> <user> (or <kick>, the viewer's Kick username, as the seed's
    `!raffle verify shuffle <shuffle_user> <kick_user>`): approves that viewer's pending claim of
    that username."""
    acting = _acting(ask.session, ask.community, ask.caller)
    viewer, who = _viewer_named(ask.session, ask.options)
    key = claims.username_key(str(ask.options.get("username") or ""))
    row = ask.session.exec(
        select(AffiliateClaim).where(
            AffiliateClaim.community_id == ask.community.id,
            AffiliateClaim.user_id == viewer.id,
            AffiliateClaim.username_key == key,
            AffiliateClaim.status == ClaimStatus.PENDING,
        )
    ).first()
    if row is None:
        raise UserError(
            f"{who} has no pending claim of that username: they claim it with /link shuffle first."
        )
    claims.approve(
        ask.session, acting.account, id_of(row), ask.now, discord_role=acting.discord_role
    )
    return Reply(f"Verified {row.username} for {who}.")


def _viewer_named(session: Session, options: Mapping[str, Any]) -> tuple[User, str]:
    """The viewer a moderator names by Discord user, or by Kick username; and how to call them."""
    if options.get("user") is not None:
        who = _user(options)
        return _other(session, who), f"<@{who}>"
    kick_name = str(options.get("kick") or "").strip().lstrip("@")
    if not kick_name:
        raise UserError("Name the viewer: their Discord user, or their Kick username.")
    user_id = identities.account_named(session, kick_name)
    account = session.get(User, user_id) if user_id is not None else None
    if account is None:
        raise UserError(
            f"No LuckyClub account has linked the Kick account {kick_name}: they link Kick on "
            "their community page first."
        )
    return account, kick_name


def stats(ask: Asked) -> Reply:
    """/raffle stats: this month's totals by source and the claims waiting."""
    period = ask.period()
    counts = ledger.totals(ask.session, id_of(period)) if period else ledger.RaffleTotals(0, 0)
    lines = [f"Tickets: {counts.entries}, participants: {counts.entrants}"]
    if period:
        lines += [
            f"- {t.words}: {t.tickets}" for t in views.totals_by_source(ask.session, id_of(period))
        ]
    lines.append(f"Claims waiting: {len(claims.pending(ask.session, ask.community))}")
    return Reply("\n".join(lines))


def reset(ask: Asked) -> Reply:
    """/raffle reset: asks first; confirmed, runs the monthly reset for this community now (what
    the reset job does at 00:00 UTC on the 1st, if it has not run yet): ended periods close (and
    are drawn, for automatic draws), this month's period opens, and the new period is announced.
    Periods are calendar months, so before a month ends there is nothing to reset."""
    acting = _acting(ask.session, ask.community, ask.caller)
    month = month_of(ask.now)
    if ask.options.get("confirm") is not True:
        return Reply(
            "Reset the raffle now? Every period that has ended closes for good (no ticket can be "
            "earned in it afterwards), its draw is made ready, and this month's period "
            f"({month_label(month)}) opens and is announced.",
            confirm="raffle reset",
        )
    done = periods.reset(ask.session, ask.now, community_id=id_of(ask.community))
    if not done.closed:
        return Reply(
            f"Nothing to reset: the {month_label(month)} period runs until "
            f"{when(periods.period_end(month))} and closes by itself then. Periods are calendar "
            "months; to end this one early, draw it with /raffle draw and a reason."
        )
    audit.record(
        ask.session,
        acting.account,
        "community.reset",
        "community",
        ask.community.id,
        f"closed period(s) {', '.join(f'#{p}' for p in done.closed)}"
        + communities.as_role(acting.discord_role),
    )
    return Reply(
        f"Reset done: {len(done.closed)} ended period(s) closed and the {month_label(month)} "
        "period is open. Draw the last one with /raffle draw"
        + (" (it draws by itself: automatic draws are on)." if ask.community.auto_draw else "."),
        ephemeral=False,
    )


def _period_to_draw(session: Session, community: Community, now: datetime) -> int:
    """The newest ended period not drawn yet, else the current one (drawn early: with a reason)."""
    for period in periods.periods(session, community, limit=3):
        if periods.is_open(period, now):
            continue
        draw_row = periods.draw_of(session, id_of(period))
        if draw_row is None or draw_row.status not in (DrawStatus.DRAWN, DrawStatus.VOID):
            return id_of(period)
        break
    return id_of(periods.period_of(session, community, now))


def draw(
    community_id: int, caller: Caller, options: Mapping[str, Any], now: datetime | None = None
) -> Reply:
    """/raffle draw [reason] (deferred): draws the newest ended period not drawn yet, or the
    current one early when a reason is given, as the caller's linked account (the draw service
    authorises it again). Runs its own transactions, so it takes no session."""
    now = now or utcnow()
    with db.session_scope() as session:
        community = communities.get(session, community_id)
        if not is_moderator(session, community, caller):
            return Reply(REFUSED)
        try:
            acting = _acting(session, community, caller)
        except UserError as exc:
            return Reply(str(exc))
        moderator_id, role = id_of(acting.account), acting.discord_role
        period_id = _period_to_draw(session, community, now)
    try:
        outcome = pool.draw_now(
            moderator_id,
            community_id,
            period_id,
            now,
            reason=str(options.get("reason") or ""),
            discord_role=role,
        )
    except UserError as exc:
        return Reply(str(exc))
    with db.session_scope() as session:
        draw_row = periods.draw_of(session, period_id)
        if outcome.status != "drawn" or draw_row is None:
            where = f" {_url(routes.draw_page(id_of(draw_row)))}" if draw_row else ""
            return Reply(f"{outcome.message}{where}", ephemeral=outcome.status != "waiting")
        text = pool.announcement(session, id_of(draw_row), name=announcements.public_name)
    return Reply(text or outcome.message, ephemeral=False)


REFUSED = "Only this community's moderators can use that command."
HANDLERS = {
    "tickets": my_tickets,
    "leaderboard": leaderboard,
    "raffle info": raffle_info,
    "raffle history": raffle_history,
    "link shuffle": link_shuffle,
    "raffle give": give,
    "raffle remove": remove,
    "raffle verify": verify,
    "raffle stats": stats,
    "raffle reset": reset,
}


def run(
    session: Session,
    community: Community,
    caller: Caller,
    command: str,
    options: Mapping[str, Any],
    now: datetime | None = None,
) -> Reply:
    """One command's reply; a person's mistake (or a refusal) is an ephemeral sentence. The
    caller's session commits what the command changed."""
    handler = HANDLERS.get(command)
    if handler is None:
        return Reply(f"I don't know the command /{command}. Try /raffle info.")
    if command in MODERATORS and not is_moderator(session, community, caller):
        return Reply(REFUSED)
    try:
        with session.begin_nested():
            return handler(Asked(session, community, caller, options, now or utcnow()))
    except UserError as exc:
        return Reply(str(exc))


# ---- the definitions Discord is told about (register-commands) ---------------------------------

_SUB, _STRING, _INTEGER, _USER = 1, 3, 4, 6


def _option(kind: int, name: str, description: str, *, required: bool = True, **more: Any):
    return {"type": kind, "name": name, "description": description, "required": required} | more


def _sub(name: str, description: str, *options: dict[str, Any]) -> dict[str, Any]:
    return {"type": _SUB, "name": name, "description": description, "options": list(options)}


def _user_change(name: str, description: str) -> dict[str, Any]:
    return _sub(
        name,
        description,
        _option(_USER, "user", "Whose tickets"),
        _option(_INTEGER, "tickets", "How many", min_value=1, max_value=tickets.MAX_CHANGE),
        _option(_STRING, "reason", "Why (the viewer sees it)"),
    )


COMMANDS: tuple[dict[str, Any], ...] = (
    {
        "name": "tickets",
        "description": "Your tickets this month, by source (or someone else's)",
        "options": [_option(_USER, "user", "Whose tickets", required=False)],
    },
    {
        "name": "leaderboard",
        "description": "This month's top ticket holders",
        "options": [
            _option(
                _INTEGER,
                "top",
                f"How many places ({LEADERBOARD_DEFAULT} by default)",
                required=False,
                min_value=1,
                max_value=LEADERBOARD_MOST,
            )
        ],
    },
    {
        "name": "raffle",
        "description": "The community raffle",
        "options": [
            _sub("info", "This month's period, totals, prize and end"),
            _sub("history", f"The last {HISTORY_SIZE} winners, with their proofs"),
            _sub(
                "draw",
                "Moderators: draw the ended period (or this one early, with a reason)",
                _option(_STRING, "reason", "Why draw before the end", required=False),
            ),
            _user_change("give", "Moderators: give a viewer tickets"),
            _user_change("remove", "Moderators: remove a viewer's tickets"),
            _sub(
                "verify",
                "Moderators: verify a viewer's claimed affiliate username",
                _option(_STRING, "username", "The affiliate username they claimed"),
                _option(_USER, "user", "The viewer", required=False),
                _option(_STRING, "kick", "Or the viewer's Kick username", required=False),
            ),
            _sub("stats", "Moderators: this month's totals and claims waiting"),
            _sub("reset", "Moderators: close ended periods and open this month's (asks first)"),
        ],
    },
    {
        "name": "link",
        "description": "Link an account",
        "options": [
            _sub(
                "shuffle",
                "Claim your Shuffle username for a moderator to verify (once a day)",
                _option(_STRING, "username", "Your username on Shuffle"),
            )
        ],
    },
)

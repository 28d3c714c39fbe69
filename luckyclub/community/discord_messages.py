"""The seed's `!` commands, typed in a Discord channel and read by the Gateway bot
(community/discord_bot.py): a message's text → the same (command, options) the slash command gives
(api/discord.py's `command_of`), answered by the same functions (community/discord_commands.py).

No Discord library here: parse() is plain text work, answer() a blocking call the bot runs in a
thread."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from luckyclub.community import discord_commands
from luckyclub.community.discord_commands import Caller, Reply
from luckyclub.core.db import session_scope
from luckyclub.models import id_of

PREFIX = "!"
MENTION = re.compile(r"<@!?(\d{1,20})>")  # a user mention as Discord writes it in a message
WHOLE = re.compile(r"\d{1,9}")

USAGE = {
    "tickets": "!tickets (yours) or !tickets @user (theirs)",
    "leaderboard": "!leaderboard or !leaderboard 25 (how many places, at most 25)",
    "link shuffle": "!link shuffle <your Shuffle username>",
    "raffle draw": "!raffle draw, or !raffle draw <why it is drawn before the end>",
    "raffle reset": "!raffle reset (it asks first), then !raffle reset confirm",
    "raffle give": (
        "!raffle give @user <tickets> <reason>, e.g. !raffle give @user 50 Won community event"
    ),
    "raffle remove": (
        "!raffle remove @user <tickets> <reason>, e.g. !raffle remove @user 100 TOS violation"
    ),
    "raffle verify": "!raffle verify shuffle <shuffle username> <kick username or @user>",
}
RAFFLE = ("info", "history", "stats", "draw", "reset", "give", "remove", "verify")
RAFFLE_USAGE = "!raffle " + " | ".join(RAFFLE)
NOT_SET_UP = (
    "This Discord server is not connected to a LuckyClub community yet: an admin sets its "
    "server id on the community."
)


@dataclass(frozen=True)
class Parsed:
    """A command and its options, exactly as the slash command would give them."""

    command: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Malformed:
    """One of our commands, typed wrongly: the sentence that names the right form."""

    usage: str


def _use(command: str, problem: str = "") -> Malformed:
    form = USAGE.get(command, command)
    return Malformed(f"{problem + ' ' if problem else ''}Use: {form}".strip())


def _mention(word: str) -> int | None:
    found = MENTION.fullmatch(word)
    return int(found.group(1)) if found else None


def parse(text: str) -> Parsed | Malformed | None:
    """None for a message that is not one of our commands (other bots share the `!` prefix, so an
    unknown `!word` is left alone); Malformed for one of ours typed wrongly."""
    body = text.removeprefix(PREFIX)
    if body == text or not body[:1].strip():  # no prefix, or "! word": not a command
        return None
    words = body.split()
    name, rest = words[0].lower(), words[1:]
    if name == "tickets":
        return _tickets(rest)
    if name == "leaderboard":
        return _leaderboard(rest)
    if name == "link":
        if len(rest) == 2 and rest[0].lower() == "shuffle":
            return Parsed("link shuffle", {"username": rest[1]})
        return _use("link shuffle")
    if name == "raffle":
        return _raffle(rest)
    return None


def _tickets(rest: list[str]) -> Parsed | Malformed:
    if not rest:
        return Parsed("tickets")
    user = _mention(rest[0]) if len(rest) == 1 else None
    if user is None:
        return _use("tickets", "Mention the user (pick them from Discord's list after @).")
    return Parsed("tickets", {"user": user})


def _leaderboard(rest: list[str]) -> Parsed | Malformed:
    if not rest:
        return Parsed("leaderboard")
    if len(rest) == 1 and WHOLE.fullmatch(rest[0]):
        return Parsed("leaderboard", {"top": int(rest[0])})
    return _use("leaderboard")


def _raffle(rest: list[str]) -> Parsed | Malformed:
    sub, args = (rest[0].lower(), rest[1:]) if rest else ("", [])
    command = f"raffle {sub}"
    if sub in ("info", "history", "stats"):
        return Parsed(command) if not args else Malformed(f"Use: !{command}")
    if sub == "draw":
        return Parsed(command, {"reason": " ".join(args)} if args else {})
    if sub == "reset":
        if not args:
            return Parsed(command)
        if len(args) == 1 and args[0].lower() == "confirm":
            return Parsed(command, {"confirm": True})
        return _use(command)
    if sub in ("give", "remove"):
        return _change(command, args)
    if sub == "verify":
        return _verify(args)
    return Malformed(f"Use: {RAFFLE_USAGE}")


def _change(command: str, args: list[str]) -> Parsed | Malformed:
    """give/remove @user <tickets> <reason…>: the reason is required, as in the slash command
    (the viewer sees it)."""
    user = _mention(args[0]) if args else None
    if user is None:
        return _use(command, "Mention the user (pick them from Discord's list after @).")
    if len(args) < 2 or not WHOLE.fullmatch(args[1]):
        return _use(command, "Give the tickets as a whole number.")
    if len(args) < 3:
        return _use(command, "Say why: the viewer sees the reason.")
    return Parsed(command, {"user": user, "tickets": int(args[1]), "reason": " ".join(args[2:])})


def _verify(args: list[str]) -> Parsed | Malformed:
    """verify shuffle <username> <kick username | @user>"""
    if len(args) != 3 or args[0].lower() != "shuffle":
        return _use("raffle verify")
    username, who = args[1], args[2]
    user = _mention(who)
    if user is not None:
        return Parsed("raffle verify", {"username": username, "user": user})
    kick = who.removeprefix("@")
    if not kick or who.startswith("<"):  # a role or channel mention is not a viewer
        return _use("raffle verify")
    return Parsed("raffle verify", {"username": username, "kick": kick})


def answer(guild_id: int, author_id: int, role_names: Iterable[str], text: str) -> Reply | None:
    """The reply to a message in a server, or None when it is not one of our commands. Blocking
    (the database, and a draw): the bot calls it in a thread. Role names come straight from the
    Gateway (the author's roles in that server)."""
    parsed = parse(text)
    if parsed is None:
        return None
    if isinstance(parsed, Malformed):
        return Reply(parsed.usage)
    caller = Caller(discord_user_id=author_id, role_names=frozenset(role_names))
    with session_scope() as session:
        community = discord_commands.community_of_guild(session, guild_id)
        if community is None:
            return Reply(NOT_SET_UP)
        if parsed.command not in discord_commands.DEFERRED:
            reply = discord_commands.run(session, community, caller, parsed.command, parsed.options)
            return _typed_confirmation(reply)
        community_id = id_of(community)
    # The draw runs its own transactions (and may wait for a beacon): outside this session.
    return discord_commands.draw(community_id, caller, parsed.options)


def _typed_confirmation(reply: Reply) -> Reply:
    """A question a slash command asks with a button is answered here by typing the command
    again with `confirm`."""
    if not reply.confirm:
        return reply
    return replace(reply, content=f"{reply.content}\nTo go ahead, type: !{reply.confirm} confirm")

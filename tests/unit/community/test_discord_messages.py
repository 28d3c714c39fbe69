"""The `!` parser: each of the seed's commands gives the very (command, options) that
api/discord.py's command_of reads from the equivalent slash interaction (built by
tests/fake_discord.py), a wrongly typed one of ours a sentence naming the right form, and anything
else nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from luckyclub.api.discord import command_of
from luckyclub.community.discord_messages import Malformed, Parsed, parse
from tests.fake_discord import FakeDiscord

ANN = 800000000000000001
GUILD = 700000000000000001


def slash(name: str, subcommand: str | None = None, **options: Any) -> tuple[str, dict[str, Any]]:
    _, body = FakeDiscord().command(name, GUILD, ANN, subcommand=subcommand, options=options)
    return command_of(json.loads(body)["data"])


SEED = [
    ("!tickets", slash("tickets")),
    (f"!tickets <@{ANN}>", slash("tickets", user=ANN)),
    (f"!tickets <@!{ANN}>", slash("tickets", user=ANN)),  # a nickname mention
    ("!leaderboard", slash("leaderboard")),
    ("!leaderboard 25", slash("leaderboard", top=25)),
    ("!raffle info", slash("raffle", "info")),
    ("!raffle history", slash("raffle", "history")),
    ("!link shuffle obel", slash("link", "shuffle", username="obel")),
    ("!raffle draw", slash("raffle", "draw")),
    (
        "!raffle draw the streamer is away next week",
        slash("raffle", "draw", reason="the streamer is away next week"),
    ),
    ("!raffle reset", slash("raffle", "reset")),
    # The slash command asks with a button whose click runs ("raffle reset", {"confirm": True}).
    ("!raffle reset confirm", slash("raffle", "reset", confirm=True)),
    ("!raffle stats", slash("raffle", "stats")),
    (
        f"!raffle give <@{ANN}> 50 Won community event",
        slash("raffle", "give", user=ANN, tickets=50, reason="Won community event"),
    ),
    (
        f"!raffle remove <@{ANN}> 100 TOS violation",
        slash("raffle", "remove", user=ANN, tickets=100, reason="TOS violation"),
    ),
    (
        "!raffle verify shuffle obel obel_kick",
        slash("raffle", "verify", username="obel", kick="obel_kick"),
    ),
    (
        f"!raffle verify shuffle obel <@{ANN}>",
        slash("raffle", "verify", username="obel", user=ANN),
    ),
]


@pytest.mark.parametrize(("text", "expected"), SEED, ids=[text for text, _ in SEED])
def test_each_seed_command_parses_to_the_slash_commands_call(text, expected):
    parsed = parse(text)
    assert isinstance(parsed, Parsed), parsed
    assert (parsed.command, parsed.options) == expected


def test_command_words_are_read_in_any_case_and_spacing():
    parsed = parse(f"!Raffle  GIVE   <@{ANN}>  5   Quiz   winner")
    assert parsed == Parsed("raffle give", {"user": ANN, "tickets": 5, "reason": "Quiz winner"})
    assert parse("!RAFFLE reset CONFIRM") == Parsed("raffle reset", {"confirm": True})


def test_a_kick_name_typed_with_an_at_sign_is_the_name():
    parsed = parse("!raffle verify shuffle obel @obel_kick")
    assert parsed == Parsed("raffle verify", {"username": "obel", "kick": "obel_kick"})


MALFORMED = [
    (f"!raffle give <@{ANN}> lots Won community event", "!raffle give @user <tickets> <reason>"),
    ("!raffle give @ann 50 Won community event", "Mention the user"),  # not a real mention
    (f"!raffle give <@{ANN}> 50", "Say why"),
    ("!raffle remove", "!raffle remove @user <tickets> <reason>"),
    ("!raffle remove <@&123> 5 spam", "Mention the user"),  # a role, not a user
    ("!tickets ann", "!tickets @user"),
    (f"!tickets <@{ANN}> <@{ANN}>", "!tickets @user"),
    ("!leaderboard lots", "!leaderboard 25"),
    ("!leaderboard 5 10", "!leaderboard 25"),
    ("!link shuffle", "!link shuffle <your Shuffle username>"),
    ("!link kick obel", "!link shuffle <your Shuffle username>"),
    ("!link shuffle two words", "!link shuffle <your Shuffle username>"),
    ("!raffle verify obel obel_kick", "!raffle verify shuffle <shuffle username>"),
    ("!raffle verify shuffle obel", "!raffle verify shuffle <shuffle username>"),
    ("!raffle verify shuffle obel <#123>", "!raffle verify shuffle <shuffle username>"),
    ("!raffle reset now", "!raffle reset confirm"),
    ("!raffle info please", "Use: !raffle info"),
    ("!raffle", "!raffle info | history"),
    ("!raffle jackpot", "!raffle info | history"),
]


@pytest.mark.parametrize(("text", "says"), MALFORMED, ids=[text for text, _ in MALFORMED])
def test_one_of_our_commands_typed_wrongly_gets_the_right_form(text, says):
    parsed = parse(text)
    assert isinstance(parsed, Malformed), parsed
    assert says in parsed.usage and "Use: !" in parsed.usage


@pytest.mark.parametrize(
    "text",
    ["hello", "tickets", " !tickets", "!", "! tickets", "!play some music", "!rank", ""],
)
def test_chat_and_other_bots_commands_are_left_alone(text):
    assert parse(text) is None

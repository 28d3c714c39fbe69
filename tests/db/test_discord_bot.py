"""The `!` commands answered from a Gateway message: answer() finds the community by server, makes
the caller from the author's id and role names, and gives the slash command's own reply; the bot's
message glue (community/discord_bot.respond) sends private replies by DM and public ones in the
channel, with stand-in message objects (no Gateway: nothing leaves this machine)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import discord
import pytest
from sqlmodel import col, select

from luckyclub import cli
from luckyclub.api.discord import command_of
from luckyclub.community import discord_bot, discord_commands, periods, tickets
from luckyclub.community.discord_commands import REFUSED, Caller
from luckyclub.community.discord_messages import NOT_SET_UP, answer
from luckyclub.models import (
    AffiliateClaim,
    AuditLog,
    ClaimStatus,
    KickIdentity,
    RaffleStatus,
    utcnow,
)
from tests.db.community_helpers import ANN, BOB, GUILD, MOD, STRANGER, discord_world
from tests.fake_discord import FakeDiscord


@pytest.fixture()
def world(session, settings_env):
    """A community on GUILD with the Discord moderator role "Raffle Mods"; Ann (30 bonus
    tickets) and Bob linked viewers, the community's moderator linked as MOD; STRANGER unlinked."""
    settings_env(APP_URL="https://lucky.example")
    return discord_world(session)


def balance(session, community, user) -> int:
    period = periods.period_of(session, community, utcnow())
    session.expire_all()
    return sum(tickets.balance_by_source(session, period.id, user.id).values())


# ---- answer() -----------------------------------------------------------------------------------


def test_a_linked_user_gets_their_tickets_privately_and_someone_elses_publicly(world):
    reply = answer(GUILD, ANN, [], "!tickets")
    assert reply is not None and reply.ephemeral
    assert reply.content.startswith("You hold 30 tickets this month.")
    reply = answer(GUILD, BOB, [], f"!tickets <@{ANN}>")
    assert reply is not None and not reply.ephemeral
    assert reply.content.startswith(f"<@{ANN}> holds 30 tickets")


def test_an_unlinked_user_is_told_where_to_link(world):
    reply = answer(GUILD, STRANGER, [], "!tickets")
    assert reply is not None and reply.ephemeral
    assert "not linked to LuckyClub yet" in reply.content
    assert "https://lucky.example/community/lele/me" in reply.content


def test_a_moderator_gives_and_removes_tickets_and_a_member_is_refused(world, session):
    community, people = world
    reply = answer(GUILD, MOD, [], f"!raffle give <@{BOB}> 50 Won community event")
    assert reply is not None and not reply.ephemeral
    assert reply.content == f"Gave 50 tickets to <@{BOB}>."
    answer(GUILD, MOD, [], f"!raffle remove <@{BOB}> 10 TOS violation")
    assert balance(session, community, people["bob"]) == 40
    for who in (ANN, STRANGER):
        reply = answer(GUILD, who, ["Fans"], f"!raffle give <@{ANN}> 99 Mine!!")
        assert reply is not None and reply.ephemeral and reply.content == REFUSED
    assert balance(session, community, people["ann"]) == 30


def test_the_communitys_discord_role_by_name_makes_a_moderator(world):
    reply = answer(GUILD, STRANGER, ["Fans", "Raffle Mods"], "!raffle stats")
    assert reply is not None and reply.content.startswith("Tickets: 30, participants: 1")
    reply = answer(GUILD, STRANGER, ["Fans", "raffle mods"], "!raffle stats")
    assert reply is not None and reply.content == REFUSED  # the name, exactly


def test_a_linked_holder_of_the_discord_role_gives_tickets_audited_as_by_the_role(world, session):
    community, people = world
    reply = answer(GUILD, ANN, ["Raffle Mods"], f"!raffle give <@{BOB}> 7 Won community event")
    assert reply is not None and reply.content == f"Gave 7 tickets to <@{BOB}>."
    assert balance(session, community, people["bob"]) == 7
    entry = session.exec(select(AuditLog).order_by(col(AuditLog.id).desc())).first()
    assert entry is not None and entry.actor_id == people["ann"].id
    assert entry.detail.endswith("Won community event (as Discord role Raffle Mods)")
    reply = answer(GUILD, STRANGER, ["Raffle Mods"], f"!raffle give <@{BOB}> 7 Quiz")
    assert reply is not None and reply.ephemeral
    assert reply.content.startswith("Moderator actions are recorded against a LuckyClub")


def test_raffle_reset_asks_to_type_confirm_then_closes_the_ended_period(world, session):
    community, people = world
    last_month = periods.period_of(session, community, utcnow() - timedelta(days=40))
    session.commit()
    reply = answer(GUILD, MOD, [], "!raffle reset")
    assert reply is not None and reply.ephemeral
    assert reply.content.startswith("Reset the raffle now?")
    assert reply.content.endswith("To go ahead, type: !raffle reset confirm")
    session.refresh(last_month)
    assert last_month.status == RaffleStatus.OPEN  # asking changed nothing
    reply = answer(GUILD, ANN, ["Fans"], "!raffle reset confirm")
    assert reply is not None and reply.content == REFUSED
    reply = answer(GUILD, MOD, [], "!raffle reset confirm")
    assert reply is not None and reply.content.startswith("Reset done: 1 ended period(s) closed")
    session.refresh(last_month)
    assert last_month.status == RaffleStatus.CLOSED


def test_verify_shuffle_names_the_viewer_by_kick_name_or_by_mention(world, session):
    community, people = world
    session.add(KickIdentity(kick_user_id=4242, username="Bob_Kick", user_id=people["bob"].id))
    session.commit()
    answer(GUILD, BOB, [], "!link shuffle bobby")
    answer(GUILD, ANN, [], "!link shuffle ann_s")
    reply = answer(GUILD, MOD, [], "!raffle verify shuffle bobby bob_kick")
    assert reply is not None and reply.content == "Verified bobby for bob_kick."
    reply = answer(GUILD, MOD, [], f"!raffle verify shuffle ann_s <@{ANN}>")
    assert reply is not None and reply.content == f"Verified ann_s for <@{ANN}>."
    session.expire_all()
    claims = session.exec(select(AffiliateClaim)).all()
    assert {c.status for c in claims} == {ClaimStatus.VERIFIED} and len(claims) == 2


def test_a_draw_is_made_and_announced_in_the_channel(no_beacon, world):
    reply = answer(GUILD, MOD, [], "!raffle draw Stream finale tonight")
    assert reply is not None and not reply.ephemeral
    assert reply.content.startswith("🎉 RAFFLE WINNER ANNOUNCEMENT 🎉")
    reply = answer(GUILD, ANN, [], "!raffle draw Because I can")
    assert reply is not None and reply.ephemeral and reply.content == REFUSED


def test_a_mistyped_command_an_unknown_server_and_chat(world):
    reply = answer(GUILD, MOD, [], f"!raffle give <@{BOB}> lots Won community event")
    assert reply is not None and reply.ephemeral
    assert "Use: !raffle give @user <tickets> <reason>" in reply.content
    reply = answer(123, ANN, [], "!tickets")
    assert reply is not None and reply.content == NOT_SET_UP
    assert answer(GUILD, ANN, [], "good luck everyone!") is None
    assert answer(GUILD, ANN, [], "!play some music") is None


READS = [
    ("!tickets", ("tickets", None, {})),
    (f"!tickets <@{ANN}>", ("tickets", None, {"user": str(ANN)})),
    ("!leaderboard 25", ("leaderboard", None, {"top": 25})),
    ("!raffle info", ("raffle", "info", {})),
    ("!raffle history", ("raffle", "history", {})),
    ("!raffle stats", ("raffle", "stats", {})),
]


@pytest.mark.parametrize(("text", "slash"), READS, ids=[text for text, _ in READS])
def test_a_bang_command_replies_as_its_slash_command_does(world, session, text, slash):
    """The slash interaction as Discord sends it (a user option is a snowflake string) through
    command_of and run(), against the message through answer()."""
    community, _ = world
    name, subcommand, options = slash
    _, body = FakeDiscord().command(name, GUILD, BOB, subcommand=subcommand, options=options)
    command, given = command_of(json.loads(body)["data"])
    caller = Caller(BOB, frozenset({"Raffle Mods"}))
    expected = discord_commands.run(session, community, caller, command, given)
    assert answer(GUILD, BOB, ["Raffle Mods"], text) == expected


# ---- the bot's message glue ---------------------------------------------------------------------


@dataclass
class Author:
    id: int
    roles: list[Any] = field(default_factory=list)
    bot: bool = False
    dms_open: bool = True
    dms: list[str] = field(default_factory=list)

    async def send(self, content: str, *, allowed_mentions: discord.AllowedMentions) -> None:
        if not self.dms_open:
            response = SimpleNamespace(status=403, reason="Forbidden")
            raise discord.Forbidden(response, {"code": 50007, "message": "Cannot send"})
        assert allowed_mentions.to_dict() == {"parse": []}
        self.dms.append(content)


@dataclass
class Message:
    """The attributes of discord.Message that the bot reads, and reply()."""

    author: Author
    content: str
    guild: Any = field(default_factory=lambda: SimpleNamespace(id=GUILD))
    channel: Any = field(default_factory=lambda: SimpleNamespace(id=900))
    replies: list[str] = field(default_factory=list)

    async def reply(self, content: str, *, allowed_mentions: discord.AllowedMentions) -> None:
        assert allowed_mentions.to_dict() == {"parse": []}  # no pings, not even the author
        self.replies.append(content)


def respond(message: Message, me: int = 1) -> Any:
    return asyncio.run(discord_bot.respond(message, SimpleNamespace(id=me)))  # type: ignore[arg-type]


def test_a_private_reply_goes_by_dm_and_a_public_one_to_the_channel(world):
    ann = Author(ANN)
    message = Message(ann, "!tickets")
    respond(message)
    assert message.replies == [] and ann.dms[0].startswith("You hold 30 tickets")
    message = Message(Author(BOB), f"!tickets <@{ANN}>")
    respond(message)
    assert message.replies[0].startswith(f"<@{ANN}> holds 30 tickets")


def test_with_dms_closed_the_channel_gets_a_note_not_the_private_answer(world):
    ann = Author(ANN, dms_open=False)
    message = Message(ann, "!tickets")
    respond(message)
    assert message.replies == [discord_bot.DMS_CLOSED] and ann.dms == []


def test_the_authors_role_names_make_a_moderator(world):
    roles = [SimpleNamespace(name="@everyone"), SimpleNamespace(name="Raffle Mods")]
    stranger = Author(STRANGER, roles=roles)
    respond(Message(stranger, "!raffle stats"))
    assert stranger.dms[0].startswith("Tickets: 30, participants: 1")


def test_bots_itself_direct_messages_and_chat_are_not_answered(world):
    for message, me in (
        (Message(Author(ANN, bot=True), "!tickets"), 1),
        (Message(Author(ANN), "!tickets"), ANN),  # its own message
        (Message(Author(ANN), "!tickets", guild=None), 1),
        (Message(Author(ANN), "good luck everyone"), 1),
    ):
        assert respond(message, me) is None
        assert message.replies == [] and message.author.dms == []


def test_a_failure_behind_the_answer_is_a_sentence_in_the_channel():
    def broken(*args: object) -> None:
        raise RuntimeError("the database is down")

    message = Message(Author(ANN), "!tickets")
    reply = asyncio.run(discord_bot.respond(message, None, answer=broken))  # type: ignore[arg-type]
    assert reply is not None and message.replies == [discord_bot.FAILED]


def test_the_bot_without_a_token_says_what_to_set(settings_env, capsys):
    settings_env(DISCORD_BOT_TOKEN=None)
    assert cli.main(["discord-bot"]) == 2
    assert "Set DISCORD_BOT_TOKEN" in capsys.readouterr().err


def test_the_bot_asks_for_servers_messages_and_their_text_only():
    wanted = discord_bot.intents()
    assert wanted.guilds and wanted.guild_messages and wanted.message_content
    assert not (wanted.members or wanted.presences or wanted.dm_messages)

"""The Gateway bot behind `python -m luckyclub discord-bot`: it reads the seed's `!` commands in the
servers that connected a community and answers them with the slash commands' functions
(community/discord_messages.py → community/discord_commands.py).

A thin shell: the database work runs in a thread (asyncio.to_thread), never on the event loop.
A reply only the caller should see (ephemeral for a slash command) goes to the author by direct
message; if their DMs are closed, the channel gets a short note instead, never the private text."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable, Iterable

import aiohttp
import discord

from luckyclub.community import discord_messages
from luckyclub.community.discord_commands import Reply

log = logging.getLogger(__name__)

MESSAGE_LIMIT = 2000  # characters Discord takes in one message
NO_MENTIONS = discord.AllowedMentions.none()  # names in a reply never ping anyone, as in slash
DMS_CLOSED = (
    "I sent the answer by direct message, but your DMs are closed to me. Allow direct messages "
    "from this server's members, or use the slash command (only you see its answer)."
)
FAILED = "I could not answer just now; try again in a minute."

Answer = Callable[[int, int, Iterable[str], str], Reply | None]


def intents() -> discord.Intents:
    """Servers and their messages, with the text (the privileged Message Content intent, turned
    on in the developer portal). No member list: a message carries its author's roles."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.guild_messages = True
    wanted.message_content = True
    return wanted


async def respond(
    message: discord.Message,
    me: discord.abc.Snowflake | None,
    answer: Answer = discord_messages.answer,
) -> Reply | None:
    """Answer one message if it is one of our commands; returns what was answered."""
    author = message.author
    if author.bot or (me is not None and author.id == me.id) or message.guild is None:
        return None
    if not message.content.startswith(discord_messages.PREFIX):
        return None  # most chat: no thread, no database
    role_names = [role.name for role in getattr(author, "roles", ())]
    try:
        reply = await asyncio.to_thread(
            answer, message.guild.id, author.id, role_names, message.content
        )
    except Exception:
        log.exception("The ! command in guild %s could not be answered", message.guild.id)
        reply = Reply(FAILED, ephemeral=False)
    if reply is not None:
        await deliver(message, reply)
    return reply


async def deliver(message: discord.Message, reply: Reply) -> None:
    """A public reply in the channel; a private one by DM (DMs closed: a note in the channel)."""
    content = reply.content[:MESSAGE_LIMIT]
    try:
        if not reply.ephemeral:
            await message.reply(content, allowed_mentions=NO_MENTIONS)
            return
        try:
            await message.author.send(content, allowed_mentions=NO_MENTIONS)
        except discord.Forbidden:
            await message.reply(DMS_CLOSED, allowed_mentions=NO_MENTIONS)
    except discord.HTTPException as exc:  # no right to post here, or Discord refused
        log.warning(
            "Could not reply in channel %s: %s %s", message.channel.id, exc.status, exc.text
        )


class RaffleBot(discord.Client):
    def __init__(self) -> None:
        super().__init__(intents=intents(), allowed_mentions=NO_MENTIONS)

    async def on_ready(self) -> None:
        names = ", ".join(f"{g.name} ({g.id})" for g in self.guilds) or "no server yet"
        log.info("Discord bot %s is online in %s", self.user, names)

    async def on_message(self, message: discord.Message) -> None:
        await respond(message, self.user)


class BotNotStarted(Exception):
    """The bot could not start: a sentence saying what to change."""


def run(token: str) -> None:
    """Connect and answer until stopped (Ctrl+C or systemd's SIGTERM); logs go to stdout."""
    logging.basicConfig(
        stream=sys.stdout,
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        RaffleBot().run(token, log_handler=None)
    except discord.LoginFailure as exc:
        raise BotNotStarted(
            "Discord refused DISCORD_BOT_TOKEN: copy the bot's token again from the developer "
            "portal (Bot → Reset Token)."
        ) from exc
    except (aiohttp.ClientError, OSError) as exc:  # once connected, it reconnects by itself
        raise BotNotStarted(
            f"Could not reach Discord ({type(exc).__name__}: {exc}). Check this machine's "
            "network and start the bot again (its systemd unit does, after 10 seconds)."
        ) from exc
    except discord.PrivilegedIntentsRequired as exc:
        raise BotNotStarted(
            "Discord refused the Message Content intent: turn on Bot → Privileged Gateway "
            "Intents → Message Content Intent in the developer portal, then start the bot again."
        ) from exc

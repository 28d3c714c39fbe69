"""POST /api/discord/interactions: Discord's slash commands over HTTP. Each request is checked
against the application's Ed25519 key (401 otherwise: Discord sends bad signatures on purpose);
PING is answered with PONG, a command with its reply (community/discord_commands.py) at once, and
/raffle draw is deferred: "thinking…" now, the draw in a thread, then a follow-up message.

A plain function: Starlette runs it in a worker thread, so the signature check and the database
work never hold up the event loop."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Mapping
from typing import Any

from anyio import from_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from luckyclub.api.responses import error, json_errors
from luckyclub.community import communities, discord_commands
from luckyclub.community.discord_commands import Caller, Reply
from luckyclub.core.db import session_scope
from luckyclub.integrations import discord
from luckyclub.models import id_of

log = logging.getLogger(__name__)

PING, APPLICATION_COMMAND, MESSAGE_COMPONENT = 1, 2, 3
PONG, CHANNEL_MESSAGE, DEFERRED_MESSAGE, UPDATE_MESSAGE = 1, 4, 5, 7
EPHEMERAL = 64
SUBCOMMAND, SUBCOMMAND_GROUP = 1, 2
ACTION_ROW, BUTTON = 1, 2
DANGER, SECONDARY = 4, 2
# A reply asking to confirm carries these buttons; a click comes back as a MESSAGE_COMPONENT
# interaction with the button's custom_id, checked (signature, moderator) like any command.
CONFIRM_PREFIX, CANCEL = "confirm:", "cancel"
CANCELLED = "Cancelled: nothing changed."

BAD_SIGNATURE = "The request is not signed with this application's key."
BAD_BODY = "The interaction is not JSON."
STALE = "The interaction's timestamp is more than 5 minutes away from our clock: refused."
REPLAY_WINDOW_SECONDS = 5 * 60
# A follow-up Discord could not take is sent again after these pauses (its token lasts 15 minutes).
FOLLOW_UP_RETRY_SECONDS = (1, 5, 30)
NOT_SET_UP = (
    "This Discord server is not connected to a LuckyClub community yet: an admin sets its "
    "server id on the community."
)
UNKNOWN = "I don't understand that interaction: use one of the slash commands (try /raffle info)."


def _message(reply: Reply) -> dict[str, Any]:
    data: dict[str, Any] = {"content": reply.content[:2000], "allowed_mentions": {"parse": []}}
    if reply.ephemeral:
        data["flags"] = EPHEMERAL
    if reply.confirm:
        buttons = [
            _button(f"{CONFIRM_PREFIX}{reply.confirm}", f"Yes, /{reply.confirm}", DANGER),
            _button(CANCEL, "Cancel", SECONDARY),
        ]
        data["components"] = [{"type": ACTION_ROW, "components": buttons}]
    return data


def _button(custom_id: str, label: str, style: int) -> dict[str, Any]:
    return {"type": BUTTON, "custom_id": custom_id, "label": label, "style": style}


def _answer(reply: Reply, kind: int = CHANNEL_MESSAGE) -> JSONResponse:
    """A reply now; UPDATE_MESSAGE replaces the clicked message (its buttons too)."""
    data = _message(reply)
    if kind == UPDATE_MESSAGE:
        data["components"] = data.get("components", [])
    return JSONResponse({"type": kind, "data": data})


def _fresh(timestamp: str) -> bool:
    """Discord's timestamp is Unix seconds; a signed request replayed later is refused."""
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    return abs(time.time() - sent) <= REPLAY_WINDOW_SECONDS


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def command_of(data: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """("raffle give", {"user": "…", "tickets": 50, …}) from an interaction's data."""
    words = [str(data.get("name", ""))]
    options = _dicts(data.get("options"))
    while options and options[0].get("type") in (SUBCOMMAND, SUBCOMMAND_GROUP):
        words.append(str(options[0].get("name", "")))
        options = _dicts(options[0].get("options"))
    return " ".join(words), {str(o.get("name")): o.get("value") for o in options}


def _snowflake(value: Any) -> int:
    text = str(value or "")
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 20 else 0


def _caller(
    interaction: Mapping[str, Any], community_role: str, guild_id: int, command: str
) -> Caller:
    member = interaction.get("member")
    member = member if isinstance(member, dict) else {}
    user = member.get("user") or interaction.get("user")
    user_id = _snowflake(user.get("id")) if isinstance(user, dict) else 0
    roles = member.get("roles")
    role_ids = {str(r) for r in roles} if isinstance(roles, list) else set()
    names: frozenset[str] = frozenset()
    # Role names cost a call to Discord: only asked for when they can matter.
    if community_role and role_ids and command in discord_commands.MODERATORS:
        try:
            known = discord.role_names(guild_id)
        except (discord.DiscordUnavailable, discord.DiscordNotConfigured) as exc:
            log.warning("Discord roles unavailable for guild %s: %s", guild_id, exc)
        else:
            names = frozenset(known[r] for r in role_ids if r in known)
    return Caller(discord_user_id=user_id, role_names=names)


def _follow_up(
    application_id: str, token: str, community_id: int, caller: Caller, options: dict[str, Any]
) -> None:
    try:
        reply = discord_commands.draw(community_id, caller, options)
    except Exception:
        log.exception("Discord /raffle draw failed for community %s", community_id)
        reply = Reply("The draw could not be made just now; try again in a minute.")
    for pause in (*FOLLOW_UP_RETRY_SECONDS, None):
        try:
            discord.follow_up(application_id, token, _message(reply))
            return
        except discord.DiscordUnavailable as exc:
            if pause is None:  # the draw stands; its page and the proof show the winner
                log.warning("Discord follow-up for community %s was lost: %s", community_id, exc)
                return
            time.sleep(pause)


@json_errors
def interactions(request: Request) -> Response:
    """POST /api/discord/interactions"""
    body: bytes = from_thread.run(request.body)  # capped by api/body_limits.py
    timestamp = request.headers.get("x-signature-timestamp", "")
    signature = request.headers.get("x-signature-ed25519", "")
    if not discord.verify_interaction(timestamp, body, signature):
        return error(BAD_SIGNATURE, 401)
    if not _fresh(timestamp):
        return error(STALE, 401)
    try:
        interaction = json.loads(body)
    except ValueError:
        return error(BAD_BODY, 400)
    if not isinstance(interaction, dict):
        return error(BAD_BODY, 400)
    kind = interaction.get("type")
    if kind == PING:
        return JSONResponse({"type": PONG})
    if kind not in (APPLICATION_COMMAND, MESSAGE_COMPONENT):
        return _answer(Reply(UNKNOWN))
    data = interaction.get("data")
    data = data if isinstance(data, dict) else {}
    answer_kind = CHANNEL_MESSAGE
    if kind == MESSAGE_COMPONENT:
        clicked = str(data.get("custom_id", ""))
        if not clicked.startswith(CONFIRM_PREFIX):
            return _answer(Reply(CANCELLED), UPDATE_MESSAGE)
        command, options = clicked.removeprefix(CONFIRM_PREFIX), {"confirm": True}
        answer_kind = UPDATE_MESSAGE
    else:
        command, options = command_of(data)
    guild_id = _snowflake(interaction.get("guild_id"))
    with session_scope() as session:
        community = discord_commands.community_of_guild(session, guild_id) if guild_id else None
        if community is None:
            return _answer(Reply(NOT_SET_UP))
        community_id, role = id_of(community), community.discord_moderator_role
    caller = _caller(interaction, role, guild_id, command)
    if not caller.discord_user_id:
        return _answer(Reply(UNKNOWN))
    if command in discord_commands.DEFERRED:
        token = str(interaction.get("token", ""))
        application_id = str(interaction.get("application_id", ""))
        threading.Thread(
            target=_follow_up,
            args=(application_id, token, community_id, caller, options),
            name="discord-draw",
            daemon=True,
        ).start()
        return JSONResponse({"type": DEFERRED_MESSAGE})
    with session_scope() as session:
        community = communities.get(session, community_id)
        reply = discord_commands.run(session, community, caller, command, options)
    return _answer(reply, answer_kind)

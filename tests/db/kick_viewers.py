"""Records the community-earning tests start from: moderators of a community made by
factories.add_community, and Kick event bodies shaped as Kick sends them (INTEGRATIONS.md).
Linked viewers come from community_helpers.linked_viewer."""

from __future__ import annotations

import json
from datetime import datetime

from luckyclub.models import Role, ScopedRole, User
from luckyclub.platform import roles
from tests.db.factories import add_user

BROADCASTER = 900


def moderator_of(session, community, email: str = "mod@example.com") -> User:
    admin = add_user(session, f"admin-{email}", Role.ADMIN)
    moderator = add_user(session, email)
    roles.grant(session, admin, moderator.id, ScopedRole.MODERATOR, community.program_id)
    session.commit()
    return moderator


def rfc3339(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def gift_body(
    gifter: int | None, giftees: list[int], created_at: datetime, broadcaster: int = BROADCASTER
) -> dict:
    """A channel.subscription.gifts body; gifter None is an anonymous gift."""
    who = (
        {"is_anonymous": True, "user_id": None, "username": None}
        if gifter is None
        else {"is_anonymous": False, "user_id": gifter, "username": f"gifter{gifter}"}
    )
    return {
        "broadcaster": {"user_id": broadcaster, "username": "streamer"},
        "gifter": who,
        "giftees": [{"user_id": g, "username": f"viewer{g}"} for g in giftees],
        "created_at": rfc3339(created_at),
        "expires_at": rfc3339(created_at),
    }


def chat_body(sender: int, sent_at: datetime, broadcaster: int = BROADCASTER) -> dict:
    return {
        "message_id": f"chat-{sender}-{sent_at.timestamp()}",
        "broadcaster": {"user_id": broadcaster, "username": "streamer"},
        "sender": {"user_id": sender, "username": f"viewer{sender}"},
        "content": "gg",
        "created_at": rfc3339(sent_at),
    }


def status_body(is_live: bool, started_at: datetime, broadcaster: int = BROADCASTER) -> dict:
    return {
        "broadcaster": {"user_id": broadcaster, "username": "streamer"},
        "is_live": is_live,
        "title": "Sunday stream",
        "started_at": rfc3339(started_at),
        "ended_at": None,
    }


def as_json(body: dict) -> str:
    return json.dumps(body)

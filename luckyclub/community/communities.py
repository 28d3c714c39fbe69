"""Communities: a platform admin creates and edits a streamer's community (its program, Kick
channel, affiliate source, earning rates, prize, automatic draw, Discord server and announcements)
and grants its moderators."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from luckyclub.community import discord_link
from luckyclub.core.errors import NotAllowed, UserError
from luckyclub.integrations import discord
from luckyclub.models import (
    Community,
    Program,
    Raffle,
    RaffleStatus,
    RoleGrant,
    ScopedRole,
    User,
    id_of,
)
from luckyclub.platform import audit, changes, programs, roles
from luckyclub.platform.permissions import require_admin

_SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,38})$")
_ENV_NAME_RE = re.compile(r"^[A-Z][A-Z0-9_]{0,79}$")
RESERVED_SLUGS = {programs.CLUB, "admin", "api", "new"}


@dataclass(frozen=True)
class CommunityForm:
    """What an admin fills in for a community; the defaults are the seed's rates."""

    name: str
    slug: str
    kick_broadcaster_id: int | str | None = None
    affiliate_source: str = ""  # the NAME of the environment variable holding the stats URL
    prize: str = ""
    chat_minutes: int | str = 60
    chat_tickets: int | str = 10
    gift_tickets: int | str = 15
    wager_unit: int | str = 1000
    wager_tickets: int | str = 20
    auto_draw: bool = False
    discord_guild_id: int | str | None = None  # the Discord server's id
    discord_moderator_role: str = ""  # the NAME of the Discord role that makes moderators
    discord_announce_threshold: int | str = 20  # a gift or wager poll announced from this many


@dataclass(frozen=True)
class _Clean:
    name: str
    slug: str
    kick_broadcaster_id: int | None
    affiliate_source: str
    prize: str
    chat_minutes: int
    chat_tickets: int
    gift_tickets: int
    wager_unit: int
    wager_tickets: int
    auto_draw: bool
    discord_guild_id: int | None
    discord_moderator_role: str
    discord_announce_threshold: int


_RATES = (
    ("chat_minutes", 1, 600, "Chat-active minutes per block"),
    ("chat_tickets", 1, 10_000, "Tickets per block of chat time"),
    ("gift_tickets", 0, 10_000, "Tickets per gifted sub"),
    ("wager_unit", 1, 10_000_000, "Dollars wagered per block"),
    ("wager_tickets", 0, 10_000, "Tickets per block of wagers"),
    ("discord_announce_threshold", 1, 1_000_000, "The Discord announcement threshold"),
)


def _checked(form: CommunityForm) -> _Clean:
    name = " ".join((form.name or "").split())
    if not 3 <= len(name) <= 120:
        raise UserError("The community's name needs 3 to 120 characters.", field="name")
    slug = (form.slug or "").strip().lower()
    if not _SLUG_RE.match(slug) or slug in RESERVED_SLUGS:
        raise UserError(
            "Choose an address of 2 to 39 lower-case letters, digits and dashes, like "
            "lele-raffle (not club, admin, api or new).",
            field="slug",
        )
    broadcaster: int | None = None
    if str(form.kick_broadcaster_id or "").strip():
        try:
            broadcaster = int(str(form.kick_broadcaster_id).strip())
        except ValueError:
            broadcaster = 0
        if broadcaster <= 0:
            raise UserError(
                "Give the Kick channel's broadcaster user id: a whole number, like 1234567.",
                field="kick_broadcaster_id",
            )
    guild: int | None = None
    if str(form.discord_guild_id or "").strip():
        text = str(form.discord_guild_id).strip()
        guild = int(text) if text.isascii() and text.isdigit() and len(text) <= 19 else 0
        if not guild or guild >= 2**63:
            raise UserError(
                "Give the Discord server's id: a whole number, like 1234567890123456789 "
                "(Discord: Server Settings → Widget, or Copy Server ID in developer mode).",
                field="discord_guild_id",
            )
    role = " ".join((form.discord_moderator_role or "").split())
    if len(role) > 100:
        raise UserError(
            "A Discord role's name has at most 100 characters.", field="discord_moderator_role"
        )
    source = (form.affiliate_source or "").strip()
    if source and not _ENV_NAME_RE.match(source):
        raise UserError(
            "Give the NAME of the environment variable that holds the affiliate stats URL, like "
            "LELE_AFFILIATE_URL — never the URL itself: it is a secret.",
            field="affiliate_source",
        )
    prize = " ".join((form.prize or "").split())
    if len(prize) > 200:
        raise UserError("Describe the prize in at most 200 characters.", field="prize")
    rates: dict[str, int] = {}
    for name_, low, high, words in _RATES:
        try:
            rates[name_] = int(getattr(form, name_))
        except (TypeError, ValueError):
            raise UserError(f"{words} must be a whole number.", field=name_) from None
        if not low <= rates[name_] <= high:
            raise UserError(f"{words} must be from {low:,} to {high:,}.", field=name_)
    return _Clean(
        name=name,
        slug=slug,
        kick_broadcaster_id=broadcaster,
        affiliate_source=source,
        prize=prize,
        auto_draw=bool(form.auto_draw),
        discord_guild_id=guild,
        discord_moderator_role=role,
        **rates,
    )


def _refuse_taken(session: Session, clean: _Clean, community_id: int | None = None) -> None:
    program = programs.by_slug(session, clean.slug)
    if program is not None:
        owner = _of_program(session, id_of(program))
        if owner is None or owner.id != community_id:
            raise UserError(f"The address {clean.slug} is taken; choose another.", field="slug")
    if clean.kick_broadcaster_id is not None:
        other = session.exec(
            select(Community).where(Community.kick_broadcaster_id == clean.kick_broadcaster_id)
        ).first()
        if other is not None and other.id != community_id:
            raise UserError(
                "Another community has that Kick channel already.", field="kick_broadcaster_id"
            )
    if clean.discord_guild_id is not None:
        other = session.exec(
            select(Community).where(Community.discord_guild_id == clean.discord_guild_id)
        ).first()
        if other is not None and other.id != community_id:
            raise UserError(
                "Another community has that Discord server already.", field="discord_guild_id"
            )


def _of_program(session: Session, program_id: int) -> Community | None:
    return session.exec(select(Community).where(Community.program_id == program_id)).first()


_SETTINGS = tuple(f.name for f in fields(_Clean) if f.name not in ("name", "slug"))


def create(session: Session, admin: User, form: CommunityForm) -> Community:
    """A platform admin creates a community: its program and its settings."""
    require_admin(admin)
    clean = _checked(form)
    _refuse_taken(session, clean)
    try:
        with session.begin_nested():
            program = Program(slug=clean.slug, name=clean.name)
            session.add(program)
            session.flush()
            community = Community(
                program_id=id_of(program), **{name: getattr(clean, name) for name in _SETTINGS}
            )
            session.add(community)
            session.flush()
    except IntegrityError:
        raise UserError(
            "Another community took that address, Kick channel or Discord server a moment ago; "
            "choose another."
        ) from None
    changes.announce(session, changes.community(id_of(community)))
    audit.record(
        session, admin, "community.create", "community", community.id, f"{clean.name} /{clean.slug}"
    )
    return community


def update(session: Session, admin: User, community_id: int, form: CommunityForm) -> Community:
    """A platform admin edits a community; the rates apply to tickets earned from now on."""
    require_admin(admin)
    community = get(session, community_id)
    program = session.get(Program, community.program_id, with_for_update=True)
    assert program is not None
    clean = _checked(form)
    _refuse_taken(session, clean, community.id)
    changed = [name for name in _SETTINGS if getattr(community, name) != getattr(clean, name)]
    for name in changed:
        setattr(community, name, getattr(clean, name))
    if program.name != clean.name:
        program.name, changed = clean.name, [*changed, "name"]
    if program.slug != clean.slug:
        program.slug, changed = clean.slug, [*changed, "slug"]
    session.add_all([community, program])
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise UserError(
            "Another community took that address, Kick channel or Discord server a moment ago."
        ) from None
    if {"prize", "name"} & set(changed):
        _carry_to_open_periods(session, community, program)
    if changed:
        changes.announce(session, changes.community(community_id))
        audit.record(
            session, admin, "community.edit", "community", community_id, ", ".join(changed)
        )
    return community


def _carry_to_open_periods(session: Session, community: Community, program: Program) -> None:
    """A new prize or name shows on the periods still open and on their draws while those are
    scheduled (after the close the draw's terms are final)."""
    from luckyclub.club.raffles import month_label
    from luckyclub.community import periods

    for period in session.exec(
        select(Raffle).where(
            Raffle.program_id == community.program_id, Raffle.status == RaffleStatus.OPEN
        )
    ):
        period.prize = community.prize or "To be announced"
        period.title = f"{program.name}: {month_label(period.month)}"[:120]
        session.add(period)
        periods.schedule_draw(session, community, period)


def form_of(session: Session, community: Community) -> CommunityForm:
    """The community as its edit form starts."""
    program = session.get(Program, community.program_id)
    assert program is not None
    blank = CommunityForm(name=program.name, slug=program.slug)
    return replace(blank, **{name: getattr(community, name) for name in _SETTINGS})


def get(session: Session, community_id: int) -> Community:
    community = session.get(Community, community_id)
    if community is None:
        raise UserError("That community no longer exists.")
    return community


def by_slug(session: Session, slug: str) -> Community | None:
    program = programs.by_slug(session, (slug or "").strip().lower())
    return _of_program(session, id_of(program)) if program is not None else None


def name_of(session: Session, community: Community) -> str:
    program = session.get(Program, community.program_id)
    return program.name if program else f"Community #{community.id}"


def slug_of(session: Session, community: Community) -> str:
    program = session.get(Program, community.program_id)
    return program.slug if program else ""


def all_communities(session: Session) -> list[tuple[Community, Program]]:
    rows = session.exec(
        select(Community, Program)
        .join(Program, col(Program.id) == col(Community.program_id))
        .order_by(col(Program.name))
    ).all()
    return [(community, program) for community, program in rows]


# ---- the Discord channel's webhook (announcements) -----------------------------------------------

WEBHOOK_PROBLEM = (
    "Paste the channel webhook's URL as Discord gives it (Server Settings → Integrations → "
    "Webhooks → Copy Webhook URL): https://discord.com/api/webhooks/<id>/<token>."
)


def webhook_words(community: Community) -> str:
    """The webhook as admins see it once saved: "set (…x9Qz)" or "not set", never the URL."""
    url = community.discord_webhook_url
    return f"set (…{url[-4:]})" if url else "not set"


def set_discord_webhook(session: Session, admin: User, community_id: int, url: str) -> Community:
    """A platform admin sets (or replaces) the webhook the community's announcements are posted
    to. The URL is a secret: it is kept, never shown back in full, and the audit log says only
    that it changed."""
    require_admin(admin)
    community = get(session, community_id)
    url = (url or "").strip()
    if not url:
        raise UserError(
            "Paste the Discord webhook URL, or use Remove to stop announcements.",
            field="discord_webhook_url",
        )
    if len(url) > 500 or not discord.is_webhook_url(url):
        raise UserError(WEBHOOK_PROBLEM, field="discord_webhook_url")
    if url == community.discord_webhook_url:
        return community
    action = "replaced" if community.discord_webhook_url else "set"
    return _webhook_changed(session, admin, community, url, action)


def remove_discord_webhook(session: Session, admin: User, community_id: int) -> Community:
    """No more announcements; what is still queued fails with a sentence saying why."""
    require_admin(admin)
    community = get(session, community_id)
    if not community.discord_webhook_url:
        raise UserError("This community has no Discord webhook to remove.")
    return _webhook_changed(session, admin, community, None, "removed")


def _webhook_changed(
    session: Session, admin: User, community: Community, url: str | None, action: str
) -> Community:
    """Keep the new webhook (None: none); the audit log says what happened, never the URL."""
    community.discord_webhook_url = url
    session.add(community)
    audit.record(
        session,
        admin,
        "community.discord_webhook",
        "community",
        community.id,
        f"Discord webhook {action}",
    )
    changes.announce(session, changes.community(id_of(community)))
    return community


# ---- moderators ---------------------------------------------------------------------------------


def add_moderator(session: Session, admin: User, community_id: int, email: str) -> RoleGrant:
    """A platform admin makes a member a moderator of one community (of its program only)."""
    from luckyclub.platform import accounts

    require_admin(admin)
    community = get(session, community_id)
    member = accounts.find_by_email(session, email or "")
    if member is None:
        raise UserError("No member has that email address.", field="email")
    grant = roles.grant(session, admin, id_of(member), ScopedRole.MODERATOR, community.program_id)
    changes.announce(session, changes.community(community_id))
    return grant


def remove_moderator(session: Session, admin: User, community_id: int, grant_id: int) -> None:
    require_admin(admin)
    community = get(session, community_id)
    grant = session.get(RoleGrant, grant_id)
    if grant is None or grant.scope_id != community.program_id:
        raise UserError("That moderator was removed already.")
    roles.revoke(session, admin, grant_id)
    changes.announce(session, changes.community(community_id))


def moderators(session: Session, community: Community) -> list[tuple[RoleGrant, User]]:
    return roles.holders(session, ScopedRole.MODERATOR, community.program_id)


def require_moderator(
    session: Session, user: User | None, community: Community, *, discord_role: str | None = None
) -> User:
    """A moderator of this community (or a platform admin); refused otherwise.

    `discord_role`: the caller has checked with Discord (a signed interaction, or the Gateway's
    member roles) that this account's linked Discord user holds that role in the community's
    server. It makes the account a moderator when it is the community's moderator role and the
    account is in good standing and linked to Discord; the action is then audited as that account
    "as Discord role …" (`as_role`)."""
    if discord_role is None:
        return roles.require_program_moderator(session, user, community.program_id)
    if (
        user is None
        or user.banned_at is not None
        or not community.discord_moderator_role
        or discord_role != community.discord_moderator_role
        or discord_link.discord_of(session, id_of(user)) is None
    ):
        raise NotAllowed("Only a moderator of this community can do that.")
    return user


def as_role(discord_role: str | None) -> str:
    """What an audit entry adds when the community's Discord role authorised the action."""
    return f" (as Discord role {discord_role})" if discord_role else ""

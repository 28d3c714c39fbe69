"""`python -m luckyclub …`: admin accounts, demo data and scheduled jobs from the command line."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import re
import secrets
import sys

import httpx
from sqlmodel import col, select

from luckyclub import modes  # noqa: F401 - every mode's draw pool
from luckyclub.community import discord_commands
from luckyclub.competitions import pictures
from luckyclub.core import routes
from luckyclub.core.db import session_scope
from luckyclub.core.errors import UserError
from luckyclub.core.settings import get_settings
from luckyclub.integrations import discord, kick
from luckyclub.models import Program
from luckyclub.models.community import Community
from luckyclub.platform import accounts, members

ADMIN_PASSWORD_ENV = "LUCKYCLUB_ADMIN_PASSWORD"
DEMO_ADMIN = "admin@luckyclub.local"
DEMO_MEMBER = "member@luckyclub.local"


def _read_password() -> str:
    if password := os.environ.get(ADMIN_PASSWORD_ENV):
        return password
    if not sys.stdin.isatty():
        raise UserError(f"Set {ADMIN_PASSWORD_ENV}, or run this in a terminal to be asked.")
    first = getpass.getpass("Password for the admin: ")
    if first != getpass.getpass("Repeat the password: "):
        raise UserError("The two passwords do not match.")
    return first


def create_admin(args: argparse.Namespace) -> int:
    with session_scope() as s:
        exists = accounts.find_by_email(s, args.email) is not None
        password = _read_password() if not exists or args.set_password else None
        user, created = members.create_or_promote_admin(
            s, email=args.email, password=password, display_name=args.name
        )
    verb = "Created admin" if created else "Promoted to admin"
    print(f"{verb}: {user.email}")
    return 0


def seed_demo(args: argparse.Namespace) -> int:
    """Load the demo accounts once; later runs only remind where their passwords are."""
    record = get_settings().data_dir / "demo_accounts.txt"
    with session_scope() as s:
        if accounts.find_by_email(s, DEMO_ADMIN) is not None:
            print("Demo data is already loaded.")
            if record.exists():
                print(record.read_text().rstrip())
            return 0
        admin_password, member_password = secrets.token_urlsafe(9), secrets.token_urlsafe(9)
        admin, _ = members.create_or_promote_admin(
            s, email=DEMO_ADMIN, password=admin_password, display_name="Demo Admin"
        )
        member = accounts.register(
            s,
            email=DEMO_MEMBER,
            password=member_password,
            display_name="Demo Member",
            date_of_birth="1990-04-21",
            timezone="Europe/London",
            client_ip="127.0.0.1",  # this machine
            verified=True,
        )
        _demo_competitions(s, admin)
        if member is not None:
            _demo_lists(s, member)
    lines = (
        "Demo accounts (for trying LuckyClub locally — change or remove them before going live):\n"
        f"  admin   {DEMO_ADMIN}   password: {admin_password}\n"
        f"  member  {DEMO_MEMBER}  password: {member_password}"
    )
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(lines + "\n")
    record.chmod(0o600)
    print(lines)
    return 0


DEMO_COMPETITIONS = (
    # title, prize, price, tickets, starts in (days), ends in (days), featured, colour
    ("Win a mountain bike", "A full-suspension mountain bike", "2.50", 500, -1, 6, True, "#2f6f4f"),
    (
        "Win a games console",
        "The newest games console and two controllers",
        "0.99",
        2000,
        -2,
        1,
        False,
        "#3b4a8c",
    ),
    (
        "Weekend in Edinburgh",
        "Two nights for two in Edinburgh",
        "1.50",
        800,
        2,
        14,
        False,
        "#8c3b5b",
    ),
)


def _demo_competitions(s, admin) -> None:
    """A few competitions to look at, made through the admin's own service calls."""
    from datetime import timedelta

    from luckyclub.competitions import catalogue
    from luckyclub.models import id_of, utcnow

    now = utcnow().replace(second=0, microsecond=0)
    for title, prize, price, tickets, starts, ends, featured, colour in DEMO_COMPETITIONS:
        competition = catalogue.create(
            s,
            admin,
            title=title,
            prize=prize,
            description=f"{prize}. Answer the question, pick your tickets, good luck!",
            ticket_price_pence=price,
            max_tickets=tickets,
            per_person_limit=50,
            starts_at=now + timedelta(days=starts),
            ends_at=now + timedelta(days=ends),
            question="Which of these is a colour of the rainbow?",
            choices=["Indigo", "Beige", "Silver"],
            answer="Indigo",
            now=now - timedelta(days=3),
        )
        competition_id = id_of(competition)
        pictures.add_image(
            s, admin, competition_id, filename="prize.png", data=_demo_picture(title, colour)
        )
        catalogue.activate(s, admin, competition_id, now=now - timedelta(days=3))
        catalogue.set_featured(s, admin, competition_id, featured)


def _demo_lists(s, creator) -> None:
    """A first-come list and a lottery list of the demo member's, made through their own service
    calls (times in their timezone)."""
    from datetime import timedelta

    from luckyclub.lotteries import lists
    from luckyclub.lotteries.forms import NewElement, NewList
    from luckyclub.models import ListKind, utcnow

    lists.create(
        s,
        creator,
        NewList(
            title="Summer fair bake sale",
            kind=ListKind.ITEMS,
            description="Bring something baked for the stall; one item per person, please.",
            elements=[
                NewElement(name="Lemon drizzle cake", spots=2),
                NewElement(name="Flapjacks (a tray)", spots=3),
                NewElement(name="Scones with jam", spots=2),
            ],
            per_member_limit=1,
            waitlist=True,
        ),
    )
    week = (utcnow() + timedelta(days=7)).date()
    lists.create(
        s,
        creator,
        NewList(
            title="Swimming lessons: spring term",
            kind=ListKind.EVENTS,
            description="Places are drawn by lottery so everyone has the same chance.",
            elements=[
                NewElement(
                    name="Beginners",
                    event_date=week + timedelta(days=d),
                    spots=spots,
                    event_time="10:00",
                    place="Town pool",
                )
                for d, spots in ((7, 4), (14, 4), (21, 4))
            ],
            per_member_limit=2,
            waitlist=True,
            is_lottery=True,
            lottery_local=f"{week:%Y-%m-%d}T18:00",
        ),
    )


def _demo_picture(title: str, colour: str) -> bytes:
    import io

    from PIL import Image, ImageDraw

    picture = Image.new("RGB", (960, 540), colour)
    ImageDraw.Draw(picture).text((48, 460), title, fill="white", font_size=48)
    out = io.BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()


def run_due_jobs(args: argparse.Namespace) -> int:
    from luckyclub import jobs

    runs = jobs.run_due(force=args.all)
    for run in runs:
        print(f"{run.job}: {run.outcome} {run.detail}".rstrip())
    if not runs:
        print("No job is due.")
    return 1 if any(run.outcome == "error" for run in runs) else 0


def rebuild_ledger_cache(args: argparse.Namespace) -> int:
    from luckyclub.club import ledger

    with session_scope() as s:
        written = ledger.rebuild_cache(s)
    print(f"Rebuilt {written} cached balances from the entry ledger.")
    return 0


def verify_proof(args: argparse.Namespace) -> int:
    """Re-run a draw from its proof (a file or a URL) and say "verified" or what differs; check the
    published snapshot against it, and one entrant's line in that snapshot."""
    from luckyclub.draws.published import entrant_lines, snapshot_differences
    from luckyclub.platform.draw_public import verify_document

    try:
        document = _load_proof(args.proof)
        if not isinstance(document, dict):
            raise ValueError("it is not a JSON object")
        published = _published_snapshot(args.snapshot, args.proof, document)
    except (OSError, ValueError, httpx.HTTPError) as error:
        print(f"error: could not read the proof or its snapshot: {error}", file=sys.stderr)
        return 2
    draw = document.get("draw")
    if isinstance(draw, dict):
        reroll = f", reroll {draw.get('reroll')}" if draw.get("reroll") else ""
        print(f"Draw #{draw.get('id')} {draw.get('title')!r}{reroll}")
    differences = list(verify_document(document).differences)
    if published is not None:
        differences += snapshot_differences(document, published, digest=args.digest, root=args.root)
    if args.ref:
        snapshot = published if published is not None else str(document["snapshot"]).encode()
        found = entrant_lines(
            str(document.get("kind")), snapshot, args.ref.strip().lower(), document["merkle_root"]
        )
        print(found.describe(str(document.get("kind"))))
        if not found.verified:
            differences.append(f"entrant {args.ref} is not in the snapshot the proof was drawn on")
        elif args.entries is not None and found.held(str(document.get("kind"))) != args.entries:
            differences.append(
                f"entrant {args.ref} holds {found.held(str(document.get('kind')))} in the "
                f"snapshot, not the {args.entries} you expected"
            )
    if not differences:
        result = document["result"]
        count = len(result.get("winners", result.get("elements", [])))
        beacon = document.get("beacon")
        source = f"drand round {beacon['round']}" if beacon else "no beacon"
        checked = ", the published snapshot matches" if published is not None else ""
        print(f"verified: {document['algorithm']}, {source}, {count} result(s) re-run{checked}")
        return 0
    print(f"not verified: {len(differences)} difference{'s' if len(differences) > 1 else ''}")
    for difference in differences:
        print(f"  - {difference}")
    return 1


def _load_proof(where: str) -> object:
    """A proof from a file, a proof URL, or a draw page URL (…/draws/12 → its proof)."""
    if not where.startswith(("http://", "https://")):
        with open(where, encoding="utf-8") as file:
            return json.load(file)
    page = re.fullmatch(r"(https?://[^/]+)/draws/(\d+)/?", where)
    url = f"{page[1]}/api/draws/{page[2]}/proof" if page else where
    return _fetch(url).json()


def _published_snapshot(given: str | None, proof_source: str, document: dict) -> bytes | None:
    """The snapshot as published apart from the proof: --snapshot (a file or a URL), or, when the
    proof came from a URL, the draw's snapshot at that server; None for a proof file alone."""
    if given and not given.startswith(("http://", "https://")):
        with open(given, "rb") as file:
            return file.read()
    if given:
        return _fetch(given).content
    origin = re.match(r"https?://[^/]+", proof_source)
    draw = document.get("draw")
    if origin is None or not isinstance(draw, dict) or type(draw.get("id")) is not int:
        return None
    return _fetch(f"{origin[0]}/api/draws/{draw['id']}/snapshot").content


def _fetch(url: str) -> httpx.Response:
    response = httpx.get(url, timeout=120, follow_redirects=True)
    if response.status_code != 200:
        message = (
            response.json().get("error", "")
            if response.headers.get("content-type", "").startswith("application/json")
            else ""
        )
        raise ValueError(f"{url} answered {response.status_code} {message}".rstrip())
    return response


def kick_subscribe(args: argparse.Namespace) -> int:
    """Subscribe a community's Kick channel to the events that earn tickets, with an app token."""
    with session_scope() as s:
        broadcaster_id = community_broadcaster(s, args.community)
    try:
        token = kick.app_token()
        rows = kick.subscribe(token, broadcaster_id, kick.COMMUNITY_EVENTS)
    except kick.KickNotConfigured as exc:
        raise UserError(str(exc)) from exc
    except (kick.KickRefused, kick.KickUnavailable) as exc:
        raise UserError(f"{exc}. Nothing may have been subscribed: run this again.") from exc
    failed = 0
    for row in rows:
        problem = row.get("error") or ""
        failed += bool(problem)
        outcome = f"error: {problem}" if problem else f"subscribed ({row.get('subscription_id')})"
        print(f"{row.get('name')} v{row.get('version')}: {outcome}")
    missing = set(kick.COMMUNITY_EVENTS) - {str(row.get("name")) for row in rows}
    for name in sorted(missing):
        print(f"{name}: Kick did not answer for this event", file=sys.stderr)
    print(
        "Kick delivers these to the webhook URL set in the Kick app: "
        f"{get_settings().app_url}{routes.KICK_WEBHOOK}"
    )
    return 1 if failed or missing else 0


def discord_register_commands(args: argparse.Namespace) -> int:
    """Replace the community's Discord server's slash commands with ours (a bulk overwrite)."""
    with session_scope() as s:
        community = community_by_slug(s, args.community)
        guild_id = community.discord_guild_id
    if not guild_id:
        raise UserError(
            f"The community {args.community!r} has no Discord server yet: set its server id first."
        )
    try:
        discord.register_commands(guild_id, discord_commands.COMMANDS)
    except discord.DiscordNotConfigured as exc:
        raise UserError(str(exc)) from exc
    except discord.DiscordUnavailable as exc:
        raise UserError(f"{exc}. The commands may be unchanged: run this again.") from exc
    names = ", ".join(f"/{c['name']}" for c in discord_commands.COMMANDS)
    print(f"Registered {names} on Discord server {guild_id}.")
    print(
        "Discord sends them to the Interactions Endpoint URL set in the application: "
        f"{get_settings().app_url}{routes.DISCORD_INTERACTIONS}"
    )
    return 0


def discord_bot(args: argparse.Namespace) -> int:
    """Run the Gateway bot that answers the `!` commands, until stopped."""
    token = get_settings().discord_bot_token
    if not token:
        raise UserError(
            "Set DISCORD_BOT_TOKEN to the bot's token (developer portal → Bot) to run the bot."
        )
    # Imported here: the library is only needed by this command.
    from luckyclub.community import discord_bot as bot

    try:
        bot.run(token)
    except bot.BotNotStarted as exc:
        raise UserError(str(exc)) from exc
    return 0


def community_by_slug(s, slug: str) -> Community:
    found = s.exec(
        select(Community)
        .join(Program, col(Program.id) == Community.program_id)
        .where(Program.slug == slug)
    ).first()
    if found is None:
        raise UserError(f"No community has the slug {slug!r}: check the community page's address.")
    return found


def community_broadcaster(s, slug: str) -> int:
    """The Kick channel (broadcaster user id) of the community with this slug."""
    found = community_by_slug(s, slug)
    if not found.kick_broadcaster_id:
        raise UserError(
            f"The community {slug!r} has no Kick channel yet: set its broadcaster id first."
        )
    return found.kick_broadcaster_id


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m luckyclub", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    admin = commands.add_parser("create-admin", help="create an admin, or promote an account")
    admin.add_argument("--email", required=True)
    admin.add_argument("--name", default="Admin", help="display name for a new account")
    admin.add_argument(
        "--set-password",
        action="store_true",
        help=f"also set a new password (from {ADMIN_PASSWORD_ENV} or a prompt)",
    )
    admin.set_defaults(func=create_admin)

    seed = commands.add_parser("seed-demo", help="load demo accounts the first time")
    seed.set_defaults(func=seed_demo)

    jobs = commands.add_parser("jobs", help="scheduled jobs")
    job_commands = jobs.add_subparsers(dest="jobs_command", required=True)
    due = job_commands.add_parser("run-due", help="run every due job once (for cron or a timer)")
    due.add_argument("--all", action="store_true", help="run every job, due or not")
    due.set_defaults(func=run_due_jobs)
    entries = commands.add_parser("ledger", help="the entry ledger")
    ledger_commands = entries.add_subparsers(dest="ledger_command", required=True)
    rebuild = ledger_commands.add_parser(
        "rebuild-cache", help="recompute cached balances and totals from the ledger rows"
    )
    rebuild.set_defaults(func=rebuild_ledger_cache)

    verify = commands.add_parser(
        "verify", help="re-run a draw from its public proof and say whether it checks out"
    )
    verify.add_argument("proof", help="a proof file (JSON), its URL, or a draw page's URL")
    verify.add_argument(
        "--snapshot",
        metavar="FILE|URL",
        help="the snapshot as published at close, checked against the proof's (by default, for "
        "a proof URL, the draw's snapshot on the same server)",
    )
    verify.add_argument("--digest", help="the snapshot SHA-256 you saw published at close")
    verify.add_argument("--root", help="the Merkle root you saw published at close")
    verify.add_argument("--ref", help="an entrant ref: show its line and check it is in the draw")
    verify.add_argument(
        "--entries",
        type=int,
        help="with --ref: the entries (raffle), tickets or elements you expect it to hold",
    )
    verify.set_defaults(func=verify_proof)

    kick_parser = commands.add_parser("kick", help="a community's Kick channel")
    kick_commands = kick_parser.add_subparsers(dest="kick_command", required=True)
    subscribe = kick_commands.add_parser(
        "subscribe",
        help="subscribe the channel's chat, gifted subs and live status to the webhook "
        "(KICK_CLIENT_ID and KICK_CLIENT_SECRET)",
    )
    subscribe.add_argument("community", help="the community's slug, as in /community/<slug>")
    subscribe.set_defaults(func=kick_subscribe)

    discord_parser = commands.add_parser("discord", help="a community's Discord server")
    discord_subcommands = discord_parser.add_subparsers(dest="discord_command", required=True)
    register = discord_subcommands.add_parser(
        "register-commands",
        help="replace the server's slash commands with LuckyClub's "
        "(DISCORD_APPLICATION_ID and DISCORD_BOT_TOKEN)",
    )
    register.add_argument("community", help="the community's slug, as in /community/<slug>")
    register.set_defaults(func=discord_register_commands)

    bot = commands.add_parser(
        "discord-bot",
        help="run the Discord bot that answers the ! commands (DISCORD_BOT_TOKEN; the server "
        "enables the Message Content intent)",
    )
    bot.set_defaults(func=discord_bot)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except UserError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2

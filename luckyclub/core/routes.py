"""Every page's path in one place, so links and redirects cannot drift apart, and the one way a
number is read back out of a path or a query."""

import re

HOME = "/"
REGISTER = "/register"
LOGIN = "/login"
FORGOT_PASSWORD = "/forgot-password"
RESET_PASSWORD = "/reset-password"
VERIFY_EMAIL = "/verify-email"
DASHBOARD = "/dashboard"
PROFILE = "/profile"
ADMIN = "/admin"
ADMIN_MAIL = "/admin/mail"
ADMIN_RAFFLES = "/admin/raffles"
ADMIN_PROOFS = "/admin/proofs"
ADMIN_STATS = "/admin/stats"
ADMIN_AUDIT = "/admin/audit"
ADMIN_ROLES = "/admin/roles"
ADMIN_DRAWS = "/admin/draws"
ADMIN_WINNERS = "/admin/winners"
CHAMPIONS = "/champions"
DRAW = "/draws/[draw_id]"
LIVE_DRAW = "/live/[draw_id]"
COMPETITIONS = "/competitions"
COMPETITION = "/competitions/[competition_id]"
COMPETITION_TEST_CHECKOUT = "/competitions/test-checkout"
COMPETITION_RULES = "/competitions/rules"
ADMIN_COMPETITIONS = "/admin/competitions"
ADMIN_COMPETITION = "/admin/competitions/[competition_id]"
ADMIN_TICKETS = "/admin/tickets"
LISTS = "/lists"
LIST = "/lists/[list_id]"
LIST_EDITOR = "/lists/[list_id]/edit"
MY_SIGNUPS = "/my-signups"
OFFER = "/offers/[token]"  # a pending signup's Accept/Decline page: the link in its email
FAMILY = "/family"
ADMIN_LISTS = "/admin/lists"
COMMUNITY = "/community/[slug]"
COMMUNITY_MINE = "/community/[slug]/me"
COMMUNITY_MODERATE = "/community/[slug]/moderate"
ADMIN_COMMUNITIES = "/admin/communities"
ADMIN_KICK_EVENTS = "/admin/kick-events"  # Kick events the inbox gave up on
KICK_WEBHOOK = "/api/kick/webhook"
DISCORD_INTERACTIONS = "/api/discord/interactions"
KICK_LINK_START = "/api/kick/link/start"
KICK_LINK_CALLBACK = "/api/kick/link/callback"
DISCORD_LINK_START = "/api/discord/link/start"
DISCORD_LINK_CALLBACK = "/api/discord/link/callback"
TEST_CHECKOUT = "/membership/test-checkout"
TEST_PORTAL = "/membership/test-portal"

# Every integer column (ids included) is a 32-bit INTEGER: PostgreSQL raises for a bigger number
# where it should find nothing, so no number past this is ever read.
LARGEST_ID = 2**31 - 1
_DIGITS = re.compile(r"[0-9]+")


def safe_next(path: str | None, default: str = DASHBOARD) -> str:
    """A local path to return to after signing in; anything else gives the default."""
    # Browsers drop tabs and newlines from URLs, so "/\t/evil.com" would become "//evil.com".
    if (
        path
        and path.startswith("/")
        and not path.startswith("//")
        and "\\" not in path
        and not any(ch.isspace() or ord(ch) < 0x20 for ch in path)
    ):
        return path
    return default


def is_whole_number(text: str | None) -> bool:
    """ASCII digits only: str.isdigit() also takes "²" and "١", which int() then refuses."""
    return _DIGITS.fullmatch((text or "").strip()) is not None


def whole_number(text: str | None, largest: int = LARGEST_ID) -> int | None:
    """ "12" → 12; None for anything but a whole number from 0 to largest."""
    text = (text or "").strip()
    if not is_whole_number(text) or len(text) > len(str(largest)):
        return None
    number = int(text)
    return number if number <= largest else None


def whole_id(value: str | int | None) -> int | None:
    """An id that could exist (1 to LARGEST_ID), as text or as a number a browser sent; None for
    anything else. The one way every page, state and API route reads an id."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 < value <= LARGEST_ID else None
    if not isinstance(value, str):
        return None
    return whole_number(value, LARGEST_ID) or None


def id_from_path(path: str | None) -> int | None:
    """The id at the end of /competitions/<id>, /draws/<id>, …; None for anything else."""
    return whole_id((path or "").rstrip("/").rsplit("/", 1)[-1])


def draw_page(draw_id: int) -> str:
    return f"/draws/{draw_id}"


def live_page(draw_id: int) -> str:
    return f"/live/{draw_id}"


def draw_proof(draw_id: int, reroll: int = 0) -> str:
    return f"/api/draws/{draw_id}/proof" + (f"?reroll={reroll}" if reroll else "")


def draw_snapshot(draw_id: int) -> str:
    return f"/api/draws/{draw_id}/snapshot"


def competition_page(competition_id: int) -> str:
    return f"/competitions/{competition_id}"


API_COMPETITIONS = "/api/competitions"
MY_LEDGER_CSV = "/api/me/ledger.csv"


def api_competition(competition_id: int) -> str:
    return f"{API_COMPETITIONS}/{competition_id}"


def api_competition_draw(competition_id: int) -> str:
    return f"{API_COMPETITIONS}/{competition_id}/draw"


def admin_competition_page(competition_id: int) -> str:
    return f"/admin/competitions/{competition_id}"


def competition_image(competition_id: int, name: str) -> str:
    return f"/api/competitions/{competition_id}/images/{name}"


def tickets_export(competition_id: int) -> str:
    return f"/api/admin/competitions/{competition_id}/tickets.csv"


def winner_media(winner_id: int) -> str:
    return f"/api/winners/{winner_id}/media"


def list_page(list_id: int) -> str:
    """A signup list's public page: its share link."""
    return f"/lists/{list_id}"


def list_editor(list_id: int) -> str:
    return f"/lists/{list_id}/edit"


def offer_page(token: str) -> str:
    return f"/offers/{token}"


def list_export(list_id: int) -> str:
    return f"/api/lists/{list_id}/signups.csv"


def community_page(slug: str) -> str:
    return f"/community/{slug}"


def community_mine(slug: str) -> str:
    return f"/community/{slug}/me"


def community_moderate(slug: str) -> str:
    return f"/community/{slug}/moderate"

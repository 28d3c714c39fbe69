"""Every setting LuckyClub reads from the environment, once, with safe embedded-mode defaults."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from luckyclub.draws.beacon import DEFAULT_RELAYS

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# A placeholder until the operator sets the real one: the rules page shows it as it is.
DEFAULT_POSTAL_ADDRESS = "LuckyClub Postal Entries, PO Box 0000, London, EC1A 1AA, United Kingdom"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    redis_url: str | None
    secret_key: str
    app_url: str
    smtp_url: str | None
    mail_from: str
    session_days: int
    cookie_secure: bool
    scheduler_enabled: bool
    stripe_secret_key: str | None
    stripe_webhook_secret: str | None
    stripe_membership_price_id: str | None
    stripe_api_base: str  # Stripe's API, or a local stand-in in tests
    membership_price_label: str  # what the join button says the membership costs
    drand_relays: tuple[str, ...]  # HTTP relays of drand quicknet, tried in order
    draw_beacon: bool  # new draws bind to a drand round unless an admin says otherwise
    draw_beacon_margin_seconds: int  # the bound round is the first after close + this margin
    klaviyo_api_key: str | None = field(repr=False)  # a private key; unset: no Klaviyo events
    klaviyo_api_base: str  # Klaviyo's API, or a local stand-in in tests
    klaviyo_revision: str  # the API version every request names
    sms_api_base: str  # a Twilio-compatible API, or a local stand-in in tests
    sms_account_sid: str | None
    sms_auth_token: str | None = field(repr=False)
    sms_from: str | None  # the sending number (E.164) or sender id
    postal_entry_address: str  # where free postal entries to competitions are sent
    kick_api_base: str = "https://api.kick.com"  # Kick's API, or a local stand-in in tests
    kick_oauth_base: str = "https://id.kick.com"  # Kick's OAuth server, or a local stand-in
    kick_client_id: str | None = None  # the Kick app's id; unset: linking Kick is off
    kick_client_secret: str | None = field(default=None, repr=False)
    # Kick's webhook signing key (PEM); unset: fetched from the API once and kept.
    kick_public_key: str | None = None
    discord_api_base: str = "https://discord.com/api/v10"  # or a local stand-in in tests
    # The Discord application's public key (hex) that signs interactions; unset: all refused.
    discord_public_key: str | None = None
    discord_application_id: str | None = None
    discord_bot_token: str | None = field(default=None, repr=False)  # registers commands
    # OAuth2 for linking a viewer's Discord (client id: the application id); unset: linking is off.
    discord_client_secret: str | None = field(default=None, repr=False)
    discord_authorize_url: str = "https://discord.com/oauth2/authorize"  # the browser goes here
    # How many reverse proxies (Nginx: 1) stand in front of the app and append to X-Forwarded-For;
    # 0 trusts no such header, so a client cannot choose the address it is throttled under.
    trusted_proxy_hops: int = 0

    @property
    def stripe_test_mode(self) -> bool:
        """No Stripe keys: payments go through the built-in test checkout instead."""
        return not self.stripe_secret_key

    @property
    def klaviyo_enabled(self) -> bool:
        return bool(self.klaviyo_api_key)

    @property
    def kick_enabled(self) -> bool:
        """Linking Kick and subscribing its events need the app's id and secret."""
        return bool(self.kick_client_id and self.kick_client_secret)

    @property
    def discord_link_enabled(self) -> bool:
        """Linking Discord needs the application's id (the OAuth client id) and its secret."""
        return bool(self.discord_application_id and self.discord_client_secret)

    @property
    def sms_enabled(self) -> bool:
        """Texts go out only with all three: the account, its token and the sending number."""
        return bool(self.sms_account_sid and self.sms_auth_token and self.sms_from)

    @property
    def proof_dir(self) -> Path:
        """Uploaded proofs: outside every folder the web server serves."""
        return self.data_dir / "proofs"

    @property
    def raffle_image_dir(self) -> Path:
        return self.data_dir / "raffle-images"

    @property
    def competition_image_dir(self) -> Path:
        return self.data_dir / "competition-images"

    @property
    def winner_media_dir(self) -> Path:
        """Winners' photos and videos: private until their winner is published."""
        return self.data_dir / "winner-media"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _secret_key(data_dir: Path) -> str:
    """SECRET_KEY from the environment, else one generated once into the data folder."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # O_EXCL: if two processes race on first start, both end up reading the winner's key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(key)
    return key


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def load_settings() -> Settings:
    data_dir = Path(os.environ.get("LUCKYCLUB_DATA_DIR") or PROJECT_ROOT / ".data")
    app_url = os.environ.get("APP_URL", "http://localhost:3000").rstrip("/")
    return Settings(
        data_dir=data_dir,
        database_url=os.environ.get("DATABASE_URL") or f"sqlite:///{data_dir / 'luckyclub.db'}",
        redis_url=os.environ.get("REDIS_URL") or None,
        secret_key=_secret_key(data_dir),
        app_url=app_url,
        smtp_url=os.environ.get("SMTP_URL") or None,
        mail_from=os.environ.get("MAIL_FROM", "LuckyClub <no-reply@luckyclub.local>"),
        session_days=int(os.environ.get("SESSION_DAYS", "14")),
        cookie_secure=_flag("COOKIE_SECURE", app_url.startswith("https://")),
        scheduler_enabled=_flag("SCHEDULER_ENABLED", True),
        stripe_secret_key=os.environ.get("STRIPE_SECRET_KEY") or None,
        stripe_webhook_secret=os.environ.get("STRIPE_WEBHOOK_SECRET") or None,
        stripe_membership_price_id=os.environ.get("STRIPE_MEMBERSHIP_PRICE_ID") or None,
        stripe_api_base=os.environ.get("STRIPE_API_BASE", "https://api.stripe.com").rstrip("/"),
        membership_price_label=os.environ.get("MEMBERSHIP_PRICE_LABEL", "£10 a month"),
        drand_relays=_list(os.environ.get("DRAND_RELAYS")) or DEFAULT_RELAYS,
        draw_beacon=_flag("DRAW_BEACON", True),
        draw_beacon_margin_seconds=int(os.environ.get("DRAW_BEACON_MARGIN_SECONDS", "10")),
        klaviyo_api_key=os.environ.get("KLAVIYO_API_KEY") or None,
        klaviyo_api_base=os.environ.get("KLAVIYO_API_BASE", "https://a.klaviyo.com").rstrip("/"),
        klaviyo_revision=os.environ.get("KLAVIYO_REVISION") or "2024-10-15",
        sms_api_base=os.environ.get("SMS_API_BASE", "https://api.twilio.com").rstrip("/"),
        sms_account_sid=os.environ.get("SMS_ACCOUNT_SID") or None,
        sms_auth_token=os.environ.get("SMS_AUTH_TOKEN") or None,
        sms_from=os.environ.get("SMS_FROM") or None,
        postal_entry_address=os.environ.get("POSTAL_ENTRY_ADDRESS") or DEFAULT_POSTAL_ADDRESS,
        trusted_proxy_hops=trusted_proxy_hops(),
        kick_api_base=os.environ.get("KICK_API_BASE", "https://api.kick.com").rstrip("/"),
        kick_oauth_base=os.environ.get("KICK_OAUTH_BASE", "https://id.kick.com").rstrip("/"),
        kick_client_id=os.environ.get("KICK_CLIENT_ID") or None,
        kick_client_secret=os.environ.get("KICK_CLIENT_SECRET") or None,
        kick_public_key=os.environ.get("KICK_PUBLIC_KEY") or None,
        discord_api_base=os.environ.get("DISCORD_API_BASE", "https://discord.com/api/v10").rstrip(
            "/"
        ),
        discord_public_key=os.environ.get("DISCORD_PUBLIC_KEY") or None,
        discord_application_id=os.environ.get("DISCORD_APPLICATION_ID") or None,
        discord_bot_token=os.environ.get("DISCORD_BOT_TOKEN") or None,
        discord_client_secret=os.environ.get("DISCORD_CLIENT_SECRET") or None,
        discord_authorize_url=os.environ.get(
            "DISCORD_AUTHORIZE_URL", "https://discord.com/oauth2/authorize"
        ),
    )


def trusted_proxy_hops() -> int:
    """TRUSTED_PROXY_HOPS, read here for both the app and rxconfig.py (Reflex's own client IP)."""
    value = (os.environ.get("TRUSTED_PROXY_HOPS") or "0").strip()
    if not value.isascii() or not value.isdigit():
        raise ValueError(
            f"TRUSTED_PROXY_HOPS must be a whole number of proxies (0, or 1 behind Nginx), "
            f"not {value!r}."
        )
    return int(value)


def _list(value: str | None) -> tuple[str, ...]:
    """A comma-separated setting as a tuple of its non-empty items."""
    return tuple(item.strip() for item in (value or "").split(",") if item.strip())


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()


# The dev server's pages (`reflex run` without --env prod serves them on port 3000).
DEV_ORIGINS = ("http://localhost:3000", "http://127.0.0.1:3000")


def page_origins(settings: Settings, *, dev: bool) -> list[str]:
    """The origins whose pages may open the app's websocket: APP_URL's (scheme://host[:port], as a
    browser's Origin header writes it), and in development the dev server's too."""
    url = urlsplit(settings.app_url)
    scheme, host = url.scheme.lower(), (url.hostname or "").lower()
    default_port = {"http": 80, "https": 443}.get(scheme)
    port = f":{url.port}" if url.port and url.port != default_port else ""
    origins = [f"{scheme}://{host}{port}"]
    return origins + [o for o in DEV_ORIGINS if dev and o not in origins]

"""Reflex configuration. Everything LuckyClub itself reads lives in luckyclub/core/settings.py."""

import os

import reflex as rx

from luckyclub.core.settings import get_settings, page_origins, trusted_proxy_hops

config = rx.Config(
    app_name="luckyclub",
    telemetry_enabled=False,
    # With Redis, Reflex can run several workers that share state; without, one process.
    redis_url=os.environ.get("REDIS_URL") or None,
    # Behind Nginx the peer is always 127.0.0.1; the client's address is in X-Forwarded-For.
    trusted_proxy_hops=trusted_proxy_hops(),
    show_built_with_reflex=False,
    # The websocket (and CORS) answer only the app's own pages: APP_URL's origin, in dev also :3000.
    cors_allowed_origins=page_origins(
        get_settings(), dev=os.environ.get("REFLEX_ENV_MODE", "dev") == "dev"
    ),
    plugins=[
        rx.plugins.SitemapPlugin(),
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(appearance="inherit", accent_color="teal", radius="large")
        ),
    ],
)

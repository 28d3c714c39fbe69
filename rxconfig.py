"""Reflex configuration. Everything LuckyClub itself reads lives in luckyclub/settings.py."""

import os

import reflex as rx

config = rx.Config(
    app_name="luckyclub",
    telemetry_enabled=False,
    # With Redis, Reflex can run several workers that share state; without, one process.
    redis_url=os.environ.get("REDIS_URL") or None,
    show_built_with_reflex=False,
    plugins=[
        rx.plugins.SitemapPlugin(),
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(appearance="inherit", accent_color="teal", radius="large")
        ),
    ],
)

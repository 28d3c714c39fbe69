"""Which pages may open the websocket: APP_URL's origin as a browser writes it, and the dev
server's only in development (rxconfig passes these to Reflex's cors_allowed_origins)."""

from __future__ import annotations

import dataclasses

import pytest

from luckyclub.core.settings import get_settings, page_origins


def origins(app_url: str, *, dev: bool = False) -> list[str]:
    return page_origins(dataclasses.replace(get_settings(), app_url=app_url), dev=dev)


@pytest.mark.parametrize(
    ("app_url", "origin"),
    [
        ("https://luckyclub.example.com", "https://luckyclub.example.com"),
        ("https://LuckyClub.Example.com:443/club", "https://luckyclub.example.com"),
        ("http://localhost:8123", "http://localhost:8123"),
        ("http://club.example:80", "http://club.example"),
        ("https://club.example:8443", "https://club.example:8443"),
    ],
)
def test_in_production_only_app_urls_origin_is_allowed(app_url, origin):
    assert origins(app_url) == [origin]


def test_in_development_the_dev_server_is_allowed_too():
    assert origins("https://club.example", dev=True) == [
        "https://club.example",
        "http://localhost:3000",
        "http://127.0.0.1:3000",
    ]
    assert origins("http://localhost:3000", dev=True) == [
        "http://localhost:3000",
        "http://127.0.0.1:3000",
    ]


def test_rxconfig_hands_them_to_reflex():
    import rxconfig

    assert "*" not in rxconfig.config.cors_allowed_origins
    [own] = page_origins(get_settings(), dev=False)
    assert own in rxconfig.config.cors_allowed_origins

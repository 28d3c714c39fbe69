"""Posting to a Discord channel webhook (the announcements), against tests/fake_discord.py: which
URLs count as Discord's, the message's shape, and how each answer is sorted — never with the URL's
token in an error."""

from __future__ import annotations

import dataclasses

import pytest

from luckyclub.core.settings import get_settings
from luckyclub.integrations import discord
from luckyclub.integrations.delivery import DeliveryError
from tests.fake_discord import FakeDiscord
from tests.fake_http import free_port

PRODUCTION = dataclasses.replace(get_settings(), discord_api_base="https://discord.com/api/v10")
TOKEN = "Tk_-" * 17  # 68 characters, as Discord's are
REAL = f"https://discord.com/api/webhooks/1234567890123456789/{TOKEN}"


@pytest.fixture()
def fake():
    with FakeDiscord().running() as server:
        yield server


def local(base: str):
    return dataclasses.replace(get_settings(), discord_api_base=base)


@pytest.mark.parametrize(
    "url",
    [
        REAL,
        REAL.replace("discord.com", "discordapp.com"),
        REAL.replace("discord.com", "ptb.discord.com"),
        REAL.replace("/api/", "/api/v10/"),
    ],
)
def test_discords_webhook_urls_are_webhook_urls(url):
    assert discord.is_webhook_url(url, settings=PRODUCTION)


@pytest.mark.parametrize(
    "url",
    [
        REAL.replace("https:", "http:"),
        REAL.replace("discord.com", "discord.com.example"),
        REAL.replace("discord.com", "evil.example/discord.com"),
        REAL + "/extra",
        REAL + "?wait=true",
        REAL.replace("1234567890123456789", "12345"),
        "http://127.0.0.1:8080/webhooks/1/abc",  # a local URL, with the real Discord configured
        "",
    ],
)
def test_anything_else_is_not(url):
    assert not discord.is_webhook_url(url, settings=PRODUCTION)


def test_with_a_local_discord_base_only_webhooks_under_it_count():
    settings = local("http://127.0.0.1:8080")
    assert discord.is_webhook_url("http://127.0.0.1:8080/webhooks/1/abc", settings=settings)
    assert discord.is_webhook_url(REAL, settings=settings)
    assert not discord.is_webhook_url("http://127.0.0.1:8081/webhooks/1/abc", settings=settings)
    assert not discord.is_webhook_url("http://127.0.0.1:80800/webhooks/1/a", settings=settings)
    assert not discord.is_webhook_url("http://127.0.0.1:8080/guilds/1/roles", settings=settings)
    remote = local("http://discord-proxy.example")
    assert not discord.is_webhook_url("http://discord-proxy.example/webhooks/1/a", settings=remote)


def test_a_message_mentions_nobody_and_is_cut_to_2000_characters():
    message = discord.webhook_message("x" * 2500)
    assert message["allowed_mentions"] == {"parse": []}
    assert len(message["content"]) == 2000 and message["content"].endswith("\u2026")
    assert discord.webhook_message("hi") == {"content": "hi", "allowed_mentions": {"parse": []}}


def test_plain_text_cannot_format_link_or_mention():
    assert discord.plain("**Ann** [x](https://e.example) <@1> a_b ~~c~~ `d`") == (
        r"\*\*Ann\*\* \[x\]\(https\://e.example\) \<@1\> a\_b \~\~c\~\~ \`d\`"
    )
    assert discord.plain("Viewer #12") == "Viewer #12"


def test_a_post_waits_for_discord_to_save_it(fake):
    settings = local(fake.url)
    url = fake.webhook_url("1300000000000000009", "tok-abc")

    discord.post_to_webhook(url, discord.webhook_message("Hello"), settings=settings)

    [post] = fake.channel_posts
    assert (post.webhook_id, post.token, post.waited) == ("1300000000000000009", "tok-abc", True)
    assert post.message == {"content": "Hello", "allowed_mentions": {"parse": []}}


def test_discord_down_is_worth_another_try_and_the_error_holds_no_token(fake):
    settings = local(fake.url)
    url = fake.webhook_url(token="tok-must-not-leak")
    fake.down = True

    with pytest.raises(DeliveryError) as failed:
        discord.post_to_webhook(url, discord.webhook_message("Hello"), settings=settings)

    assert not failed.value.permanent and "Discord answered 503" in str(failed.value)
    assert "tok-must-not-leak" not in str(failed.value)


def test_an_unreachable_discord_is_worth_another_try_without_the_token():
    base = f"http://127.0.0.1:{free_port()}"
    url = f"{base}/webhooks/1/tok-must-not-leak"

    with pytest.raises(DeliveryError) as failed:
        discord.post_to_webhook(url, discord.webhook_message("Hello"), settings=local(base))

    assert not failed.value.permanent and "could not be reached" in str(failed.value)
    assert "tok-must-not-leak" not in str(failed.value)


def test_a_webhook_deleted_in_discord_or_a_url_that_is_not_one_fails_for_good(fake):
    settings = local(fake.url)
    fake.deleted_webhooks.add("1300000000000000001")
    with pytest.raises(DeliveryError) as deleted:
        discord.post_to_webhook(
            fake.webhook_url(token="tok-gone"), discord.webhook_message("Hi"), settings=settings
        )
    assert deleted.value.permanent and "Unknown Webhook" in str(deleted.value)
    assert "tok-gone" not in str(deleted.value)

    with pytest.raises(DeliveryError) as refused:
        discord.post_to_webhook(
            "https://example.com/hook/tok-x", discord.webhook_message("Hi"), settings=settings
        )
    assert refused.value.permanent and "tok-x" not in str(refused.value)
    assert fake.channel_posts == []

"""`python -m luckyclub kick subscribe <community>` against tests/fake_kick.py: an app token by
client credentials, then the community's three events for its broadcaster."""

from __future__ import annotations

import pytest

from luckyclub import cli
from luckyclub.integrations import kick
from luckyclub.models import Program
from luckyclub.models.community import Community
from tests.fake_kick import FakeKick


@pytest.fixture()
def fake_kick(settings_env):
    with FakeKick().running() as server:
        settings_env(**server.settings())
        yield server


def add_community(session, slug: str, broadcaster_id: int | None) -> Community:
    program = Program(slug=slug, name=slug.title())
    session.add(program)
    session.flush()
    community = Community(program_id=program.id, kick_broadcaster_id=broadcaster_id)
    session.add(community)
    session.commit()
    return community


def test_subscribe_asks_kick_for_the_three_events_of_the_channel(
    app_db, session, fake_kick, capsys
):
    add_community(session, "streamer", 123456789012)

    assert cli.main(["kick", "subscribe", "streamer"]) == 0

    assert sorted(
        (s["broadcaster_user_id"], s["name"], s["version"]) for s in fake_kick.subscriptions
    ) == [(123456789012, name, 1) for name in sorted(kick.COMMUNITY_EVENTS)]
    token_requests = [r for r in fake_kick.received if r.path == "/oauth/token"]
    assert [r.form()["grant_type"] for r in token_requests] == ["client_credentials"]
    out = capsys.readouterr().out
    assert "chat.message.sent v1: subscribed" in out
    assert "/api/kick/webhook" in out
    assert fake_kick.client_secret not in out


def test_an_unknown_community_or_one_without_a_channel_is_a_sentence(
    app_db, session, fake_kick, capsys
):
    add_community(session, "quiet", None)

    assert cli.main(["kick", "subscribe", "nobody"]) == 2
    assert "No community has the slug 'nobody'" in capsys.readouterr().err
    assert cli.main(["kick", "subscribe", "quiet"]) == 2
    assert "no Kick channel" in capsys.readouterr().err
    assert fake_kick.received == []


def test_kick_down_is_reported_without_the_secret(app_db, session, fake_kick, capsys):
    add_community(session, "streamer", 55)
    fake_kick.down = True

    assert cli.main(["kick", "subscribe", "streamer"]) == 2
    err = capsys.readouterr().err
    assert "run this again" in err and fake_kick.client_secret not in err
    assert fake_kick.subscriptions == []


def test_without_the_apps_keys_it_says_which_to_set(app_db, session, settings_env, capsys):
    add_community(session, "streamer", 55)
    settings_env(KICK_CLIENT_ID=None, KICK_CLIENT_SECRET=None)

    assert cli.main(["kick", "subscribe", "streamer"]) == 2
    assert "KICK_CLIENT_ID" in capsys.readouterr().err

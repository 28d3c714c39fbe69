"""Discord's slash commands through the real route (Starlette's TestClient over the API app), with
interactions signed by tests/fake_discord.py's test key: forgeries are 401, PING is PONG, each
command answers a linked, an unlinked and a moderator user, and /raffle draw follows up."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from luckyclub import cli
from luckyclub.api.routes import build_api
from luckyclub.community import periods, tickets
from luckyclub.community.discord_commands import COMMANDS, HANDLERS
from luckyclub.core import routes
from luckyclub.core.errors import NotAllowed
from luckyclub.integrations import discord
from luckyclub.models import (
    AffiliateClaim,
    AuditLog,
    ClaimStatus,
    KickIdentity,
    RaffleStatus,
    utcnow,
)
from tests.db.community_helpers import ANN, BOB, GUILD, MOD, STRANGER, discord_world
from tests.db.factories import add_user
from tests.fake_discord import OTHER_KEY, FakeDiscord, sign

URL = routes.DISCORD_INTERACTIONS


@pytest.fixture()
def fake(settings_env):
    discord.forget_roles()
    with FakeDiscord().running() as server:
        settings_env(**server.settings(), APP_URL="https://lucky.example")
        yield server
    discord.forget_roles()


@pytest.fixture()
def client(app_db, fake):
    with TestClient(build_api()) as client:
        yield client


@pytest.fixture()
def world(session):
    """A community on GUILD; Ann and Bob linked viewers (Ann with 30 bonus tickets), the
    community's moderator linked as MOD; STRANGER has not linked."""
    return discord_world(session)


def ask(client, fake, name, caller, subcommand=None, **options):
    headers, body = fake.command(name, GUILD, caller, subcommand=subcommand, options=options)
    response = client.post(URL, content=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def said(answer) -> tuple[str, bool]:
    assert answer["type"] == 4
    return answer["data"]["content"], answer["data"].get("flags") == 64


# ---- signatures ---------------------------------------------------------------------------------


def test_unsigned_wrongly_signed_and_changed_bodies_are_401(client, fake, world):
    headers, body = fake.command("tickets", GUILD, ANN)
    unsigned = {"Content-Type": "application/json"}
    assert client.post(URL, content=body, headers=unsigned).status_code == 401
    assert client.post(URL, content=body, headers=sign(body, key=OTHER_KEY)).status_code == 401
    changed = body.replace(str(ANN).encode(), str(BOB).encode())
    assert client.post(URL, content=changed, headers=headers).status_code == 401
    restamped = headers | {"X-Signature-Timestamp": str(int(headers["X-Signature-Timestamp"]) + 1)}
    assert client.post(URL, content=body, headers=restamped).status_code == 401
    assert client.post(URL, content=body, headers=headers).status_code == 200


def test_a_signed_request_replayed_later_is_401(client, fake, world):
    _, body = fake.command("tickets", GUILD, ANN)
    old = sign(body, timestamp=str(int(time.time()) - 6 * 60))
    response = client.post(URL, content=body, headers=old)
    assert response.status_code == 401 and "5 minutes" in response.json()["error"]


def test_a_signed_but_malformed_interaction_gets_a_sentence_not_a_500(client, world):
    payload = {"type": 2, "guild_id": str(GUILD), "member": {"user": {"id": "x"}}, "data": [1]}
    body = json.dumps(payload).encode()
    response = client.post(URL, content=body, headers=sign(body))
    assert response.status_code == 200 and "slash commands" in response.json()["data"]["content"]
    assert client.post(URL, content=b"[1]", headers=sign(b"[1]")).status_code == 400


def test_ping_is_answered_with_pong(client):
    body = json.dumps({"type": 1, "id": "1", "application_id": "1"}).encode()
    response = client.post(URL, content=body, headers=sign(body))
    assert response.status_code == 200 and response.json() == {"type": 1}


def test_an_unknown_command_and_an_unconnected_server_get_a_clear_ephemeral_sentence(
    client, fake, world
):
    text, private = said(ask(client, fake, "jackpot", ANN))
    assert private and "don't know the command /jackpot" in text
    headers, body = fake.command("tickets", 123, ANN)
    text, private = said(client.post(URL, content=body, headers=headers).json())
    assert private and "not connected to a LuckyClub community" in text


# ---- everyone -----------------------------------------------------------------------------------


def test_tickets_privately_for_yourself_publicly_about_someone_else_and_how_to_link(
    client, fake, world
):
    text, private = said(ask(client, fake, "tickets", ANN))
    assert private and text.startswith("You hold 30 tickets this month.") and "30" in text
    text, private = said(ask(client, fake, "tickets", BOB, user=str(ANN)))
    assert not private and text.startswith(f"<@{ANN}> holds 30 tickets")
    text, private = said(ask(client, fake, "tickets", BOB))
    assert private and text.startswith("You hold 0 tickets")
    text, private = said(ask(client, fake, "tickets", STRANGER))
    assert private and "not linked to LuckyClub yet" in text
    assert "https://lucky.example/community/lele/me" in text


def test_leaderboard_shows_ten_by_default_and_at_most_25(client, fake, world):
    text, private = said(ask(client, fake, "leaderboard", STRANGER))
    assert not private and text.splitlines() == ["Top 1 this month:", "1. Ann — 30 tickets"]
    text, private = said(ask(client, fake, "leaderboard", ANN, top="26"))
    assert private and "between 1 and 25" in text


def test_raffle_info_gives_the_period_totals_prize_and_end(client, fake, world):
    text, private = said(ask(client, fake, "raffle", STRANGER, "info"))
    assert not private
    assert "Prize: $500 cash" in text and "Tickets: 30 held by 1 participants" in text
    assert "Ends: 01 " in text and "https://lucky.example/community/lele" in text


def test_link_shuffle_claims_once_for_a_linked_user_and_tells_others_to_link(
    client, fake, world, session
):
    text, _ = said(ask(client, fake, "link", ANN, "shuffle", username="ann_shuffle"))
    assert text == "Claimed ann_shuffle: a moderator will verify it."
    text, _ = said(ask(client, fake, "link", ANN, "shuffle", username="ann_other"))
    assert "waiting for a moderator" in text
    text, _ = said(ask(client, fake, "link", STRANGER, "shuffle", username="who"))
    assert "not linked to LuckyClub yet" in text
    session.expire_all()
    assert [c.username for c in session.exec(select(AffiliateClaim))] == ["ann_shuffle"]


# ---- moderators ---------------------------------------------------------------------------------


def balance(session, community, user) -> int:
    period = periods.period_of(session, community, utcnow())
    session.expire_all()
    return sum(tickets.balance_by_source(session, period.id, user.id).values())


def test_a_moderator_gives_and_removes_tickets_and_a_member_is_refused(
    client, fake, world, session
):
    community, people = world
    text, private = said(
        ask(client, fake, "raffle", MOD, "give", user=str(BOB), tickets="50", reason="Quiz winner")
    )
    assert not private and text == f"Gave 50 tickets to <@{BOB}>."
    said(ask(client, fake, "raffle", MOD, "remove", user=str(BOB), tickets="5", reason="Typo fix"))
    assert balance(session, community, people["bob"]) == 45
    for who in (ANN, STRANGER):
        text, private = said(
            ask(client, fake, "raffle", who, "give", user=str(ANN), tickets="99", reason="Mine!!")
        )
        assert private and text == "Only this community's moderators can use that command."
    assert balance(session, community, people["ann"]) == 30
    actions = [row.action for row in session.exec(select(AuditLog).order_by(AuditLog.id))]
    assert actions[-2:] == ["community.tickets.give", "community.tickets.remove"]


def test_a_moderator_verifies_a_claim_and_reads_the_stats(client, fake, world, session):
    said(ask(client, fake, "link", ANN, "shuffle", username="Ann_Shuffle"))
    text, _ = said(
        ask(client, fake, "raffle", BOB, "verify", username="ann_shuffle", user=str(ANN))
    )
    assert text == "Only this community's moderators can use that command."
    text, _ = said(ask(client, fake, "raffle", MOD, "stats"))
    assert "Tickets: 30, participants: 1" in text and "Claims waiting: 1" in text
    text, _ = said(
        ask(client, fake, "raffle", MOD, "verify", username="ann_shuffle", user=str(ANN))
    )
    assert text == f"Verified Ann_Shuffle for <@{ANN}>."
    session.expire_all()
    [claim] = session.exec(select(AffiliateClaim))
    assert claim.status == ClaimStatus.VERIFIED
    text, _ = said(ask(client, fake, "raffle", STRANGER, "stats"))
    assert text == "Only this community's moderators can use that command."


def test_the_communitys_discord_role_makes_a_moderator_by_its_name(client, fake, world):
    fake.roles[GUILD] = [{"id": "51", "name": "Raffle Mods"}, {"id": "52", "name": "Fans"}]
    headers, body = fake.command("raffle", GUILD, STRANGER, subcommand="stats", role_ids=("51",))
    text, _ = said(client.post(URL, content=body, headers=headers).json())
    assert text.startswith("Tickets: 30")
    headers, body = fake.command("raffle", GUILD, ANN, subcommand="stats", role_ids=("52",))
    text, _ = said(client.post(URL, content=body, headers=headers).json())
    assert text == "Only this community's moderators can use that command."


def test_raffle_draw_is_deferred_and_its_follow_up_arrives_then_history_shows_it(
    no_beacon, client, fake, world
):
    answer = ask(client, fake, "raffle", MOD, "draw", reason="Stream finale tonight")
    assert answer == {"type": 5}
    assert fake.followed_up.wait(30), "no follow-up arrived"
    [message] = fake.follow_ups
    assert message["content"].startswith("🎉 RAFFLE WINNER ANNOUNCEMENT 🎉")
    assert "flags" not in message

    text, private = said(ask(client, fake, "raffle", STRANGER, "history"))
    assert not private and text.startswith("Last winners:")
    assert "Ann (30 of 30 tickets), proof: https://lucky.example/draws/" in text


def test_a_follow_up_discord_refused_once_is_sent_again(no_beacon, client, fake, world):
    fake.fail_next = 1
    assert ask(client, fake, "raffle", MOD, "draw", reason="Stream finale tonight") == {"type": 5}
    assert fake.followed_up.wait(30), "the follow-up was not sent again"
    posts = [r for r in fake.received if r.path.startswith("/webhooks/")]
    assert len(posts) == 2 and posts[0].body == posts[1].body
    assert fake.follow_ups[0]["content"].startswith("🎉 RAFFLE WINNER ANNOUNCEMENT 🎉")


def test_a_member_asking_for_a_draw_is_refused_in_the_follow_up(no_beacon, client, fake, world):
    assert ask(client, fake, "raffle", ANN, "draw", reason="Because I can") == {"type": 5}
    assert fake.followed_up.wait(30)
    assert fake.follow_ups[0]["content"] == "Only this community's moderators can use that command."
    assert fake.follow_ups[0]["flags"] == 64


# ---- moderators by the community's Discord role -------------------------------------------------

ROLE = ("51",)  # "Raffle Mods", the community's moderator role


def as_role_holder(client, fake, caller, name, subcommand=None, **options):
    fake.roles[GUILD] = [{"id": "51", "name": "Raffle Mods"}, {"id": "52", "name": "Fans"}]
    headers, body = fake.command(
        name, GUILD, caller, subcommand=subcommand, options=options, role_ids=ROLE
    )
    response = client.post(URL, content=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def role_holder_gives_bob_7(client, fake, caller) -> tuple[str, bool]:
    return said(
        as_role_holder(
            client, fake, caller, "raffle", "give", user=str(BOB), tickets="7", reason="Quiz winner"
        )
    )


def test_a_linked_holder_of_the_discord_role_moderates_audited_as_their_account(
    client, fake, world, session
):
    community, people = world
    text, _ = role_holder_gives_bob_7(client, fake, ANN)
    assert text == f"Gave 7 tickets to <@{BOB}>."
    assert balance(session, community, people["bob"]) == 7
    entry = session.exec(select(AuditLog).order_by(AuditLog.id.desc())).first()
    assert entry.action == "community.tickets.give" and entry.actor_id == people["ann"].id
    assert entry.detail.endswith("Quiz winner (as Discord role Raffle Mods)")


def test_an_unlinked_holder_of_the_discord_role_is_told_to_link_and_changes_nothing(
    client, fake, world, session
):
    community, people = world
    text, private = role_holder_gives_bob_7(client, fake, STRANGER)
    assert private and text.startswith("Moderator actions are recorded against a LuckyClub")
    assert "https://lucky.example/community/lele/me" in text
    assert balance(session, community, people["bob"]) == 0


def test_the_role_moderates_only_while_it_is_the_communitys_role(client, fake, world, session):
    community, people = world
    community.discord_moderator_role = "Admins"
    session.add(community)
    session.commit()
    text, _ = role_holder_gives_bob_7(client, fake, ANN)
    assert text == "Only this community's moderators can use that command."
    assert balance(session, community, people["bob"]) == 0


def test_a_role_holder_verifies_a_claim_by_the_viewers_kick_name(client, fake, world, session):
    community, people = world
    session.add(KickIdentity(kick_user_id=4242, username="Bob_Kick", user_id=people["bob"].id))
    session.commit()
    said(ask(client, fake, "link", BOB, "shuffle", username="bobby"))
    text, _ = said(
        as_role_holder(client, fake, ANN, "raffle", "verify", username="bobby", kick="nobody")
    )
    assert "No LuckyClub account has linked the Kick account nobody" in text
    text, _ = said(
        as_role_holder(client, fake, ANN, "raffle", "verify", username="bobby", kick="bob_kick")
    )
    assert text == "Verified bobby for bob_kick."
    session.expire_all()
    [claim] = session.exec(select(AffiliateClaim))
    assert claim.status == ClaimStatus.VERIFIED and claim.decided_by == people["ann"].id


def test_a_role_holder_draws_and_the_draw_is_audited_as_by_the_role(
    no_beacon, client, fake, world, session
):
    answer = as_role_holder(client, fake, ANN, "raffle", "draw", reason="Stream finale tonight")
    assert answer == {"type": 5}
    assert fake.followed_up.wait(30), "no follow-up arrived"
    assert fake.follow_ups[0]["content"].startswith("🎉 RAFFLE WINNER ANNOUNCEMENT 🎉")
    session.expire_all()
    details = {
        row.action: row.detail
        for row in session.exec(select(AuditLog).where(AuditLog.actor_id == world[1]["ann"].id))
    }
    assert details["community.draw.close"].endswith("(as Discord role Raffle Mods)")
    assert details["community.draw.draw"] == "as Discord role Raffle Mods"


def test_the_services_accept_the_discord_role_only_for_a_linked_account_in_good_standing(
    world, session
):
    community, people = world
    carol = add_user(session, "carol@example.com")  # not linked to Discord
    bob = people["bob"]

    def give(moderator, role):
        tickets.give(
            session, moderator, community, bob.id, 1, "Quiz winner", utcnow(), discord_role=role
        )

    for moderator, role in ((carol, "Raffle Mods"), (people["ann"], "Fans")):
        with pytest.raises(NotAllowed):
            give(moderator, role)
    people["ann"].banned_at = utcnow()
    with pytest.raises(NotAllowed):
        give(people["ann"], "Raffle Mods")
    people["ann"].banned_at = None
    give(people["ann"], "Raffle Mods")
    session.commit()
    assert balance(session, community, bob) == 1


# ---- /raffle reset, with a confirmation ----------------------------------------------------------


def click(client, fake, custom_id, caller, role_ids=()):
    headers, body = fake.click(custom_id, GUILD, caller, role_ids=role_ids)
    response = client.post(URL, content=body, headers=headers)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["type"] == 7  # the clicked message is replaced: its buttons go
    assert answer["data"]["components"] == []
    return answer["data"]["content"]


def test_raffle_reset_asks_first_and_a_click_closes_the_ended_period(client, fake, world, session):
    community, people = world
    last_month = periods.period_of(session, community, utcnow() - timedelta(days=40))
    session.commit()
    answer = ask(client, fake, "raffle", MOD, "reset")
    text, private = said(answer)
    assert private and text.startswith("Reset the raffle now?")
    [row] = answer["data"]["components"]
    buttons = {b["label"]: b["custom_id"] for b in row["components"]}
    assert buttons == {"Yes, /raffle reset": "confirm:raffle reset", "Cancel": "cancel"}
    session.refresh(last_month)
    assert last_month.status == RaffleStatus.OPEN  # asking changed nothing

    assert click(client, fake, "cancel", MOD) == "Cancelled: nothing changed."
    assert click(client, fake, "confirm:raffle reset", ANN) == (
        "Only this community's moderators can use that command."
    )
    session.refresh(last_month)
    assert last_month.status == RaffleStatus.OPEN

    done = click(client, fake, "confirm:raffle reset", MOD)
    assert done.startswith("Reset done: 1 ended period(s) closed")
    session.refresh(last_month)
    assert last_month.status == RaffleStatus.CLOSED
    assert periods.draw_of(session, last_month.id) is not None
    entry = session.exec(select(AuditLog).order_by(AuditLog.id.desc())).first()
    assert entry.action == "community.reset" and entry.actor_id == people["mod"].id

    again = click(client, fake, "confirm:raffle reset", MOD)
    assert again.startswith("Nothing to reset: the ") and "/raffle draw" in again


# ---- every command, for a linked member, an unlinked user and a moderator ------------------------

COMMAND_CALLS = {
    "tickets": ("tickets", None, {}),
    "leaderboard": ("leaderboard", None, {}),
    "raffle info": ("raffle", "info", {}),
    "raffle history": ("raffle", "history", {}),
    "link shuffle": ("link", "shuffle", {"username": "someone_new"}),
    "raffle give": ("raffle", "give", {"user": str(ANN), "tickets": "3", "reason": "Quiz winner"}),
    "raffle remove": ("raffle", "remove", {"user": str(ANN), "tickets": "3", "reason": "Typo fix"}),
    "raffle verify": ("raffle", "verify", {"username": "nobody", "user": str(ANN)}),
    "raffle stats": ("raffle", "stats", {}),
    "raffle reset": ("raffle", "reset", {}),
}
NOT_LINKED = "not linked to LuckyClub yet"
REFUSED = "Only this community's moderators can use that command."
# command → what a linked member (BOB), an unlinked user and the moderator are told (a fragment)
EXPECTED = {
    "tickets": ("You hold 0 tickets", NOT_LINKED, "You hold 0 tickets"),
    "leaderboard": ("1. Ann — 30 tickets",) * 3,
    "raffle info": ("Tickets: 30 held by 1 participants",) * 3,
    "raffle history": ("No draws yet.",) * 3,
    "link shuffle": ("Claimed someone_new", NOT_LINKED, "Another viewer has claimed that username"),
    "raffle give": (REFUSED, REFUSED, f"Gave 3 tickets to <@{ANN}>."),
    "raffle remove": (REFUSED, REFUSED, f"Removed 3 tickets from <@{ANN}>."),
    "raffle verify": (REFUSED, REFUSED, f"<@{ANN}> has no pending claim of that username"),
    "raffle stats": (REFUSED, REFUSED, "Claims waiting: 0"),
    "raffle reset": (REFUSED, REFUSED, "Reset the raffle now?"),
}


@pytest.mark.parametrize("command", sorted(COMMAND_CALLS))
def test_every_command_answers_a_member_an_unlinked_user_and_a_moderator(
    client, fake, world, command
):
    assert set(EXPECTED) == set(COMMAND_CALLS) == set(HANDLERS)
    name, subcommand, options = COMMAND_CALLS[command]
    for caller, expected in zip((BOB, STRANGER, MOD), EXPECTED[command], strict=True):
        text, _ = said(ask(client, fake, name, caller, subcommand, **options))
        assert expected in text, (command, caller, text)


# ---- registering the commands -------------------------------------------------------------------


def test_register_commands_overwrites_the_guilds_commands_with_the_bot_token(
    app_db, fake, world, capsys
):
    assert cli.main(["discord", "register-commands", "lele"]) == 0

    [request] = fake.received
    assert request.method == "PUT"
    assert request.path == f"/applications/{fake.application_id}/guilds/{GUILD}/commands"
    assert request.headers["authorization"] == f"Bot {fake.bot_token}"
    assert request.json() == list(COMMANDS)
    names = {c["name"]: [o["name"] for o in c["options"]] for c in fake.registered[GUILD]}
    assert names["raffle"] == [
        *("info", "history", "draw", "give", "remove", "verify", "stats", "reset")
    ]
    assert "/api/discord/interactions" in capsys.readouterr().out


def test_register_commands_says_what_is_missing(app_db, fake, world, settings_env, capsys):
    fake.down = True
    assert cli.main(["discord", "register-commands", "lele"]) == 2
    err = capsys.readouterr().err
    assert "run this again" in err and fake.bot_token not in err
    settings_env(DISCORD_BOT_TOKEN=None)
    assert cli.main(["discord", "register-commands", "lele"]) == 2
    assert "DISCORD_BOT_TOKEN" in capsys.readouterr().err
    assert cli.main(["discord", "register-commands", "nobody"]) == 2
    assert "No community has the slug 'nobody'" in capsys.readouterr().err


def test_a_garbled_user_option_is_a_sentence_on_both_databases(client, fake, world):
    for who in ("someone", str(2**64)):
        text, private = said(ask(client, fake, "tickets", ANN, user=who))
        assert private and text in (
            "Give user as a whole number.",
            "Pick the user from Discord's list.",
        )
        text, _ = said(
            ask(client, fake, "raffle", MOD, "give", user=who, tickets="5", reason="Quiz winner")
        )
        assert text in ("Give user as a whole number.", "Pick the user from Discord's list.")


def test_names_in_replies_are_shown_as_typed_not_as_markdown(client, fake, world, session):
    _, people = world
    people["ann"].display_name = "**Ann** [site](https://evil.example)"
    session.add(people["ann"])
    session.commit()
    text, _ = said(ask(client, fake, "leaderboard", STRANGER))
    assert r"1. \*\*Ann\*\* \[site\]\(https\://evil.example\) — 30 tickets" in text

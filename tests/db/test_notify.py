"""Notifications: notify() queues email, Klaviyo and SMS rows by the settings; the outbox job
delivers each one once to real local servers standing in for SMTP, Klaviyo and the SMS provider."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from sqlmodel import select

from luckyclub import jobs
from luckyclub.core.errors import UserError
from luckyclub.models import Channel, OutboxMessage, OutboxStatus, Role, User, utcnow
from luckyclub.platform import accounts, mail, notify
from tests import fake_http
from tests.db.factories import add_user
from tests.db.test_outbox import SmtpServer
from tests.fake_http import Answer

KEY = "pk_klaviyo_private_key_for_tests"
SID = "AC00000000000000000000000000000001"
TOKEN = "sms_auth_token_for_tests"
PHONE = "+447700900123"
LINK = "https://club.example/competitions/3"


@pytest.fixture()
def klaviyo_server():
    with fake_http.klaviyo().running() as server:
        yield server


@pytest.fixture()
def sms_server():
    with fake_http.sms_provider().running() as server:
        yield server


@pytest.fixture()
def smtp_server():
    server = SmtpServer(fake_http.free_port())  # started by the test that needs it
    yield server
    server.stop()


@pytest.fixture()
def klaviyo_on(settings_env, klaviyo_server):
    settings_env(KLAVIYO_API_KEY=KEY, KLAVIYO_API_BASE=klaviyo_server.url)


@pytest.fixture()
def sms_on(settings_env, sms_server):
    settings_env(
        SMS_API_BASE=sms_server.url,
        SMS_ACCOUNT_SID=SID,
        SMS_AUTH_TOKEN=TOKEN,
        SMS_FROM="+447700900000",
    )


@pytest.fixture()
def ann(session) -> User:
    user = add_user(session, "ann@example.com")
    user.phone = PHONE
    session.commit()
    return user


def order_placed(session, user: User, unique_id: str = "order-1", event=notify.ORDER_PLACED):
    notify.notify(
        session,
        user,
        event,
        unique_id=unique_id,
        email="order_placed",
        sms="LuckyClub: your tickets 12, 13, 14 for Win a bike are confirmed.",
        value_pence=600,
        title="Win a bike",
        numbers="12, 13, 14",
        amount="£6.00",
        link=LINK,
    )
    session.commit()


def queued(session, channel: str | None = None) -> list[OutboxMessage]:
    session.expire_all()
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if channel:
        query = query.where(OutboxMessage.channel == channel)
    return list(session.exec(query))


# ---- what notify() queues ------------------------------------------------------------------------


def test_without_klaviyo_or_sms_settings_only_the_email_is_queued(session, ann):
    order_placed(session, ann)

    [email] = queued(session)
    assert (email.channel, email.to_address, email.template) == (
        Channel.EMAIL,
        "ann@example.com",
        "order_placed",
    )
    assert "12, 13, 14" in email.text_body and "£6.00" in email.text_body
    assert email.text_body.startswith("Hi Ann,")


def test_with_a_klaviyo_key_the_event_is_queued_with_the_full_event_json(session, ann, klaviyo_on):
    order_placed(session, ann)

    [event] = queued(session, Channel.KLAVIYO)
    assert event.to_address == "ann@example.com"
    attributes = json.loads(event.payload)["data"]["attributes"]
    assert attributes["metric"]["data"]["attributes"]["name"] == "Order Placed"
    assert attributes["profile"]["data"]["attributes"] == {
        "email": "ann@example.com",
        "external_id": str(ann.id),
        "phone_number": PHONE,
    }
    assert attributes["properties"] == {
        "title": "Win a bike",
        "numbers": "12, 13, 14",
        "amount": "£6.00",
        "link": LINK,
    }
    assert (attributes["unique_id"], attributes["value"]) == ("order-1", 6.0)
    assert attributes["time"].endswith("+00:00")


def test_a_text_is_queued_only_with_sms_configured_and_a_phone_on_the_account(
    session, ann, settings_env, sms_server
):
    order_placed(session, ann, "order-1")
    assert queued(session, Channel.SMS) == []

    settings_env(
        SMS_API_BASE=sms_server.url, SMS_ACCOUNT_SID=SID, SMS_AUTH_TOKEN=TOKEN, SMS_FROM="Lucky"
    )
    order_placed(session, ann, "order-2")
    bob = add_user(session, "bob@example.com")  # no phone: no texts
    order_placed(session, bob, "order-3")

    [text] = queued(session, Channel.SMS)
    assert text.to_address == PHONE
    assert text.text_body == "LuckyClub: your tickets 12, 13, 14 for Win a bike are confirmed."
    assert text.payload is None  # the text is the whole message


def test_the_same_event_notified_twice_is_queued_once_on_every_channel(
    session, ann, klaviyo_on, sms_on
):
    order_placed(session, ann, "order-1")
    order_placed(session, ann, "order-1")

    assert sorted(m.channel for m in queued(session)) == ["email", "klaviyo", "sms"]

    order_placed(session, ann, "order-2")  # another order
    order_placed(session, ann, "order-1", event=notify.COMPETITION_ENTERED)  # another event

    assert len(queued(session)) == 9


def test_twice_in_one_transaction_is_still_once(session, ann, klaviyo_on):
    for _ in range(2):
        notify.notify(session, ann, notify.CHECKOUT_STARTED, unique_id="cs_1", title="Win a bike")
    session.commit()

    assert len(queued(session, Channel.KLAVIYO)) == 1


def test_many_members_notified_at_once_get_one_of_each_message_each(session, ann, klaviyo_on):
    bob = add_user(session, "bob@example.com")
    notices = [
        notify.Notice(user, f"delivery-{user.id}", {"title": "Win a <bike>", "prize": "A bike"})
        for user in (ann, bob, ann)  # ann twice: still one each
    ]
    notify.notify_all(session, notify.PRIZE_DELIVERED, notices, email="prize_delivered")
    notify.notify_all(session, notify.PRIZE_DELIVERED, notices[:1], email="prize_delivered")
    session.commit()

    emails = queued(session, Channel.EMAIL)
    assert sorted(m.to_address for m in emails) == ["ann@example.com", "bob@example.com"]
    assert all("Win a &lt;bike&gt;" in m.html_body for m in emails)
    assert len(queued(session, Channel.KLAVIYO)) == 2


def test_nothing_is_queued_if_the_callers_transaction_rolls_back(session, ann, klaviyo_on, sms_on):
    notify.notify(
        session,
        ann,
        notify.PRIZE_DELIVERED,
        unique_id="delivery-1",
        email="prize_delivered",
        sms="Your prize is on its way.",
        title="Win a bike",
        prize="A bike",
    )
    session.rollback()

    assert queued(session) == []


def test_an_unknown_event_is_refused(session, ann):
    with pytest.raises(ValueError, match="Unknown notification event 'Order Shipped'"):
        notify.notify(session, ann, "Order Shipped", unique_id="x")


def admins_told_of_the_draw(session, unique_id: str = "drawn-1") -> None:
    notify.notify_admins(
        session,
        unique_id=unique_id,
        email="competition_winner_admin",
        title="Win a bike",
        winners="Ticket 13: Ann (ann@example.com)",
        link="https://club.example/admin/draws/1",
    )
    session.commit()


def test_every_admin_who_is_not_banned_gets_the_winner_email(session, ann):
    add_user(session, "admin1@example.com", Role.ADMIN)
    add_user(session, "admin2@example.com", Role.ADMIN)
    banned = add_user(session, "banned-admin@example.com", Role.ADMIN)
    banned.banned_at = utcnow()
    session.commit()

    admins_told_of_the_draw(session)

    emails = queued(session)
    assert [m.to_address for m in emails] == ["admin1@example.com", "admin2@example.com"]
    assert all("Ticket 13: Ann (ann@example.com)" in m.text_body for m in emails)


def test_admins_told_twice_of_the_same_draw_get_one_email_each(session, ann):
    add_user(session, "admin1@example.com", Role.ADMIN)
    session.commit()

    admins_told_of_the_draw(session)
    admins_told_of_the_draw(session)  # a retried job, say
    admins_told_of_the_draw(session, "drawn-2")  # another draw

    assert [m.to_address for m in queued(session)] == ["admin1@example.com"] * 2


# ---- delivery ------------------------------------------------------------------------------------


def test_each_channel_is_delivered_once_to_its_provider(
    session, ann, klaviyo_on, sms_on, settings_env, smtp_server, klaviyo_server, sms_server
):
    smtp_server.start()
    settings_env(SMTP_URL=smtp_server.url)
    order_placed(session, ann)

    first = mail.deliver_due(utcnow())
    again = mail.deliver_due(utcnow() + timedelta(hours=2))

    assert first == {"sent": 3, "retrying": 0, "failed": 0}
    assert again == {"sent": 0, "retrying": 0, "failed": 0}
    [envelope] = smtp_server.inbox.envelopes
    assert envelope.rcpt_tos == ["ann@example.com"]
    [event] = klaviyo_server.received
    assert event.headers["authorization"] == f"Klaviyo-API-Key {KEY}"
    assert event.json() == json.loads(queued(session, Channel.KLAVIYO)[0].payload)
    [text] = sms_server.received
    assert text.path == f"/2010-04-01/Accounts/{SID}/Messages.json"
    assert text.basic_auth() == (SID, TOKEN)
    assert text.form() == {
        "To": PHONE,
        "From": "+447700900000",
        "Body": "LuckyClub: your tickets 12, 13, 14 for Win a bike are confirmed.",
    }
    assert {m.status for m in queued(session)} == {OutboxStatus.SENT}


@pytest.fixture()
def numbers_filler():
    """A filler as a mode registers one: the values of an order's blanks, read when it is sent."""
    asked: list[str] = []

    def numbers(session, ref: str) -> dict[str, str]:
        asked.append(ref)
        return {"numbers": "12\u201314 <b>", "title": "Win a bike"}

    mail.register_filler("test_numbers", numbers)
    yield asked
    mail._fillers.pop("test_numbers")


def test_blanks_queued_with_a_notification_are_written_in_when_each_message_is_sent(
    session,
    ann,
    klaviyo_on,
    sms_on,
    settings_env,
    smtp_server,
    klaviyo_server,
    sms_server,
    numbers_filler,
):
    smtp_server.start()
    settings_env(SMTP_URL=smtp_server.url)
    notify.notify(
        session,
        ann,
        notify.ORDER_PLACED,
        unique_id="order-7",
        email="order_placed",
        sms=f"LuckyClub: your tickets {mail.blank('numbers')} for {mail.blank('title')}.",
        fill=mail.fill_of("test_numbers", 7),
        title=mail.blank("title"),
        numbers=mail.blank("numbers"),
        amount="\u00a36.00",
        link=LINK,
    )
    session.commit()
    assert all(m.fill == "test_numbers:7" for m in queued(session))

    assert mail.deliver_due(utcnow()) == {"sent": 3, "retrying": 0, "failed": 0}

    assert numbers_filler == ["7", "7", "7"]
    [received] = smtp_server.inbox.messages()
    assert received["Subject"] == "Your tickets for Win a bike"
    text = received.get_body(("plain",)).get_content()
    assert "12\u201314 <b>" in text and "\u27e6" not in text
    assert "12\u201314 &lt;b&gt;" in received.get_body(("html",)).get_content()
    [event] = klaviyo_server.received
    properties = event.json()["data"]["attributes"]["properties"]
    assert properties["numbers"] == "12\u201314 <b>" and properties["title"] == "Win a bike"
    [sent_text] = sms_server.received
    assert sent_text.form()["Body"] == "LuckyClub: your tickets 12\u201314 <b> for Win a bike."
    # What was sent is what admins read, and it is not filled in twice.
    assert {(m.fill, "\u27e6" in m.text_body) for m in queued(session)} == {(None, False)}


def test_a_text_longer_than_the_provider_takes_once_filled_is_cut_short(
    session, ann, sms_on, sms_server, numbers_filler
):
    mail.register_filler("test_numbers", lambda session, ref: {"numbers": "1, " * 700})
    notify.notify(
        session,
        ann,
        notify.ORDER_PLACED,
        unique_id="order-8",
        sms=f"LuckyClub: your tickets {mail.blank('numbers')}",
        fill=mail.fill_of("test_numbers", 8),
        title="Win a bike",
    )
    session.commit()

    assert mail.deliver_due(utcnow())["sent"] == 1

    [sent_text] = sms_server.received
    assert len(sent_text.form()["Body"]) == 1600 and sent_text.form()["Body"].endswith("\u2026")


def test_klaviyo_down_is_retried_with_back_off_and_delivered_once_it_is_back(
    session, ann, klaviyo_on, klaviyo_server
):
    klaviyo_server.answer(503, 503)
    order_placed(session, ann)
    now = utcnow()

    first = mail.deliver_due(now)
    [event] = queued(session, Channel.KLAVIYO)
    assert first["retrying"] == 1
    assert (event.status, event.attempts) == (OutboxStatus.PENDING, 1)
    assert event.next_attempt_at == now + timedelta(seconds=30)
    assert event.last_error.startswith("Klaviyo answered 503")

    assert mail.deliver_due(now + timedelta(seconds=10))["retrying"] == 0  # not before its time
    second = mail.deliver_due(now + timedelta(seconds=30))
    [event] = queued(session, Channel.KLAVIYO)
    assert second["retrying"] == 1
    assert event.next_attempt_at == now + timedelta(seconds=30 + 60)  # the wait doubled

    third = mail.deliver_due(now + timedelta(seconds=90))
    fourth = mail.deliver_due(now + timedelta(hours=3))

    assert (third["sent"], fourth["sent"]) == (1, 0)
    assert [r.json()["data"]["attributes"]["unique_id"] for r in klaviyo_server.received] == [
        "order-1"
    ] * 3  # two refused, one taken: Klaviyo holds it once
    [event] = queued(session, Channel.KLAVIYO)
    assert (event.status, event.attempts) == (OutboxStatus.SENT, 2)


def test_an_sms_provider_that_is_not_listening_loses_no_text(session, ann, sms_on, sms_server):
    sms_server.stop()
    order_placed(session, ann)
    now = utcnow()

    assert mail.deliver_due(now)["retrying"] == 1
    [text] = queued(session, Channel.SMS)
    assert "could not be reached" in text.last_error and TOKEN not in text.last_error

    sms_server.start()
    assert mail.deliver_due(now + timedelta(minutes=1))["sent"] == 1
    assert len(sms_server.received) == 1
    assert queued(session, Channel.SMS)[0].status == OutboxStatus.SENT


def test_too_many_requests_waits_as_long_as_the_provider_asks(
    session, ann, klaviyo_on, klaviyo_server
):
    klaviyo_server.answer(Answer(429, b"{}", {"Retry-After": "600"}))
    order_placed(session, ann)
    now = utcnow()

    assert mail.deliver_due(now)["retrying"] == 1

    [event] = queued(session, Channel.KLAVIYO)
    assert event.next_attempt_at == now + timedelta(seconds=600)


def test_a_provider_asking_for_a_day_is_tried_again_within_the_hour(
    session, ann, klaviyo_on, klaviyo_server
):
    klaviyo_server.answer(Answer(429, b"{}", {"Retry-After": "86400"}))
    order_placed(session, ann)
    now = utcnow()

    assert mail.deliver_due(now)["retrying"] == 1

    [event] = queued(session, Channel.KLAVIYO)
    assert event.next_attempt_at == now + mail.LONGEST_RETRY_AFTER


def test_a_refused_event_fails_at_once_and_an_admin_can_resend_it(
    session, ann, klaviyo_on, klaviyo_server
):
    klaviyo_server.answer(Answer(400, b'{"errors": [{"detail": "Invalid email"}]}'))
    order_placed(session, ann)

    result = mail.deliver_due(utcnow())

    assert result["failed"] == 1
    [event] = queued(session, Channel.KLAVIYO)
    assert (event.status, event.attempts) == (OutboxStatus.FAILED, 1)
    assert "Klaviyo answered 400" in event.last_error and "Invalid email" in event.last_error
    assert KEY not in event.last_error
    assert mail.deliver_due(utcnow() + timedelta(hours=2))["sent"] == 0

    admin = add_user(session, "admin@example.com", Role.ADMIN)
    mail.resend(session, admin, event.id)
    session.commit()

    assert mail.deliver_due(utcnow())["sent"] == 1
    assert len(klaviyo_server.received) == 2


def test_two_processes_delivering_at_once_send_each_notification_once(
    session, klaviyo_on, sms_on, klaviyo_server, sms_server
):
    for n in range(10):
        member = add_user(session, f"member{n}@example.com")
        member.phone = f"+4477009001{n:02d}"
        notify.notify(
            session, member, notify.WINNER_ANNOUNCEMENT, unique_id=f"win-{n}", sms="You won!"
        )
    session.commit()
    now = utcnow()
    start_together = threading.Barrier(2)
    results = []

    def deliver():
        start_together.wait()
        results.append(mail.deliver_due(now))

    workers = [threading.Thread(target=deliver) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)

    events = sorted(r.json()["data"]["attributes"]["unique_id"] for r in klaviyo_server.received)
    texts = sorted(r.form()["To"] for r in sms_server.received)
    assert events == sorted(f"win-{n}" for n in range(10))
    assert texts == sorted(f"+4477009001{n:02d}" for n in range(10))
    assert sum(int(r["sent"]) for r in results) == 20
    assert {m.status for m in queued(session)} == {OutboxStatus.SENT}


def test_a_channel_that_is_not_set_up_keeps_its_messages_waiting_without_attempts(
    session, ann, klaviyo_on, sms_on, settings_env, klaviyo_server, sms_server
):
    order_placed(session, ann)
    settings_env(KLAVIYO_API_KEY="", SMS_FROM="")  # both switched off after the order

    result = mail.deliver_due(utcnow())

    assert result == {
        "sent": 0,
        "retrying": 0,
        "failed": 0,
        "waiting": 3,
        "skipped": (
            "no SMTP_URL; no KLAVIYO_API_KEY; SMS_ACCOUNT_SID, SMS_AUTH_TOKEN or SMS_FROM unset"
        ),
    }
    assert klaviyo_server.received == [] and sms_server.received == []
    assert {(m.status, m.attempts, m.locked_until) for m in queued(session)} == {
        (OutboxStatus.PENDING, 0, None)
    }

    settings_env(KLAVIYO_API_KEY=KEY)  # Klaviyo back: its event goes, the others still wait
    result = mail.deliver_due(utcnow())

    assert (result["sent"], result["waiting"]) == (1, 2)
    assert len(klaviyo_server.received) == 1


def test_the_job_line_counts_each_outcome_and_what_waits(session, ann, klaviyo_on, klaviyo_server):
    klaviyo_server.answer(503)
    order_placed(session, ann)
    order_placed(session, ann, "order-2")

    line = jobs.deliver_outbox()

    assert line == "sent 1, retrying 1, failed 0; waiting 2 (no SMTP_URL)"


# ---- the member's phone number ---------------------------------------------------------------


def test_a_member_saves_a_uk_mobile_number_and_can_remove_it(session, ann):
    accounts.update_phone(session, ann, "07700 900-456")
    session.commit()
    session.expire_all()
    assert session.get(User, ann.id).phone == "+447700900456"

    accounts.update_phone(session, ann, "  ")
    session.commit()
    session.expire_all()
    assert session.get(User, ann.id).phone is None


def test_a_number_that_is_not_a_mobile_number_is_refused_and_the_old_one_kept(session, ann):
    with pytest.raises(UserError, match="country code"):
        accounts.update_phone(session, ann, "12345")
    session.rollback()

    assert session.get(User, ann.id).phone == PHONE

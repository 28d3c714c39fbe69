"""The email outbox: queued with the action, delivered once through a real local SMTP server."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import socket
import threading
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import select

from luckyclub.core.errors import NotAllowed, UserError
from luckyclub.core.settings import get_settings
from luckyclub.models import AuditLog, OutboxMessage, OutboxStatus, Role, User, utcnow
from luckyclub.platform import mail
from tests.db.factories import add_user

LINK = "https://club.example/verify?token=abc"


class Inbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self) -> list[email.message.EmailMessage]:
        return [
            email.message_from_bytes(e.original_content, policy=email.policy.default)
            for e in self.envelopes
        ]


class SmtpServer:
    """A real SMTP server on 127.0.0.1 that tests can stop and start again on the same port."""

    def __init__(self, port: int):
        self.port = port
        self.inbox = Inbox()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture()
def smtp_server():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = SmtpServer(port)  # not started: nothing listens until a test starts it
    yield server
    server.stop()


@pytest.fixture()
def smtp_settings(smtp_server):
    return dataclasses.replace(get_settings(), smtp_url=smtp_server.url)


def queue(session, to="ann@example.com", display_name="Ann") -> OutboxMessage:
    message = mail.enqueue_email(
        session, to=to, template="verify_email", display_name=display_name, link=LINK
    )
    session.commit()
    return message


def make_admin(session) -> User:
    return add_user(session, "admin@example.com", Role.ADMIN)


def reload(session, message: OutboxMessage) -> OutboxMessage:
    session.expire_all()
    return session.get(OutboxMessage, message.id)


def test_queued_email_is_delivered_with_a_text_and_an_html_part(
    session, smtp_server, smtp_settings
):
    smtp_server.start()
    message = queue(session)

    result = mail.deliver_due(utcnow(), settings=smtp_settings)

    assert result == {"sent": 1, "retrying": 0, "failed": 0}
    [envelope] = smtp_server.inbox.envelopes
    assert envelope.rcpt_tos == ["ann@example.com"]
    [delivered] = smtp_server.inbox.messages()
    assert delivered["Subject"] == message.subject
    assert delivered["To"] == "ann@example.com"
    assert delivered.get_content_type() == "multipart/alternative"
    text = delivered.get_body(preferencelist=("plain",))
    html = delivered.get_body(preferencelist=("html",))
    assert LINK in text.get_content()
    assert "<!doctype html>" in html.get_content()
    sent = reload(session, message)
    assert sent.status == OutboxStatus.SENT
    assert sent.sent_at is not None and sent.locked_until is None


def test_with_the_server_down_the_email_waits_for_a_retry(session, smtp_server, smtp_settings):
    message = queue(session)
    now = utcnow()

    result = mail.deliver_due(now, settings=smtp_settings)

    assert result == {"sent": 0, "retrying": 1, "failed": 0}
    waiting = reload(session, message)
    assert waiting.status == OutboxStatus.PENDING
    assert waiting.attempts == 1
    assert f"127.0.0.1:{smtp_server.port}" in waiting.last_error
    assert waiting.next_attempt_at == now + timedelta(seconds=30)
    assert waiting.locked_until is None


def test_a_waiting_email_is_not_retried_before_its_time(session, smtp_server, smtp_settings):
    queue(session)
    now = utcnow()
    mail.deliver_due(now, settings=smtp_settings)
    smtp_server.start()

    result = mail.deliver_due(now + timedelta(seconds=10), settings=smtp_settings)

    assert result == {"sent": 0, "retrying": 0, "failed": 0}
    assert smtp_server.inbox.envelopes == []


def test_when_the_server_is_back_the_email_is_delivered_exactly_once(
    session, smtp_server, smtp_settings
):
    message = queue(session)
    now = utcnow()
    mail.deliver_due(now, settings=smtp_settings)
    smtp_server.start()

    later = now + timedelta(minutes=1)
    first = mail.deliver_due(later, settings=smtp_settings)
    again = mail.deliver_due(later + timedelta(hours=2), settings=smtp_settings)

    assert first["sent"] == 1 and again["sent"] == 0
    assert len(smtp_server.inbox.envelopes) == 1
    delivered = reload(session, message)
    assert delivered.status == OutboxStatus.SENT
    assert delivered.attempts == 1  # the failed one; a success does not count as a retry


def test_two_processes_delivering_at_once_send_each_email_once(session, smtp_server, smtp_settings):
    smtp_server.start()
    for n in range(20):
        mail.enqueue_email(
            session, to=f"member{n}@example.com", template="password_changed", display_name="M"
        )
    session.commit()
    now = utcnow()
    start_together = threading.Barrier(2)
    results = []

    def deliver():
        start_together.wait()
        results.append(mail.deliver_due(now, settings=smtp_settings))

    workers = [threading.Thread(target=deliver) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=20)

    recipients = sorted(r for e in smtp_server.inbox.envelopes for r in e.rcpt_tos)
    assert recipients == sorted(f"member{n}@example.com" for n in range(20))
    assert sum(r["sent"] for r in results) == 20
    statuses = session.exec(select(OutboxMessage.status)).all()
    assert statuses == [OutboxStatus.SENT] * 20


def test_without_smtp_url_emails_stay_in_the_outbox(session, smtp_server):
    smtp_server.start()
    message = queue(session)
    no_smtp = dataclasses.replace(get_settings(), smtp_url=None)

    result = mail.deliver_due(utcnow(), settings=no_smtp)

    assert result["skipped"] == "no SMTP_URL"
    assert smtp_server.inbox.envelopes == []
    waiting = reload(session, message)
    assert (waiting.status, waiting.attempts) == (OutboxStatus.PENDING, 0)


def test_a_display_name_with_markup_is_escaped_in_the_html(session, smtp_server, smtp_settings):
    smtp_server.start()
    message = queue(session, display_name="<script>alert(1)</script>")

    mail.deliver_due(utcnow(), settings=smtp_settings)

    assert "<script>" not in message.html_body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in message.html_body
    [delivered] = smtp_server.inbox.messages()
    html = delivered.get_body(preferencelist=("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<script>alert(1)</script>" in delivered.get_body(("plain",)).get_content()


def test_an_email_is_only_queued_if_the_callers_transaction_commits(session):
    mail.enqueue_email(session, to="ann@example.com", template="password_changed", display_name="A")
    session.rollback()

    assert session.exec(select(OutboxMessage)).all() == []


def test_after_twelve_failed_attempts_the_email_fails_and_an_admin_can_resend_it(
    session, smtp_server, smtp_settings
):
    message = queue(session)
    now = utcnow()
    outcomes = []
    for _ in range(mail.MAX_ATTEMPTS):
        result = mail.deliver_due(now, settings=smtp_settings)
        outcomes.append("failed" if result["failed"] else "retrying")
        now += timedelta(hours=1)  # past the longest wait

    assert outcomes == ["retrying"] * 11 + ["failed"]
    failed = reload(session, message)
    assert (failed.status, failed.attempts) == (OutboxStatus.FAILED, 12)
    assert mail.deliver_due(now, settings=smtp_settings)["retrying"] == 0

    mail.resend(session, make_admin(session), message.id)
    session.commit()
    (entry,) = session.exec(select(AuditLog)).all()
    assert entry.action == "mail.resend"
    smtp_server.start()
    assert mail.deliver_due(utcnow(), settings=smtp_settings)["sent"] == 1


def test_only_a_failed_email_can_be_resent_and_only_by_an_admin(session):
    message = queue(session)
    admin = make_admin(session)

    with pytest.raises(UserError, match="Only an email that failed"):
        mail.resend(session, admin, message.id)
    with pytest.raises(UserError, match="no longer in the outbox"):
        mail.resend(session, admin, 999_999)
    admin.role = Role.MEMBER
    with pytest.raises(NotAllowed):
        mail.resend(session, admin, message.id)


def test_retry_waits_double_each_time_up_to_an_hour():
    waits = [mail.retry_delay(n).total_seconds() for n in (1, 2, 3, 8, 12)]

    assert waits == [30, 60, 120, 3600, 3600]


def test_outbox_lists_newest_first(session):
    first = queue(session, to="first@example.com")
    second = queue(session, to="second@example.com")

    listed = mail.list_messages(session)

    assert [m.id for m in listed] == [second.id, first.id]
    assert mail.get_message(session, first.id).to_address == "first@example.com"
    assert mail.get_message(session, 999_999) is None


def test_an_unexpected_error_quoting_the_smtp_password_is_stored_without_it(
    session, smtp_settings, monkeypatch
):
    settings = dataclasses.replace(smtp_settings, smtp_url="smtp://ann:s3cret-pw@127.0.0.1:1")

    def broken_send(message, url, *args, **kwargs):
        raise RuntimeError(f"cannot use {url}")

    monkeypatch.setattr(mail.smtp, "send", broken_send)
    message = queue(session)

    assert mail.deliver_due(utcnow(), settings=settings)["retrying"] == 1
    error = reload(session, message).last_error
    assert error == "RuntimeError: cannot use smtp://ann:***@127.0.0.1:1"

"""The SMTP adapter: reading SMTP_URL and building the message (delivery itself is in tests/db)."""

import socket
from types import SimpleNamespace

import pytest

from luckyclub.integrations.smtp import MailDeliveryError, build_message, parse_smtp_url, send


def test_plain_smtp_url_with_credentials():
    server = parse_smtp_url("smtp://mailer:s%40cret@mail.example.com:2525")

    assert (server.host, server.port, server.security) == ("mail.example.com", 2525, "none")
    assert (server.username, server.password) == ("mailer", "s@cret")


def test_smtp_on_port_587_uses_starttls():
    assert parse_smtp_url("smtp://u:p@mail.example.com:587").security == "starttls"


def test_smtp_starttls_scheme_defaults_to_port_587():
    server = parse_smtp_url("smtp+starttls://mail.example.com")

    assert (server.port, server.security) == (587, "starttls")


def test_smtps_is_implicit_tls_on_port_465():
    server = parse_smtp_url("smtps://u:p@mail.example.com")

    assert (server.port, server.security) == (465, "tls")


def test_server_repr_hides_the_password():
    assert "hunter2" not in repr(parse_smtp_url("smtps://u:hunter2@mail.example.com"))


@pytest.mark.parametrize("url", ["http://mail.example.com", "smtp://", "mail.example.com:25"])
def test_unusable_smtp_url_is_refused_with_a_sentence(url):
    with pytest.raises(ValueError, match="SMTP_URL"):
        parse_smtp_url(url)


def _email():
    return SimpleNamespace(
        to_address="ann@example.com",
        subject="Hello",
        text_body="Hi Ann",
        html_body="<p>Hi Ann</p>",
    )


def test_message_has_a_text_part_and_an_html_alternative():
    message = build_message(_email(), "LuckyClub <no-reply@club.example>", message_key="outbox.7.1")

    assert message.get_content_type() == "multipart/alternative"
    parts = [part.get_content_type() for part in message.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    assert message["Message-ID"] == "<outbox.7.1@club.example>"
    assert message["Date"] and message["From"] == "LuckyClub <no-reply@club.example>"


def test_nothing_listening_is_a_delivery_error_without_the_password():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # free once the probe closes: nothing listens there

    with pytest.raises(MailDeliveryError) as caught:
        send(_email(), f"smtp://u:hunter2@127.0.0.1:{port}", "no-reply@club.example")

    assert f"127.0.0.1:{port}" in str(caught.value)
    assert "hunter2" not in str(caught.value)

"""Sends one email through the SMTP server named by SMTP_URL. Knows nothing about the outbox."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Literal, Protocol
from urllib.parse import unquote, urlsplit

TIMEOUT_SECONDS = 10

Security = Literal["none", "starttls", "tls"]


class OutgoingEmail(Protocol):
    to_address: str
    subject: str
    text_body: str
    html_body: str


class MailDeliveryError(Exception):
    """The server could not be reached or refused the message. The text never holds a password."""


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    security: Security
    username: str | None = None
    password: str | None = None

    def __repr__(self) -> str:  # keeps the password out of logs and tracebacks
        return f"SmtpServer({self.security}://{self.host}:{self.port}, user={self.username!r})"


def parse_smtp_url(url: str) -> SmtpServer:
    """smtp://user:pass@host:port (STARTTLS on port 587), smtp+starttls://…, smtps://… (TLS)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in {"smtp", "smtp+starttls", "smtps"}:
        raise ValueError("SMTP_URL must start with smtp://, smtp+starttls:// or smtps://")
    if not parts.hostname:
        raise ValueError("SMTP_URL needs a host, like smtp://user:password@mail.example.com:587")
    port = parts.port or {"smtp": 25, "smtp+starttls": 587, "smtps": 465}[scheme]
    security: Security
    if scheme == "smtps":
        security = "tls"
    elif scheme == "smtp+starttls" or port == 587:
        security = "starttls"
    else:
        security = "none"
    return SmtpServer(
        host=parts.hostname,
        port=port,
        security=security,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def build_message(
    email: OutgoingEmail, mail_from: str, *, message_key: str | None = None
) -> EmailMessage:
    """A multipart/alternative message: the plain text first, the HTML as the preferred version.

    A stable message_key gives a retried email the same Message-ID, so receivers can drop a copy
    that went out twice (sent, but the process died before it could record that).
    """
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = email.to_address
    message["Subject"] = email.subject
    message["Date"] = formatdate(usegmt=True)
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "luckyclub.local"
    message["Message-ID"] = (
        f"<{message_key}@{domain}>" if message_key else make_msgid(domain=domain)
    )
    message.set_content(email.text_body)
    message.add_alternative(email.html_body, subtype="html")
    return message


def send(
    email: OutgoingEmail, smtp_url: str, mail_from: str, *, message_key: str | None = None
) -> None:
    """Hand one email to the SMTP server; raises MailDeliveryError if it is not accepted."""
    server = parse_smtp_url(smtp_url)
    message = build_message(email, mail_from, message_key=message_key)
    try:
        with _connect(server) as client:
            if server.security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if server.username:
                client.login(server.username, server.password or "")
            client.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        raise MailDeliveryError(
            f"{server.host}:{server.port}: {type(exc).__name__}: {_describe(exc)}"
        ) from exc


def _connect(server: SmtpServer) -> smtplib.SMTP:
    if server.security == "tls":
        return smtplib.SMTP_SSL(
            server.host,
            server.port,
            timeout=TIMEOUT_SECONDS,
            context=ssl.create_default_context(),
        )
    return smtplib.SMTP(server.host, server.port, timeout=TIMEOUT_SECONDS)


def _describe(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        reply = exc.smtp_error
        text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
        return f"{exc.smtp_code} {text}"
    return str(exc) or "no details"

"""The emails LuckyClub sends: what each one says, and the one layout that renders text and HTML.

A template only says what to write; the layout escapes every value for HTML, so none can forget.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from html import escape

APP_NAME = "LuckyClub"
BRAND_COLOR = "#6d28d9"


@dataclass(frozen=True)
class Button:
    label: str
    link: str


@dataclass(frozen=True)
class EmailContent:
    """What one email says, as plain text pieces."""

    subject: str
    greeting: str
    paragraphs: tuple[str, ...]
    button: Button | None = None
    note: str = ""  # small print under the button, e.g. "If you did not ask for this…"


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def verify_email(*, display_name: str, link: str) -> EmailContent:
    return EmailContent(
        subject=f"Confirm your email address for {APP_NAME}",
        greeting=f"Hi {display_name},",
        paragraphs=(
            f"Welcome to {APP_NAME}! Please confirm your email address to finish setting up "
            "your account.",
        ),
        button=Button("Confirm my email address", link),
        note=f"If you did not create a {APP_NAME} account, you can ignore this email.",
    )


def password_reset(*, display_name: str, link: str) -> EmailContent:
    return EmailContent(
        subject=f"Reset your {APP_NAME} password",
        greeting=f"Hi {display_name},",
        paragraphs=(
            "Someone asked to reset the password of your account. Choose a new password with "
            "the button below. The link works once and is valid for 1 hour.",
        ),
        button=Button("Choose a new password", link),
        note="If you did not ask for this, ignore this email: your password stays as it is.",
    )


def signup_attempt(*, display_name: str, link: str) -> EmailContent:
    # To an account's owner when someone joins with its email: the page answers as for a new
    # address, so only the owner learns the address has an account.
    return EmailContent(
        subject=f"Someone tried to join {APP_NAME} with your email address",
        greeting=f"Hi {display_name},",
        paragraphs=(
            f"Someone just tried to create a {APP_NAME} account with this email address, which "
            "already has an account: yours.",
            "If it was you, sign in with the button below; if you have forgotten your password, "
            'choose "Forgot your password?" there to reset it.',
        ),
        button=Button("Sign in", link),
        note="If it was not you, ignore this email: your account stays as it is.",
    )


def email_changed(*, display_name: str, old_address: str, new_address: str) -> EmailContent:
    # Sent to the OLD address, so the owner hears about it even if someone else made the change.
    return EmailContent(
        subject=f"The email address of your {APP_NAME} account was changed",
        greeting=f"Hi {display_name},",
        paragraphs=(
            f"The email address of your {APP_NAME} account was changed from {old_address} "
            f"to {new_address}.",
            "From now on we will send our emails to the new address.",
        ),
        note="If you did not make this change, contact an admin right away.",
    )


def password_changed(*, display_name: str) -> EmailContent:
    return EmailContent(
        subject=f"Your {APP_NAME} password was changed",
        greeting=f"Hi {display_name},",
        paragraphs=(f"The password of your {APP_NAME} account was just changed.",),
        note=(
            "If you did not change it, reset your password from the sign-in page "
            "and contact an admin right away."
        ),
    )


def draw_won(
    *, display_name: str, title: str, prize: str, link: str, ticket: str = ""
) -> EmailContent:
    # A competition's winner holds a numbered ticket; a raffle's winner is drawn by their entries.
    drawn = f"your ticket {ticket} was drawn" if ticket else "you were drawn as a winner"
    return EmailContent(
        subject=f"You won {prize} in {title}!",
        greeting=f"Hi {display_name},",
        paragraphs=(
            f"Congratulations: {drawn} in {title}. The prize: {prize}.",
            "An admin will contact you shortly about delivery. Anyone can check the draw: "
            "its public page has the proof and re-runs it.",
        ),
        button=Button("See the draw and its proof", link),
        note="Winners never pay to claim a prize. If someone asks you to, tell an admin.",
    )


def order_placed(
    *, display_name: str, title: str, numbers: str, amount: str, link: str
) -> EmailContent:
    return EmailContent(
        subject=f"Your tickets for {title}",
        greeting=f"Hi {display_name},",
        paragraphs=(
            f"Thank you: your order for {title} is confirmed. You paid {amount}.",
            f"Your ticket numbers: {numbers}.",
            "Good luck! When the competition is drawn, its public page shows the winning "
            "ticket and the proof that anyone can check.",
        ),
        button=Button("See the competition", link),
    )


def order_refunded(
    *, display_name: str, title: str, amount: str, reason: str, link: str
) -> EmailContent:
    return EmailContent(
        subject=f"Your order for {title} was refunded",
        greeting=f"Hi {display_name},",
        paragraphs=(
            f"We refunded {amount} for your order in {title}. The reason: {reason}",
            "The tickets of this order are no longer in the draw. The money goes back to the card "
            "you paid with; your bank may take 5 to 10 working days to show it.",
        ),
        button=Button("See the competition", link),
        note="If you have a question about this refund, contact an admin.",
    )


def prize_delivered(*, display_name: str, title: str, prize: str) -> EmailContent:
    return EmailContent(
        subject=f"Your prize from {title} is on its way",
        greeting=f"Hi {display_name},",
        paragraphs=(
            f"We have marked your prize, {prize}, from {title} as delivered.",
            "Enjoy it, and thank you for playing.",
        ),
        note="If it has not reached you within a few days, contact an admin.",
    )


def competition_winner_admin(*, title: str, winners: str, link: str) -> EmailContent:
    # To every admin: the winners are drawn, someone has to contact them and send the prizes.
    lines = tuple(line.strip() for line in winners.splitlines() if line.strip())
    return EmailContent(
        subject=f"{title} has been drawn",
        greeting="Hello,",
        paragraphs=(
            f"The draw of {title} has run. The winners:",
            *(lines or ("(no winners: no valid tickets were in the draw)",)),
            "Contact each winner and arrange delivery from the winner queue.",
        ),
        button=Button("Open the draw", link),
    )


def competition_below_minimum(*, title: str, sold: str, minimum: str, link: str) -> EmailContent:
    # To every admin: the draw waits for their decision, so nobody's tickets are drawn or lost.
    return EmailContent(
        subject=f"{title} ended short of its minimum",
        greeting="Hello,",
        paragraphs=(
            f"{title} ended with {sold} tickets sold; its minimum was {minimum}.",
            "Its draw waits for your decision: extend the end date, or cancel the competition "
            "and refund every order.",
        ),
        button=Button("Decide now", link),
    )


TEMPLATES: dict[str, Callable[..., EmailContent]] = {
    "verify_email": verify_email,
    "password_reset": password_reset,
    "signup_attempt": signup_attempt,
    "email_changed": email_changed,
    "password_changed": password_changed,
    "draw_won": draw_won,
    "order_placed": order_placed,
    "order_refunded": order_refunded,
    "prize_delivered": prize_delivered,
    "competition_winner_admin": competition_winner_admin,
    "competition_below_minimum": competition_below_minimum,
}


def register(name: str, write: Callable[..., EmailContent]) -> None:
    """Add a mode's own template (signup lists keep theirs in lotteries/emails.py)."""
    if name in TEMPLATES and TEMPLATES[name] is not write:
        raise ValueError(f"Email template {name!r} is already registered")
    TEMPLATES[name] = write


def render(template: str, *, app_url: str, **context: str) -> RenderedEmail:
    """The subject, plain text and HTML of a named template; unknown names raise ValueError."""
    try:
        write = TEMPLATES[template]
    except KeyError:
        known = ", ".join(sorted(TEMPLATES))
        raise ValueError(f"Unknown email template {template!r} (known: {known})") from None
    content = write(**context)
    if content.button and not content.button.link.startswith(("https://", "http://")):
        # Anything else (javascript:, data:) has no business in an email button.
        raise ValueError(f"Email links must be http(s) URLs, got {content.button.link[:40]!r}")
    return RenderedEmail(
        subject=" ".join(content.subject.split()),  # one line: a header cannot hold newlines
        text=_text(content, app_url),
        html=_html(content, app_url),
    )


def _footer(app_url: str) -> str:
    return f"You get this email because you have an account at {APP_NAME} ({app_url})."


def _text(content: EmailContent, app_url: str) -> str:
    lines = [content.greeting, "", *(p + "\n" for p in content.paragraphs)]
    if content.button:
        lines += [f"{content.button.label}:", content.button.link, ""]
    if content.note:
        lines += [content.note, ""]
    lines += ["-- ", f"{APP_NAME}", _footer(app_url)]
    return "\n".join(lines) + "\n"


def _html(content: EmailContent, app_url: str) -> str:
    paragraphs = "".join(
        f'<p style="margin:0 0 16px;">{escape(p)}</p>'
        for p in (content.greeting, *content.paragraphs)
    )
    button = _html_button(content.button) if content.button else ""
    note = (
        f'<p style="margin:24px 0 0;font-size:14px;color:#6b7280;">{escape(content.note)}</p>'
        if content.note
        else ""
    )
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(content.subject)}</title>
</head>
<body style="margin:0;padding:0;background:#f4f4f7;color:#1f2937;\
font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" \
style="background:#f4f4f7;padding:24px 12px;">
<tr><td align="center">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" \
style="max-width:560px;background:#ffffff;border-radius:8px;">
<tr><td style="padding:24px 32px 0;font-size:22px;font-weight:700;color:{BRAND_COLOR};">\
{APP_NAME}</td></tr>
<tr><td style="padding:24px 32px 32px;font-size:16px;line-height:1.5;">
{paragraphs}{button}{note}
</td></tr>
</table>
<p style="max-width:560px;margin:16px auto 0;font-size:12px;line-height:1.5;color:#6b7280;">\
{escape(_footer(app_url))}</p>
</td></tr>
</table>
</body>
</html>
"""


def _html_button(button: Button) -> str:
    link = escape(button.link, quote=True)
    return (
        '<p style="margin:24px 0;">'
        f'<a href="{link}" style="display:inline-block;background:{BRAND_COLOR};color:#ffffff;'
        "text-decoration:none;font-weight:600;padding:12px 24px;border-radius:6px;"
        f'">{escape(button.label)}</a></p>'
        '<p style="margin:0;font-size:13px;color:#6b7280;word-break:break-all;">'
        f'If the button does not work, open this link: <a href="{link}" '
        f'style="color:{BRAND_COLOR};">{link}</a></p>'
    )

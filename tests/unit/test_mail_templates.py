"""The email templates: each renders a subject, plain text and HTML, every value escaped in HTML."""

import pytest

from luckyclub.lotteries import emails  # noqa: F401 - registers the signup lists' templates
from luckyclub.platform.mail_templates import TEMPLATES, render

HOSTILE = '<script>alert("x")</script> & Co'

CONTEXTS = {
    "verify_email": {"display_name": HOSTILE, "link": "https://club.example/verify?t=abc&x=1"},
    "password_reset": {"display_name": HOSTILE, "link": "https://club.example/reset?t=abc&x=1"},
    "signup_attempt": {"display_name": HOSTILE, "link": "https://club.example/login"},
    "email_changed": {
        "display_name": HOSTILE,
        "old_address": "old<b>@example.com",
        "new_address": "new@example.com",
    },
    "password_changed": {"display_name": HOSTILE},
    "draw_won": {
        "display_name": HOSTILE,
        "title": "December <raffle>",
        "prize": "A bike & helmet",
        "link": "https://club.example/draws/12",
    },
    "order_placed": {
        "display_name": HOSTILE,
        "title": "Win a <bike>",
        "numbers": "12, 13, 14",
        "amount": "£6.00",
        "link": "https://club.example/competitions/3",
    },
    "order_refunded": {
        "display_name": HOSTILE,
        "title": "Win a <bike>",
        "amount": "£6.00",
        "reason": "The competition was cancelled.",
        "link": "https://club.example/competitions/3",
    },
    "prize_delivered": {"display_name": HOSTILE, "title": "Win a <bike>", "prize": "A bike"},
    "competition_winner_admin": {
        "title": HOSTILE,
        "winners": "Ticket 13: Ann (ann@example.com)\nTicket 40: Bob (bob@example.com)",
        "link": "https://club.example/admin/draws/12",
    },
    "competition_below_minimum": {
        "title": HOSTILE,
        "sold": "12",
        "minimum": "50",
        "link": "https://club.example/admin/competitions/3",
    },
    "spot_offered": {
        "display_name": HOSTILE,
        "list_title": "Bake <sale>",
        "element": "Cake & tea",
        "member": "Kim",
        "deadline": "16 March 2027 at 15:00 GMT",
        "link": "https://club.example/offers/abc",
    },
    "offer_expired": {
        "display_name": HOSTILE,
        "list_title": "Bake <sale>",
        "element": "Cake & tea",
        "member": "Kim",
        "link": "https://club.example/lists/3",
    },
    "signup_removed": {
        "display_name": HOSTILE,
        "list_title": "Bake <sale>",
        "element": "Cake & tea",
        "member": "Kim",
        "reason": "Baked <twice>",
        "link": "https://club.example/lists/3",
    },
    "lottery_result": {
        "display_name": HOSTILE,
        "list_title": "Bake <sale>",
        "results": "Kim won a spot: Cake & tea. Accept it by 16 Mar 2027, 15:00 GMT: "
        "https://club.example/offers/abc\nLee is number 2 on the waitlist: Cake & tea.",
        "won": "1",
        "link": "https://club.example/my-signups",
    },
    "lottery_creator": {
        "display_name": HOSTILE,
        "list_title": "Bake <sale>",
        "results": "Cake & tea: 3 entries, 2 spots filled (pending acceptance), 1 on the waitlist.",
        "link": "https://club.example/lists/3/edit",
    },
}


def test_every_template_has_an_example_context():
    assert set(CONTEXTS) == set(TEMPLATES)


@pytest.mark.parametrize("template", sorted(CONTEXTS))
def test_template_renders_subject_text_and_html(template):
    email = render(template, app_url="https://club.example", **CONTEXTS[template])

    assert email.subject and "\n" not in email.subject
    assert HOSTILE in email.text  # plain text is shown as it is
    assert "LuckyClub" in email.html and "https://club.example" in email.html
    assert email.html.lstrip().startswith("<!doctype html>")


@pytest.mark.parametrize("template", sorted(CONTEXTS))
def test_template_escapes_every_value_in_html(template):
    email = render(template, app_url="https://club.example", **CONTEXTS[template])

    assert "<script>" not in email.html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in email.html
    assert "old<b>@" not in email.html


@pytest.mark.parametrize("template", ["verify_email", "password_reset"])
def test_link_templates_show_a_button_and_the_link_in_both_parts(template):
    email = render(template, app_url="https://club.example", **CONTEXTS[template])
    link = CONTEXTS[template]["link"]

    assert link in email.text
    assert f'href="{link.replace("&", "&amp;")}"' in email.html


def test_password_reset_says_how_long_it_is_valid_and_what_to_do_if_not_asked():
    email = render("password_reset", app_url="https://club.example", **CONTEXTS["password_reset"])

    assert "1 hour" in email.text and "1 hour" in email.html
    assert "If you did not ask for this, ignore this email" in email.text


def test_email_changed_names_both_addresses():
    email = render("email_changed", app_url="https://club.example", **CONTEXTS["email_changed"])

    assert "old<b>@example.com" in email.text and "new@example.com" in email.text
    assert "old&lt;b&gt;@example.com" in email.html


def test_unknown_template_is_a_value_error():
    with pytest.raises(ValueError, match="Unknown email template 'welcome_gift'"):
        render("welcome_gift", app_url="https://club.example", display_name="Ann")


def test_a_button_link_that_is_not_http_is_refused():
    with pytest.raises(ValueError, match="http"):
        render(
            "verify_email",
            app_url="https://club.example",
            display_name="Ann",
            link="javascript:alert(1)",
        )


def test_order_placed_lists_the_ticket_numbers_and_the_amount_paid():
    email = render("order_placed", app_url="https://club.example", **CONTEXTS["order_placed"])

    assert "12, 13, 14" in email.text and "£6.00" in email.text
    assert "Win a &lt;bike&gt;" in email.html


def test_the_admin_winner_email_puts_each_winner_on_a_line_of_its_own():
    email = render(
        "competition_winner_admin",
        app_url="https://club.example",
        **CONTEXTS["competition_winner_admin"],
    )

    assert "\nTicket 13: Ann (ann@example.com)\n" in email.text
    assert "Ticket 40: Bob (bob@example.com)</p>" in email.html


def test_a_winner_with_a_ticket_is_told_its_number_and_a_raffle_winner_is_not():
    context = {
        "display_name": "Ann",
        "title": "Win a bike",
        "prize": "A bike",
        "link": "https://x.example/d",
    }

    with_ticket = render("draw_won", app_url="https://club.example", ticket="13", **context)
    without = render("draw_won", app_url="https://club.example", **context)

    assert "your ticket 13 was drawn in Win a bike" in with_ticket.text
    assert "you were drawn as a winner in Win a bike" in without.text

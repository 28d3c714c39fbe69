"""The pages around notifications, driven as the websocket drives them: a member's mobile number on
the profile page, and each message's channel and recipient on the admin outbox page."""

from __future__ import annotations

from sqlmodel import Session

from luckyclub.models import OutboxMessage, Role, User
from luckyclub.pages.account.profile import ProfileState
from luckyclub.pages.admin.mail import AdminMailState
from luckyclub.platform import accounts, mail, notify
from tests.db.factories import add_user
from tests.db.reflex_state import finish, state_for_tab


def browser_session(session, user: User) -> str:
    token, _ = accounts.start_session(session, user)
    session.commit()
    return token


def phone_in_db(app_db, user: User) -> str | None:
    with Session(app_db) as s:
        return s.get(User, user.id).phone


def test_a_member_saves_a_mobile_number_and_sees_it_in_e164(session, app_db):
    ann = add_user(session, "ann@example.com")
    state = state_for_tab(ProfileState, session_token=browser_session(session, ann))

    finish(ProfileState.save_phone, state, {"phone": "07700 900123"})

    assert (state.error, state.saved) == ("", "Your mobile number is saved.")
    assert state.phone == "+447700900123"
    assert phone_in_db(app_db, ann) == "+447700900123"

    finish(ProfileState.save_phone, state, {"phone": ""})

    assert state.saved == "Your mobile number is removed; we will not text you."
    assert (state.phone, phone_in_db(app_db, ann)) == ("", None)


def test_a_number_that_is_not_a_mobile_number_gets_a_sentence_and_changes_nothing(session, app_db):
    ann = add_user(session, "ann@example.com")
    state = state_for_tab(ProfileState, session_token=browser_session(session, ann))

    finish(ProfileState.save_phone, state, {"phone": "call me maybe"})

    assert state.error.startswith("Enter a mobile number with its country code")
    assert state.saved == "" and phone_in_db(app_db, ann) is None


def test_the_outbox_page_shows_each_messages_channel_and_recipient(session, settings_env):
    settings_env(
        KLAVIYO_API_KEY="pk_test",
        SMS_ACCOUNT_SID="AC1",
        SMS_AUTH_TOKEN="token",
        SMS_FROM="+447700900000",
    )
    ann = add_user(session, "ann@example.com")
    ann.phone = "+447700900123"
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
    session.commit()
    admin = add_user(session, "admin@example.com", Role.ADMIN)
    state = state_for_tab(AdminMailState, session_token=browser_session(session, admin))

    finish(AdminMailState.load, state)

    rows = {(m.channel, m.recipient, m.subject) for m in state.messages}
    assert rows == {
        ("Email", "ann@example.com", "Your prize from Win a bike is on its way"),
        ("Klaviyo", "ann@example.com", "Prize Delivered"),
        ("SMS", "+447700900123", "Your prize is on its way."),
    }
    assert state.not_ready == ""

    [text] = [m for m in state.messages if m.channel == "SMS"]
    finish(AdminMailState.open_message, state, text.id)

    assert (state.opened.channel, state.opened.recipient) == ("SMS", "+447700900123")
    assert state.opened.text == "Your prize is on its way."


def test_the_outbox_page_says_which_channels_are_not_set_up(session):
    admin = add_user(session, "admin@example.com", Role.ADMIN)
    state = state_for_tab(AdminMailState, session_token=browser_session(session, admin))

    finish(AdminMailState.load, state)

    assert state.not_ready == (
        "Klaviyo (no KLAVIYO_API_KEY), SMS (SMS_ACCOUNT_SID, SMS_AUTH_TOKEN or SMS_FROM unset)"
    )


def test_an_opened_email_lists_its_links_without_the_sentences_punctuation(session, settings_env):
    settings_env(APP_URL="https://club.example")
    ann = add_user(session, "ann@example.com")
    accounts.send_verification_email(session, ann)
    session.commit()
    admin = add_user(session, "admin@example.com", Role.ADMIN)
    state = state_for_tab(AdminMailState, session_token=browser_session(session, admin))
    finish(AdminMailState.load, state)
    [message] = [m for m in state.messages if m.recipient == "ann@example.com"]

    finish(AdminMailState.open_message, state, message.id)

    assert "(https://club.example)." in state.opened.text  # the footer's sentence
    [confirm, home] = state.opened.links
    assert confirm.startswith("https://club.example/") and "token=" in confirm
    assert home == "https://club.example"


def test_without_smtp_the_outbox_says_an_email_is_held_rather_than_pending(session, settings_env):
    ann = add_user(session, "ann@example.com")
    accounts.send_verification_email(session, ann)
    session.commit()
    admin = add_user(session, "admin@example.com", Role.ADMIN)
    state = state_for_tab(AdminMailState, session_token=browser_session(session, admin))

    finish(AdminMailState.load, state)
    [held] = [m for m in state.messages if m.recipient == "ann@example.com"]
    assert (held.status, held.status_words) == ("pending", "held: no SMTP_URL")

    settings_env(SMTP_URL="smtp://127.0.0.1:9")
    finish(AdminMailState.load, state)
    [waiting] = [m for m in state.messages if m.recipient == "ann@example.com"]
    assert (waiting.status, waiting.status_words) == ("pending", "pending")


def test_a_blank_still_to_be_written_in_reads_as_what_it_is(session):
    """A purchase email is queued before its ticket numbers exist: the page says so, rather than
    showing the blank's marker."""
    session.add(
        OutboxMessage(
            to_address="ann@example.com",
            subject=f"Your tickets {mail.blank('numbers')}",
            text_body=f"Your numbers: {mail.blank('numbers')}.",
            html_body="",
            template="order_confirmed",
            fill="order:1",
        )
    )
    admin = add_user(session, "admin@example.com", Role.ADMIN)
    state = state_for_tab(AdminMailState, session_token=browser_session(session, admin))
    finish(AdminMailState.load, state)
    [row] = [m for m in state.messages if m.recipient == "ann@example.com"]
    assert row.subject == "Your tickets [numbers: written in when sent]"

    finish(AdminMailState.open_message, state, row.id)

    assert state.opened.text == "Your numbers: [numbers: written in when sent]."

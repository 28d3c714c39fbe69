"""Accounts: joining, email links, throttled sign-in, sessions, password and email changes, bans."""

from __future__ import annotations

import re
import threading
from datetime import date, timedelta

import pytest
from passlib.hash import argon2
from sqlmodel import Session, select

from luckyclub.core import security
from luckyclub.core.errors import NotAllowed, UserError
from luckyclub.core.settings import get_settings
from luckyclub.models import (
    AuditLog,
    AuthSession,
    LoginThrottle,
    OutboxMessage,
    Role,
    User,
    utcnow,
)
from luckyclub.platform import accounts, members, throttle

PASSWORD = "a long and unusual phrase"
NEW_PASSWORD = "another quite unusual phrase"
TODAY = date(2024, 6, 15)
HOME_IP = "198.51.100.7"


@pytest.fixture(autouse=True)
def quick_hashing(monkeypatch):
    """argon2id at its lowest cost: these tests are about the flows, and the real cost (~0.3 s a
    hash) would make them slow. tests/unit/test_security.py checks the real hasher."""
    monkeypatch.setattr(
        security, "_hasher", argon2.using(type="ID", memory_cost=8, rounds=1, parallelism=1)
    )
    security._dummy_hash.cache_clear()
    yield
    security._dummy_hash.cache_clear()


# ---- helpers ----------------------------------------------------------------------------------


def register(session, email: str = "ann@example.com", **changes) -> User:
    fields = {
        "email": email,
        "password": PASSWORD,
        "display_name": "Ann",
        "date_of_birth": "1990-04-21",
        "timezone": "Europe/London",
        "client_ip": HOME_IP,
        "today": TODAY,
    }
    user = accounts.register(session, **(fields | changes))
    session.commit()
    return user


def make_admin(session, email: str = "admin@example.com") -> User:
    admin, _ = members.create_or_promote_admin(session, email=email, password=PASSWORD)
    session.commit()
    return admin


def sign_in(session, email: str, password: str = PASSWORD, *, ip: str = HOME_IP, now=None) -> User:
    return accounts.authenticate(session, email=email, password=password, client_ip=ip, now=now)


def open_session(session, user: User) -> str:
    """Sign a browser in the way the app does: a login ticket swapped for a session token."""
    ticket = accounts.issue_login_ticket(session, user)
    session.commit()
    token, _ = accounts.exchange_login_ticket(session, ticket)
    session.commit()
    return token


def emails(session, template: str | None = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if template:
        query = query.where(OutboxMessage.template == template)
    return list(session.exec(query))


def link_token(message: OutboxMessage, path: str) -> str:
    """The token in the link an email carries to `path`."""
    prefix = re.escape(f"{get_settings().app_url}{path}?token=")
    return re.search(prefix + r"([A-Za-z0-9_-]+)", message.text_body).group(1)


def verify_link_token(session, to: str) -> str:
    message = [m for m in emails(session, "verify_email") if m.to_address == to][-1]
    return link_token(message, "/verify-email")


def reset_link_token(session, email: str) -> str:
    accounts.request_password_reset(session, email, client_ip=HOME_IP)
    session.commit()
    return link_token(emails(session, "password_reset")[-1], "/reset-password")


# ---- joining ----------------------------------------------------------------------------------


def test_joining_stores_a_lowercased_email_and_an_argon2id_hash_and_emails_a_verify_link(session):
    user = register(session, email="  Ann@Example.COM ")

    stored = session.exec(select(User)).one()
    assert stored.id == user.id
    assert stored.email == "ann@example.com"
    assert stored.password_hash.startswith("$argon2id$") and PASSWORD not in stored.password_hash
    assert stored.email_verified_at is None and stored.role == Role.MEMBER
    [message] = emails(session)
    assert (message.to_address, message.template) == ("ann@example.com", "verify_email")
    assert f"{get_settings().app_url}/verify-email?token=" in message.text_body


def test_joining_under_18_is_refused_with_a_clear_sentence(session):
    with pytest.raises(UserError) as refused:
        register(session, date_of_birth="2006-06-16", today=TODAY)

    assert refused.value.message == "You must be 18 or older to join LuckyClub."
    assert refused.value.field == "date_of_birth"
    assert session.exec(select(User)).all() == [] and emails(session) == []


def test_joining_on_the_18th_birthday_is_accepted(session):
    user = register(session, date_of_birth="2006-06-15", today=TODAY)

    assert user.date_of_birth == date(2006, 6, 15)


def test_a_date_of_birth_in_the_future_is_refused(session):
    with pytest.raises(UserError, match="cannot be in the future"):
        register(session, date_of_birth=TODAY + timedelta(days=1), today=TODAY)


def test_a_date_of_birth_that_is_not_a_date_is_refused(session):
    with pytest.raises(UserError, match="like 1990-04-21"):
        register(session, date_of_birth="21/04/1990")


def test_a_timezone_not_on_the_list_is_refused(session):
    with pytest.raises(UserError, match="timezone from the list") as refused:
        register(session, timezone="Mars/Olympus_Mons")

    assert refused.value.field == "timezone"


# ---- display names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("  Ann \t  Lee ", "Ann Lee"),
        ("Ann\u00a0Lee", "Ann Lee"),  # a no-break space is a space
        ("\uff21\uff4e\uff4e", "Ann"),  # full-width letters
        ("Zoë Ø'Brien-Łukasz", "Zoë Ø'Brien-Łukasz"),
    ],
)
def test_a_display_name_is_normalised_and_its_spaces_collapsed(session, typed, kept):
    assert register(session, display_name=typed).display_name == kept


@pytest.mark.parametrize(
    "name",
    [
        "Ann\u202eevil",  # right-to-left override: shows "Annlive"
        "Ann\u2066Lee",  # a bidi isolate
        "A\u200bnn",  # zero-width space
        "Ann\u200d",  # zero-width joiner
        "Ann\u00adLee",  # soft hyphen
        "Ann\ufeff",  # byte order mark
        "Ann\x07",  # a control character
        "\ue000Ann",  # private use
    ],
)
def test_a_display_name_with_invisible_or_control_characters_is_refused(session, name):
    with pytest.raises(UserError, match="invisible or control characters") as refused:
        register(session, display_name=name)

    assert refused.value.field == "display_name"
    assert session.exec(select(User)).all() == []


@pytest.mark.parametrize(
    "name",
    [
        "Demo Admin",
        "ADMINISTRATOR",
        "\uff41\uff44\uff4d\uff49\uff4e",
        "A.d.m.i.n",
        "Mod Erator",
        "Lucky Club Team",
        "luckyclub",
    ],
)
def test_a_member_cannot_take_a_name_that_looks_like_staff(session, name):
    with pytest.raises(UserError, match="look like LuckyClub's staff") as refused:
        register(session, display_name=name)
    assert refused.value.field == "display_name"

    ann = register(session)
    with pytest.raises(UserError, match="look like LuckyClub's staff"):
        accounts.update_profile(session, ann, display_name=name, timezone="UTC")


def test_an_admin_may_use_a_staff_name(session):
    admin = make_admin(session)

    accounts.update_profile(session, admin, display_name="Club Admin", timezone="UTC")

    assert admin.display_name == "Club Admin"


def test_joining_with_a_members_email_answers_as_for_a_new_one_and_tells_the_owner(session):
    register(session, email="ann@example.com")

    again = register(session, email="ANN@example.com", display_name="Mallory Sender")

    assert again is None  # no refusal: the page answers exactly as for a new address
    assert len(session.exec(select(User)).all()) == 1
    notice = emails(session)[-1]
    assert (notice.to_address, notice.template) == ("ann@example.com", "signup_attempt")
    assert notice.text_body.startswith("Hi Ann,") and "Mallory" not in notice.text_body
    assert f"{get_settings().app_url}/login" in notice.text_body


def test_joining_with_a_members_email_spends_a_password_hash_like_a_new_account(
    session, monkeypatch
):
    register(session, email="ann@example.com")
    hashed = []
    real_hash = security.hash_password
    monkeypatch.setattr(security, "hash_password", lambda p: hashed.append(p) or real_hash(p))

    register(session, email="ann@example.com", password="another long phrase")

    assert hashed == ["another long phrase"]


def sign_up_answer(session, email: str, ip: str) -> str:
    """What a sign-up is answered: "" when it goes through, else the refusal's sentence."""
    try:
        register(session, email=email, client_ip=ip)
    except UserError as exc:
        session.rollback()
        return exc.message
    return ""


def test_sign_ups_from_one_address_are_limited_with_a_sentence(session):
    for n in range(throttle.SIGN_UP_ADDRESS.free):
        assert sign_up_answer(session, f"member{n}@example.com", HOME_IP) == ""

    assert sign_up_answer(session, "one.more@example.com", HOME_IP) == (
        "Too many accounts were made from your network just now. Wait 10 minutes and try again."
    )
    assert sign_up_answer(session, "one.more@example.com", "192.0.2.1") == ""
    assert len(session.exec(select(User)).all()) == throttle.SIGN_UP_ADDRESS.free + 1


def test_sign_ups_for_one_email_are_limited_from_wherever_they_come(session):
    for n in range(throttle.SIGN_UP_EMAIL.free):
        sign_up_answer(session, "ann@example.com", f"192.0.2.{n}")

    assert sign_up_answer(session, "ann@example.com", "192.0.2.99").startswith(
        "We have just sent several emails to that address."
    )
    assert len(emails(session)) <= throttle.SIGN_UP_EMAIL.free


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("seven77", "at least 8 characters"),
        ("Password123", "most common"),
        ("ann@example.com", "cannot be your email"),
    ],
)
def test_joining_with_a_weak_password_is_refused(session, password, reason):
    with pytest.raises(UserError, match=reason) as refused:
        register(session, password=password)

    assert refused.value.field == "password"
    assert session.exec(select(User)).all() == []


def test_the_verify_email_link_works_once(session):
    user = register(session)
    token = verify_link_token(session, user.email)

    verified = accounts.verify_email(session, token)
    session.commit()

    assert verified.id == user.id and verified.email_verified_at is not None
    with pytest.raises(UserError, match="invalid or has expired"):
        accounts.verify_email(session, token)


# ---- signing in -------------------------------------------------------------------------------


def test_the_right_password_signs_in_with_any_case_of_email(session):
    user = register(session)

    assert sign_in(session, " ANN@example.com ").id == user.id


def test_an_unknown_email_and_a_wrong_password_get_the_same_answer(session):
    register(session)

    with pytest.raises(UserError) as unknown:
        sign_in(session, "nobody@example.com")
    with pytest.raises(UserError) as wrong:
        sign_in(session, "ann@example.com", "not the password")

    assert unknown.value.message == wrong.value.message == accounts.LOGIN_FAILED
    assert type(unknown.value) is type(wrong.value) is UserError


def test_signing_in_with_an_unknown_email_still_spends_a_password_check(session, monkeypatch):
    register(session)
    burned = []
    real_burn = security.burn_password_check
    monkeypatch.setattr(security, "burn_password_check", lambda p: burned.append(p) or real_burn(p))

    with pytest.raises(UserError):
        sign_in(session, "nobody@example.com", "guess one")
    with pytest.raises(UserError):
        sign_in(session, "ann@example.com", "guess two")  # checks the real hash instead

    assert burned == ["guess one"]


def test_after_five_failed_sign_ins_even_the_right_password_must_wait(session):
    user = register(session)
    now = utcnow()
    for _ in range(throttle.SIGN_IN_ACCOUNT.free):
        with pytest.raises(UserError, match=re.escape(accounts.LOGIN_FAILED)):
            sign_in(session, user.email, "not the password", now=now)

    with pytest.raises(UserError) as refused:
        sign_in(session, user.email, now=now)

    assert "Wait 2 seconds" in refused.value.message
    assert "reset your password" in refused.value.message
    assert sign_in(session, user.email, now=now + timedelta(seconds=3)).id == user.id


def test_each_further_failed_sign_in_doubles_the_wait(session):
    user = register(session)
    now = utcnow()
    for _ in range(throttle.SIGN_IN_ACCOUNT.free):
        with pytest.raises(UserError):
            sign_in(session, user.email, "not the password", now=now)
    later = now + timedelta(seconds=3)
    with pytest.raises(UserError, match=re.escape(accounts.LOGIN_FAILED)):
        sign_in(session, user.email, "still not it", now=later)

    with pytest.raises(UserError, match="Wait 4 seconds"):
        sign_in(session, user.email, now=later)


def test_a_few_failures_from_a_shared_address_do_not_lock_out_the_others_behind_it(session):
    user = register(session)
    now = utcnow()
    for n in range(throttle.SIGN_IN_ACCOUNT.free):  # an office: colleagues mistyping their emails
        with pytest.raises(UserError, match=re.escape(accounts.LOGIN_FAILED)):
            sign_in(session, f"guess{n}@example.com", "password?", ip="203.0.113.66", now=now)

    assert sign_in(session, user.email, ip="203.0.113.66", now=now).id == user.id


def test_an_address_with_many_failures_waits_whichever_account_it_tries(session):
    user = register(session)
    now = utcnow()
    for n in range(throttle.SIGN_IN_ADDRESS.free):
        with pytest.raises(UserError, match=re.escape(accounts.LOGIN_FAILED)):
            sign_in(session, f"guess{n}@example.com", "password?", ip="203.0.113.66", now=now)

    with pytest.raises(UserError, match="Wait 2 seconds"):
        sign_in(session, user.email, ip="203.0.113.66", now=now)
    assert sign_in(session, user.email, ip=HOME_IP, now=now).id == user.id


def test_a_successful_sign_in_clears_its_addresss_failures(session):
    ann = register(session)
    bob = register(session, email="bob@example.com")
    now = utcnow()
    for n in range(throttle.SIGN_IN_ADDRESS.free - 1):
        with pytest.raises(UserError, match=re.escape(accounts.LOGIN_FAILED)):
            sign_in(session, f"typo{n}@example.com", "password?", ip="203.0.113.66", now=now)
    sign_in(session, ann.email, ip="203.0.113.66", now=now)
    session.commit()

    with pytest.raises(UserError, match=re.escape(accounts.LOGIN_FAILED)):
        sign_in(session, "one-more-typo@example.com", "password?", ip="203.0.113.66", now=now)
    assert sign_in(session, bob.email, ip="203.0.113.66", now=now).id == bob.id


def test_a_successful_sign_in_forgives_the_accounts_earlier_failures(session):
    user = register(session)
    now = utcnow()
    for ip in ("192.0.2.1", "192.0.2.2"):  # four failures either side of the success
        for _ in range(throttle.SIGN_IN_ACCOUNT.free - 1):
            with pytest.raises(UserError, match=re.escape(accounts.LOGIN_FAILED)):
                sign_in(session, user.email, "not the password", ip=ip, now=now)
        sign_in(session, user.email, ip=ip, now=now)
        session.commit()

    assert sign_in(session, user.email, ip="192.0.2.3", now=now).id == user.id


# ---- sessions ---------------------------------------------------------------------------------


def test_a_login_ticket_becomes_a_session_only_once(session):
    user = register(session)
    ticket = accounts.issue_login_ticket(session, user)
    session.commit()

    token, expires_at = accounts.exchange_login_ticket(session, ticket, user_agent="Firefox")
    session.commit()

    assert accounts.user_for_session(session, token).id == user.id
    assert expires_at > utcnow() + timedelta(days=get_settings().session_days - 1)
    with pytest.raises(UserError, match="sign in again"):
        accounts.exchange_login_ticket(session, ticket)
    assert len(session.exec(select(AuthSession)).all()) == 1


def test_signing_out_ends_the_session(session):
    user = register(session)
    token = open_session(session, user)

    accounts.revoke_session(session, token)
    session.commit()

    assert accounts.user_for_session(session, token) is None


def test_a_session_ends_after_its_lifetime(session):
    user = register(session)
    token = open_session(session, user)
    lifetime = timedelta(days=get_settings().session_days)

    assert accounts.user_for_session(session, token, now=utcnow() + lifetime / 2).id == user.id
    assert accounts.user_for_session(session, token, now=utcnow() + lifetime) is None


def test_an_unknown_or_missing_session_token_signs_nobody_in(session):
    register(session)

    assert accounts.user_for_session(session, security.new_token()) is None
    assert accounts.user_for_session(session, None) is None
    assert accounts.user_for_session(session, "") is None


def test_a_ban_ends_open_sessions_and_the_member_cannot_sign_in_again(session):
    admin = make_admin(session)
    member = register(session)
    token = open_session(session, member)
    ticket = accounts.issue_login_ticket(session, member)
    session.commit()

    members.ban(session, admin, member.id, "Abusive messages")
    session.commit()

    assert accounts.user_for_session(session, token) is None
    with pytest.raises(NotAllowed, match="suspended"):
        sign_in(session, member.email)
    with pytest.raises(NotAllowed, match="suspended"):
        accounts.exchange_login_ticket(session, ticket)


# ---- password reset ---------------------------------------------------------------------------


@pytest.mark.parametrize("email", ["nobody@example.com", "not an email"])
def test_a_reset_request_for_an_unknown_email_sends_nothing_and_says_nothing(session, email):
    register(session)
    before = emails(session)

    accounts.request_password_reset(session, email, client_ip=HOME_IP)  # raises nothing
    session.commit()

    assert emails(session) == before


def test_a_reset_request_emails_one_link_to_the_member(session):
    register(session)

    accounts.request_password_reset(session, "Ann@Example.com", client_ip=HOME_IP)
    session.commit()

    [message] = emails(session, "password_reset")
    assert message.to_address == "ann@example.com"
    assert link_token(message, "/reset-password")


def test_a_new_reset_link_replaces_the_one_sent_before(session):
    user = register(session)
    older = reset_link_token(session, user.email)
    newer = reset_link_token(session, user.email)

    with pytest.raises(UserError, match="Ask for a new one"):
        accounts.reset_password(session, older, NEW_PASSWORD)
    session.rollback()
    assert accounts.reset_password(session, newer, NEW_PASSWORD).id == user.id


def test_reset_links_to_one_email_are_limited_whoever_asks(session):
    user = register(session)
    for n in range(throttle.RESET_EMAIL.free):
        accounts.request_password_reset(session, user.email, client_ip=f"192.0.2.{n}")
        session.commit()

    with pytest.raises(UserError) as refused:
        accounts.request_password_reset(session, user.email, client_ip="192.0.2.99")

    assert refused.value.message == (
        "We have just sent several reset links to that address. Check its inbox (and spam "
        "folder), or wait 10 minutes and try again."
    )
    session.rollback()
    assert len(emails(session, "password_reset")) == throttle.RESET_EMAIL.free


def test_reset_requests_from_one_address_are_limited_whether_or_not_accounts_exist(session):
    register(session)
    for n in range(throttle.RESET_ADDRESS.free):
        accounts.request_password_reset(session, f"someone{n}@example.com", client_ip=HOME_IP)
        session.commit()

    with pytest.raises(UserError, match="Too many reset links were asked for from your network"):
        accounts.request_password_reset(session, "ann@example.com", client_ip=HOME_IP)
    session.rollback()
    accounts.request_password_reset(session, "ann@example.com", client_ip="192.0.2.1")
    session.commit()
    assert len(emails(session, "password_reset")) == 1


def test_a_reset_link_sets_a_new_password_once_and_signs_out_everywhere(session):
    user = register(session)
    browser = open_session(session, user)
    token = reset_link_token(session, user.email)

    accounts.reset_password(session, token, NEW_PASSWORD)
    session.commit()

    assert accounts.user_for_session(session, browser) is None
    with pytest.raises(UserError, match="already used"):
        accounts.reset_password(session, token, "a third unusual phrase")
    with pytest.raises(UserError, match=re.escape(accounts.LOGIN_FAILED)):
        sign_in(session, user.email, PASSWORD)
    assert sign_in(session, user.email, NEW_PASSWORD).id == user.id
    assert [m.template for m in emails(session)][-1] == "password_changed"


def test_a_refused_new_password_does_not_use_up_the_reset_link(session):
    user = register(session)
    token = reset_link_token(session, user.email)

    with pytest.raises(UserError, match="most common"):
        accounts.reset_password(session, token, "password123")
    session.rollback()

    assert accounts.reset_password(session, token, NEW_PASSWORD).id == user.id


def test_a_reset_link_older_than_an_hour_is_refused(session, monkeypatch):
    user = register(session)
    token = reset_link_token(session, user.email)
    sent_at = utcnow()

    monkeypatch.setattr(accounts, "utcnow", lambda: sent_at + timedelta(minutes=61))
    with pytest.raises(UserError, match="older than an hour"):
        accounts.reset_password(session, token, NEW_PASSWORD)
    session.rollback()

    # The same link, within its hour, still works: the refusal was the link's age.
    monkeypatch.setattr(accounts, "utcnow", lambda: sent_at + timedelta(minutes=59))
    assert accounts.reset_password(session, token, NEW_PASSWORD).id == user.id


# ---- profile changes --------------------------------------------------------------------------


def test_changing_the_password_keeps_this_browser_signed_in_and_signs_out_the_others(session):
    user = register(session)
    here, elsewhere = open_session(session, user), open_session(session, user)

    accounts.change_password(
        session,
        user,
        current_password=PASSWORD,
        new_password=NEW_PASSWORD,
        keep_token=here,
        client_ip=HOME_IP,
    )
    session.commit()

    assert accounts.user_for_session(session, here).id == user.id
    assert accounts.user_for_session(session, elsewhere) is None
    assert sign_in(session, user.email, NEW_PASSWORD).id == user.id
    assert emails(session, "password_changed")[0].to_address == user.email


def test_changing_the_password_needs_the_current_one(session):
    user = register(session)
    browser = open_session(session, user)

    with pytest.raises(UserError, match="current password is not correct") as refused:
        accounts.change_password(
            session,
            user,
            current_password="a guess",
            new_password=NEW_PASSWORD,
            keep_token=None,
            client_ip=HOME_IP,
        )
    session.rollback()

    assert refused.value.field == "current_password"
    assert accounts.user_for_session(session, browser).id == user.id
    assert sign_in(session, user.email, PASSWORD).id == user.id


def test_changing_email_needs_the_password_and_asks_to_verify_the_new_address(session):
    user = register(session)
    accounts.verify_email(session, verify_link_token(session, user.email))
    session.commit()

    with pytest.raises(UserError, match="current password is not correct"):
        accounts.change_email(
            session, user, new_email="ann@new.example", password="a guess", client_ip=HOME_IP
        )
    session.rollback()
    accounts.change_email(
        session, user, new_email="Ann@New.Example", password=PASSWORD, client_ip=HOME_IP
    )
    session.commit()

    assert user.email == "ann@new.example" and user.email_verified_at is None
    notice, verify = emails(session)[-2:]
    assert (notice.to_address, notice.template) == ("ann@example.com", "email_changed")
    assert "ann@new.example" in notice.text_body
    assert (verify.to_address, verify.template) == ("ann@new.example", "verify_email")
    accounts.verify_email(session, link_token(verify, "/verify-email"))
    assert user.email_verified_at is not None


def test_a_link_mailed_to_the_old_address_cannot_verify_the_new_one(session):
    user = register(session)
    old_verify = verify_link_token(session, user.email)
    old_reset = reset_link_token(session, user.email)

    accounts.change_email(
        session, user, new_email="someone.else@example.com", password=PASSWORD, client_ip=HOME_IP
    )
    session.commit()

    with pytest.raises(UserError):
        accounts.verify_email(session, old_verify)
    with pytest.raises(UserError):
        accounts.reset_password(session, old_reset, NEW_PASSWORD)
    session.rollback()
    assert session.get(User, user.id).email_verified_at is None


def test_changing_to_an_email_another_member_uses_is_refused(session):
    register(session, email="bob@example.com")
    ann = register(session)

    with pytest.raises(UserError, match="Another account already uses"):
        accounts.change_email(
            session, ann, new_email="BOB@example.com", password=PASSWORD, client_ip=HOME_IP
        )


def change_password_with(session, user: User, current: str) -> None:
    accounts.change_password(
        session,
        user,
        current_password=current,
        new_password=NEW_PASSWORD,
        keep_token=None,
        client_ip=HOME_IP,
    )


def change_email_with(session, user: User, current: str) -> None:
    accounts.change_email(
        session, user, new_email="ann@new.example", password=current, client_ip=HOME_IP
    )


@pytest.mark.parametrize("change", [change_password_with, change_email_with])
def test_guessing_the_current_password_on_the_profile_is_throttled_like_sign_in(session, change):
    user = register(session)
    for n in range(throttle.SIGN_IN_ACCOUNT.free):
        with pytest.raises(UserError, match="Your current password is not correct"):
            change(session, user, f"guess {n}")
        session.rollback()

    with pytest.raises(UserError, match="Too many wrong passwords. Wait") as refused:
        change(session, user, PASSWORD)
    session.rollback()

    assert refused.value.field in ("current_password", "password")
    with pytest.raises(UserError, match="Too many failed sign-in attempts"):  # one count
        sign_in(session, user.email, ip="192.0.2.1")


# ---- administration ---------------------------------------------------------------------------


def test_a_member_cannot_use_admin_actions(session):
    member = register(session)
    other = register(session, email="bob@example.com")

    for action in (
        lambda: members.ban(session, member, other.id, "I do not like Bob"),
        lambda: members.unban(session, member, other.id),
        lambda: members.mark_verified(session, member, other.id),
        lambda: members.set_role(session, member, member.id, Role.ADMIN),
    ):
        with pytest.raises(NotAllowed, match="Only administrators"):
            action()
    session.commit()

    session.refresh(other)
    assert other.banned_at is None and other.email_verified_at is None
    assert session.get(User, member.id).role == Role.MEMBER
    assert session.exec(select(AuditLog)).all() == []


def test_a_banned_admin_cannot_use_admin_actions(session):
    admin, other_admin = make_admin(session), make_admin(session, "second@example.com")
    member = register(session)
    members.ban(session, other_admin, admin.id, "Account compromised")
    session.commit()

    with pytest.raises(NotAllowed):
        members.mark_verified(session, admin, member.id)


def test_admin_actions_are_recorded_in_the_audit_log(session):
    admin = make_admin(session)
    member = register(session)

    members.mark_verified(session, admin, member.id)
    members.ban(session, admin, member.id, "  Spam in chat  ")
    members.unban(session, admin, member.id)
    members.set_role(session, admin, member.id, Role.ADMIN)
    session.commit()

    rows = session.exec(select(AuditLog).order_by(AuditLog.id)).all()
    assert [(r.action, r.detail) for r in rows] == [
        ("user.verify", ""),
        ("user.ban", "Spam in chat"),
        ("user.unban", ""),
        ("user.role", Role.ADMIN),
    ]
    assert {(r.actor_id, r.target_type, r.target_id) for r in rows} == {
        (admin.id, "user", str(member.id))
    }
    assert member.email_verified_at is not None and member.is_admin


def test_a_ban_needs_a_reason(session):
    admin = make_admin(session)
    member = register(session)

    with pytest.raises(UserError, match="Give a reason") as refused:
        members.ban(session, admin, member.id, "   ")

    assert refused.value.field == "reason"


def test_an_admin_cannot_ban_themselves_or_drop_their_own_admin_role(session):
    admin = make_admin(session)

    with pytest.raises(UserError, match="cannot ban yourself"):
        members.ban(session, admin, admin.id, "Testing")
    with pytest.raises(UserError, match="cannot remove your own admin role"):
        members.set_role(session, admin, admin.id, Role.MEMBER)
    session.rollback()

    assert admin.banned_at is None and admin.is_admin
    assert session.exec(select(AuditLog)).all() == []


def test_create_or_promote_admin_creates_an_account_then_promotes_an_existing_member(session):
    created, was_created = members.create_or_promote_admin(
        session, email="Boss@Example.com", password=PASSWORD, display_name="Boss"
    )
    member = register(session)

    promoted, was_created_again = members.create_or_promote_admin(
        session, email="ann@example.com", password=None
    )
    session.commit()

    assert was_created and created.email == "boss@example.com" and created.is_admin
    assert created.email_verified_at is not None
    assert not was_created_again and promoted.id == member.id and promoted.is_admin
    assert sign_in(session, "ann@example.com", PASSWORD).id == member.id  # password kept
    with pytest.raises(UserError, match="needs a password"):
        members.create_or_promote_admin(session, email="new@example.com", password=None)


# ---- races --------------------------------------------------------------------------------------


@pytest.mark.parametrize("link", ["login ticket", "password reset"])
def test_a_single_use_link_used_from_eight_places_at_once_works_exactly_once(app_db, session, link):
    if app_db.dialect.name != "postgresql":
        pytest.skip("SQLite lets one writer in at a time; the race needs PostgreSQL")
    user = register(session)
    if link == "login ticket":
        token = accounts.issue_login_ticket(session, user)
        session.commit()

        def use(s):
            accounts.exchange_login_ticket(s, token)
    else:
        token = reset_link_token(session, user.email)

        def use(s):
            accounts.reset_password(s, token, NEW_PASSWORD)

    start_together = threading.Barrier(8)
    outcomes: list[str] = []

    def attempt():
        with Session(app_db) as s:
            start_together.wait(timeout=20)
            try:
                use(s)
                s.commit()
                outcomes.append("worked")
            except UserError:
                s.rollback()
                outcomes.append("refused")
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                outcomes.append(repr(exc))

    workers = [threading.Thread(target=attempt) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)

    assert sorted(outcomes) == ["refused"] * 7 + ["worked"]
    if link == "login ticket":
        assert len(session.exec(select(AuthSession)).all()) == 1
    else:
        assert len(emails(session, "password_changed")) == 1


def test_wrong_passwords_guessed_in_parallel_each_count_towards_the_lock(app_db, session):
    if app_db.dialect.name != "postgresql":
        pytest.skip("SQLite lets one writer in at a time; the race needs PostgreSQL")
    user = register(session)
    start_together = threading.Barrier(8)
    outcomes: list[str] = []

    def guess(n: int):
        with Session(app_db) as s:
            start_together.wait(timeout=20)
            try:
                accounts.authenticate(
                    s, email=user.email, password=f"guess {n}", client_ip=f"10.0.0.{n}"
                )
            except UserError as exc:
                s.rollback()
                outcomes.append(exc.message)
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                outcomes.append(repr(exc))

    workers = [threading.Thread(target=guess, args=(n,)) for n in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)

    assert outcomes == [accounts.LOGIN_FAILED] * 8
    key = security.keyed_hash("login-email", user.email)
    session.expire_all()
    assert session.get(LoginThrottle, key).failures == 8
    with pytest.raises(UserError, match="Too many failed sign-in attempts"):
        accounts.authenticate(session, email=user.email, password=PASSWORD, client_ip="10.0.1.1")

"""Accounts: registration, throttled sign-in, server-side sessions, email links, profile. What
admins do to members (verify, ban, roles) is in members.py.

Every function takes a SQLModel session and leaves committing to the caller, so a page, the API,
the CLI and a test all drive the same code.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import available_timezones

from sqlalchemy import update
from sqlmodel import Session, col, select

from luckyclub.core import routes, security
from luckyclub.core.errors import NotAllowed, UserError
from luckyclub.core.settings import get_settings
from luckyclub.models import (
    AuthSession,
    OneTimeToken,
    TokenPurpose,
    User,
    id_of,
    utcnow,
)
from luckyclub.platform import changes, mail, throttle

MINIMUM_AGE = 18
LOGIN_FAILED = "Email or password is incorrect."
LOGIN_TICKET_TTL = timedelta(minutes=2)
VERIFY_EMAIL_TTL = timedelta(days=3)
RESET_PASSWORD_TTL = timedelta(hours=1)
FROM_YOUR_NETWORK = "Too many {what} from your network just now. Wait {{wait}} and try again."
TO_THAT_ADDRESS = (
    "We have just sent several {what} to that address. Check its inbox (and spam folder), "
    "or wait {{wait}} and try again."
)

# Canonical IANA regions; legacy aliases such as "US/Eastern" or "Etc/GMT+5" are left out.
_REGIONS = (
    "Africa/",
    "America/",
    "Antarctica/",
    "Arctic/",
    "Asia/",
    "Atlantic/",
    "Australia/",
    "Europe/",
    "Indian/",
    "Pacific/",
)
# A plain address, local@domain.tld: the local part starts with a letter, digit or _ and holds
# letters, digits and . _ % + - ' (no two dots running, none at the end; o'brien@… is a real
# address, and an apostrophe not in first place starts no formula); the domain is dot-separated
# labels of letters, digits and inner hyphens, ending in a name of letters (or an xn-- IDN label).
# RFC 5322 allows quotes, parentheses, spaces and = as well; nobody needs them for a prize draw, and
# they let an address carry a spreadsheet formula or a display-name trick.
_EMAIL_RE = re.compile(
    r"(?=[^@]{1,64}@)[a-z0-9_][a-z0-9_%+'-]*(?:\.[a-z0-9_%+'-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})"
)
EMAIL_PROBLEM = (
    "Enter your email address like name@example.com: letters, digits and . _ % + - ' before the @, "
    "with no spaces, quotes or brackets."
)
# Control, format (bidi overrides and isolates, zero-width characters), private-use, surrogates.
_INVISIBLE = frozenset({"Cc", "Cf", "Co", "Cs"})
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")  # Hangul fillers, blank Braille
_STAFF_WORDS = ("admin", "moderator", "luckyclub")
_PHONE_SEPARATORS_RE = re.compile(r"[\s\-().]")
_E164_RE = re.compile(r"^\+[1-9][0-9]{7,14}$")  # E.164: a country code, at most 15 digits in all
_UK_MOBILE_RE = re.compile(r"^07[0-9]{9}$")
PHONE_PROBLEM = (
    "Enter a mobile number with its country code, like +44 7700 900123 "
    "(a UK number starting 07 works too), or leave it empty."
)


# ---- input checks ---------------------------------------------------------------------------


@lru_cache(maxsize=1)
def timezones() -> list[str]:
    """IANA timezone names a person can pick, sorted."""
    return sorted(
        name for name in available_timezones() if name.startswith(_REGIONS) or name == "UTC"
    )


def normalise_email(email: str) -> str:
    email = (email or "").strip().lower()
    if len(email) > 254 or not _EMAIL_RE.fullmatch(email):
        raise UserError(EMAIL_PROBLEM, field="email")
    return email


def check_display_name(name: str, *, staff: bool = False) -> str:
    """A display name as others will see it: NFKC-normalised (full-width and styled letters become
    plain ones), spaces collapsed, nothing invisible, and dressed as staff only by staff."""
    name = " ".join(unicodedata.normalize("NFKC", name or "").split())
    if any(unicodedata.category(ch) in _INVISIBLE or ch in _BLANK_LETTERS for ch in name):
        raise UserError(
            "Use letters, numbers, spaces and punctuation in your display name: it cannot "
            "contain invisible or control characters.",
            field="display_name",
        )
    if not 2 <= len(name) <= 60:
        raise UserError("Choose a display name of 2 to 60 characters.", field="display_name")
    if not staff and _looks_like_staff(name):
        raise UserError(
            "Choose a display name that does not look like LuckyClub's staff: names with "
            '"admin", "moderator" or "LuckyClub" in them are kept for the organisers.',
            field="display_name",
        )
    return name


def _looks_like_staff(name: str) -> bool:
    # Accents, case, spaces and dots removed, so "Àd.min" and "Lucky Club" are caught too.
    bare = "".join(ch for ch in unicodedata.normalize("NFKD", name).casefold() if ch.isalnum())
    return any(word in bare for word in _STAFF_WORDS)


def check_timezone(name: str) -> str:
    name = (name or "").strip()
    if name not in timezones():
        raise UserError("Choose your timezone from the list.", field="timezone")
    return name


def normalise_phone(phone: str) -> str | None:
    """A mobile number in E.164 (+447700900123), or None for an empty field.

    Spaces, dashes, dots and brackets are ignored; a UK mobile written 07… becomes +447…, the
    international prefix 00 becomes +, and a UK number's (0) after +44 is dropped.
    """
    number = _PHONE_SEPARATORS_RE.sub("", phone or "")
    if not number:
        return None
    if _UK_MOBILE_RE.match(number):
        number = "+44" + number[1:]
    elif number.startswith("00"):
        number = "+" + number[2:]
    if number.startswith("+440"):  # "+44 (0)7700 900123": the 0 is dialled only within the UK
        number = "+44" + number[4:]
    if not _E164_RE.match(number):
        raise UserError(PHONE_PROBLEM, field="phone")
    return number


def parse_date_of_birth(value: str | date) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        raise UserError(  # noqa: B904 - the sentence replaces the parser's message
            "Enter your date of birth as a date, like 1990-04-21.", field="date_of_birth"
        )


def age_on(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def check_password(password: str, *, email: str = "") -> str:
    if problem := security.password_problem(password or "", email=email):
        raise UserError(problem, field="password")
    return password


# ---- registration and email verification ----------------------------------------------------


def find_by_email(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == email.strip().lower())).first()


def register(
    session: Session,
    *,
    email: str,
    password: str,
    display_name: str,
    date_of_birth: str | date,
    timezone: str,
    client_ip: str,
    today: date | None = None,
    verified: bool = False,
) -> User | None:
    """Open an account and email a link to verify its address (none for `verified` demo
    accounts, whose email is marked confirmed); the new User, or None when the email has an
    account already, whose owner is emailed instead. The caller answers the same either way, so
    joining cannot tell anyone which emails have accounts."""
    email = normalise_email(email)
    display_name = check_display_name(display_name)
    born = parse_date_of_birth(date_of_birth)
    today = today or utcnow().date()
    if born > today:
        raise UserError("Your date of birth cannot be in the future.", field="date_of_birth")
    if age_on(born, today) < MINIMUM_AGE:
        raise UserError(
            f"You must be {MINIMUM_AGE} or older to join LuckyClub.", field="date_of_birth"
        )
    timezone = check_timezone(timezone)
    check_password(password, email=email)
    _limit_emails(
        session,
        (throttle.SIGN_UP_ADDRESS, client_ip, FROM_YOUR_NETWORK.format(what="accounts were made")),
        (throttle.SIGN_UP_EMAIL, email, TO_THAT_ADDRESS.format(what="emails")),
    )
    password_hash = security.hash_password(password)  # both ways, so timing tells nothing
    if owner := find_by_email(session, email):
        mail.enqueue_email(
            session,
            to=owner.email,
            template="signup_attempt",
            display_name=owner.display_name,
            link=f"{get_settings().app_url}{routes.LOGIN}",
        )
        return None
    user = User(
        email=email,
        password_hash=password_hash,
        display_name=display_name,
        date_of_birth=born,
        timezone=timezone,
    )
    if verified:
        user.email_verified_at = utcnow()
    session.add(user)
    session.flush()
    if not verified:
        send_verification_email(session, user)
    return user


def send_verification_email(session: Session, user: User) -> None:
    link = _emailed_link(session, user, TokenPurpose.VERIFY_EMAIL, VERIFY_EMAIL_TTL)
    mail.enqueue_email(
        session, to=user.email, template="verify_email", display_name=user.display_name, link=link
    )


def verify_email(session: Session, token: str) -> User:
    user = _consume_token(
        session,
        token,
        TokenPurpose.VERIFY_EMAIL,
        "This verification link is invalid or has expired. Sign in and ask for a new one.",
    )
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        changes.announce(session, changes.member(id_of(user)))
    return user


# ---- signing in --------------------------------------------------------------------------------


def authenticate(
    session: Session, *, email: str, password: str, client_ip: str, now: datetime | None = None
) -> User:
    """The user for these credentials, or UserError with one message for every kind of failure."""
    email = (email or "").strip().lower()
    user = find_by_email(session, email) if email else None
    matches = _password_matches(
        session,
        user,
        password,
        account=email,
        client_ip=client_ip,
        now=now or utcnow(),
        too_many=(
            "Too many failed sign-in attempts. Wait {wait} and try again, or reset your password."
        ),
    )
    if user is None or not matches:
        raise UserError(LOGIN_FAILED)
    if user.banned_at is not None:
        raise NotAllowed(
            "This account has been suspended. Contact the organisers if you think it is a mistake."
        )
    return user


def _password_matches(
    session: Session,
    user: User | None,
    password: str,
    *,
    account: str,
    client_ip: str,
    now: datetime,
    too_many: str,
    field: str | None = None,
) -> bool:
    """Check a password against the account's throttle and the address's, whichever page asks
    (sign-in, or the profile's "your current password"): a wrong one counts against both, a right
    one clears both. A throttled check raises UserError with `too_many` (its {wait} filled in)."""
    counted = [(throttle.SIGN_IN_ACCOUNT, account), (throttle.SIGN_IN_ADDRESS, client_ip)]
    keys = [limit.on(value) for limit, value in counted]
    if wait := throttle.wait_seconds(session, keys, now):
        raise UserError(too_many.format(wait=throttle.human_wait(wait)), field=field)
    if user is None:
        security.burn_password_check(password or "")  # as long as a real check
        matches = False
    else:
        matches = security.verify_password(password or "", user.password_hash)
    if not matches:
        throttle.count(session, counted, now)
        return False
    # The owner is back: forget the account's failures, and the address's, so people who share
    # an address (an office, a mobile network) are not kept waiting by each other's typos.
    throttle.forgive(session, keys)
    return True


def _check_current_password(
    session: Session, user: User, password: str, *, client_ip: str, field: str
) -> None:
    """The signed-in member's password, before a change to their email or password."""
    if not _password_matches(
        session,
        user,
        password,
        account=user.email,
        client_ip=client_ip,
        now=utcnow(),
        too_many="Too many wrong passwords. Wait {wait} and try again.",
        field=field,
    ):
        raise UserError("Your current password is not correct.", field=field)


def issue_login_ticket(session: Session, user: User) -> str:
    """A single-use ticket, valid 2 minutes, that a browser exchanges for its HttpOnly cookie."""
    return _issue_token(session, user, TokenPurpose.LOGIN, LOGIN_TICKET_TTL)


def exchange_login_ticket(
    session: Session, ticket: str, *, user_agent: str = "", client_ip: str = ""
) -> tuple[str, datetime]:
    """Turn a login ticket into a new session: (raw session token, expiry)."""
    user = _consume_token(
        session, ticket, TokenPurpose.LOGIN, "This sign-in has expired. Please sign in again."
    )
    if user.banned_at is not None:
        raise NotAllowed("This account has been suspended.")
    return start_session(session, user, user_agent=user_agent, client_ip=client_ip)


def start_session(
    session: Session, user: User, *, user_agent: str = "", client_ip: str = ""
) -> tuple[str, datetime]:
    token = security.new_token()
    expires_at = utcnow() + timedelta(days=get_settings().session_days)
    session.add(
        AuthSession(
            user_id=id_of(user),
            token_hash=security.token_digest(token),
            expires_at=expires_at,
            user_agent=(user_agent or "")[:300],
            client_ip=(client_ip or "")[:64],
        )
    )
    return token, expires_at


def user_for_session(
    session: Session, token: str | None, now: datetime | None = None
) -> User | None:
    """The user behind a session token; None if it is unknown, expired, revoked or banned."""
    if not token:
        return None
    now = now or utcnow()
    row = session.exec(
        select(AuthSession).where(AuthSession.token_hash == security.token_digest(token))
    ).first()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    user = session.get(User, row.user_id)
    if user is None or user.banned_at is not None:
        return None
    return user


def revoke_session(session: Session, token: str | None) -> None:
    if token:
        session.execute(
            update(AuthSession)
            .where(col(AuthSession.token_hash) == security.token_digest(token))
            .where(col(AuthSession.revoked_at).is_(None))
            .values(revoked_at=utcnow())
        )


def revoke_all_sessions(session: Session, user_id: int, *, keep_token: str | None = None) -> None:
    query = (
        update(AuthSession)
        .where(col(AuthSession.user_id) == user_id)
        .where(col(AuthSession.revoked_at).is_(None))
    )
    if keep_token:
        query = query.where(col(AuthSession.token_hash) != security.token_digest(keep_token))
    session.execute(query.values(revoked_at=utcnow()))


# ---- password reset -----------------------------------------------------------------------------


def request_password_reset(session: Session, email: str, *, client_ip: str) -> None:
    """Email a reset link if the account exists. The caller shows the same reply either way.

    Requests are limited per address and per email whether or not an account exists, so a refusal
    tells nothing either. The new link replaces any earlier one.
    """
    try:
        email = normalise_email(email)
    except UserError:
        return
    _limit_emails(
        session,
        (
            throttle.RESET_ADDRESS,
            client_ip,
            FROM_YOUR_NETWORK.format(what="reset links were asked for"),
        ),
        (throttle.RESET_EMAIL, email, TO_THAT_ADDRESS.format(what="reset links")),
    )
    user = find_by_email(session, email)
    if user is None or user.banned_at is not None:
        return
    _void_tokens(session, id_of(user), TokenPurpose.RESET_PASSWORD)
    link = _emailed_link(session, user, TokenPurpose.RESET_PASSWORD, RESET_PASSWORD_TTL)
    mail.enqueue_email(
        session, to=user.email, template="password_reset", display_name=user.display_name, link=link
    )


def _limit_emails(session: Session, *limits: tuple[throttle.Limit, str, str]) -> None:
    """Refuse with the first waiting limit's sentence (its {wait} filled in), or count this
    request against each limit."""
    now = utcnow()
    for limit, value, refusal in limits:
        if wait := throttle.wait_seconds(session, [limit.on(value)], now):
            raise UserError(refusal.format(wait=throttle.human_wait(wait)))
    throttle.count(session, [(limit, value) for limit, value, _ in limits], now)


def reset_password(session: Session, token: str, new_password: str) -> User:
    user = _consume_token(
        session,
        token,
        TokenPurpose.RESET_PASSWORD,
        "This reset link is invalid, already used or older than an hour. Ask for a new one.",
        peek=True,
    )
    check_password(new_password, email=user.email)
    _consume_token(session, token, TokenPurpose.RESET_PASSWORD, "This reset link was just used.")
    user.password_hash = security.hash_password(new_password)
    _void_tokens(session, id_of(user), TokenPurpose.RESET_PASSWORD)
    if user.email_verified_at is None:  # following the emailed link proves the address
        user.email_verified_at = utcnow()
        changes.announce(session, changes.member(id_of(user)))
    revoke_all_sessions(session, id_of(user))
    mail.enqueue_email(
        session, to=user.email, template="password_changed", display_name=user.display_name
    )
    return user


# ---- profile ----------------------------------------------------------------------------------


def update_profile(session: Session, user: User, *, display_name: str, timezone: str) -> User:
    user.display_name = check_display_name(display_name, staff=user.is_admin)
    user.timezone = check_timezone(timezone)
    session.add(user)
    changes.announce(session, changes.member(id_of(user)), changes.CLUB)  # the leaderboard
    return user


def update_phone(session: Session, user: User, phone: str) -> User:
    """Set the mobile number texts go to (only about orders and wins); empty removes it."""
    user.phone = normalise_phone(phone)
    session.add(user)
    changes.announce(session, changes.member(id_of(user)))
    return user


def change_email(
    session: Session, user: User, *, new_email: str, password: str, client_ip: str
) -> User:
    _check_current_password(session, user, password, client_ip=client_ip, field="password")
    new_email = normalise_email(new_email)
    if new_email == user.email:
        raise UserError("That is already your email address.", field="email")
    if find_by_email(session, new_email):
        raise UserError("Another account already uses that email address.", field="email")
    old_email = user.email
    user.email = new_email
    user.email_verified_at = None
    session.add(user)
    session.flush()
    changes.announce(session, changes.member(id_of(user)))
    # Links mailed to the old address must not vouch for the new one (both verify the address).
    _void_tokens(session, id_of(user), TokenPurpose.VERIFY_EMAIL, TokenPurpose.RESET_PASSWORD)
    mail.enqueue_email(
        session,
        to=old_email,
        template="email_changed",
        display_name=user.display_name,
        old_address=old_email,
        new_address=new_email,
    )
    send_verification_email(session, user)
    return user


def change_password(
    session: Session,
    user: User,
    *,
    current_password: str,
    new_password: str,
    keep_token: str | None,
    client_ip: str,
) -> User:
    """Change the password and sign out every other browser; the current one stays signed in."""
    _check_current_password(
        session, user, current_password, client_ip=client_ip, field="current_password"
    )
    check_password(new_password, email=user.email)
    user.password_hash = security.hash_password(new_password)
    session.add(user)
    _void_tokens(session, id_of(user), TokenPurpose.RESET_PASSWORD)
    revoke_all_sessions(session, id_of(user), keep_token=keep_token)
    mail.enqueue_email(
        session, to=user.email, template="password_changed", display_name=user.display_name
    )
    return user


def set_show_on_leaderboard(session: Session, user: User, show: bool) -> User:
    """The member's choice to appear by name on the raffle leaderboard (or as Member #id)."""
    user.show_on_leaderboard = bool(show)
    session.add(user)
    session.flush()
    changes.announce(session, changes.member(id_of(user)), changes.CLUB)  # the leaderboard
    return user


# ---- single-use tokens ---------------------------------------------------------------------------


def _issue_token(session: Session, user: User, purpose: str, ttl: timedelta) -> str:
    token = security.new_token()
    session.add(
        OneTimeToken(
            user_id=id_of(user),
            purpose=purpose,
            token_hash=security.token_digest(token),
            expires_at=utcnow() + ttl,
        )
    )
    return token


_LINK_PAGES: dict[str, str] = {
    TokenPurpose.VERIFY_EMAIL: routes.VERIFY_EMAIL,
    TokenPurpose.RESET_PASSWORD: routes.RESET_PASSWORD,
}


def _emailed_link(session: Session, user: User, purpose: str, ttl: timedelta) -> str:
    """A new single-use token, as the full link to the page that takes it."""
    token = _issue_token(session, user, purpose, ttl)
    return f"{get_settings().app_url}{_LINK_PAGES[purpose]}?token={token}"


def _void_tokens(session: Session, user_id: int, *purposes: str) -> None:
    session.execute(
        update(OneTimeToken)
        .where(col(OneTimeToken.user_id) == user_id)
        .where(col(OneTimeToken.purpose).in_(purposes))
        .where(col(OneTimeToken.used_at).is_(None))
        .values(used_at=utcnow())
    )


def _consume_token(
    session: Session, token: str, purpose: str, message: str, *, peek: bool = False
) -> User:
    """The token's user; one conditional UPDATE marks it used, so two uses cannot both succeed."""
    now = utcnow()
    digest = security.token_digest(token or "")
    live = (
        (col(OneTimeToken.token_hash) == digest)
        & (col(OneTimeToken.purpose) == purpose)
        & col(OneTimeToken.used_at).is_(None)
        & (col(OneTimeToken.expires_at) > now)
    )
    row = session.exec(select(OneTimeToken).where(live)).first()
    if row is None:
        raise UserError(message)
    if not peek:
        claimed = session.exec(update(OneTimeToken).where(live).values(used_at=now))
        if claimed.rowcount != 1:
            raise UserError(message)
    user = session.get(User, row.user_id)
    if user is None:
        raise UserError(message)
    return user

"""Password hashing, tokens and password rules; and the return address after sign-in."""

import hashlib
import re

import pytest

from luckyclub import routes, security
from luckyclub.state.session import session_token_from_cookie_header

EMAIL = "ann@example.com"


def test_passwords_are_stored_as_memory_hard_argon2id_hashes():
    stored = security.hash_password("correct horse battery")

    assert stored.startswith("$argon2id$")
    assert "correct horse battery" not in stored
    memory_kib = int(re.search(r"\$m=(\d+),", stored).group(1))
    assert memory_kib >= 19_456  # OWASP's minimum for argon2id


def test_the_right_password_matches_its_hash_and_a_wrong_one_does_not():
    stored = security.hash_password("correct horse battery")

    assert security.verify_password("correct horse battery", stored)
    assert not security.verify_password("Correct horse battery", stored)
    assert not security.verify_password("correct horse battery", "not a hash")


def test_tokens_carry_at_least_128_random_bits_and_never_repeat():
    tokens = [security.new_token() for _ in range(200)]

    assert len(set(tokens)) == len(tokens)
    # URL-safe base64: 6 bits a character.
    assert all(len(t) * 6 >= 128 and re.fullmatch(r"[A-Za-z0-9_-]+", t) for t in tokens)


def test_the_database_stores_a_tokens_sha256_not_the_token():
    token = security.new_token()

    digest = security.token_digest(token)

    assert digest == hashlib.sha256(token.encode()).hexdigest()
    assert re.fullmatch(r"[0-9a-f]{64}", digest) and token not in digest


def test_a_password_needs_at_least_eight_characters():
    assert "at least 8" in security.password_problem("seven77")
    assert security.password_problem("eight888") is None


def test_a_long_passphrase_is_accepted_up_to_128_characters():
    assert security.password_problem("a long passphrase " * 3 + "ten chars!") is None  # 64
    assert security.password_problem("x" * 128) is None
    assert "at most 128" in security.password_problem("x" * 129)


@pytest.mark.parametrize("password", ["password123", "PassWord123", "qwertyuiop"])
def test_a_common_password_is_refused_whatever_its_case(password):
    assert "most common" in security.password_problem(password)


def test_the_email_address_cannot_be_the_password():
    assert "email address" in security.password_problem("Ann@Example.com", email=EMAIL)
    assert security.password_problem("Ann@Example.com", email="bob@example.com") is None


OFFSITE = [
    "//evil.com",
    "https://evil.com",
    "/\\evil.com",
    "\\\\evil.com",
    "javascript:alert(1)",
    "",
    "/\t/evil.com",  # browsers drop the tab, leaving //evil.com
    "/\n/evil.com",
    "/ /evil.com",
]


@pytest.mark.parametrize("target", OFFSITE)
def test_after_sign_in_an_offsite_return_address_goes_to_the_dashboard(target):
    assert routes.safe_next(target) == routes.DASHBOARD


def test_after_sign_in_a_local_return_address_is_kept():
    assert routes.safe_next("/profile") == "/profile"
    assert routes.safe_next("/admin/mail?page=2") == "/admin/mail?page=2"


def test_the_session_cookie_is_found_beside_another_sites_odd_cookie():
    header = 'consent={"ads":false}; theme=dark mode; luckyclub_session=abc123'
    assert session_token_from_cookie_header(header) == "abc123"
    assert session_token_from_cookie_header("") is None

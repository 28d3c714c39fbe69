"""Password hashing, tokens and password rules; and the return address after sign-in."""

import hashlib
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from luckyclub.core import routes, security
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


def test_password_hashes_take_turns_however_many_sign_ins_arrive_at_once(monkeypatch):
    running, most = [], []
    lock = threading.Lock()

    class CountingHasher:
        def hash(self, password: str) -> str:
            with lock:
                running.append(password)
                most.append(len(running))
            time.sleep(0.02)
            with lock:
                running.remove(password)
            return "hashed"

        def verify(self, password: str, stored: str) -> bool:
            return self.hash(password) == stored

    monkeypatch.setattr(security, "_hasher", CountingHasher())
    with ThreadPoolExecutor(8) as sign_ins:
        checked = list(
            sign_ins.map(security.verify_password, [f"pw{n}" for n in range(8)], ["hashed"] * 8)
        )

    assert all(checked) and max(most) <= security.HASHING_AT_ONCE


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


# ---- the client address behind proxies -------------------------------------------------------


@pytest.fixture()
def proxy_hops(monkeypatch):
    """TRUSTED_PROXY_HOPS for one test."""
    from luckyclub.core.settings import get_settings

    def hops(value: str) -> None:
        monkeypatch.setenv("TRUSTED_PROXY_HOPS", value)
        get_settings.cache_clear()

    yield hops
    get_settings.cache_clear()


def test_without_trusted_proxies_a_forwarded_address_is_ignored(proxy_hops):
    proxy_hops("0")

    assert security.client_address("192.0.2.10", "203.0.113.5") == "192.0.2.10"


def test_behind_one_proxy_the_address_it_appended_counts_not_what_the_client_sent(proxy_hops):
    proxy_hops("1")

    # A client sent "X-Forwarded-For: 10.9.9.9, 10.8.8.8"; Nginx appended the address it saw.
    forwarded = "10.9.9.9, 10.8.8.8,203.0.113.5"
    assert security.client_address("127.0.0.1", forwarded) == "203.0.113.5"
    assert security.client_address("127.0.0.1", "203.0.113.7") == "203.0.113.7"


def test_behind_two_proxies_the_outer_ones_entry_counts(proxy_hops):
    proxy_hops("2")

    forwarded = "10.9.9.9, 203.0.113.5, 198.51.100.2"  # spoofed, client, the CDN's edge
    assert security.client_address("127.0.0.1", forwarded) == "203.0.113.5"


def test_a_request_that_bypassed_the_proxy_keeps_its_peer_address(proxy_hops):
    proxy_hops("1")

    assert security.client_address("192.0.2.10", None) == "192.0.2.10"
    assert security.client_address("192.0.2.10", " , ") == "192.0.2.10"


@pytest.mark.parametrize("value", ["one", "-1", "1.5"])
def test_a_proxy_hop_count_that_is_not_a_whole_number_stops_the_start(proxy_hops, value):
    with pytest.raises(ValueError, match="TRUSTED_PROXY_HOPS must be a whole number"):
        proxy_hops(value)
        security.client_address("192.0.2.10", None)


def test_reflex_reads_the_same_proxy_hop_count(monkeypatch):
    import importlib

    monkeypatch.setenv("TRUSTED_PROXY_HOPS", "1")
    import rxconfig

    try:
        assert importlib.reload(rxconfig).config.trusted_proxy_hops == 1
    finally:
        monkeypatch.delenv("TRUSTED_PROXY_HOPS")
        importlib.reload(rxconfig)

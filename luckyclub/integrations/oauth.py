"""The parts of OAuth 2 with PKCE (RFC 7636) every provider shares: a single-use state, a code
verifier that never leaves the server except to the provider's token endpoint, and its S256
challenge, which is all the browser and the authorize page ever see."""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any
from urllib.parse import urlencode


def new_state() -> str:
    return secrets.token_urlsafe(32)


def new_code_verifier() -> str:
    """A PKCE verifier (RFC 7636: 43–128 characters of [A-Za-z0-9-._~])."""
    return secrets.token_urlsafe(64)[:96]


def code_challenge(verifier: str) -> str:
    """S256: base64url(sha256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorize_query(
    *, client_id: str, redirect_uri: str, state: str, scope: str, verifier: str
) -> str:
    """The query of a provider's authorize URL: a code grant with the S256 challenge of
    `verifier` (the verifier itself stays here)."""
    return urlencode(
        {
            "client_id": client_id,
            "response_type": "code",
            "redirect_uri": redirect_uri,
            "state": state,
            "scope": scope,
            "code_challenge": code_challenge(verifier),
            "code_challenge_method": "S256",
        }
    )


def code_grant(
    client: tuple[str, str], *, code: str, verifier: str, redirect_uri: str
) -> dict[str, str]:
    """The token endpoint's form for exchanging a code, with the app's (id, secret) and the
    verifier the attempt was started with."""
    client_id, client_secret = client
    return {
        "grant_type": "authorization_code",
        "client_id": client_id,
        "client_secret": client_secret,
        "code": code,
        "code_verifier": verifier,
        "redirect_uri": redirect_uri,
    }


def access_token(answer: Any) -> str | None:
    """The access_token of a token endpoint's JSON answer; None when it has none."""
    token = answer.get("access_token") if isinstance(answer, dict) else None
    return token if isinstance(token, str) and token else None

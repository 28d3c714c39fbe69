"""Linking an outside account (Kick, Discord) through the real routes as a browser does it: a
signed-in client, the start route, the provider's authorize page (a local fake that approves or
denies at once), and the outcome the viewer is sent back to their page with."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import httpx
from starlette.testclient import TestClient

from luckyclub.api.routes import build_api
from luckyclub.platform import accounts
from luckyclub.state.session import SESSION_COOKIE
from tests.db.factories import add_user


def signed_in(session, email: str) -> tuple[TestClient, int, str]:
    """A client of the API with a new account's session cookie: (client, user id, token)."""
    user = add_user(session, email)
    token, _ = accounts.start_session(session, user)
    session.commit()
    client = TestClient(build_api(), follow_redirects=False)
    client.cookies.set(SESSION_COOKIE, token)
    return client, user.id, token


def start(client: TestClient, start_route: str, return_to: str) -> str:
    """Press Link: the provider's authorize URL our start route sends the viewer to."""
    response = client.get(start_route, params={"return_to": return_to})
    assert response.status_code == 303, response.text
    return response.headers["location"]


def at_provider(authorize_url: str, app_url: str) -> str:
    """The viewer at the provider's authorize page: where it sends them back (a path here)."""
    back = httpx.get(authorize_url, follow_redirects=False)
    assert back.status_code == 302, back.text
    url = urlsplit(back.headers["location"])
    assert f"{url.scheme}://{url.netloc}" == app_url
    return f"{url.path}?{url.query}"


def outcome(response, provider: str) -> tuple[str, str]:
    """Where a link route sent the viewer, and the outcome it named (`?kick=…`, `?discord=…`)."""
    assert response.status_code == 303, response.text
    assert response.headers["cache-control"] == "no-store"
    url = urlsplit(response.headers["location"])
    return url.path, dict(parse_qsl(url.query)).get(provider, "")

"""Every event handler of every admin page's state, sent by a signed-in member and by a visitor, and
every handler of every members' page state sent by a visitor, changes nothing in the database and
brings no data the sender may not see into the tab's state.

Nothing here lists handlers: the states are found from the app's pages (an /admin page's module,
a page that requires sign-in), and each handler is called with plausible arguments (ids of real
rows of a populated database, forms that answer every field), so a new handler is checked the day
it exists.
"""

from __future__ import annotations

import asyncio
import inspect
import io
import json
import re
import sys
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import text
from sqlmodel import Session, SQLModel, select

import luckyclub.luckyclub as app_module
from luckyclub.club import ledger, proofs, raffles
from luckyclub.competitions import postal
from luckyclub.competitions.checkout import start_checkout
from luckyclub.models import LedgerSource, OutboxMessage, Role, utcnow
from luckyclub.platform import accounts, draw_actions, members
from luckyclub.state.admin import AdminPageState
from luckyclub.state.session import SessionState
from tests.db.factories import add_buyer, add_competition, add_member, add_open_raffle, add_user
from tests.db.reflex_state import state_for_tab
from tests.db.test_admin_state import browser_session

SECRETS = [  # what only an admin (or the person themselves) may see, planted in the database
    "ann@example.com",
    "Ann Secret",
    "bob@example.com",
    "Pat Post",
    "1 Secret Street",
    "A secret draft",
    "Shared on social media, privately",
]
UI_COUNTERS = {"form_key"}  # bumped at every load to remount a form: no data
ROUNDS = (1, 2, 3)  # every table below holds rows with these ids
LOCAL = "%Y-%m-%dT%H:%M"


# ---- which states --------------------------------------------------------------------------------


def _pages() -> list[tuple[str, str, list]]:
    """(route, module, on_load handlers) of every page the app registers with @rx.page."""
    found = []
    for render, options in app_module.app._registration_context.decorated_pages:
        on_load = options.get("on_load") or []
        on_load = on_load if isinstance(on_load, list) else [on_load]
        found.append((options["route"], render.__module__, on_load))
    return found


def _states_of(module: str) -> list[type]:
    """The states a page module defines, or takes from a state module to lay out (not the bases
    every page builds on)."""
    return [
        value
        for value in vars(sys.modules[module]).values()
        if inspect.isclass(value)
        and issubclass(value, SessionState)
        and value not in (SessionState, AdminPageState)
        and (value.__module__ == module or value.__module__.startswith("luckyclub.state."))
    ]


def _signed_in_page(on_load) -> bool:
    return any(handler.fn is SessionState.require_sign_in.fn for handler in on_load)


def admin_states() -> list[type]:
    modules = {module for route, module, _ in _pages() if route.startswith("/admin")}
    found = {cls for module in modules for cls in _states_of(module)}
    assert found and all(issubclass(cls, AdminPageState) for cls in found), found
    subclasses, pending = set(), [AdminPageState]
    while pending:
        for sub in pending.pop().__subclasses__():
            subclasses.add(sub)
            pending.append(sub)
    assert found == subclasses  # every admin state serves an admin page, and the reverse
    return sorted(found, key=lambda cls: cls.__name__)


def member_states() -> list[type]:
    modules = {
        module
        for route, module, on_load in _pages()
        if _signed_in_page(on_load) and not route.startswith("/admin")
    }
    found = {cls for module in modules for cls in _states_of(module)}
    assert found
    return sorted(found, key=lambda cls: cls.__name__)


def route_of(state_cls: type, row_id: int) -> str:
    for route, module, _ in _pages():
        if state_cls in _states_of(module):
            return "/".join(str(row_id) if p.startswith("[") else p for p in route.split("/"))
    raise AssertionError(f"{state_cls.__name__} serves no page")


def handlers(state_cls: type) -> list[str]:
    # setvar only calls the state's own explicit setters, which are handlers here themselves
    return sorted(name for name in state_cls.event_handlers if name != "setvar")


# ---- a populated database ------------------------------------------------------------------------


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 40, 90)).save(buffer, "PNG")
    return buffer.getvalue()


class Upload:
    """What Reflex hands an upload handler: a name, a claimed type, and the bytes to read."""

    def __init__(self, name: str, data: bytes):
        self.name = self.filename = name
        self.content_type = "image/png"
        self._data = data

    async def read(self, size: int = -1) -> bytes:
        return self._data if size < 0 else self._data[:size]


@pytest.fixture()
def secrets() -> list[str]:
    return list(SECRETS)


@pytest.fixture()
def world(session, app_db, tmp_path, monkeypatch, no_beacon, secrets) -> dict:
    """Two or three rows in every table an admin page shows or changes, ids 1, 2, 3 among them."""
    monkeypatch.setattr(proofs, "proof_dir", lambda: tmp_path / "proofs")
    admin = add_user(session, "admin@example.com", Role.ADMIN)
    member = add_buyer(session, "mallory@example.com")
    ann = add_member(
        session, "ann@example.com", display_name="Ann Secret", email_verified_at=utcnow()
    )
    bob = add_buyer(session, "bob@example.com")
    now = utcnow()
    open_raffle = add_open_raffle(session, closes_at=now + timedelta(days=10))
    later = add_open_raffle(session, month="2099-01", title="January bike")
    add_open_raffle(session, month="2099-02", title="February bike", status="draft")
    scheduled = raffles.schedule_draw(session, later)
    session.commit()
    for raffle in (open_raffle, later):
        for user in (ann, bob, member):
            ledger.credit(
                session,
                raffle_id=raffle.id,
                user_id=user.id,
                source=LedgerSource.BASE,
                amount=3,
                key=f"test:{raffle.id}:{user.id}",
            )
    session.commit()
    drawn = raffles.schedule_draw(session, open_raffle)
    session.commit()
    draw_actions.draw_now(admin.id, drawn.id)
    competition = add_competition(session, admin)
    add_competition(session, admin, active=False, title="A secret draft")
    add_competition(session, admin)
    for name in ("Pat Post", "Pat Post Two", "Pat Post Three"):
        postal.record_postal(
            session,
            admin,
            competition.id,
            name=name,
            address="1 Secret Street, Leeds",
            answer="Paris",
            email="",
        )
    session.commit()
    checkout = start_checkout(bob.id, competition.id, 1, "Paris")
    kind = proofs.create_kind(
        session, admin, name="Shared on social media, privately", entries=3, monthly_limit=5
    )
    proofs.create_kind(session, admin, name="Second kind", entries=1, monthly_limit=5)
    proofs.create_kind(session, admin, name="Third kind", entries=1, monthly_limit=5)
    session.commit()
    for user in (ann, bob, member):
        proofs.submit(session, user, kind_id=kind.id, filename="shot.png", data=png(), note="Mine")
        session.commit()
    for email in ("ann@example.com", "bob@example.com", "mallory@example.com"):
        accounts.request_password_reset(session, email, client_ip="203.0.113.9")
    members.ban(session, admin, bob.id, "Spam in chat")
    members.unban(session, admin, bob.id)
    session.commit()
    assert scheduled.id
    with Session(app_db) as s:  # the password-reset links in the outbox
        links = [re.search(r"token=[\w-]+", m.text_body) for m in s.exec(select(OutboxMessage))]
    secrets.extend(link.group(0) for link in links if link)
    assert secrets
    return {
        "admin": admin,
        "member": member,
        "checkout": checkout.url.split("session=")[1],
        "secrets": secrets,
    }


def snapshot(app_db) -> dict[str, list]:
    """Every row of every table, as text."""
    tables = {}
    with app_db.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            rows = conn.execute(text(f'SELECT * FROM "{table.name}"')).all()
            tables[table.name] = sorted(repr(tuple(row)) for row in rows)
    return tables


# ---- plausible arguments -------------------------------------------------------------------------


class AnyForm(dict):
    """A submitted form that answers every field a handler asks for with a plausible value."""

    def __init__(self, row_id: int, email: str):
        soon = (utcnow() + timedelta(days=30)).strftime(LOCAL)
        super().__init__(
            reason="Because I can, can I?",
            email=email,
            member_email=email,
            query="ann",
            amount="5",
            entries="5",
            monthly_limit="5",
            name="A plausible name",
            title="Hijacked",
            prize="A plausible prize",
            description="Plausible.",
            ticket_price="2.50",
            max_tickets="500",
            per_person_limit="20",
            min_tickets="0",
            winners="1",
            starts_at="",
            ends_at=soon,
            new_ends_at=soon,
            draw_at="",
            question="What colour is the sky?",
            choices="Blue\nGreen\nRed",
            answer="Blue",
            manual_ticket="1",
            postal_name="Me",
            postal_address="My house, Leeds",
            postal_answer="Paris",
            details="Hacked",
            display_name="Plausible Name",
            timezone="Europe/London",
            phone="07700 900123",
            new_email="new@example.com",
            password="correct horse battery",
            new_password="correct horse battery staple",
            months="6",
            status="delivered",
        )
        self.row_id = row_id

    def __missing__(self, key):
        return str(self.row_id) if key.endswith("id") else "1"

    def get(self, key, default=None):
        return self[key]


def arguments(handler, row_id: int, email: str) -> list:
    values = []
    for name, parameter in list(inspect.signature(handler.fn).parameters.items())[1:]:
        annotation = str(parameter.annotation)
        if "UploadFile" in annotation:
            values.append([Upload("prize.png", png())])
        elif annotation == "dict":
            values.append(AnyForm(row_id, email))
        elif annotation == "bool":
            values.append(True)
        elif annotation == "int" or name.endswith("_id"):
            values.append(row_id)
        elif name == "action":
            values.append("delivered")
        elif annotation == "str":
            values.append(str(row_id))
        else:
            raise AssertionError(f"{handler.fn.__qualname__}: no plausible value for {name}")
    return values


def seed(state, row_id: int) -> None:
    """The ids a page that had been open would hold (a dialog's record, the page's record)."""
    for name, field in type(state).__fields__.items():
        if field._owner is not type(state):
            continue
        value = getattr(state, name)
        if name.startswith("_") and name.endswith("_id") and isinstance(value, int):
            setattr(state, name, row_id)
        elif isinstance(getattr(value, "id", None), int) and hasattr(value, "__dataclass_fields__"):
            value.id = row_id


def call(handler, state, args) -> None:
    result = handler.fn(state, *args)
    if inspect.isasyncgen(result):

        async def drain():
            async for _ in result:
                pass

        asyncio.run(drain())
    elif inspect.iscoroutine(result):
        asyncio.run(result)


def own_vars(state) -> dict:
    cls = type(state)
    return {
        name: getattr(state, name)
        for name, field in cls.__fields__.items()
        if field._owner is cls and name not in ("error", "notice")
    }


def unexpected(state, before: dict, args: list) -> dict:
    """Vars that are neither as they were, nor at their defaults, nor a value the sender sent."""
    cls = type(state)
    sent = [a for a in args if isinstance(a, str | int | bool)]
    for form in (a for a in args if isinstance(a, AnyForm)):
        sent += [*form.values(), form["id"], form["other"]]
    return {
        name: value
        for name, value in own_vars(state).items()
        if value != before[name]
        and value != cls.__fields__[name].default_value()
        and not any(value == a and type(value) is type(a) for a in sent)
        and name not in UI_COUNTERS
    }


# ---- the checks ----------------------------------------------------------------------------------


def send_every_handler(session, app_db, state_classes, token, email, strict) -> list[str]:
    """Send every handler of every state, three times, from one connection; what went wrong.
    `strict`: every var the page holds is the page's data, so none may change but its messages."""
    problems, rows = [], snapshot(app_db)
    for state_cls in state_classes:
        for name in handlers(state_cls):
            handler = state_cls.event_handlers[name]
            for row_id in ROUNDS:
                where = f"{state_cls.__name__}.{name}({row_id})"
                path = route_of(state_cls, row_id)
                if "checkout" in path:
                    path += f"?session={session.info['checkout']}"
                state = state_for_tab(state_cls, session_token=token, path=path)
                seed(state, row_id)
                before = own_vars(state)
                args = arguments(handler, row_id, email)
                try:
                    call(handler, state, args)
                except Exception as exc:  # noqa: BLE001 - they would meet "something went wrong"
                    problems.append(f"{where} raised {exc!r}, not a sentence")
                after = snapshot(app_db)
                if changed := [t for t in rows if rows[t] != after[t]]:
                    problems.append(f"{where} changed {changed}")
                    rows = after
                if strict and (leftover := unexpected(state, before, args)):
                    problems.append(f"{where} left {leftover}")
                shown = json.dumps(state._get_root_state().dict(), default=str)
                if leaked := [s for s in session.info["secrets"] if s in shown]:
                    problems.append(f"{where} showed {leaked}")
    return problems


@pytest.mark.parametrize("who", ["member", "visitor"])
def test_no_admin_handler_acts_or_shows_anything_for_a_non_admin(session, app_db, world, who):
    token = browser_session(session, world["member"]) if who == "member" else None
    session.info["checkout"], session.info["secrets"] = world["checkout"], world["secrets"]

    problems = send_every_handler(
        session, app_db, admin_states(), token, email="ann@example.com", strict=True
    )

    assert problems == []


def test_no_members_page_handler_acts_or_shows_anything_for_a_visitor(session, app_db, world):
    session.info["checkout"], session.info["secrets"] = world["checkout"], world["secrets"]

    problems = send_every_handler(
        session, app_db, member_states(), None, email="ann@example.com", strict=False
    )

    assert problems == []

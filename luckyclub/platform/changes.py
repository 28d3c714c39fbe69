"""The change feed: services say what changed, and once their transaction commits every process of
the app hears it, so open pages update when something changed rather than asking every second.

A change is a set of topics (`member:12`, `competition:5`, `competitions`, `draw:7`,
`admin:proofs`): names of what a page shows, never data. A service calls
`announce(session, topic, ...)` inside its unit of work; nothing is heard if the transaction rolls
back. How it travels, by configuration:

- Redis (`REDIS_URL` set, several workers or machines): published on one pub/sub channel after the
  commit.
- PostgreSQL: `pg_notify` inside the transaction, which PostgreSQL delivers at commit (and drops on
  rollback) to every process LISTENing, whichever worker, job or CLI made the change.
- SQLite (one app process): handed to this process's listeners after the commit, and sent to the
  app's socket beside the database file (`<file>.changes`), so a change made by `jobs run-due` or
  the CLI in another process reaches the app's pages too.

One listener per process (`listen`) hears every change and fans it out to the pages that show it.
When its connection drops and comes back it hears `EVERYTHING`: whatever was said meanwhile is lost,
so every page reloads what it shows.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import threading
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from luckyclub.core import db
from luckyclub.core.settings import get_settings

log = logging.getLogger(__name__)

CHANNEL = "luckyclub_changes"
EVERYTHING = "*"  # heard after a lost connection: anything may have changed
_PENDING = "luckyclub.changes.pending"  # session.info key: the topics of the open transaction
_NOTIFY_BYTES = 7000  # PostgreSQL refuses a NOTIFY payload of 8000 bytes or more
_SOCKET_PATH_MAX = 104  # bytes in a Unix socket's path (108 on Linux, 104 on the BSDs)

Listener = Callable[[frozenset[str]], None]

# ---- the topics (docs/changes.md has the table of who announces and who follows each) ----------

COMPETITIONS = "competitions"  # the public competitions list: any competition, its counts
CLUB = "club"  # the club's raffles: opened, closed, rolled over, their totals and draws
ADMIN_DRAWS = "admin:draws"  # the admin's draw queue: any draw's status
ADMIN_WINNERS = "admin:winners"  # the admin's winner queue: winners, their steps and status
ADMIN_PROOFS = "admin:proofs"  # the admin's proof queue: proofs sent and reviewed
ADMIN_KICK_EVENTS = "admin:kick-events"  # Kick events that failed for good, retried, dismissed


def member(user_id: int) -> str:
    """One member's own pages: their entries, proofs, membership, orders, tickets and wins."""
    return f"member:{user_id}"


def competition(competition_id: int) -> str:
    """One competition's page: its status, counts, minimum and draw."""
    return f"competition:{competition_id}"


def signup_list(list_id: int) -> str:
    """One signup list's pages (its page, its editor): elements, signups, entries, waitlists and
    its lottery's phase."""
    return f"list:{list_id}"


def community(community_id: int) -> str:
    """One community's pages (public, a viewer's, the moderators'): its period, tickets and
    leaderboard, links and claims, gifts, polls and its draw."""
    return f"community:{community_id}"


def community_chat(community_id: int) -> str:
    """One community's chat-active minutes, given every minute while the channel is live: only
    the moderators' console shows them, so only it wakes (tickets are announced on
    `community` when the hour's minutes convert)."""
    return f"community-chat:{community_id}"


def draw(draw_id: int) -> str:
    """One draw's pages (/draws/<id>, /live/<id>): its status, result and winners."""
    return f"draw:{draw_id}"


def announce(session: Session, *topics: str) -> None:
    """Say, inside the caller's unit of work, that what these topics name has changed; every
    listener hears it once the transaction commits, and nobody if it rolls back."""
    if not topics:
        return
    session.info.setdefault(_PENDING, set()).update(topics)


# SQLAlchemy fires these hooks for a savepoint's release and rollback too (`begin_nested`): only
# the outermost transaction's commit makes a change real, and a savepoint rolled back must not
# forget what the rest of the transaction announced (a page told twice merely reloads).


@event.listens_for(Session, "before_commit")
def _notify_in_the_transaction(session: Session) -> None:
    # Only PostgreSQL's NOTIFY rides the transaction itself; Redis and in-process delivery wait
    # for the commit (after_commit below).
    if session.in_nested_transaction():
        return
    topics = session.info.get(_PENDING)
    if not topics or get_settings().redis_url:
        return
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        return
    session.info.pop(_PENDING)
    for payload in _payloads(topics):
        session.execute(
            text("SELECT pg_notify(:channel, :payload)"),
            {
                "channel": CHANNEL,
                "payload": payload,
            },
        )


@event.listens_for(Session, "after_commit")
def _publish_after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return
    topics = session.info.pop(_PENDING, None)
    if not topics:
        return
    try:
        if url := get_settings().redis_url:
            client = _redis_client(url)
            for payload in _payloads(topics):
                client.publish(redis_channel(url), payload)
        else:
            _hear(frozenset(topics))
            _tell_the_app(session, topics)
    except Exception:  # noqa: BLE001 - the change is saved; a page that misses it reloads later
        log.exception("Could not announce a change of %s", sorted(topics))


@event.listens_for(Session, "after_rollback")
def _forget_on_rollback(session: Session) -> None:
    if not session.in_nested_transaction():
        session.info.pop(_PENDING, None)


def redis_channel(url: str) -> str:
    """The Redis channel of one database number: Redis pub/sub ignores database numbers, so two
    deployments sharing a Redis server (each on its own database) must not hear each other."""
    return f"{CHANNEL}:{make_url(url).database or '0'}"


def _payloads(topics: Iterable[str]) -> list[str]:
    """The topics as JSON lists, each small enough for one NOTIFY."""
    payloads: list[str] = []
    batch: list[str] = []
    for topic in sorted(topics):
        if batch and len(json.dumps([*batch, topic])) > _NOTIFY_BYTES:
            payloads.append(json.dumps(batch))
            batch = []
        batch.append(topic[:200])
    if batch:
        payloads.append(json.dumps(batch))
    return payloads


def _topics_of(payload: str | bytes) -> frozenset[str]:
    try:
        topics = json.loads(payload)
    except ValueError:
        return frozenset()
    if not isinstance(topics, list):
        return frozenset()
    return frozenset(topic for topic in topics if isinstance(topic, str))


# ---- SQLite: the app's socket beside the database file ----------------------------------------

_bound_here: set[str] = set()  # the sockets this process listens on (it hears its own changes)


def sqlite_socket(url: str) -> str | None:
    """The datagram socket the app listens on for changes made to this SQLite file by other
    processes; None for an in-memory database or a path too long for a socket."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    path = f"{os.path.abspath(parsed.database)}.changes"
    return path if len(path.encode()) < _SOCKET_PATH_MAX else None


def _tell_the_app(session: Session, topics: Iterable[str]) -> None:
    path = sqlite_socket(session.get_bind().engine.url.render_as_string(hide_password=False))
    if path is None or path in _bound_here or not os.path.exists(path):
        return  # the app is this process, or no app runs on this database
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender:
        for payload in _payloads(topics):
            try:
                sender.sendto(payload.encode(), path)
            except OSError:  # the app stopped and left its socket file: nobody to tell
                return


# ---- hearing changes ---------------------------------------------------------------------------

_local_listeners: list[Listener] = []
_local_lock = threading.Lock()


def _hear(topics: frozenset[str]) -> None:
    with _local_lock:
        listeners = list(_local_listeners)
    for listener in listeners:
        try:
            listener(topics)
        except Exception:  # noqa: BLE001 - one page's failure must not stop the others
            log.exception("A change listener failed on %s", sorted(topics))


class Listening:
    """One process's ear on the feed; `stop()` ends it."""

    def __init__(self, on_change: Listener, *, retry_after: float = 1.0) -> None:
        self.on_change = on_change
        self.retry_after = retry_after
        self._stopped = threading.Event()
        self._ready = threading.Event()
        self._lost = False
        self._thread: threading.Thread | None = None
        settings = get_settings()
        if settings.redis_url:
            self._run: Callable[[], None] | None = lambda: self._listen_redis(settings.redis_url)
        elif make_url(db.database_url()).get_backend_name() == "postgresql":
            url = db.database_url()
            self._run = lambda: self._listen_postgres(url)
        else:
            with _local_lock:
                _local_listeners.append(on_change)
            path = sqlite_socket(db.database_url())
            self._run = (lambda: self._listen_socket(path)) if path else None
            if path is None:
                self._ready.set()
        if self._run is not None:
            self._thread = threading.Thread(
                target=self._loop, name="luckyclub-changes", daemon=True
            )
            self._thread.start()

    def wait_until_ready(self, timeout: float = 10.0) -> bool:
        """True once the listener hears changes (tests; a page needs no such wait)."""
        return self._ready.wait(timeout)

    def stop(self) -> None:
        self._stopped.set()
        with _local_lock:
            if self.on_change in _local_listeners:
                _local_listeners.remove(self.on_change)
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        assert self._run is not None
        while not self._stopped.is_set():
            try:
                self._run()
            except Exception as exc:  # noqa: BLE001 - a lost connection is tried again
                if not self._stopped.is_set():
                    log.warning("The change feed lost its connection (%s); reconnecting", exc)
            if self._ready.is_set():
                self._lost = True  # it listened, so changes may have been said meanwhile
                self._ready.clear()
            self._stopped.wait(self.retry_after)

    def _connected(self) -> None:
        """Called by a transport once it listens: after a lost connection, reload everything."""
        self._ready.set()
        if self._lost:
            self._lost = False
            self._deliver(frozenset({EVERYTHING}))

    def _deliver(self, topics: frozenset[str]) -> None:
        if not topics:
            return
        try:
            self.on_change(topics)
        except Exception:  # noqa: BLE001 - the listener's failure is logged, the feed goes on
            log.exception("A change listener failed on %s", sorted(topics))

    def _listen_postgres(self, url: str) -> None:
        import psycopg

        conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(conninfo, autocommit=True) as connection:
            connection.execute(f"LISTEN {CHANNEL}")
            self._connected()
            while not self._stopped.is_set():
                for notice in connection.notifies(timeout=0.5):
                    self._deliver(_topics_of(notice.payload))

    def _listen_socket(self, path: str) -> None:
        """SQLite: changes other processes made to the database file, sent to its socket."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as receiver:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)  # left by an app that stopped (one app process per SQLite file)
            receiver.bind(path)
            receiver.settimeout(0.5)
            _bound_here.add(path)
            try:
                self._connected()
                while not self._stopped.is_set():
                    try:
                        payload = receiver.recv(65536)
                    except TimeoutError:
                        continue
                    self._deliver(_topics_of(payload))
            finally:
                _bound_here.discard(path)
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)

    def _listen_redis(self, url: str) -> None:
        pubsub = _redis_client(url).pubsub(ignore_subscribe_messages=True)
        try:
            pubsub.subscribe(redis_channel(url))
            self._connected()
            while not self._stopped.is_set():
                message: Any = pubsub.get_message(timeout=0.5)
                if message and message.get("type") == "message":
                    self._deliver(_topics_of(message["data"]))
        finally:
            pubsub.close()


def listen(on_change: Listener) -> Listening:
    """Hear every change of every process from now on, until `stop()`."""
    return Listening(on_change)


_redis_clients: dict[str, Any] = {}


def _redis_client(url: str) -> Any:
    if url not in _redis_clients:
        import redis

        _redis_clients[url] = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
    return _redis_clients[url]

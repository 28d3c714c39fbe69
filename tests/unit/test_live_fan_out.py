"""The fan-out that turns heard changes into writes to open tabs (state/live.py): only the rooms
that follow a changed topic are refreshed, each loaded once for all its tabs; a burst of changes is
paced into few writes; a lost feed (`changes.EVERYTHING`) refreshes every room; a tab that moved to
another page leaves the rooms of the page it left."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from luckyclub.platform import changes
from luckyclub.state.live import FanOut, Room, Values


class Page:
    """A tab's page state: the vars a room writes."""

    def __init__(self) -> None:
        self.count = 0


class Tabs:
    """Stands in for the app: `modify_state` of a tab's token yields that tab's state tree."""

    def __init__(self) -> None:
        self.pages: dict[str, Page] = {}

    @contextlib.asynccontextmanager
    async def modify_state(self, token: Any) -> AsyncIterator[Any]:
        page = self.pages.setdefault(token.ident, Page())

        class Root:
            async def get_state(self, _cls: type) -> Page:
                return page

        yield Root()


def _room(topic: str, loads: dict[str, int]) -> Room:
    async def load() -> Values:
        loads[topic] = loads.get(topic, 0) + 1
        return {"count": loads[topic]}

    return Room(key=topic, topics=frozenset({topic}), state=Page, load=load)  # type: ignore[arg-type]


def _fan_out(gap: float, loads: dict[str, int]) -> tuple[FanOut, Tabs]:
    tabs = Tabs()
    fan_out = FanOut(app=tabs, loop=asyncio.get_running_loop(), gap=gap)  # type: ignore[arg-type]
    for topic, tokens in (("member:1", ["a"]), ("member:2", ["b"]), ("competitions", ["c", "d"])):
        for token in tokens:
            fan_out.join(_room(topic, loads), token, page=f"/{token}")
    return fan_out, tabs


async def _settle(fan_out: FanOut) -> None:
    while fan_out._tasks:
        await asyncio.gather(*list(fan_out._tasks))


def test_a_change_loads_the_room_once_and_writes_every_tab_of_it():
    async def run() -> tuple[dict[str, int], dict[str, int]]:
        loads: dict[str, int] = {}
        fan_out, tabs = _fan_out(0.0, loads)
        fan_out.dispatch(frozenset({"competitions", "competition:9"}))
        await _settle(fan_out)
        return loads, {token: page.count for token, page in tabs.pages.items()}

    loads, written = asyncio.run(run())
    assert loads == {"competitions": 1}
    assert written == {"c": 1, "d": 1}  # the other rooms' tabs were not touched


def test_a_burst_of_changes_is_paced_into_at_most_two_writes():
    async def run() -> dict[str, int]:
        loads: dict[str, int] = {}
        fan_out, _ = _fan_out(0.2, loads)
        for _ in range(50):
            fan_out.dispatch(frozenset({"competitions"}))
            await asyncio.sleep(0)
        await _settle(fan_out)
        return loads

    # the first change is written at once; the 49 heard meanwhile are one more write after the gap
    assert asyncio.run(run()) == {"competitions": 2}


def test_changes_after_the_gap_are_written_again():
    async def run() -> dict[str, int]:
        loads: dict[str, int] = {}
        fan_out, _ = _fan_out(0.05, loads)
        fan_out.dispatch(frozenset({"member:2"}))
        await _settle(fan_out)
        await asyncio.sleep(0.06)
        fan_out.dispatch(frozenset({"member:2"}))
        await _settle(fan_out)
        return loads

    assert asyncio.run(run()) == {"member:2": 2}


def test_a_lost_feed_refreshes_every_room():
    async def run() -> dict[str, int]:
        loads: dict[str, int] = {}
        fan_out, _ = _fan_out(0.0, loads)
        fan_out.dispatch(frozenset({changes.EVERYTHING}))
        await _settle(fan_out)
        return loads

    assert asyncio.run(run()) == {"member:1": 1, "member:2": 1, "competitions": 1}


def test_a_change_heard_on_the_feed_thread_reaches_the_loop():
    async def run() -> dict[str, int]:
        loads: dict[str, int] = {}
        fan_out, _ = _fan_out(0.0, loads)
        await asyncio.to_thread(fan_out.heard, frozenset({"member:1"}))
        await asyncio.sleep(0.01)
        await _settle(fan_out)
        return loads

    assert asyncio.run(run()) == {"member:1": 1}


def test_a_tab_on_another_page_leaves_the_rooms_of_the_page_it_left():
    async def run() -> tuple[dict[str, int], list[str]]:
        loads: dict[str, int] = {}
        fan_out, tabs = _fan_out(0.0, loads)
        fan_out.join(_room("member:2", loads), "c", page="/dashboard")  # "c" left the list
        fan_out.dispatch(frozenset({"competitions"}))
        await _settle(fan_out)
        return loads, sorted(tabs.pages)

    loads, written = asyncio.run(run())
    assert written == ["d"]
    assert loads == {"competitions": 1}


def test_a_room_nobody_watches_any_more_is_forgotten():
    async def run() -> set[str]:
        loads: dict[str, int] = {}
        fan_out, _ = _fan_out(0.0, loads)
        fan_out.leave("member:1", "a")
        fan_out.dispatch(frozenset({"member:1"}))
        await _settle(fan_out)
        return set(fan_out.rooms)

    assert asyncio.run(run()) == {"member:2", "competitions"}


def test_a_failing_refresh_does_not_stop_the_room():
    async def run() -> int:
        tabs = Tabs()
        fan_out = FanOut(app=tabs, loop=asyncio.get_running_loop(), gap=0.0)  # type: ignore[arg-type]
        calls = 0

        async def load() -> Values:
            nonlocal calls
            calls += 1
            raise RuntimeError("the database is away")

        fan_out.join(Room("club", frozenset({"club"}), Page, load), "a", "/")  # type: ignore[arg-type]
        fan_out.dispatch(frozenset({"club"}))
        await _settle(fan_out)
        fan_out.dispatch(frozenset({"club"}))
        await _settle(fan_out)
        return calls

    assert asyncio.run(run()) == 2

"""The fan-out that turns heard changes into room writes (state/live.py): only the rooms that follow
a changed topic are refreshed, a burst of changes is paced into few writes, and a lost feed
(`changes.EVERYTHING`) refreshes every room."""

from __future__ import annotations

import asyncio
from typing import Any

from luckyclub.platform import changes
from luckyclub.state.live import FanOut, PageRoom, room_token


def _fan_out(gap: float) -> tuple[FanOut, dict[str, int]]:
    fan_out = FanOut(app=Any, loop=asyncio.get_running_loop(), gap=gap)  # type: ignore[arg-type]
    counts: dict[str, int] = {}

    def room(topic: str) -> None:
        key = (PageRoom, room_token(topic))

        async def refresh(_app: Any) -> None:
            counts[topic] = counts.get(topic, 0) + 1

        fan_out.follow(topic, key, refresh)

    for topic in ("member:1", "member:2", "competitions"):
        room(topic)
    return fan_out, counts


async def _settle(fan_out: FanOut) -> None:
    while fan_out._tasks:
        await asyncio.gather(*list(fan_out._tasks))


def test_only_the_rooms_of_a_changed_topic_are_refreshed():
    async def run() -> dict[str, int]:
        fan_out, counts = _fan_out(gap=0.0)
        fan_out.dispatch(frozenset({"member:1", "competition:9"}))
        await _settle(fan_out)
        return counts

    assert asyncio.run(run()) == {"member:1": 1}


def test_a_burst_of_changes_is_paced_into_at_most_two_writes():
    async def run() -> dict[str, int]:
        fan_out, counts = _fan_out(gap=0.2)
        for _ in range(50):
            fan_out.dispatch(frozenset({"competitions"}))
            await asyncio.sleep(0)
        await _settle(fan_out)
        return counts

    # the first change is written at once; the 49 heard meanwhile are one more write after the gap
    assert asyncio.run(run()) == {"competitions": 2}


def test_changes_after_the_gap_are_written_again():
    async def run() -> dict[str, int]:
        fan_out, counts = _fan_out(gap=0.05)
        fan_out.dispatch(frozenset({"member:2"}))
        await _settle(fan_out)
        await asyncio.sleep(0.06)
        fan_out.dispatch(frozenset({"member:2"}))
        await _settle(fan_out)
        return counts

    assert asyncio.run(run()) == {"member:2": 2}


def test_a_lost_feed_refreshes_every_room():
    async def run() -> dict[str, int]:
        fan_out, counts = _fan_out(gap=0.0)
        fan_out.dispatch(frozenset({changes.EVERYTHING}))
        await _settle(fan_out)
        return counts

    assert asyncio.run(run()) == {"member:1": 1, "member:2": 1, "competitions": 1}


def test_a_change_heard_on_the_feed_thread_reaches_the_loop():
    async def run() -> dict[str, int]:
        fan_out, counts = _fan_out(gap=0.0)
        await asyncio.to_thread(fan_out.heard, frozenset({"member:1"}))
        await asyncio.sleep(0.01)
        await _settle(fan_out)
        return counts

    assert asyncio.run(run()) == {"member:1": 1}


def test_a_failing_refresh_does_not_stop_the_room():
    async def run() -> int:
        fan_out = FanOut(app=Any, loop=asyncio.get_running_loop(), gap=0.0)  # type: ignore[arg-type]
        calls = 0

        async def refresh(_app: Any) -> None:
            nonlocal calls
            calls += 1
            raise RuntimeError("the database is away")

        fan_out.follow("club", (PageRoom, "club"), refresh)
        fan_out.dispatch(frozenset({"club"}))
        await _settle(fan_out)
        fan_out.dispatch(frozenset({"club"}))
        await _settle(fan_out)
        return calls

    assert asyncio.run(run()) == 2

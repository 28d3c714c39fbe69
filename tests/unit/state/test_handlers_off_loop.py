"""No event handler of the app runs its work on the event loop. Reflex calls a plain handler right
on its asyncio loop, where a query, a payment provider's answer or a password hash would stall every
connection of the process; `state.events.event` runs such handlers in a thread instead, and async
handlers push their blocking work to `run_in_thread` themselves."""

from __future__ import annotations

import ast
import asyncio
import contextlib
import importlib
import inspect
import pkgutil
import threading
from collections.abc import Iterator
from pathlib import Path

import reflex as rx

import luckyclub.pages
import luckyclub.state
from luckyclub.state.events import off_loop, run_in_thread
from tests.layers import modules, where


def _import_every_state() -> None:
    """Every module under pages/ and state/: importing them registers every state class."""
    for package in (luckyclub.pages, luckyclub.state):
        for found in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}."):
            importlib.import_module(found.name)


def _states(state: type[rx.State] = rx.State) -> Iterator[type[rx.State]]:
    yield state
    for substate in state.get_substates():
        yield from _states(substate)


def _on_the_loop(fn) -> bool:
    return not (inspect.iscoroutinefunction(fn) or inspect.isasyncgenfunction(fn))


def test_every_event_handler_of_the_app_runs_off_the_event_loop():
    _import_every_state()
    handlers = [
        (state, name, handler.fn)
        for state in _states()
        for name, handler in state.event_handlers.items()
        if getattr(handler.fn, "__module__", "").startswith("luckyclub.")
    ]
    assert len(handlers) > 100, "the app's states were not found"
    offenders = [
        f"{state.__module__}.{state.__name__}.{name} "
        f"({Path(inspect.getsourcefile(inspect.unwrap(fn)) or '?').name}:"
        f"{inspect.getsourcelines(inspect.unwrap(fn))[1]})"
        for state, name, fn in handlers
        if _on_the_loop(fn)
    ]
    assert not offenders, (
        "These handlers would run on the event loop: decorate them with "
        "luckyclub.state.events.event (not rx.event, not a bare method):\n" + "\n".join(offenders)
    )


# ---- async handlers: their blocking work goes to a thread ---------------------------------------

SHELL = ("pages", "state", "components")


def _called_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return func.attr if func.value.id == "self" else ""
    return ""


def _direct_calls(body: list[ast.stmt]) -> Iterator[ast.Call]:
    """The calls a function's body makes itself: a nested def or lambda (what it hands to
    run_in_thread) is not walked."""
    pending: list[ast.AST] = list(body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        if isinstance(node, ast.Call):
            yield node
        pending.extend(ast.iter_child_nodes(node))


def _functions(trees) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                yield node


def test_async_handlers_open_no_database_session_on_the_loop():
    """A plain function of the shell that opens session_scope() (itself, or through another such
    function, `self._admin_load` included) may be called by an async function only from inside a
    nested function or lambda, i.e. what it hands to run_in_thread."""
    trees = {path: ast.parse(path.read_text(), filename=str(path)) for path in modules(*SHELL)}
    blocking = {"session_scope"}
    while True:  # the plain functions that reach session_scope, by name
        more = {
            function.name
            for function in _functions(trees)
            if isinstance(function, ast.FunctionDef)
            and any(_called_name(call) in blocking for call in _direct_calls(function.body))
        }
        if more <= blocking:
            break
        blocking |= more
    assert {"_admin_load", "_admin_act", "_refill"} <= blocking
    offenders = sorted(
        f"{where(path, call.lineno)} {function.name} calls {_called_name(call)}()"
        for path, tree in trees.items()
        for function in ast.walk(tree)
        if isinstance(function, ast.AsyncFunctionDef)
        for call in _direct_calls(function.body)
        if _called_name(call) in blocking
    )
    assert not offenders, (
        "Async code blocks the event loop here: hand the work to "
        "luckyclub.state.events.run_in_thread:\n" + "\n".join(offenders)
    )


# ---- the wrapper itself -------------------------------------------------------------------------


class _Counter:
    """Stands in for a state: the handlers below only read and write attributes."""

    def __init__(self) -> None:
        self.seen: list[str] = []


def test_a_plain_handler_runs_in_a_handler_thread_and_returns_what_it_returns():
    def handler(state: _Counter, word: str) -> str:
        state.seen.append(threading.current_thread().name)
        return word.upper()

    wrapped = off_loop(handler)
    state = _Counter()

    assert inspect.iscoroutinefunction(wrapped)
    assert inspect.signature(wrapped) == inspect.signature(handler)
    assert asyncio.run(wrapped(state, "done")) == "DONE"
    assert state.seen[0].startswith("luckyclub-handler")


def test_a_plain_generator_handler_is_stepped_in_a_thread_and_its_return_value_follows():
    def handler(state: _Counter):
        state.seen.append(threading.current_thread().name)
        yield "first"
        state.seen.append(threading.current_thread().name)
        return "last"

    async def drive() -> list[str]:
        return [update async for update in off_loop(handler)(state)]

    state = _Counter()
    assert inspect.isasyncgenfunction(off_loop(handler))
    assert asyncio.run(drive()) == ["first", "last"]
    assert all(name.startswith("luckyclub-handler") for name in state.seen)


def test_async_handlers_are_left_as_they_are():
    async def handler(state: _Counter) -> None:
        return None

    assert off_loop(handler) is handler


def test_a_cancelled_event_still_waits_for_its_thread_before_giving_up():
    started, release, finished = threading.Event(), threading.Event(), threading.Event()

    def work() -> None:
        started.set()
        release.wait(10)
        finished.set()

    async def cancel_while_it_runs() -> bool:
        task = asyncio.create_task(run_in_thread(work))
        await asyncio.to_thread(started.wait, 10)
        task.cancel()
        await asyncio.sleep(0.05)
        still_waiting = not task.done()
        release.set()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return still_waiting and finished.is_set()

    assert asyncio.run(cancel_while_it_runs())

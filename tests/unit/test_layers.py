"""The Reflex shell keeps its layers: a page never imports another page, and pages, states and
components read and change data through services, never by querying the models themselves."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.layers import imported, modules, where


def test_no_page_imports_another_page():
    # A package's __init__ imports its own pages: that is how they register with @rx.page.
    pages = [p for p in modules("pages") if p.name != "__init__.py"]
    assert pages
    wrong = [
        f"{where(path, line)} imports {name}"
        for path in pages
        for line, name in imported(path)
        if name == "luckyclub.pages" or name.startswith("luckyclub.pages.")
    ]
    assert not wrong, "Move what pages share to state/ or components/:\n" + "\n".join(wrong)


SHELL = ("pages", "state", "components")
QUERY_METHODS = {"exec", "execute", "query", "scalar", "scalars"}
SESSION_NAMES = {"s", "session", "db", "db_session"}


def _queries(path: Path) -> list[str]:
    """Where `path` queries the database itself: a select(), a session's exec/get/query, or an
    import of sqlmodel or sqlalchemy. Opening session_scope() to hand the session to a service
    is how the shell calls services, so that alone is not a query."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = sorted(
        {
            (line, f"imports {name.split('.')[0]}")
            for line, name in imported(path)
            if name.split(".")[0] in ("sqlmodel", "sqlalchemy")
        }
    )
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id == "select":
            found.append((node.lineno, "calls select()"))
        elif isinstance(func, ast.Attribute):
            receiver = func.value
            named = receiver.id if isinstance(receiver, ast.Name) else ""
            if func.attr in QUERY_METHODS:
                found.append((node.lineno, f"calls .{func.attr}()"))
            elif func.attr == "get" and named in SESSION_NAMES:
                found.append((node.lineno, f"calls {named}.get()"))
    return [f"{where(path, line)} {what}" for line, what in found]


def test_pages_states_and_components_read_through_services():
    shell = modules(*SHELL)
    assert shell
    wrong = [where for path in shell for where in _queries(path)]
    assert not wrong, "Call a service's read model instead:\n" + "\n".join(wrong)

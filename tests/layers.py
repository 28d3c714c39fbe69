"""The one reader of what the app's modules import, for the layer tests: parsed with ast, so an
import inside a function counts too, and relative imports are resolved."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "luckyclub"


def modules(*folders: str, package: Path = PACKAGE) -> list[Path]:
    return sorted(p for folder in folders for p in (package / folder).rglob("*.py"))


def imported(path: Path, package: Path = PACKAGE) -> list[tuple[int, str]]:
    """Every module `path` imports, with its line. `from a.b import c` counts as importing both
    a.b and a.b.c (c may be a module: `from luckyclub.pages.admin import home`)."""
    parts = path.relative_to(package.parent).with_suffix("").parts
    within = list(parts[:-1])  # the package the module sits in (an __init__ too)
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = within[: len(within) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            found.append((node.lineno, module))
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
    return found


def where(path: Path, line: int, package: Path = PACKAGE) -> str:
    return f"{path.relative_to(package.parent)}:{line}"


def importing(
    folders: tuple[str, ...], forbidden: tuple[str, ...], package: Path = PACKAGE
) -> list[str]:
    """Each import under luckyclub/<folders> of a module in `forbidden` (or below one)."""
    return sorted(
        f"{where(path, line, package)} imports {name}"
        for path in modules(*folders, package=package)
        for line, name in imported(path, package)
        if any(name == prefix or name.startswith(prefix + ".") for prefix in forbidden)
    )

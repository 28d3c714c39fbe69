"""The layers of DESIGN.md, read from the source: the draw engine stays pure, adapters never reach
into a service, and shared code never into a mode. Parsed with ast, so an import inside a function
counts too."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "luckyclub"
SERVICES = ("platform", "club", "competitions", "lotteries", "community")
APP_SHELL = ("state", "pages", "components", "api", "jobs", "modes", "luckyclub", "cli")


def imports_of(folder: str, package_dir: Path = PACKAGE) -> dict[str, set[str]]:
    """Every module each file under luckyclub/<folder> imports, relative imports resolved."""
    found = {}
    for path in sorted((package_dir / folder).rglob("*.py")):
        package = ["luckyclub", *path.relative_to(package_dir).parent.parts]
        names = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = package[: len(package) - node.level + 1] if node.level else []
                module = ".".join([*base, *([node.module] if node.module else [])])
                names.add(module)
                names.update(f"{module}.{alias.name}" for alias in node.names)
        found[str(path.relative_to(package_dir.parent))] = names
    return found


def offending(found: dict[str, set[str]], forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{path} imports {name}"
        for path, names in found.items()
        for name in names
        if any(name == prefix or name.startswith(prefix + ".") for prefix in forbidden)
    )


def test_the_draw_engine_does_no_network_no_database_and_no_reflex():
    engine = imports_of("draws")
    assert engine, "the engine's modules were not found"
    forbidden = ("httpx", "requests", "urllib.request", "socket", "sqlmodel", "sqlalchemy")
    forbidden += ("reflex", "luckyclub.core", "luckyclub.models", "luckyclub.integrations")
    forbidden += tuple(f"luckyclub.{name}" for name in SERVICES + APP_SHELL)
    assert offending(engine, forbidden) == []


def test_adapters_import_no_service_and_no_page():
    adapters = imports_of("integrations")
    assert "luckyclub/integrations/drand.py" in adapters
    forbidden = tuple(f"luckyclub.{name}" for name in SERVICES + APP_SHELL)
    assert offending(adapters, forbidden) == []


def test_shared_code_imports_no_mode_and_no_page():
    # Modes plug into the platform (draw pools, payment handlers, mail fillers), never the reverse.
    modes = ("club", "competitions", "lotteries", "community")
    forbidden = tuple(f"luckyclub.{name}" for name in modes + APP_SHELL)
    for folder in ("core", "models", "platform"):
        assert offending(imports_of(folder), forbidden) == [], folder


@pytest.mark.parametrize(
    "line",
    ["def f():\n    import httpx\n", "from ..platform import draws\n", "import luckyclub.club\n"],
)
def test_the_check_sees_imports_in_functions_and_relative_ones(tmp_path, line):
    (tmp_path / "luckyclub" / "draws").mkdir(parents=True)
    (tmp_path / "luckyclub" / "draws" / "sly.py").write_text(line)
    found = imports_of("draws", tmp_path / "luckyclub")
    assert offending(found, ("httpx", "luckyclub.platform", "luckyclub.club"))

"""The layers of DESIGN.md, read from the source: the draw engine stays pure, adapters never reach
into a service, and shared code never into a mode. Parsed with ast, so an import inside a function
counts too."""

import pytest

from tests.layers import importing, modules

SERVICES = ("platform", "club", "competitions", "lotteries", "community")
APP_SHELL = ("state", "pages", "components", "api", "jobs", "modes", "luckyclub", "cli")


def test_the_draw_engine_does_no_network_no_database_and_no_reflex():
    assert modules("draws"), "the engine's modules were not found"
    forbidden = ("httpx", "requests", "urllib.request", "socket", "sqlmodel", "sqlalchemy")
    forbidden += ("reflex", "luckyclub.core", "luckyclub.models", "luckyclub.integrations")
    forbidden += tuple(f"luckyclub.{name}" for name in SERVICES + APP_SHELL)
    assert importing(("draws",), forbidden) == []


def test_adapters_import_no_service_and_no_page():
    assert any(path.name == "drand.py" for path in modules("integrations"))
    forbidden = tuple(f"luckyclub.{name}" for name in SERVICES + APP_SHELL)
    assert importing(("integrations",), forbidden) == []


def test_shared_code_imports_no_mode_and_no_page():
    # Modes plug into the platform (draw pools, payment handlers, mail fillers), never the reverse.
    modes = ("club", "competitions", "lotteries", "community")
    forbidden = tuple(f"luckyclub.{name}" for name in modes + APP_SHELL)
    for folder in ("core", "models", "platform"):
        assert importing((folder,), forbidden) == [], folder


@pytest.mark.parametrize(
    "line",
    ["def f():\n    import httpx\n", "from ..platform import draws\n", "import luckyclub.club\n"],
)
def test_the_check_sees_imports_in_functions_and_relative_ones(tmp_path, line):
    (tmp_path / "luckyclub" / "draws").mkdir(parents=True)
    (tmp_path / "luckyclub" / "draws" / "sly.py").write_text(line)
    forbidden = ("httpx", "luckyclub.platform", "luckyclub.club")
    found = importing(("draws",), forbidden, tmp_path / "luckyclub")
    assert found and all(f.startswith("luckyclub/draws/sly.py:") for f in found)

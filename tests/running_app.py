"""The real app in a subprocess, `reflex run --env prod`, on a free port with its own SQLite
database and data folder (migrated first): for the browser tests and the benchmarks.

backend_only=True serves the websocket and the HTTP API without building the frontend, so it starts
in seconds: for clients that speak the websocket themselves (tests/reflex_tab.py). It may run beside
a full app of the same checkout, since it leaves .web/ alone.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from luckyclub.core.settings import PROJECT_ROOT
from tests.fake_http import free_port

STARTUP_SECONDS = 600  # the first full start runs npm install and a production build


@dataclass
class RunningApp:
    url: str
    database_url: str
    env: dict[str, str]
    log: Path

    def cli(self, *args: str, extra_env: dict[str, str] | None = None) -> str:
        """Run `python -m luckyclub …` against the app's database; its output."""
        result = subprocess.run(
            [sys.executable, "-m", "luckyclub", *args],
            cwd=PROJECT_ROOT,
            env={**self.env, **(extra_env or {})},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout


def wait_until_serving(
    url: str, process: subprocess.Popen, log: Path, *, pages: bool = True
) -> None:
    """Wait until the app answers (its pages too, unless it serves the backend only)."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the app exited while starting:\n{log.read_text()[-4000:]}")
        try:
            if httpx.get(f"{url}/api/health", timeout=2).status_code == 200 and (
                not pages or httpx.get(f"{url}/", timeout=2).status_code == 200
            ):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the app did not start in {STARTUP_SECONDS} s:\n{log.read_text()[-4000:]}")


@contextmanager
def running_app(
    extra_env: dict[str, str] | None = None,
    *,
    backend_only: bool = False,
    prefix: str = "luckyclub-app-",
    root: Path = PROJECT_ROOT,
) -> Iterator[RunningApp]:
    """The app, served until the block ends; `extra_env` adds or overrides its settings. `root`
    is the checkout it runs from (another one compares an older commit)."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    port = free_port()
    url = f"http://localhost:{port}"
    database_url = f"sqlite:///{folder / 'app.db'}"
    venv_bin = str(Path(sys.executable).parent)
    env = {
        **os.environ,
        "PATH": f"{venv_bin}:{os.environ.get('PATH', '')}",
        "REFLEX_USE_NPM": "1",
        "REFLEX_TELEMETRY_ENABLED": "false",
        "DATABASE_URL": database_url,
        "LUCKYCLUB_DATA_DIR": str(folder),
        "APP_URL": url,
        "SCHEDULER_ENABLED": "0",
        # Every client says it is its own behind one proxy (X-Forwarded-For), so the per-address
        # limits (sign-ups, sign-in failures) count each person apart, as behind Nginx.
        "TRUSTED_PROXY_HOPS": "1",
    }
    env.pop("SMTP_URL", None)
    env.pop("REDIS_URL", None)  # one process: what it does is what the tests see
    env.update(extra_env or {})
    subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
    )
    where = ["--backend-only", "--backend-port"] if backend_only else ["--frontend-port"]
    # 127.0.0.1 only: the other loopback addresses on this port stay free for the processes of
    # tests/e2e/test_several_workers_in_browser.py, which serve this app's build (see there).
    command = [f"{venv_bin}/reflex", "run", "--env", "prod", *where, str(port)]
    log = folder / "app.log"
    process = start_server([*command, "--backend-host", "127.0.0.1"], env, log, cwd=root)
    try:
        wait_until_serving(url, process, log, pages=not backend_only)
        yield RunningApp(url=url, database_url=env["DATABASE_URL"], env=env, log=log)
    finally:
        stop_server(process)


def start_server(
    command: list[str], env: dict[str, str], log: Path, *, cwd: Path = PROJECT_ROOT
) -> subprocess.Popen:
    """Start an app process (in its own process group), logging to `log`."""
    with log.open("w") as out:
        return subprocess.Popen(
            command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop_server(process: subprocess.Popen) -> None:
    """Stop an app process and the workers it started."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)

"""Browser-test fixtures: a real `atelier serve` process (embedded mode, no Redis) and a real headless Chromium.

The server gets two model folders: a tiny untrained `digits` generator, a tiny untrained unconditional `scribbles`
generator (both with their preview grids) and tiny untrained `denoise`, `inpaint` and `detect` repair networks
(always there, so the tests never depend on shipped weights) followed by the shipped weights folder, whose models
override the tiny ones when they exist (the screenshots then show real digits). A further model, `broken-digits`,
has corrupt weights and no preview, so a job on it really fails in the worker and the page's failure message can
be checked without faking the API.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import httpx2 as httpx
import pytest

from tests.conftest import (REPO, free_port, make_tiny_digits, make_tiny_restorers, make_tiny_unconditional,
                            python_env, wait_until)

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
SHIPPED_WEIGHTS = REPO / "models" / "weights"
BROKEN_MODEL = "broken-digits"
UNCONDITIONAL_MODEL = "scribbles"
SERVER_START_TIMEOUT_S = 60  # importing torch and FastAPI on a cold, busy CI machine can take a while


@dataclass(frozen=True)
class Server:
    url: str  # http://127.0.0.1:<port>
    log_path: Path  # the server's combined stdout/stderr, shown when a test fails

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"


def _write_broken_model(folder: Path) -> None:
    """A manifest that looks fine next to weights that are not a safetensors file at all."""
    manifest = json.loads((folder / "digits.json").read_text())
    manifest.update(id=BROKEN_MODEL, description="Deliberately corrupt weights, for testing failure messages.")
    (folder / f"{BROKEN_MODEL}.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    (folder / f"{BROKEN_MODEL}.safetensors").write_bytes(b"this is not a safetensors file")


@pytest.fixture(scope="session")
def browser_models(tmp_path_factory) -> list[Path]:
    from models.checkpoint import load_network
    from models.preview import write_preview
    from models.registry import read_manifest

    folder = tmp_path_factory.mktemp("browser-weights")
    for manifest in (make_tiny_digits(folder), make_tiny_unconditional(folder, model_id=UNCONDITIONAL_MODEL)):
        info = read_manifest(manifest)
        write_preview(load_network(info), info)
    make_tiny_restorers(folder)  # untrained: repairs are not real, but every shape, format and metadata is
    _write_broken_model(folder)
    folders = [folder]
    if (SHIPPED_WEIGHTS / "digits.json").is_file():
        folders.append(SHIPPED_WEIGHTS)  # later folders win: the real digits model replaces the tiny one
    return folders


@contextmanager
def running_server(model_dirs: list[Path], workdir: Path, **settings: str) -> Iterator[Server]:
    """`atelier serve` on a free port, in embedded mode unless `settings` (extra ATELIER_* variables) say
    otherwise, with its job storage under `workdir`."""
    port = free_port()
    env = python_env(ATELIER_DATA_DIR=str(workdir / "data"),
                     ATELIER_MODEL_DIRS=":".join(str(p) for p in model_dirs))
    env.pop("ATELIER_REDIS_URL", None)  # python_env already drops ATELIER_*; embedded mode is the default
    env.update(settings)
    log_path = workdir / "server.log"
    with open(log_path, "wb") as log:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(
            [sys.executable, "-m", "atelier.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    srv = Server(url=f"http://127.0.0.1:{port}", log_path=log_path)

    def healthy() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"atelier serve exited with {proc.returncode}:\n{srv.log_tail()}")
        try:
            return httpx.get(f"{srv.url}/healthz", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    try:
        try:
            wait_until(healthy, timeout=SERVER_START_TIMEOUT_S, interval=0.2, what="atelier serve /healthz")
        except TimeoutError as exc:
            raise RuntimeError(f"{exc}\n{srv.log_tail()}") from None
        yield srv
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@pytest.fixture(scope="session")
def server(browser_models, tmp_path_factory) -> Iterator[Server]:
    with running_server(browser_models, tmp_path_factory.mktemp("browser-server")) as srv:
        yield srv


@pytest.fixture
def empty_server(tmp_path) -> Iterator[Server]:
    """A server that found no models at all."""
    (tmp_path / "no-models").mkdir()
    with running_server([tmp_path / "no-models"], tmp_path) as srv:
        yield srv


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (the test script installs it with `apt-get install -y chromium`)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield chromium
        finally:
            chromium.close()


@contextmanager
def laptop_tab(browser, srv: Server):
    """A fresh laptop-sized tab on `srv`; fails the test on any uncaught script error."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, base_url=srv.url,
                                  accept_downloads=True)
    context.set_default_timeout(20_000)
    tab = context.new_page()
    script_errors: list[str] = []
    tab.on("pageerror", lambda exc: script_errors.append(str(exc)))
    try:
        yield tab
    finally:
        context.close()
    assert not script_errors, f"uncaught errors in the page: {script_errors}"


@pytest.fixture
def page(browser, server):
    with laptop_tab(browser, server) as tab:
        yield tab


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def publish_screenshot(path: Path, target: str = "generate-page.png") -> None:
    """Copies a screenshot over docs/images/<target> when ATELIER_UPDATE_DOCS_SCREENSHOT=1, so ordinary test runs
    never rewrite a tracked file."""
    if os.environ.get("ATELIER_UPDATE_DOCS_SCREENSHOT") == "1":
        dest = REPO / "docs" / "images" / target
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest)


def settle(page: Page) -> None:
    """Waits for the progress bar's closing animation (#progress on the generate and repair pages), so screenshots
    show the finished state."""
    page.wait_for_function("""() => {
      const bar = document.getElementById('progress-bar').getBoundingClientRect();
      const track = document.getElementById('progress').getBoundingClientRect();
      return Math.abs(bar.width - track.width) < 1;
    }""")

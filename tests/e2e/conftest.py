"""Browser-test fixtures shared by every tests/e2e/test_*_browser.py.

``app_url``: one ``streamlit run app.py`` per test session, on a free port, with
CNNVIZ_RUNS_DIR / CNNVIZ_DATA_DIR in a temporary folder; the base URL
(``http://127.0.0.1:PORT``) is yielded and the server is stopped afterwards.

``browser``: one headless Debian chromium per session (Playwright, never
``playwright install``). ``browser_page``: a fresh page per test (1400×900),
closed afterwards.

``streamlit_app``: both together, as a ``StreamlitApp`` with ``.page``, ``.url``,
``.goto("design")`` (opens a page and waits until Streamlit has finished running
the script), ``.wait()`` (after a click or an edit) and ``.shot("name")`` (a
full-page screenshot under /tmp/cnnviz-e2e, or $CNNVIZ_SCREENSHOTS).

Every test in tests/e2e is marked ``e2e`` and skips cleanly when
/usr/bin/chromium or the playwright package is missing (users' machines may
not have them). Deselect them with ``pytest -m "not e2e"``.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("CNNVIZ_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SERVER_START_TIMEOUT_S = 90  # 2 shared cores: a cold start with torch imports can be slow
SCRIPT_RUN_TIMEOUT_MS = 60_000


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark everything under tests/e2e as e2e."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Remember each phase's report on the item, so fixtures can see a failed test."""
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)


def _skip_reason() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing (pip install playwright)"
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


@contextlib.contextmanager
def serve_app(base: Path, extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """Start ``streamlit run app.py`` with runs/data under ``base``; yield its URL; stop it.

    ``extra_env``: more environment for the server (e.g. ``CNNVIZ_CLASS=1`` for class mode).
    """
    port = _free_port()
    env = dict(os.environ)
    env["CNNVIZ_RUNS_DIR"] = os.fspath(base / "runs")
    env["CNNVIZ_DATA_DIR"] = os.fspath(base / "data")
    env.update(extra_env or {})
    log = open(base / "streamlit.log", "wb")  # noqa: SIM115 (closed in finally)
    cmd = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while not _healthy(url):
            if proc.poll() is not None:
                log.flush()
                tail = (base / "streamlit.log").read_text(errors="replace")[-2000:]
                pytest.fail(f"streamlit exited with code {proc.returncode}:\n{tail}")
            if time.monotonic() > deadline:
                pytest.fail(
                    f"streamlit did not answer {url}/_stcore/health in {SERVER_START_TIMEOUT_S} s"
                )
            time.sleep(0.25)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


@pytest.fixture(scope="session")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a running ``streamlit run app.py`` (stopped at the end of the session)."""
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    with serve_app(tmp_path_factory.mktemp("e2e")) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One headless chromium for the whole session."""
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=os.fspath(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="session")
def _router_ready(browser, app_url: str) -> str:
    """Open the app's root once, so the server has run app.py's ``st.navigation``.

    Warms the server up (imports, first script run) before the timed waits of the tests.
    Deep links on a fresh server are tested on their own in test_routing.py.
    """
    context = browser.new_context()
    try:
        goto(context.new_page(), app_url)
    finally:
        context.close()
    return app_url


@pytest.fixture
def browser_page(browser, _router_ready: str, request: pytest.FixtureRequest) -> Iterator[object]:
    """A fresh page (new context: no shared session state) for one test.

    When the test fails, a screenshot ``<test name>-failed.png`` lands in screenshot_dir().
    """
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(SCRIPT_RUN_TIMEOUT_MS)
    try:
        yield page
    finally:
        rep = getattr(request.node, "rep_call", None)
        if rep is not None and rep.failed:
            with contextlib.suppress(Exception):
                path = screenshot_dir() / f"{request.node.name}-failed.png"
                page.screenshot(path=os.fspath(path), full_page=True)
        with contextlib.suppress(Exception):
            context.close()


def wait_idle(page, timeout_ms: int = SCRIPT_RUN_TIMEOUT_MS) -> None:
    """Wait until Streamlit has run the script and is idle (stApp's script state is notRunning).

    After a click or an edit, prefer waiting for the text you expect: a rerun
    may start a moment after the event.
    """
    page.wait_for_timeout(200)  # let a just-triggered rerun start
    page.wait_for_function(
        """() => {
            const app = document.querySelector('[data-testid="stApp"]');
            return !!app && app.getAttribute('data-test-script-state') === 'notRunning'
                && app.getAttribute('data-test-connection-state') === 'CONNECTED';
        }""",
        timeout=timeout_ms,
    )


def goto(page, url: str, timeout_ms: int = SCRIPT_RUN_TIMEOUT_MS) -> None:
    """Open ``url`` and wait for the first script run to finish."""
    page.goto(url, wait_until="domcontentloaded")
    wait_idle(page, timeout_ms)


def screenshot_dir() -> Path:
    """Where browser tests write screenshots (/tmp/cnnviz-e2e, or CNNVIZ_SCREENSHOTS)."""
    d = Path(os.environ.get("CNNVIZ_SCREENSHOTS", "/tmp/cnnviz-e2e"))
    d.mkdir(parents=True, exist_ok=True)
    return d


class StreamlitApp:
    """A page of the running app: ``app.goto("design")``, ``app.wait()``, ``app.shot("name")``."""

    def __init__(self, page, url: str) -> None:
        self.page = page
        self.url = url

    def goto(self, path: str = "") -> None:
        """Open ``/<path>`` (e.g. ``"design?net=..."``) and wait for the script run."""
        goto(self.page, f"{self.url}/{path.lstrip('/')}")

    def wait(self) -> None:
        wait_idle(self.page)

    def shot(self, name: str) -> Path:
        """A full-page screenshot in screenshot_dir(); returns its path."""
        path = screenshot_dir() / f"{name}.png"
        self.page.screenshot(path=os.fspath(path), full_page=True)
        return path


@pytest.fixture
def streamlit_app(browser_page, app_url: str) -> StreamlitApp:
    """The page and the server together: the handiest fixture for a browser test."""
    return StreamlitApp(browser_page, app_url)


@pytest.fixture
def fresh_app(browser, tmp_path: Path) -> Iterator[StreamlitApp]:
    """A page on a server of its own that nobody has opened yet (for first-request tests)."""
    with serve_app(tmp_path) as url:
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        try:
            yield StreamlitApp(context.new_page(), url)
        finally:
            context.close()

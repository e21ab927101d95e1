"""Browser tests: Debian's Chromium driven by Playwright against the real server in a subprocess.

Every test here is marked ``browser``. Screenshots go to ``artifacts/screenshots/``: one for every
failing test (taken before the page closes) and named ones for key steps (the ``screenshot`` fixture).
Without Chromium the tests are skipped, or fail when ``FACILITATION_REQUIRE_SERVICES=1`` (CI).
"""

import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from serverproc import ROOT, ServerProcess, start_server

CHROMIUM = os.environ.get("FACILITATION_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Moderator:
    email: str
    password: str


MODERATOR = Moderator("moderation@example.org", "pass-word-123")


def _services_required() -> bool:
    return os.environ.get("FACILITATION_REQUIRE_SERVICES") == "1"


def pytest_collection_modifyitems(config, items):
    """Mark every test in this folder ``browser`` and run them last.

    ``-m "not browser"`` leaves them out. They go last because Playwright's sync API keeps its asyncio
    loop registered as the running loop of the main thread until the session ends: an
    ``asyncio.run()`` in any later test would fail with "cannot be called from a running event loop".
    """
    ours = [item for item in items if HERE in Path(item.path).resolve().parents]
    for item in ours:
        item.add_marker(pytest.mark.browser)
    chosen = set(ours)
    items[:] = [item for item in items if item not in chosen] + ours


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:120]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Screenshot the page of a failed test while it is still open."""
    report = yield
    if report.when == "call" and report.failed:
        page = item.funcargs.get("page") if hasattr(item, "funcargs") else None
        if page is not None and not page.is_closed():
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            path = SCREENSHOTS / f"FAILED--{_slug(item.nodeid.split('::', 1)[-1])}.png"
            try:
                page.screenshot(path=str(path), full_page=True)
            except Exception as error:  # the browser may be what broke; keep the original failure
                report.sections.append(("screenshot", f"could not save {path}: {error}"))
            else:
                report.sections.append(("screenshot", f"saved {path.relative_to(ROOT)} (page {page.url})"))
        server = item.funcargs.get("live_server") if hasattr(item, "funcargs") else None
        if server is not None and not server.is_running:
            report.sections.append(
                ("live server", f"exited with {server.process.returncode}:\n{server.output()[-5000:]}")
            )
    return report


@pytest.fixture(scope="session", autouse=True)
def _fresh_screenshots() -> None:
    """Start each run with an empty ``artifacts/screenshots/``, so that it shows this run only."""
    if SCREENSHOTS.is_dir():
        for old in SCREENSHOTS.glob("*.png"):
            old.unlink()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Launch Debian's Chromium instead of a Playwright-downloaded browser."""
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if _services_required():
            pytest.fail(f"{message} (FACILITATION_REQUIRE_SERVICES=1)")
        pytest.skip(message)
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def base_url(live_server: ServerProcess) -> str:
    """The live server, so that ``page.goto("/login")`` works.

    Overriding it also keeps pytest-playwright's fallback ``base_url`` (a fixture on a plugin instance,
    which pytest 9 deprecates with a ``PytestRemovedIn10Warning``) from running at all.
    """
    return live_server.url


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "de-DE", "viewport": {"width": 1280, "height": 900}}


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> ServerProcess:
    """The real server (eventlet, as in production) on a fresh SQLite file, with one moderator."""
    server = start_server(tmp_path_factory.mktemp("live-server"), async_mode="eventlet")
    try:
        server.cli("create-moderator", MODERATOR.email, "--password", MODERATOR.password, "--name", "Mona Moderation")
        yield server
    finally:
        server.stop()
        # The server's whole log next to the screenshots: what a failed browser test saw as a 500.
        SCREENSHOTS.parent.mkdir(parents=True, exist_ok=True)
        (SCREENSHOTS.parent / "live-server.log").write_text(server.output())


@pytest.fixture(scope="session")
def moderator() -> Moderator:
    return MODERATOR


@pytest.fixture
def screenshot(request, page: Page) -> Callable[[str], Path]:
    """``screenshot("agenda")`` saves ``artifacts/screenshots/<test>--agenda.png`` of the page."""
    test_name = _slug(request.node.name)

    def take(name: str, *, target: Page | None = None, full_page: bool = True) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{test_name}--{_slug(name)}.png"
        (target or page).screenshot(path=str(path), full_page=full_page)
        return path

    return take


@pytest.fixture
def login_as(live_server: ServerProcess) -> Callable[..., None]:
    """Log a page in through the login form."""

    def log_in(page: Page, account: Moderator = MODERATOR) -> None:
        page.goto(f"{live_server.url}/login")
        page.get_by_label("E-Mail-Adresse").fill(account.email)
        page.get_by_label("Passwort").fill(account.password)
        page.get_by_role("button", name="Anmelden").click()
        expect(page).to_have_url(re.compile(r"/workshops$"))

    return log_in

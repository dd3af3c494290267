"""A real browser renders /docs with every operation while no outside host can be reached.

Headless Chromium (Debian's package; installed here when we are root and it is missing) loads
/docs from the production server (gunicorn) with every host name but the service's address made
unresolvable, runs the page's scripts, and prints the DOM they built. Every operation of
/openapi.json must be on it: the page needs nothing that is not served by the service.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator

import pytest
import requests

from tests.support.servers import GunicornServer

pytestmark = pytest.mark.slow

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
INSTALL_TIMEOUT_SECONDS = 540
RENDER_TIMEOUT_SECONDS = 90
# Virtual time: the page's scripts and its fetch of /openapi.json run until idle, up to this.
VIRTUAL_TIME_BUDGET_MS = 20_000
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}
OPERATION = re.compile(
    r'opblock-summary-method">(\w+)</span>.*?opblock-summary-path" data-path="([^"]+)"', re.S
)
OUTSIDE_REFERENCE = re.compile(r"""(?:src|href)=["'](?:https?:)?//""")


def _find_browser() -> str | None:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def _apt(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    return subprocess.run(
        ["apt-get", *args], env=env, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_SECONDS
    )


def _install_chromium() -> str:
    """Install Debian's chromium as root, refreshing the package lists if the first try fails."""
    output = ""
    for refresh in (False, True):
        if refresh:
            _apt("update", "-qq")
        result = _apt("install", "-y", "-qq", "chromium", "chromium-driver")
        output = result.stdout[-1000:] + result.stderr[-1000:]
        found = _find_browser()
        if result.returncode == 0 and found:
            return found
    pytest.skip(f"no browser, and apt-get could not install chromium here:\n{output}")


@pytest.fixture(scope="module")
def browser() -> str:
    """Return a Chromium binary, installing Debian's package when root; skip only if impossible."""
    found = _find_browser()
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip("no Chromium, and installing it needs root and apt-get (.ci/run installs it)")
    return _install_chromium()


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[GunicornServer]:
    """Run the production server; /docs and /openapi.json never call the (absent) upstream."""
    env = {
        "APP_ENV": "development",
        "WISPHUB_NET_HOST": "http://127.0.0.1:9",
        "WISPHUB_NET_KEY": "Docs1234.abcdefghijklmnopqrstuvwxyz012345",
        "WISPHUB_INTERNAL_API_KEY": "docs-test-key",
        "WARMUP_ON_START": "false",
        "WEB_CONCURRENCY": "1",
    }
    server = GunicornServer(tmp_path_factory.mktemp("docs"), env, ready_path="/health").start()
    yield server
    server.stop()


def render(browser: str, url: str, profile: str) -> subprocess.CompletedProcess[str]:
    """Load ``url`` headless, let its scripts run, and return the DOM they built."""
    command = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        # Any host name fails to resolve: a CDN reference could not load.
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
        f"--virtual-time-budget={VIRTUAL_TIME_BUDGET_MS}",
        "--dump-dom",
        url,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=RENDER_TIMEOUT_SECONDS)


@pytest.mark.timeout(INSTALL_TIMEOUT_SECONDS + RENDER_TIMEOUT_SECONDS)
def test_docs_render_every_operation_in_a_browser_offline(browser, served, tmp_path):
    spec = requests.get(served.url + "/openapi.json", timeout=10).json()
    expected = {
        (method.upper(), path)
        for path, item in spec["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }
    result = render(browser, served.url + "/docs", str(tmp_path / "profile"))
    assert result.returncode == 0, result.stderr[-2000:]
    rendered = set(OPERATION.findall(result.stdout))
    assert rendered == expected, result.stderr[-2000:]
    assert not OUTSIDE_REFERENCE.search(result.stdout)

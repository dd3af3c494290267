"""Rules of the loadtests package and of mk/loadtest.mk, checked without running Locust."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "loadtests"
MAKEFILE = ROOT / "mk" / "loadtest.mk"
ENTRY_FILES = sorted((PACKAGE / "locustfiles").glob("[!_]*.py")) + sorted(
    (PACKAGE / "shapes").glob("[!_]*.py")
)
# Imported by pytest and by `python -m loadtests.check_results`: must not pull in gevent.
PURE_MODULES = ["check_results", "common/checks", "common/config", "common/queries",
                "common/report", "common/schedules", "common/thresholds"]  # fmt: skip
PRINT_SMOKE_ENV = "sh -c 'printenv LOADTEST_MAX_AVG_MS LOADTEST_MAX_CACHED_P95_MS' locust"


def imported_modules(path: Path) -> list[str]:
    """Return the modules a file imports, in order."""
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def make(*args: str) -> subprocess.CompletedProcess[str]:
    """Run a target of the fragment with no LOADTEST_* settings inherited from the caller."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOADTEST_")}
    command = ["make", "--no-print-directory", "-f", str(MAKEFILE), *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: p.name)
def test_loadtests_module_never_imports_the_api(path: Path) -> None:
    assert not [m for m in imported_modules(path) if m.split(".")[0] == "wisphub_api"]


@pytest.mark.parametrize("path", ENTRY_FILES, ids=lambda p: p.name)
def test_locustfile_imports_locust_first(path: Path) -> None:
    modules = [m for m in imported_modules(path) if m != "__future__"]
    assert modules[0] == "locust"


@pytest.mark.parametrize("name", PURE_MODULES)
def test_pure_module_does_not_import_locust_or_gevent(name: str) -> None:
    modules = imported_modules(PACKAGE / f"{name}.py")
    assert not [m for m in modules if m.split(".")[0] in {"locust", "gevent"}]


def test_makefile_every_target_has_a_help_comment() -> None:
    text = MAKEFILE.read_text(encoding="utf-8")
    phony = set(re.search(r"^\.PHONY:(.*?)(?<!\\)$", text, re.M | re.S).group(1).split()) - {"\\"}
    documented = set(re.findall(r"^([\w-]+):[^#\n]*## \S", text, re.M))
    assert phony == documented
    assert {"loadtest", "loadtest-ui", "loadtest-smoke", "loadtest-step"} <= documented


needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


@needs_make
def test_makefile_smoke_runs_original_scenario_briefly() -> None:
    command = make("-n", "loadtest-smoke", "HOST=http://api:1").stdout
    assert "-m locust --headless --host http://api:1" in command
    assert "-f loadtests/locustfiles/original.py -u 20 -r 10 -t 30s" in command
    assert "-m loadtests.check_results results/smoke_stats.csv" in command


@needs_make
def test_makefile_smoke_turns_latency_limits_off_unless_set(tmp_path: Path) -> None:
    args = ["loadtest-smoke", f"LOCUST={PRINT_SMOKE_ENV}", "PY=true", f"RESULTS={tmp_path}"]
    assert make(*args).stdout.split() == ["off", "off"]
    assert make(*args, "LOADTEST_MAX_AVG_MS=80").stdout.split() == ["80", "off"]


@needs_make
def test_makefile_loadtest_defaults_and_step_shape() -> None:
    command = make("-n", "loadtest", "loadtest-step").stdout
    assert "--host http://localhost:8000" in command
    assert "-u 50 -r 5 -t 5m" in command
    assert "--csv results/loadtest --html results/loadtest.html --only-summary" in command
    assert "-f loadtests/locustfiles/original.py,loadtests/shapes/step_load.py" in command
    # One Locust process per core for the seed's scenario; the shapes keep one process.
    assert command.count("--processes -1") == 1
    assert "--processes 1" in make("-n", "loadtest", "PROCESSES=1").stdout

"""Every setting is documented in .env.example and in the README, and the demo values agree."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from wisphub_api.config import _SETTINGS, DEMO_API_KEY
from wisphub_api.sandbox.options import DEMO_API_KEY as SANDBOX_DEMO_KEY
from wisphub_mcp.config import SETTING_NAMES as MCP_SETTINGS

ROOT = Path(__file__).resolve().parents[1]
ENV_EXAMPLE = (ROOT / ".env.example").read_text()
README = (ROOT / "README.md").read_text()
# Read by gunicorn.conf.py rather than by the app.
SERVER_SETTINGS = [
    "PORT",
    "WEB_CONCURRENCY",
    "PROMETHEUS_MULTIPROC_DIR",
    "WORKER_CONNECTIONS",
    "REQUEST_HEADER_TIMEOUT",
    "OVERLOAD_LAG_MS",
    "OVERLOAD_MAX_IN_FLIGHT",
    "OVERLOAD_RETRY_AFTER",
]
# Read by scripts/serve.sh and by the MCP server (tests/test_mcp_config.py checks the latter).
OTHER_SETTINGS = ["SANDBOX_PORT", *MCP_SETTINGS]


def example_values() -> dict[str, str]:
    return dict(re.findall(r"^(?:# )?([A-Z_]+)=(.*)$", ENV_EXAMPLE, flags=re.MULTILINE))


@pytest.mark.parametrize("name", [*_SETTINGS, *SERVER_SETTINGS, *OTHER_SETTINGS])
def test_setting_is_in_env_example_with_a_comment(name):
    lines = ENV_EXAMPLE.splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith((f"{name}=", f"# {name}=")))
    assert lines[index - 1].startswith("# ")


@pytest.mark.parametrize("name", [*_SETTINGS, *SERVER_SETTINGS, *OTHER_SETTINGS])
def test_setting_is_in_the_readme_table(name):
    assert f"| `{name}` |" in README


def test_env_example_lists_nothing_unknown():
    assert set(example_values()) <= {*_SETTINGS, *SERVER_SETTINGS, *OTHER_SETTINGS}


def test_env_example_keys_are_the_demo_keys():
    values = example_values()
    assert values["WISPHUB_NET_KEY"] == SANDBOX_DEMO_KEY
    assert values["WISPHUB_INTERNAL_API_KEY"] == DEMO_API_KEY
    assert values["WISPHUB_NET_HOST"] == ""  # so that `make serve` starts the sandbox

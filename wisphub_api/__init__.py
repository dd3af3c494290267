"""WispHub API: the cached, authenticated middleware between chat bots and WispHub Net."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # importing flask here would load ssl before the sandbox patches with gevent
    from flask import Flask

__version__ = "0.1.0"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Create the Flask application; ``config`` replaces settings read from the environment."""
    from flask import Flask

    from wisphub_api import auth, errors, extensions, fastlane, http, i18n, observability
    from wisphub_api.blueprints import register_blueprints
    from wisphub_api.config import load_config, validate_config
    from wisphub_api.requesthooks import merge_hooks

    app = Flask(__name__, static_folder=None)
    app.config.from_mapping(load_config() if config is None else {})
    if config is not None:
        app.config.from_mapping(config)
    validate_config(app.config)
    app.json.sort_keys = False  # type: ignore[attr-defined]  # keep the contract's field order

    extensions.init_state(app)
    extensions.cache.init_app(app, config=_cache_config(app.config))
    api = _make_api(app)
    errors.init_app(app)
    i18n.init_app(app)  # sentences in the request's language, chosen only when one is said
    auth.init_app(app)
    http.init_app(app)
    extensions.init_services(app)
    fastlane.init_app(app)  # plain cached GETs answered before Flask; inside the request clock
    observability.init_app(app)  # after the services, so their cache and upstream calls count
    register_blueprints(app, api)
    merge_hooks(app)  # the hooks registered above, run as one before- and one after-request hook
    extensions.start_services(app)
    return app


def _cache_config(config: Mapping[str, Any]) -> dict[str, Any]:
    cache_config = {
        "CACHE_TYPE": config["CACHE_TYPE"],
        "CACHE_DEFAULT_TIMEOUT": config["CLIENTS_CACHE_TTL"],
        "CACHE_KEY_PREFIX": config["CACHE_KEY_PREFIX"],
    }
    if config["CACHE_TYPE"] == "RedisCache":
        # flask-caching's RedisCache on the shared client, behind the shared store's breaker.
        cache_config["CACHE_TYPE"] = "wisphub_api.state.cache.GuardedRedisCache"
    return cache_config


def _make_api(app: Flask) -> Any:
    """Bind a flask-smorest ``Api`` (the OpenAPI document and the /docs page) to ``app``."""
    from flask_smorest import Api

    from wisphub_api.extensions import API_KEY
    from wisphub_api.schemas.common import ErrorSchema

    class WispHubOpenApi(Api):
        ERROR_SCHEMA = ErrorSchema  # document our error shape, not flask-smorest's

    app.config.update(
        API_TITLE="WispHub API",
        API_VERSION=__version__,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
    )
    from wisphub_api import docs

    docs.init_app(app)  # Swagger UI's files from a pinned package, so /docs works offline
    api = WispHubOpenApi(app, spec_kwargs={"info": {"description": _API_DESCRIPTION}})
    api.spec.components.security_scheme(
        "ApiKeyAuth", {"type": "apiKey", "in": "header", "name": "X-API-Key"}
    )
    api.spec.options["security"] = [{"ApiKeyAuth": []}]
    app.extensions[API_KEY] = api
    return api


_API_DESCRIPTION = (
    "Look up, search and verify the subscribers of an ISP on WispHub Net, and answer about its "
    "internet plans. Every route below `/api/v1` is also served under `/api` for bots written "
    "against the public FastAPI middleware. Send the bot's key in the `X-API-Key` header."
)

"""Unbound extension singletons, bound to an app in ``create_app``.

flask-smorest's ``Api`` keeps the app and its spec on the instance, so one is made per app in
``create_app`` (tests build many apps in one process); flask-caching's ``Cache`` keeps its
per-app state in ``app.extensions`` and is safe to share.
"""

from __future__ import annotations

from flask_caching import Cache

cache = Cache()

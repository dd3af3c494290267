"""Run the app's before- and after-request hooks as one hook each.

Every module registers its own hooks (the key guard, the media-type check, the answer's id,
metrics and log line, the security headers, the language); Flask then pays, per hook and per
request, a lookup and an ``ensure_sync`` check. ``merge_hooks`` replaces each app-wide list by
one function that calls the same hooks in the same order and stops where Flask would: the first
before-hook that returns a value answers the request, and each after-hook takes the response
the previous one returned (in reverse order of registration, as Flask runs them). Hooks
registered afterwards (or on a blueprint) run as usual.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from flask import Flask, Response

__all__ = ["merge_hooks"]


def merge_hooks(app: Flask) -> None:
    """Merge the app-wide before-request hooks into one, and the after-request hooks into one."""
    befores: list[Any] = list(app.before_request_funcs.get(None, []))
    if len(befores) > 1 and not _any_async(befores):
        app.before_request_funcs[None] = [_before_chain(befores)]
    afters: list[Any] = list(app.after_request_funcs.get(None, []))
    if len(afters) > 1 and not _any_async(afters):
        app.after_request_funcs[None] = [_after_chain(afters[::-1])]


def _any_async(hooks: list[Callable[..., Any]]) -> bool:
    # Flask runs a coroutine hook through ensure_sync; such a list is left to Flask.
    return any(inspect.iscoroutinefunction(hook) for hook in hooks)


def _before_chain(hooks: list[Callable[[], Any]]) -> Callable[[], Any]:
    def before_request() -> Any:
        for hook in hooks:
            answer = hook()
            if answer is not None:
                return answer
        return None

    before_request.merged = tuple(hooks)  # type: ignore[attr-defined]
    return before_request


def _after_chain(hooks: list[Callable[[Response], Response]]) -> Callable[[Response], Response]:
    def after_request(response: Response) -> Response:
        for hook in hooks:
            response = hook(response)
        return response

    after_request.merged = tuple(hooks)  # type: ignore[attr-defined]
    return after_request

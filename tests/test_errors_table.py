"""One table maps every service and upstream error to its HTTP answer; none is left out."""

from __future__ import annotations

import inspect

import pytest

from wisphub_api import errors
from wisphub_api.services import errors as service_errors
from wisphub_api.state.base import SharedStateUnavailable
from wisphub_api.upstream import errors as upstream_errors


def _subclasses(base: type) -> list[type]:
    found = []
    for kind in base.__subclasses__():
        found += [kind, *_subclasses(kind)]
    return found


SERVICE_ERRORS = _subclasses(service_errors.ServiceError)
UPSTREAM_ERRORS = [upstream_errors.UpstreamError, *_subclasses(upstream_errors.UpstreamError)]


def test_every_service_error_has_its_own_answer():
    assert SERVICE_ERRORS, "services/errors.py defines no error"
    missing = [kind.__name__ for kind in SERVICE_ERRORS if kind not in errors.ANSWERS]
    assert missing == []


@pytest.mark.parametrize("kind", [*UPSTREAM_ERRORS, SharedStateUnavailable])
def test_every_upstream_and_state_error_is_answered(kind):
    assert kind in errors.ANSWERS


def test_answers_are_errors_with_stable_codes():
    for kind, answer in errors.ANSWERS.items():
        assert 400 <= answer.status < 600, kind
        assert answer.code.isidentifier() and answer.code == answer.code.lower(), kind
        assert answer.detail.endswith("."), kind


@pytest.mark.parametrize("kind", SERVICE_ERRORS)
def test_answer_detail_placeholders_name_the_errors_attributes(kind):
    detail = errors.ANSWERS[kind].detail
    if kind.__init__ is Exception.__init__:
        sample = kind()
    else:
        parameters = list(inspect.signature(kind).parameters)
        sample = kind(*([1.0] * len(parameters)))
    detail.format_map(vars(sample))  # raises KeyError when a placeholder names nothing


def test_nearest_ancestor_answers_an_error_without_an_entry():
    class Unlisted(upstream_errors.UpstreamTimeout):
        pass

    assert errors.answer_for(Unlisted()) == errors.ANSWERS[upstream_errors.UpstreamTimeout]

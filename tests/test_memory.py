"""Giving a dropped snapshot's memory back: glibc calls through ctypes, no-ops elsewhere."""

from __future__ import annotations

import pytest

from wisphub_api.services import memory


@pytest.fixture(autouse=True)
def fresh_lookups():
    memory._libc.cache_clear()
    memory._malloc_trim.cache_clear()
    yield
    memory._libc.cache_clear()
    memory._malloc_trim.cache_clear()


class NoAllocatorCalls:
    """A C library like musl's or macOS's: neither malloc_trim nor mallopt."""


def test_release_free_memory_without_malloc_trim_is_a_no_op(monkeypatch):
    monkeypatch.setattr(memory, "_libc", lambda: NoAllocatorCalls())
    assert memory.release_free_memory() is False


def test_release_free_memory_without_a_loadable_libc_is_a_no_op(monkeypatch):
    monkeypatch.setattr(memory, "_libc", lambda: None)
    assert memory.release_free_memory() is False
    assert memory.fix_mmap_threshold() is False


def test_fix_mmap_threshold_without_mallopt_is_a_no_op(monkeypatch):
    monkeypatch.setattr(memory, "_libc", lambda: NoAllocatorCalls())
    assert memory.fix_mmap_threshold() is False


def test_release_free_memory_when_the_call_fails_keeps_serving(monkeypatch):
    def failing(_pad: int) -> int:
        raise OSError("no")

    monkeypatch.setattr(memory, "_malloc_trim", lambda: failing)
    assert memory.release_free_memory() is False


def test_allocator_calls_on_this_libc_answer_a_bool():
    assert isinstance(memory.release_free_memory(), bool)
    assert isinstance(memory.fix_mmap_threshold(), bool)

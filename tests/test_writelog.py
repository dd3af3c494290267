"""The write log: the writer applies its entry at once, every other follower reads all of them."""

from __future__ import annotations

from wisphub_api.services.writelog import WriteLog
from wisphub_api.state.guard import Guarded
from wisphub_api.state.local import LocalStore


def two_workers(tmp_path):
    store = LocalStore(tmp_path / "s.sqlite3")
    seen: dict[str, list] = {"a": [], "b": []}
    logs = {}
    for name in seen:
        log = WriteLog(Guarded(store, retry_seconds=5), "clients", retention=60, cap=100)
        log.subscribers.append(seen[name].extend)
        logs[name] = log
    return logs, seen


def test_writelog_interleaved_appends_reach_every_worker_once(tmp_path):
    logs, seen = two_workers(tmp_path)
    logs["b"].append({"n": 1})  # b writes first; a has not polled yet
    logs["a"].append({"n": 2})
    logs["b"].append({"n": 3})
    for log in logs.values():
        log.poll()
        log.poll()
    assert sorted(e["n"] for e in seen["a"]) == [1, 2, 3]
    assert sorted(e["n"] for e in seen["b"]) == [1, 2, 3]


def test_writelog_the_writer_sees_its_entry_before_any_poll(tmp_path):
    logs, seen = two_workers(tmp_path)
    logs["a"].append({"n": 1})
    assert seen == {"a": [{"n": 1}], "b": []}
    logs["b"].poll()
    assert seen["b"] == [{"n": 1}]


def test_writelog_poll_reports_an_unreachable_store(tmp_path):
    class Down:
        kind = "local"

        def read_since(self, log, seq):
            raise OSError("disk gone")

    log = WriteLog(Guarded(Down(), retry_seconds=5), "clients", retention=60, cap=100)
    assert log.poll() is False

"""Declared users and shapes, inspected in a subprocess (importing locust here would patch pytest).

The subprocess loads each file the way `locust -f` does, records what every task would request
(with get_json/post_json replaced by recorders) and samples the shapes' tick() at given times.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
LOCUSTFILES = ROOT / "loadtests" / "locustfiles"
SHAPES = ROOT / "loadtests" / "shapes"
VERIFY_PAYLOAD = {"address": "BELLAVISTA", "internet_plan_price": 40000.0}
STEP_ENV = {"USERS": "5", "TIME": "10", "MAX_USERS": "12", "SPAWN_RATE": "2"}
SPIKE_ENV = {"BASE_USERS": "2", "USERS": "8", "BASE_TIME": "5", "TIME": "3", "RECOVERY_TIME": "4",
             "SPAWN_RATE": "50"}  # fmt: skip
SHAPE_ENV = {f"LOADTEST_STEP_{k}": v for k, v in STEP_ENV.items()} | {
    f"LOADTEST_SPIKE_{k}": v for k, v in SPIKE_ENV.items()
}

INSPECT = r"""
import json, random, sys
from collections import Counter
import locust
from locust.env import Environment
from locust.util.load_locustfile import load_locustfile

def wait(fn):
    cells = [c.cell_contents for c in fn.__closure__ or ()]
    return {"kind": fn.__qualname__.split(".")[0], **dict(zip(fn.__code__.co_freevars, cells))}

def calls_of(user, fn):
    seen = []
    user.get_json = lambda path, name, check, expected_status=200: seen.append(
        {"method": "GET", "path": path, "name": name, "check": check.__name__})
    user.post_json = lambda path, payload, name, check, expected_status=200: seen.append(
        {"method": "POST", "path": path, "name": name, "check": check.__name__, "payload": payload})
    for _ in range(40):
        fn(user)
    return [json.loads(c) for c in sorted({json.dumps(c, sort_keys=True) for c in seen})]

def describe(cls):
    user = cls(Environment())
    user.on_start()
    weights = Counter(t.__name__ for t in cls.tasks)
    fns = {t.__name__: t for t in cls.tasks}
    tasks = {n: {"weight": w, "calls": calls_of(user, fns[n])} for n, w in weights.items()}
    return {"wait": wait(cls.wait_time), "tasks": tasks, "host": cls.host,
            "key": user.client.headers.get("X-API-Key")}

random.seed(0)
out = {}
for path in sys.argv[1:]:
    users, shapes = load_locustfile(path)
    ticks = {}
    for shape in shapes:
        samples = []
        for t in (0, 4.9, 5, 7.9, 8, 9.9, 10, 11.9, 12, 20, 30, 39.9, 40):
            shape.get_run_time = lambda t=t: t
            samples.append(shape.tick())
        ticks[type(shape).__name__] = samples
    out[path.rsplit("/", 1)[-1]] = {
        "users": {name: describe(cls) for name, cls in users.items()}, "shapes": ticks}
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def declared() -> dict[str, Any]:
    """Inspect every locustfile and shape file in one subprocess."""
    files = sorted(str(p) for p in [*LOCUSTFILES.glob("*.py"), *SHAPES.glob("*.py")])
    files = [f for f in files if not f.endswith("__init__.py")]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOADTEST_", "LOCUST_"))}
    env |= SHAPE_ENV | {"WISPHUB_API_KEY": "probe-key", "LOADTEST_HOST": "http://api.test:9"}
    proc = subprocess.run(
        [sys.executable, "-c", INSPECT, *files],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])


def test_original_user_runs_exactly_the_original_mix(declared: dict[str, Any]) -> None:
    users = declared["original.py"]["users"]
    assert list(users) == ["WispHubAPIUser"]
    tasks = users["WispHubAPIUser"]["tasks"]
    assert {name: t["weight"] for name, t in tasks.items()} == {
        "list_clients": 3, "search_clients": 2, "verify_client": 1, "list_plans": 1,
    }  # fmt: skip
    assert users["WispHubAPIUser"]["wait"] == {"kind": "between", "min_wait": 1, "max_wait": 3}


def test_original_user_requests_exact_paths_checks_and_payload(declared: dict[str, Any]) -> None:
    tasks = declared["original.py"]["users"]["WispHubAPIUser"]["tasks"]
    calls = {name: t["calls"] for name, t in tasks.items()}
    assert calls["list_clients"] == [
        {"method": "GET", "path": "/api/v1/clients/", "name": "/api/v1/clients/",
         "check": "client_list"}]  # fmt: skip
    search = "/api/v1/clients/search?q=Esperanza"
    assert calls["search_clients"] == [
        {"method": "GET", "path": search, "name": search, "check": "search_results"}
    ]
    assert calls["list_plans"] == [
        {"method": "GET", "path": "/api/v1/internet-plans/", "name": "/api/v1/internet-plans/",
         "check": "plan_list"}]  # fmt: skip
    assert calls["verify_client"] == [
        {"method": "POST", "path": "/api/v1/clients/7/verify", "name": "/api/v1/clients/7/verify",
         "check": "verification_passed", "payload": VERIFY_PAYLOAD}]  # fmt: skip
    assert isinstance(calls["verify_client"][0]["payload"]["internet_plan_price"], float)


def test_api_user_sends_configured_key_and_host(declared: dict[str, Any]) -> None:
    user = declared["original.py"]["users"]["WispHubAPIUser"]
    assert (user["key"], user["host"]) == ("probe-key", "http://api.test:9")


def test_heavy_verification_user_weights_and_wait(declared: dict[str, Any]) -> None:
    user = declared["heavy_verification.py"]["users"]["HeavyVerificationUser"]
    assert user["wait"] == {"kind": "between", "min_wait": 0.5, "max_wait": 1.5}
    verify, search = user["tasks"]["verify_client"], user["tasks"]["search_clients"]
    assert (verify["weight"], search["weight"]) == (10, 1)
    assert verify["calls"][0]["payload"] == VERIFY_PAYLOAD
    assert search["calls"][0]["path"] == "/api/v1/clients/search?q=Test"


def test_client_search_user_groups_random_terms_under_one_name(declared: dict[str, Any]) -> None:
    user = declared["client_search.py"]["users"]["ClientSearchUser"]
    assert user["wait"] == {"kind": "between", "min_wait": 1, "max_wait": 2}
    calls = user["tasks"]["search_clients"]["calls"]
    terms = {call["path"].removeprefix("/api/v1/clients/search?q=") for call in calls}
    assert terms == {"Esperanza", "Rodriguez", "Martinez", "Lopez"}
    assert {call["name"] for call in calls} == {"/api/v1/clients/search?q=[term]"}


def test_saturation_user_runs_original_mix_without_waiting(declared: dict[str, Any]) -> None:
    users = declared["saturation.py"]["users"]
    assert list(users) == ["SaturationUser"]
    assert users["SaturationUser"]["wait"] == {"kind": "constant", "wait_time": 0}
    original = declared["original.py"]["users"]["WispHubAPIUser"]["tasks"]
    assert users["SaturationUser"]["tasks"] == original


def test_all_locustfile_mixes_the_three_scenarios(declared: dict[str, Any]) -> None:
    users = set(declared["all.py"]["users"])
    assert users == {"WispHubAPIUser", "HeavyVerificationUser", "ClientSearchUser"}


def test_step_shape_ticks_follow_environment(declared: dict[str, Any]) -> None:
    ticks = declared["step_load.py"]["shapes"]["StepLoadShape"]
    assert declared["step_load.py"]["users"] == {}
    assert ticks == [
        [5, 2], [5, 2], [5, 2], [5, 2], [5, 2], [5, 2],
        [10, 2], [10, 2], [10, 2], [12, 2], [12, 2], [12, 2], None,
    ]  # fmt: skip


def test_spike_shape_ticks_baseline_spike_recovery(declared: dict[str, Any]) -> None:
    ticks = declared["spike.py"]["shapes"]["SpikeShape"]
    assert ticks[:9] == [
        [2, 50], [2, 50], [8, 50], [8, 50], [2, 50], [2, 50], [2, 50], [2, 50], None,
    ]  # fmt: skip
    assert set(map(str, ticks[9:])) == {"None"}

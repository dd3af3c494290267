"""Environment reading of the load tests: API key, host, timeouts and shape schedules."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadtests.common import config
from loadtests.common.schedules import SpikeSchedule, StepSchedule


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_resolve_api_key_explicit_key_wins(tmp_path: Path) -> None:
    env = {"WISPHUB_API_KEY": "explicit", "WISPHUB_INTERNAL_API_KEY": "first,second"}
    assert config.resolve_api_key(env, tmp_path) == "explicit"


def test_resolve_api_key_first_of_internal_list(tmp_path: Path) -> None:
    env = {"WISPHUB_INTERNAL_API_KEY": " first , second"}
    assert config.resolve_api_key(env, tmp_path) == "first"


def test_resolve_api_key_dotenv_before_example(tmp_path: Path) -> None:
    write(tmp_path / ".env", "WISPHUB_INTERNAL_API_KEY=from-dotenv\n")
    write(tmp_path / ".env.example", "WISPHUB_INTERNAL_API_KEY=from-example\n")
    assert config.resolve_api_key({}, tmp_path) == "from-dotenv"


def test_resolve_api_key_example_file_is_the_last_resort(tmp_path: Path) -> None:
    write(tmp_path / ".env.example", "# bot keys\nWISPHUB_INTERNAL_API_KEY='demo-1,demo-2'\n")
    assert config.resolve_api_key({}, tmp_path) == "demo-1"


def test_resolve_api_key_nothing_anywhere_is_none(tmp_path: Path) -> None:
    write(tmp_path / ".env", "WISPHUB_INTERNAL_API_KEY=\n")
    assert config.resolve_api_key({"WISPHUB_API_KEY": ""}, tmp_path) is None


def test_read_env_file_skips_comments_and_strips_quotes_and_export(tmp_path: Path) -> None:
    text = '# comment\n\nexport A="1"\nB = two words \nnot a pair\nC=x=y\n'
    assert config.read_env_file(write(tmp_path / ".env", text)) == {
        "A": "1",
        "B": "two words",
        "C": "x=y",
    }


def test_read_env_file_missing_file_is_empty(tmp_path: Path) -> None:
    assert config.read_env_file(tmp_path / "absent") == {}


def test_host_defaults_to_local_server_and_reads_environment() -> None:
    assert config.host({}) == "http://localhost:8000"
    assert config.host({"LOADTEST_HOST": "http://api:8000"}) == "http://api:8000"


def test_timeout_read_seconds_from_environment() -> None:
    assert config.timeout({"LOADTEST_TIMEOUT_S": "2.5"}) == (config.DEFAULT_TIMEOUT[0], 2.5)
    assert config.timeout({}) == config.DEFAULT_TIMEOUT


def test_step_schedule_reads_environment() -> None:
    env = {"LOADTEST_STEP_USERS": "5", "LOADTEST_STEP_TIME": "12", "LOADTEST_STEP_MAX_USERS": "40"}
    assert config.step_schedule(env) == StepSchedule(5, 12.0, 40, StepSchedule().spawn_rate)


def test_spike_schedule_reads_environment() -> None:
    env = {"LOADTEST_SPIKE_USERS": "500", "LOADTEST_SPIKE_TIME": "15"}
    assert config.spike_schedule(env) == SpikeSchedule(spike_users=500, spike_time=15.0)


def test_step_schedule_non_number_names_the_variable() -> None:
    with pytest.raises(ValueError, match="LOADTEST_STEP_TIME"):
        config.step_schedule({"LOADTEST_STEP_TIME": "soon"})

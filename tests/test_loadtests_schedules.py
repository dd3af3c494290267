"""User-count schedules behind the step and spike shapes."""

from __future__ import annotations

import pytest

from loadtests.common.schedules import SpikeSchedule, StepSchedule


def test_step_schedule_adds_a_step_each_step_time_then_holds_and_stops() -> None:
    schedule = StepSchedule(step_users=10, step_time=30, max_users=25, spawn_rate=5)
    times = [0, 29.9, 30, 60, 89.9, 90, 119.9, 120]
    assert [schedule.target(t) for t in times] == [
        (10, 5), (10, 5), (20, 5), (25, 5), (25, 5), (25, 5), (25, 5), None,
    ]  # fmt: skip


def test_step_schedule_duration_is_every_step_plus_one_held() -> None:
    schedule = StepSchedule(step_users=10, step_time=30, max_users=200)
    assert schedule.steps == 20
    assert schedule.duration == 21 * 30


def test_spike_schedule_baseline_spike_recovery_then_stop() -> None:
    schedule = SpikeSchedule(base_users=5, spike_users=50, base_time=10, spike_time=5,
                             recovery_time=10, spawn_rate=25)  # fmt: skip
    times = [0, 9.9, 10, 14.9, 15, 24.9, 25]
    assert [schedule.target(t) for t in times] == [
        (5, 25), (5, 25), (50, 25), (50, 25), (5, 25), (5, 25), None,
    ]  # fmt: skip


@pytest.mark.parametrize(
    "kwargs", [{"step_users": 0}, {"step_time": 0}, {"max_users": 0}, {"spawn_rate": -1}]
)
def test_step_schedule_nonpositive_setting_raises(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        StepSchedule(**kwargs)


def test_spike_schedule_spike_below_baseline_raises() -> None:
    with pytest.raises(ValueError):
        SpikeSchedule(base_users=20, spike_users=10)

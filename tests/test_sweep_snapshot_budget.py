"""A sweep's trials share one snapshot budget (``sweeps.snapshot_budget``)."""

from graphcl_core.config import TrainConfig, snapshot_capacity
from graphcl_core.sweep import SweepConfig, SweepRunner
from graphcl_core.sweeps.snapshot_budget import (MIN_TRIAL_SNAPSHOTS, SWEEP_SNAPSHOT_BUDGET_BYTES,
                                                 trial_snapshot_cap, within_sweep_budget)


def test_cap_shares_the_budget_and_keeps_a_floor():
    cora = trial_snapshot_cap(2708, 128, 27)
    assert cora == SWEEP_SNAPSHOT_BUDGET_BYTES // (27 * 2708 * 128 * 2)  # 28 frames of Cora each
    assert 27 * cora * 2708 * 128 * 2 <= SWEEP_SNAPSHOT_BUDGET_BYTES
    assert trial_snapshot_cap(2708, 128, 10_000) == MIN_TRIAL_SNAPSHOTS
    assert trial_snapshot_cap(34, 8, 4) > 10_000  # a small graph's trials are not limited


def test_only_lowers_max_snapshots():
    low = TrainConfig(max_snapshots=5)
    high = TrainConfig(max_snapshots=1000)
    out = within_sweep_budget([low, high] * 20, 2708)
    assert out[0] is low  # already under the cap: untouched
    cap = trial_snapshot_cap(2708, high.embedding_dim, 40)
    assert out[1].max_snapshots == cap < high.max_snapshots
    assert snapshot_capacity(2708, high.embedding_dim, out[1].max_snapshots) == cap
    assert out[1].replace(max_snapshots=1000) == high  # nothing else changed


def test_runner_trials_get_the_cap(tiny_graph, monkeypatch):
    from graphcl_core.sweeps import snapshot_budget

    per = tiny_graph.num_nodes * 8 * 2
    monkeypatch.setattr(snapshot_budget, "SWEEP_SNAPSHOT_BUDGET_BYTES", per * 2 * 20)  # 20 frames a trial
    sweep = SweepConfig("tiny", base=TrainConfig(hidden=16, embedding_dim=8, device="cpu", epochs=4),
                        vary={"lr": [1e-3, 1e-2]})
    runner = SweepRunner(sweep, None, bundle=tiny_graph)
    assert [c.max_snapshots for c in runner.configs] == [20, 20]

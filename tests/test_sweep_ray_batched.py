"""The Ray backend's batched mode on a local CPU Ray (``ray.init(num_cpus=2)``): two actors each train
an even share of every batch group with ``BatchedBackend``; every trial is saved as a run with the
sweep record, events per trial come in order, pause/stop reach the batches, a lost actor fails only
its share, trials that cannot batch run one per actor after the batches; ``split_groups`` balances;
``auto`` picks batched only for GPU actors."""

from __future__ import annotations

from collections import Counter

import pytest

from graphcl_core.runs import RunStore
from graphcl_core.sweep import SweepRunner, load_sweep
from graphcl_core.sweeps.ray_batches import split_groups
from test_sweep_ray import STARTUP_S, _actor_pids, _sweep, karate, pause_resume_then_stop, ray_local  # noqa: F401 - fixtures

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def backend(ray_local, karate):  # noqa: F811 - the fixtures above
    from graphcl_core.sweeps.ray_backend import RayBackend

    ray, pids = ray_local
    be = RayBackend(karate, batched=True, startup_timeout_s=STARTUP_S)
    yield be
    pids.update(_actor_pids(ray, be))
    be.close()


def _by_index(results):
    return sorted(results, key=lambda r: r.index)


def _both_actors_ready(backend, karate) -> None:  # noqa: F811
    """Start the two actors with a tiny sweep when this test runs alone, so both take their share at once."""
    if len(backend._actors) < 2:
        SweepRunner(_sweep(epochs=2, vary={"margin": [0.5, 1.0]}), None, bundle=karate, backend=backend).run()
    assert len(backend._actors) == 2


# ----------------------------------------------------------------------------------------------- pure parts
def test_split_groups_deals_every_group_evenly_over_the_actors():
    groups = [list(range(0, 36)), list(range(36, 72)), list(range(72, 108))]  # 3 hidden sizes × 36
    shares = split_groups(groups, 2)
    assert [len(s) for s in shares] == [54, 54]
    for s in shares:
        assert [sum(i in g for i in s) for g in groups] == [18, 18, 18]  # the same mix of sizes
    assert sorted(i for s in shares for i in s) == list(range(108))

    odd = [list(range(0, 9)), list(range(9, 18)), list(range(18, 27))]  # the 27-configuration sweep
    shares = split_groups(odd, 2)
    assert sorted(len(s) for s in shares) == [13, 14]  # the odd ones out fall on different actors
    for g in odd:
        assert sorted(sum(i in g for i in s) for s in shares) == [4, 5]
    assert split_groups([[0, 1]], 4) == [[0], [1]]  # never an empty share
    assert split_groups([[0, 1, 2], [3]], 1) == [[0, 1, 2, 3]]
    with pytest.raises(ValueError):
        split_groups([[0]], 0)


def test_auto_picks_batched_for_gpu_actors_when_trials_share_a_batch(backend):
    from graphcl_core.config import TrainConfig
    from graphcl_core.sweeps.ray_backend import RayBackend

    gpu_node, cpu_node = [{"Alive": True, "Resources": {"CPU": 16, "GPU": 2}}], [{"Resources": {"CPU": 2}}]
    share = [TrainConfig(margin=m, hidden=16) for m in (0.5, 1.0)]
    alone = [TrainConfig(hidden=h) for h in (16, 32)]  # different shapes: no batch of two
    auto = RayBackend(backend.bundle)
    assert auto.use_batched("auto", share, gpu_node) and auto.use_batched("cuda", share, gpu_node)
    assert not auto.use_batched("cpu", share, gpu_node) and not auto.use_batched("auto", share, cpu_node)
    assert not auto.use_batched("cuda", alone, gpu_node)
    assert backend.use_batched("cpu", alone, cpu_node)  # batched=True: on CPUs too
    assert not RayBackend(backend.bundle, batched=False).use_batched("cuda", share, gpu_node)
    assert not backend.use_batched("cpu", [TrainConfig(encoder="sage")], cpu_node)  # nothing can batch
    # batched mode: one actor per GPU, with the GPU node's CPUs per GPU
    assert backend.worker_layout("auto", 108, gpu_node, slots_per_gpu=1) == (2, {"num_gpus": 1.0, "num_cpus": 8})
    with pytest.raises(Exception, match="batched: 'yes' is not a choice"):
        RayBackend(backend.bundle, batched="yes")


# ------------------------------------------------------------------------------------------------------ sweeps
def test_batched_sweep_saves_every_trial_with_events_in_order(ray_local, backend, karate, tmp_path):  # noqa: F811
    ray = ray_local[0]
    # 2 hidden sizes × 2 margins batch (two groups of 2, one of each per actor); sage cannot batch and
    # runs one trial per actor afterwards
    sweep = _sweep(vary={"margin": [0.5, 2.5], "hidden": [16, 32], "encoder": ["graphconv", "sage"]})
    expected = _by_index(SweepRunner(sweep, None, bundle=karate, backend="batched").run())
    store = RunStore(tmp_path / "runs")
    events = []
    runner = SweepRunner(sweep, store, bundle=karate, backend=backend, progress_interval_s=0.0,
                         snapshot_interval_s=0.0, on_event=events.append)
    results = _by_index(runner.run())

    assert runner.state == "finished", runner.message
    assert backend.last_mode == "batched" and len(backend._actors) == 2 and len(_actor_pids(ray, backend)) == 2
    assert [r.status for r in results] == ["finished"] * 8
    for got, want in zip(results, expected):  # the same training and probe as BatchedBackend in one process
        assert got.final_loss == pytest.approx(want.final_loss, rel=1e-3)
        assert got.metric == pytest.approx(want.metric, abs=0.05)
    for i in range(8):
        kinds = [e.kind for e in events if e.trial == i and e.kind in ("trial_started", "epoch", "trial_finished")]
        assert kinds[0] == "trial_started" and kinds[-1] == "trial_finished", (i, kinds)
        assert Counter(kinds)["trial_started"] == Counter(kinds)["trial_finished"] == 1 and "epoch" in kinds
    assert next(e for e in events if e.kind == "snapshot").data["embeddings"].shape[0] == 34
    # the actors see this disk: their snapshots came as files in the sweep's spool, which is gone now
    assert backend.last_stats["spooled"] > 0 and backend.last_stats["snapshot_mb"] == 0
    assert not list(store.path.glob(".snapshot-spool-*"))

    assert {m["id"] for m in store.list()} == {r.run_id for r in results}
    for r in results:
        run = store.load(r.run_id)
        assert run.meta["status"] == "finished" and run.meta["sweep"] == {"id": runner.sweep_id, "trial": r.index + 1}
        assert [h["epoch"] for h in run.history] == list(range(1, 11))
        assert len(run.snapshot_epochs) >= 2 and run.weights_path.exists()
        assert run.meta["metrics"]["validation_probe_acc"] == pytest.approx(r.metric)
    meta, rows = load_sweep(tmp_path / "sweeps" / "cli", runner.sweep_id)
    assert meta["status"] == "finished" and len(rows) == 8 and {r["status"] for r in rows} == {"finished"}


def test_batched_early_stopping_cuts_within_each_actors_share(backend, karate, tmp_path):  # noqa: F811
    _both_actors_ready(backend, karate)
    sweep = _sweep(epochs=12, vary={"lr": [1e-4, 3e-3, 1e-2, 3e-2]}, early_stop={"rungs": [0.5], "keep": 0.5})
    results = _by_index(SweepRunner(sweep, RunStore(tmp_path / "runs"), bundle=karate, backend=backend).run())
    # two actors with two trials each: each keeps one of its two
    assert sorted(r.status for r in results) == ["finished", "finished", "pruned", "pruned"]
    shares = split_groups([[0, 1, 2, 3]], 2)
    for share in shares:
        assert sorted(results[i].status for i in share) == ["finished", "pruned"]
    assert all(len(r.rung_scores) == 1 for r in results)
    assert all(r.epochs == (12 if r.status == "finished" else 6) for r in results)


def test_batched_pause_and_stop_reach_the_actors(backend, karate, tmp_path):  # noqa: F811
    _both_actors_ready(backend, karate)
    store = RunStore(tmp_path / "runs")
    runner = SweepRunner(_sweep(epochs=100_000, vary={"margin": [0.5, 1.0, 2.5, 4.0]}), store, bundle=karate,
                         backend=backend, progress_interval_s=0.05)
    pause_resume_then_stop(runner)
    assert [r.status for r in runner.results] == ["stopped"] * 4  # all four trained at once, two per actor
    assert all(0 < r.epochs < 100_000 for r in runner.results)
    assert sorted(m["status"] for m in store.list()) == ["stopped"] * 4
    meta, rows = load_sweep(tmp_path / "sweeps" / "cli", runner.sweep_id)
    assert meta["status"] == "stopped" and len(rows) == 4


def test_a_lost_batch_actor_fails_its_share_and_the_sweep_goes_on(ray_local, backend, karate, tmp_path):  # noqa: F811
    ray = ray_local[0]
    _both_actors_ready(backend, karate)
    store = RunStore(tmp_path / "runs")
    runner = SweepRunner(_sweep(epochs=400, vary={"margin": [0.5, 1.0, 2.5, 4.0]}), store, bundle=karate,
                         backend=backend)
    victim = None
    for ev in runner.events(timeout=STARTUP_S):
        if ev.kind == "epoch" and victim is None:
            victim = backend._actors[0]  # both actors are training their share now
            ray.kill(victim)
    assert runner.state == "finished"
    results = _by_index(runner.results)
    assert sorted(r.status for r in results) == ["failed", "failed", "finished", "finished"]
    for r in results:
        if r.status == "failed":
            assert r.message.startswith("The Ray worker running this trial failed")
            assert store.load(r.run_id).meta["status"] == "failed"
    assert victim not in backend._actors and len(backend._actors) == 1

"""The batched sweep backend: trials stream into the same sweep record and run store as on the local
backend, with early stopping, per-trial failures, stop, ``auto`` and the CLI."""

from __future__ import annotations

import json

import pytest
import torch

from graphcl_core.batched import BatchedTrainer
from graphcl_core.config import TrainConfig
from graphcl_core.errors import ConfigError
from graphcl_core.runs import RunStore
from graphcl_core.sweep import SweepConfig, SweepRunner, load_sweep
from graphcl_core.sweep_cli import sweep_main
from graphcl_core.sweeps.backend import auto_backend
from graphcl_core.sweeps.batched_backend import BatchedBackend

pytestmark = pytest.mark.timeout(300)
FAST = dict(hidden=16, embedding_dim=8, device="cpu", eval_every=0, snapshot_every=2)


def _sweep(epochs: int = 10, **kw) -> SweepConfig:
    kw.setdefault("vary", {"margin": [0.5, 2.5], "lr": [1e-3, 1e-2]})
    kw.setdefault("probe", "quick")
    return SweepConfig("karate", base=TrainConfig(epochs=epochs, **FAST), **kw)


def _run(sweep, store=None, backend="batched", on_event=None):
    runner = SweepRunner(sweep, store, backend=backend, on_event=on_event, progress_interval_s=0.0)
    results = runner.run()
    return runner, sorted(results, key=lambda r: r.index)


def test_trials_stream_into_the_record_and_run_store_like_local(tmp_path):
    store = RunStore(tmp_path / "runs")
    events = []
    # the sage trial cannot batch: it runs after the batch, one at a time, in the same sweep
    sweep = _sweep(vary={"margin": [0.5, 2.5], "lr": [1e-3, 1e-2], "encoder": ["graphconv", "sage"]},
                   backend="batched")
    runner, results = _run(sweep, store, backend=None, on_event=events.append)
    assert isinstance(runner.backend, BatchedBackend)
    assert runner.state == "finished" and [r.status for r in results] == ["finished"] * 8
    for i in range(8):
        kinds = [e.kind for e in events if e.trial == i]
        assert kinds[0] == "trial_started" and kinds[-1] == "trial_finished" and kinds.count("trial_finished") == 1
        assert "epoch" in kinds and "snapshot" in kinds
    for r in results:
        run = store.load(r.run_id)
        assert run.meta["status"] == "finished" and run.meta["sweep"]["trial"] == r.index + 1
        assert (run.path / "model.pt").exists() and len(list((run.path / "snapshots").glob("*.npy"))) >= 2
        assert {"validation_probe_acc", "linear_probe_acc", "knn_acc"} <= set(run.meta["metrics"])
        assert r.metric == pytest.approx(run.meta["metrics"]["validation_probe_acc"])
    meta, rows = load_sweep(runner.record.path.parent, runner.sweep_id)
    assert meta["config"]["backend"] == "batched" and len(rows) == 8


def test_batched_scores_as_the_local_backend_does():
    sweep = _sweep(epochs=8)
    _, batched = _run(sweep, backend="batched")
    _, local = _run(sweep, backend="local")
    for b, s in zip(batched, local):
        assert b.final_loss == pytest.approx(s.final_loss, abs=1e-5)  # the same training, loss by loss
        assert b.metric == pytest.approx(s.metric, abs=1e-9)  # quick probe: fixed C, same splits


def test_early_stopping_cuts_the_worse_half_at_the_rung():
    runner, results = _run(_sweep(epochs=12, early_stop={"rungs": [0.5], "keep": 0.5}))
    statuses = sorted(r.status for r in results)
    assert statuses == ["finished", "finished", "pruned", "pruned"]
    assert all(r.epochs == 6 and len(r.rung_scores) == 1 for r in results if r.status == "pruned")
    assert all(r.epochs == 12 for r in results if r.status == "finished")


def test_a_diverging_trial_is_saved_failed_and_the_rest_finish(monkeypatch, tmp_path):
    real = BatchedTrainer.losses

    def poisoned(self):
        out = real(self)
        bad = torch.zeros(self.trials)
        bad[1] = float("nan")
        return out + (bad if self.epoch >= 3 else 0.0)

    monkeypatch.setattr(BatchedTrainer, "losses", poisoned)
    store = RunStore(tmp_path / "runs")
    _, results = _run(_sweep(), store)
    assert [r.status for r in results] == ["finished", "failed", "finished", "finished"]
    assert "loss became nan" in results[1].message
    assert store.load(results[1].run_id).meta["status"] == "failed"


def test_stop_ends_every_running_trial():
    holder = {}

    def on_event(ev):
        if ev.kind == "epoch" and ev.data["epoch"] >= 4:
            holder["runner"].stop()

    sweep = _sweep(epochs=10_000)
    runner = SweepRunner(sweep, None, backend="batched", on_event=on_event, progress_interval_s=0.0)
    holder["runner"] = runner
    results = runner.run()
    assert runner.state == "stopped" and {r.status for r in results} == {"stopped"}
    assert all(r.epochs < 10_000 for r in results)


def test_auto_is_local_on_the_cpu_and_bad_names_say_so():
    assert auto_backend(_sweep().trials()) == "local"
    assert SweepConfig.from_dict(_sweep(backend="batched").to_dict()).backend == "batched"
    assert "backend" in _sweep(backend="batched").to_dict(compact=True)
    with pytest.raises(ConfigError, match="backend"):
        _sweep(backend="gpu")


def test_cli_batched_json(capsys):
    code = sweep_main(["--graph", "karate", "--margin", "0.5,2.5", "--epochs", "6", "--set", "hidden=8",
                       "--set", "embedding_dim=8", "--device", "cpu", "--backend", "batched", "--no-estimate",
                       "--probe", "quick", "--json"])
    out, _ = capsys.readouterr()
    assert code == 0
    data = json.loads(out.strip().splitlines()[-1])
    assert len(data["trials"]) == 2 and all(t["status"] == "finished" for t in data["trials"])


def test_unlabelled_graph_and_loss_metric_score_as_local():
    from conftest import planted_partition

    g = planted_partition()
    g.data.y = None
    for metric in ("silhouette", "final_loss"):
        sweep = SweepConfig("tiny-communities", base=TrainConfig(epochs=6, **FAST), vary={"margin": [0.5, 2.5]},
                            metric=metric, probe="quick")
        batched = sorted(SweepRunner(sweep, None, bundle=g, backend="batched").run(), key=lambda r: r.index)
        local = sorted(SweepRunner(sweep, None, bundle=g, backend="local").run(), key=lambda r: r.index)
        for b, s in zip(batched, local):
            assert b.metric_name == metric and b.metric == pytest.approx(s.metric, abs=1e-4)
        if metric == "silhouette":
            assert "community_silhouette" in batched[0].metrics


def test_estimate_of_a_batched_sweep_is_measured():
    from graphcl_core.sweep import estimate_seconds

    sweep = _sweep(epochs=20, vary={"margin": [0.5, 2.5], "hidden": [8, 16]})
    est = estimate_seconds(sweep, backend="batched")
    assert est.backend == "batched" and est.batches == 2 and est.trials == 4 and est.epochs == 80
    assert est.seconds > 0 and "2 batches" in est.describe() and "measured" in est.describe()


def test_trained_trials_are_saved_before_they_are_scored(tmp_path, monkeypatch):
    """After training, every trial's snapshots go to the run store's writer before the (GPU) scoring, so the
    files are written meanwhile instead of all at the sweep's end."""
    import graphcl_core.sweeps.batched_backend as bb

    store, seen = RunStore(tmp_path / "runs"), {}
    runner = SweepRunner(_sweep(epochs=6), store, backend="batched", progress_interval_s=1e9)  # no progress saves
    real = bb.score_batch

    def scoring(scorer, embs, hist, seeds):
        runner._writes.wait()  # what was queued before the scoring is on disk now
        seen["snapshots"] = sorted(len(list(w.path.glob("snapshots/*.npy"))) for w in runner._writers.values())
        return real(scorer, embs, hist, seeds)

    monkeypatch.setattr(bb, "score_batch", scoring)
    runner.run()
    assert runner.state == "finished"
    finals = sorted(len(list((store.load(r.run_id).path / "snapshots").glob("*.npy"))) for r in runner.results)
    assert seen["snapshots"] == finals and len(finals) == 4 and min(finals) >= 4  # epochs 0, 2, 4, 6


def test_trials_of_every_width_are_scored_in_one_solve_as_alone(monkeypatch):
    """Embeddings of 4 and 8 columns are scored in one stack (zero columns pad the narrower) with the
    metrics each trial gets scored alone at its own width (full probe: C chosen by CV)."""
    from graphcl_core.sweeps import batched_backend

    calls = []
    real = batched_backend.score_batch

    def spy(scorer, embs, histories, seeds):
        calls.append(tuple(embs.shape))
        return real(scorer, embs, histories, seeds)

    monkeypatch.setattr(batched_backend, "score_batch", spy)
    sweep = _sweep(epochs=8, vary={"embedding_dim": [4, 8], "lr": [1e-3, 1e-2]}, probe="full")
    _, together = _run(sweep, backend="batched")
    assert calls == [(4, 34, 8)]
    calls.clear()
    monkeypatch.setattr(batched_backend, "SCORE_STACK_BYTES", 1)  # one trial a solve
    _, alone = _run(sweep, backend="batched")
    assert sorted(calls) == [(1, 34, 4)] * 2 + [(1, 34, 8)] * 2
    for t, a in zip(together, alone):
        assert t.values == a.values and t.final_loss == a.final_loss
        # the same problems; products of other sizes may round differently, which can tip a near-tied
        # prediction: a node or two of karate's splits at most
        assert t.metric == pytest.approx(a.metric, abs=0.03)
        assert t.metrics["linear_probe_acc"] == pytest.approx(a.metrics["linear_probe_acc"], abs=0.03)
        for key in ("knn_acc", "silhouette"):  # distances: zero columns add exact zeros
            assert t.metrics[key] == pytest.approx(a.metrics[key], abs=1e-9), key


def test_a_trial_whose_embeddings_are_not_finite_fails_alone_at_the_scoring(monkeypatch):
    from graphcl_core.sweeps import batched_backend

    real = BatchedTrainer.embeddings

    def one_bad(self):
        out = real(self).clone()
        out[1, 0, 0] = float("nan")  # the batch's second trial
        return out

    monkeypatch.setattr(BatchedTrainer, "embeddings", one_bad)
    _, results = _run(_sweep(epochs=6))
    bad = [r for r in results if r.status == "failed"]
    assert len(bad) == 1 and bad[0].message == batched_backend.NOT_FINITE
    assert all(r.status == "finished" and r.metric is not None for r in results if r is not bad[0])


def test_batches_of_trials_that_draw_their_own_views_share_one_stream(monkeypatch):
    """A wave puts every batch on one CUDA stream when some batch's trials draw their own views (their
    scatter kernels contend across streams), else each batch on its own; on the CPU there are none."""
    from graphcl_core.sweeps import batched_backend
    from graphcl_core.sweeps.backend import Trial

    made = []
    monkeypatch.setattr(batched_backend.torch.cuda, "Stream", lambda device: made.append(device) or "one stream")

    def wave(seeds, device="cuda"):
        configs = [TrainConfig(epochs=2, seed=s, margin=m, **{**FAST, "device": device}) for s in seeds for m in (1.0, 2.0)]
        trials = [Trial(i, c, {}) for i, c in enumerate(configs)]
        halves = [trials[:2], trials[2:]]
        return batched_backend._Wave(halves, load_graph("karate"), None, lambda e: None, None)

    from graphcl_core import device as device_mod
    from graphcl_core.loaders import load_graph

    monkeypatch.setattr(device_mod, "resolve_device", lambda name: torch.device("cuda" if name == "cuda" else "cpu"))
    assert wave([0, 1])._one_stream() is None  # each batch one seed: they share draws
    assert wave([0, 0], device="cpu")._one_stream() is None
    mixed = wave([0, 1])
    mixed.batches = [mixed.batches[0] + mixed.batches[1][:1], mixed.batches[1][1:]]  # seeds 0 and 1 in one batch
    assert mixed._one_stream() == "one stream" and len(made) == 1

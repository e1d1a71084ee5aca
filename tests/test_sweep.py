"""Sweeps: value lists and ranges, grid/random expansion, plain messages, a real tiny sweep saved as runs
plus sweep.json/results.csv, pause/resume/stop from another thread, successive halving, ranking, the CLI."""

from __future__ import annotations

import csv
import json
import threading

import pytest
import torch
from torch_geometric.data import Data

from graphcl_core.config import TrainConfig
from graphcl_core.errors import ConfigError, TrainingError
from graphcl_core.graph import GraphBundle
from graphcl_core.runs import RunStore
from graphcl_core.sweep import (EarlyStop, SequentialBackend, SweepConfig, SweepControl, SweepRunner, TrialResult,
                                ValueList, ValueRange, best, estimate_seconds, load_sweep, parse_spec, rank,
                                resolve_metric, sweeps_root_for, trials)
from graphcl_core.sweep_cli import sweep_main
from graphcl_core.sweeps.halving import planned_epochs, stage_targets, survivors

from conftest import planted_partition

# Small and quick: no background evaluation, snapshots often enough to see progress.
FAST = dict(hidden=16, embedding_dim=8, device="cpu", eval_every=0, snapshot_every=2)


def _sweep(epochs: int = 10, **kw) -> SweepConfig:
    kw.setdefault("vary", {"margin": [0.5, 2.5], "lr": [1e-3, 1e-2]})
    kw.setdefault("probe", "quick")
    return SweepConfig("tiny-communities", base=TrainConfig(epochs=epochs, **FAST), **kw)


# ---------------------------------------------------------------------------------------- values
def test_range_values_linear_log_and_int_rounding():
    assert parse_spec("margin", {"from": 0.5, "to": 4, "count": 4}).grid() == [0.5, 1.667, 2.833, 4.0]
    assert parse_spec("lr", "1e-4:1e-3:3:log").grid() == [0.0001, 0.0003162, 0.001]
    # whole-number fields are rounded and repeats dropped
    assert parse_spec("hidden", {"from": 16, "to": 256, "count": 5, "scale": "log"}).grid() == [16, 32, 64, 128, 256]
    assert parse_spec("layers", {"from": 1, "to": 2, "count": 5}).grid() == [1, 2]
    assert parse_spec("margin", {"from": 2, "to": 3, "count": 1}).grid() == [2.0]


def test_lists_from_text_json_and_scalars():
    assert parse_spec("margin", "0.5, 1,2.5") == ValueList((0.5, 1.0, 2.5))
    assert parse_spec("hidden", [64, "128"]) == ValueList((64, 128))
    assert parse_spec("encoder", "gcn,sage").grid() == ["gcn", "sage"]
    assert parse_spec("normalize", "true,no").grid() == [True, False]
    assert parse_spec("margin", 2.0).grid() == [2.0]
    assert isinstance(parse_spec("lr", {"from": 1e-4, "to": 1e-3, "count": 2}), ValueRange)


def test_grid_is_the_full_product_in_order():
    pts = _sweep().points()
    assert pts == [{"margin": 0.5, "lr": 1e-3}, {"margin": 0.5, "lr": 1e-2},
                   {"margin": 2.5, "lr": 1e-3}, {"margin": 2.5, "lr": 1e-2}]
    cfgs = trials(_sweep())
    assert [(c.margin, c.lr) for c in cfgs] == [(p["margin"], p["lr"]) for p in pts]
    assert all(isinstance(c, TrainConfig) and c.hidden == 16 for c in cfgs)


def test_grid_budget_spreads_over_the_first_setting():
    s = _sweep(vary={"margin": [0.5, 1, 2], "lr": [1e-4, 1e-3, 1e-2]}, budget=3)
    assert [p["margin"] for p in s.points()] == [0.5, 1.0, 2.0]


def test_random_is_reproducible_and_within_ranges():
    kw = dict(vary={"margin": {"from": 0.5, "to": 4, "count": 4}, "lr": "1e-4:1e-2:3:log"}, method="random",
              budget=12)
    a, b = _sweep(seed=1, **kw).points(), _sweep(seed=1, **kw).points()
    assert a == b and len(a) == 12
    assert a != _sweep(seed=2, **kw).points()
    assert all(0.5 <= p["margin"] <= 4 and 1e-4 <= p["lr"] <= 1e-2 for p in a)
    assert len({p["margin"] for p in a}) > 4  # draws anywhere in the range, not on the grid


def test_random_over_lists_never_repeats_a_combination():
    s = _sweep(vary={"margin": [0.5, 1, 2], "hidden": [16, 32]}, method="random", budget=100, seed=3)
    pts = [tuple(p.values()) for p in s.points()]
    assert len(pts) == 6 and len(set(pts)) == 6


# ------------------------------------------------------------------------------------ validation
@pytest.mark.parametrize("kw, message", [
    ({"vary": {"margin": "abc"}}, "margin: 'abc' is not a number."),
    ({"vary": {"margin": [1, "x2"]}}, "margin: 'x2' is not a number."),
    ({"vary": {"margin": [-1]}}, "margin: The margin"),
    ({"vary": {"dropout": {"from": 0, "to": 1, "count": 3}}}, "dropout: Dropout"),
    ({"vary": {"marign": [1]}}, "'marign' is not a setting. Did you mean 'margin'?"),
    ({"vary": {"hidden": [64.5]}}, "hidden: 64.5 is not a whole number."),
    ({"vary": {"lr": "0:1e-3:3:log"}}, "lr: a log scale needs 'from' and 'to' above 0"),
    ({"vary": {"lr": "1e-4:1e-3"}}, "lr: a range is written from:to:count"),
    ({"vary": {"lr": {"from": 1e-4, "to": 1e-3}}}, "lr: the range needs 'count'"),
    ({"vary": {"lr": {"from": 1e-4, "to": 1e-3, "count": 2.5}}}, "lr: the number of values must be a whole number"),
    ({"vary": {"lr": {"from": 1e-4, "to": 1e-3, "count": 2, "scale": "cubic"}}}, "lr: the scale must be linear or log"),
    ({"vary": {"encoder": {"from": 1, "to": 2, "count": 2}}}, "encoder: only number settings take a range"),
    ({"vary": {"encoder": ["gcn", "transformer"]}}, "encoder: Unknown encoder 'transformer'"),
    ({"vary": {"normalize": ["maybe"]}}, "normalize: 'maybe' is not yes or no"),
    ({"vary": {"margin": []}}, "margin: give at least one value."),
    ({"vary": {"device": ["cpu", "cuda"]}}, "device: set the device for the whole sweep"),
    ({"method": "bayes"}, "method: 'bayes' is not grid or random."),
    ({"budget": "ten"}, "budget: 'ten' is not a number."),
    ({"budget": 0}, "budget: the number of trials must be between 1 and 1000"),
    ({"metric": "accuracy"}, "metric: 'accuracy' is not a metric."),
    ({"probe": "slow"}, "probe: 'slow' is not full or quick."),
    ({"early_stop": {"rungs": [0.5, 0.25]}}, "early_stop: the rungs must increase"),
    ({"early_stop": {"rungs": [0.5], "keep": 1.5}}, "early_stop keep: 1.5 must be between 0 and 1"),
    ({"vary": {"margin": {"from": 0.1, "to": 4, "count": 50}, "lr": "1e-4:1e-2:50:log"}}, "set a budget"),
])
def test_validation_messages_name_the_setting(kw, message):
    with pytest.raises(ConfigError) as e:
        _sweep(**kw)
    assert message in str(e.value)


def test_base_settings_and_unknown_options_are_checked():
    with pytest.raises(ConfigError, match="margin: 'abc' is not a number"):
        SweepConfig.from_dict({"graph": "karate", "base": {"margin": "abc"}})
    with pytest.raises(ConfigError, match="'trials' is not a sweep option"):
        SweepConfig.from_dict({"graph": "karate", "trials": 3})
    with pytest.raises(ConfigError, match="graph: choose a graph"):
        SweepConfig.from_dict({"vary": {"margin": [1]}})
    with pytest.raises(ConfigError, match="not valid JSON"):
        SweepConfig.from_json("{nope")


def test_round_trip_dict_json_and_compact():
    s = _sweep(vary={"margin": [0.5, 1], "lr": {"from": 1e-4, "to": 1e-3, "count": 3, "scale": "log"},
                     "hidden": {"from": 16, "to": 64, "count": 3, "scale": "log"}},
               method="random", seed=4, budget=5, metric="probe", early_stop={"rungs": [0.25, 0.5], "keep": 0.5})
    d = s.to_dict()
    assert json.loads(json.dumps(d)) == d
    assert SweepConfig.from_dict(d) == s and SweepConfig.from_json(s.to_json()) == s
    assert d["metric"] == "linear_probe" and d["early_stop"] == {"rungs": [0.25, 0.5], "keep": 0.5}
    assert d["vary"]["hidden"] == {"from": 16, "to": 64, "count": 3, "scale": "log"}
    small = s.to_dict(compact=True)
    assert "probe" in small and "nodes" not in small and small["base"]["hidden"] == 16 and "loss" not in small["base"]
    assert SweepConfig.from_dict(small) == s


# ---------------------------------------------------------------------------------------- metrics
def test_metric_auto_selection():
    labelled = planted_partition()
    assert resolve_metric("auto", labelled) == "linear_probe"
    unlabelled = planted_partition()
    unlabelled.data.y = None
    assert resolve_metric("auto", unlabelled) == "silhouette"
    no_edges = GraphBundle(Data(x=torch.randn(6, 3), edge_index=torch.zeros(2, 0, dtype=torch.long), num_nodes=6),
                           "dots", [str(i) for i in range(6)], "test")
    assert resolve_metric("auto", no_edges) == "final_loss"
    assert resolve_metric("loss", labelled) == "final_loss"
    with pytest.raises(ConfigError, match="has no node labels"):
        resolve_metric("probe", unlabelled)


def _result(i, metric, loss=1.0, status="finished", name="linear_probe"):
    return TrialResult(i, {}, status, name, metric, final_loss=loss)


def test_best_and_rank_are_deterministic():
    rs = [_result(0, 0.7, 0.5), _result(1, 0.8, 0.9), _result(2, 0.8, 0.4), _result(3, 0.9, status="pruned"),
          _result(4, float("nan")), _result(5, 0.8, 0.4)]
    assert best(rs).index == 2  # 0.8 ties: lower loss, then earlier trial
    assert [r.index for r in rank(rs)] == [2, 5, 1, 0, 4, 3]
    assert best(list(reversed(rs))).index == 2
    losses = [_result(0, 0.3, name="final_loss"), _result(1, 0.1, name="final_loss")]
    assert best(losses).index == 1
    assert best([_result(0, 0.9, status="failed")]) is None


# ------------------------------------------------------------------------------------ halving plan
def test_halving_stages_and_survivors():
    assert stage_targets(400, (0.25, 0.5)) == [100, 200, 400]
    assert stage_targets(2, (0.25, 0.5)) == [1, 2]
    assert survivors({0: 0.5, 1: 0.9, 2: 0.7, 3: float("nan")}, 0.5, True) == {1, 2}
    assert survivors({0: 0.5, 1: 0.9, 2: 0.7}, 0.5, False) == {0, 2}
    assert survivors({0: 0.5, 1: 0.5, 2: 0.5}, 0.3, True) == {0}
    # the epochs each trial reaches: 4 cut at 25, 2 at 50, 2 trained to the end
    assert planned_epochs([100] * 8, EarlyStop((0.25, 0.5), 0.5)) == 4 * 25 + 2 * 50 + 2 * 100
    assert planned_epochs([100] * 3, None) == 300


# ------------------------------------------------------------------------------------ real sweeps
def test_tiny_sweep_saves_runs_sweep_json_and_results_csv(tiny_graph, tmp_path):
    store = RunStore(tmp_path / "runs")
    events = []
    runner = SweepRunner(_sweep(), store, bundle=tiny_graph, progress_interval_s=0.0, snapshot_interval_s=0.0,
                         on_event=lambda ev: events.append(ev))
    results = runner.run()
    assert runner.state == "finished" and [r.status for r in results] == ["finished"] * 4
    assert all(r.metric is not None and 0 <= r.metric <= 1 and r.epochs == 10 for r in results)
    kinds = [e.kind for e in events]
    assert kinds[0] == "sweep_started" and kinds[-1] == "sweep_finished"
    assert kinds.count("trial_started") == 4 and kinds.count("trial_finished") == 4
    assert "epoch" in kinds and "snapshot" in kinds
    assert events[-1].data["best"] is best(results)
    snap = next(e for e in events if e.kind == "snapshot")
    assert snap.data["embeddings"].shape == (60, 8)
    assert runner.latest_snapshot(3)[0] == 10
    table = runner.trial_table()
    assert [(r["status"], r["epoch"], r["values"]) for r in table] == [("finished", 10, p) for p in _sweep().points()]
    runner.pause()  # a late click does not un-finish the sweep
    assert runner.state == "finished"

    # every trial is an ordinary run
    runs = {m["id"]: m for m in store.list()}
    assert set(runs) == {r.run_id for r in results}
    for r in results:
        run = store.load(r.run_id)
        assert run.meta["status"] == "finished" and run.meta["sweep"] == {"id": runner.sweep_id, "trial": r.index + 1}
        assert run.config.margin == r.values["margin"] and run.config.lr == r.values["lr"]
        assert [h["epoch"] for h in run.history] == list(range(1, 11))
        assert run.snapshot_epochs[-1] == 10 and run.weights_path.exists()
        assert run.meta["metrics"]["validation_probe_acc"] == pytest.approx(r.metric)
        assert 0 <= run.meta["metrics"]["linear_probe_acc"] <= 1  # the reported number, as for any run
        # the trial table carries it too, so the page can show the number Explore and Runs show
        assert table[r.index]["reported"]["linear_probe_acc"] == run.meta["metrics"]["linear_probe_acc"]

    # the sweep record, beside the runs folder, in the store's workspace
    assert runner.record.path.parent == sweeps_root_for(store.root) / store.workspace == tmp_path / "sweeps" / "cli"
    meta, rows = load_sweep(tmp_path / "sweeps" / store.workspace, runner.sweep_id)
    assert meta["status"] == "finished" and meta["metric"] == "linear_probe"
    assert SweepConfig.from_dict(meta["config"]) == _sweep()
    assert [t["run_id"] for t in meta["trials"]] == [r.run_id for r in results]
    assert meta["best"] == best(results).index + 1
    assert list(rows[0]) == ["trial", "margin", "lr", "linear_probe", "final_loss", "epochs", "seconds", "run_id",
                             "status", "message"]
    assert [(float(r["margin"]), float(r["lr"]), r["status"]) for r in rows] == \
        [(p["margin"], p["lr"], "finished") for p in _sweep().points()]
    assert float(rows[0]["linear_probe"]) == pytest.approx(results[0].metric)


def test_trials_are_ranked_on_the_validation_protocol_not_the_reported_one(tiny_graph):
    from graphcl_core.evaluation import probe_scores, probe_train_fraction
    from graphcl_core.trainer import Trainer

    made = []

    def factory(bundle, cfg):
        made.append(Trainer(bundle, cfg))
        return made[-1]

    n = tiny_graph.num_nodes
    tiny_graph.data.test_mask = torch.arange(n) % 3 == 0  # public test nodes must not count
    backend = SequentialBackend(tiny_graph, trainer_factory=factory)
    [r] = SweepRunner(_sweep(vary={"margin": [1.0]}, probe="full"), None, bundle=tiny_graph, backend=backend).run()
    frac = probe_train_fraction(n, tiny_graph.num_classes)
    expected = probe_scores(made[0].embeddings(), tiny_graph.data, "validation", train_frac=frac)["random_mean"]
    assert r.metric == pytest.approx(expected)
    assert r.metrics["validation_probe_acc"] == r.metric and "linear_probe_acc" in r.metrics


def test_scoring_beside_training_gives_the_same_results_in_the_same_order(tiny_graph):
    def run(workers):
        backend = SequentialBackend(tiny_graph, score_workers=workers)
        return SweepRunner(_sweep(), None, bundle=tiny_graph, backend=backend).run()

    inline, pooled = run(0), run(2)
    assert [r.index for r in pooled] == [0, 1, 2, 3]  # reported in the order the trials ended
    def outcome(results):
        return [(r.metric, r.final_loss, r.metrics) for r in results]

    assert outcome(pooled) == outcome(inline)


def test_progress_events_are_rate_limited(tiny_graph):
    events = []
    SweepRunner(_sweep(epochs=20), None, bundle=tiny_graph, progress_interval_s=1e9, snapshot_interval_s=1e9,
                on_event=events.append).run()
    for i in range(4):
        assert [e.kind for e in events if e.trial == i].count("epoch") == 2  # the first report and the last


def test_a_sweep_whose_process_is_gone_reads_as_interrupted(tiny_graph, tmp_path):
    from graphcl_core.sweep import list_sweeps
    from graphcl_core.sweeps.record import SweepRecord

    sweep = _sweep()
    rec = SweepRecord(tmp_path / "sweeps", sweep, "linear_probe", sweep.points(), tmp_path / "runs")
    assert list_sweeps(tmp_path / "sweeps")[0]["status"] == "running"  # this process is alive
    rec.meta["pid"] = 2**22 + 12345  # beyond pid_max: no such process
    rec.set_status("running")
    assert list_sweeps(tmp_path / "sweeps")[0]["status"] == "interrupted"
    meta = load_sweep(tmp_path / "sweeps", rec.sweep_id)[0]
    assert meta["status"] == "interrupted"
    assert {t["status"] for t in meta["trials"]} == {"not_started"}  # its waiting trials never will start


def test_successive_halving_prunes_the_worse_half(tiny_graph, tmp_path):
    store = RunStore(tmp_path / "runs")
    sweep = _sweep(epochs=12, vary={"lr": [1e-4, 3e-3, 1e-2, 3e-2]}, early_stop={"rungs": [0.5], "keep": 0.5})
    runner = SweepRunner(sweep, store, bundle=tiny_graph)
    results = sorted(runner.run(), key=lambda r: r.index)
    pruned = [r for r in results if r.status == "pruned"]
    done = [r for r in results if r.status == "finished"]
    assert len(pruned) == 2 and len(done) == 2
    assert all(r.epochs == 6 and r.metric is None and len(r.rung_scores) == 1 for r in pruned)
    assert all(r.epochs == 12 and r.metric is not None for r in done)
    # the kept ones had the better rung scores
    assert min(r.rung_scores[0][1] for r in done) >= max(r.rung_scores[0][1] for r in pruned)
    for r in pruned:
        assert store.load(r.run_id).meta["status"] == "pruned"
        assert len(store.load(r.run_id).history) == 6
    _, rows = load_sweep(tmp_path / "sweeps" / "cli", runner.sweep_id)
    assert sorted(r["status"] for r in rows) == ["finished", "finished", "pruned", "pruned"]


def test_pause_and_resume_from_another_thread(tiny_graph, tmp_path):
    runner = SweepRunner(_sweep(epochs=30, vary={"margin": [0.5, 2.5]}), RunStore(tmp_path / "runs"),
                         bundle=tiny_graph, progress_interval_s=0.0)
    kinds, paused_seen = [], False
    for ev in runner.events():  # this thread is not the sweep's
        kinds.append(ev.kind)
        if ev.kind == "epoch" and not paused_seen:
            runner.pause()
            paused_seen = True
        elif ev.kind == "paused":
            assert runner.state == "paused"
            runner.resume()
    runner.join()
    assert kinds.count("paused") == 1 and kinds.count("resumed") == 1
    between = kinds[kinds.index("paused") + 1:kinds.index("resumed")]
    assert "epoch" not in between  # nothing trained while paused
    assert runner.state == "finished"
    assert [(r.status, r.epochs) for r in runner.results] == [("finished", 30)] * 2


def test_stop_from_another_thread_saves_a_stopped_trial(tiny_graph, tmp_path):
    reached, go = threading.Event(), threading.Event()

    def hold_second_trial(ev):  # runs in the sweep's thread; holds it while the test stops the sweep
        if ev.kind == "epoch" and ev.trial == 1 and not reached.is_set():
            reached.set()
            go.wait()

    store = RunStore(tmp_path / "runs")
    runner = SweepRunner(_sweep(epochs=30, vary={"margin": [0.5, 1.0, 2.5]}), store, bundle=tiny_graph,
                         on_event=hold_second_trial).start()
    reached.wait()
    runner.stop()
    go.set()
    runner.join()
    assert runner.state == "stopped"
    assert [r.status for r in runner.results] == ["finished", "stopped"]
    # the third trial never started: it says so (not "pending" for good), in the table and in sweep.json
    assert [r["status"] for r in runner.trial_table()] == ["finished", "stopped", "not_started"]
    assert runner.results[1].epochs < 30
    assert store.load(runner.results[1].run_id).meta["status"] == "stopped"
    meta, rows = load_sweep(tmp_path / "sweeps" / "cli", runner.sweep_id)
    assert meta["status"] == "stopped"
    assert [t["status"] for t in meta["trials"]] == ["finished", "stopped", "not_started"]
    assert meta["trials"][2]["run_id"] is None
    assert len(rows) == 2 and len(store.list()) == 2


def test_a_failing_trial_is_saved_and_the_sweep_goes_on(tiny_graph, tmp_path):
    from graphcl_core.trainer import Trainer

    def factory(bundle, cfg):
        if cfg.margin == 1.0:
            raise TrainingError("The loss became nan at epoch 3, so training stopped.")
        return Trainer(bundle, cfg)

    store = RunStore(tmp_path / "runs")
    sweep = _sweep(vary={"margin": [0.5, 1.0, 2.5]})
    backend = SequentialBackend(tiny_graph, trainer_factory=factory)
    runner = SweepRunner(sweep, store, bundle=tiny_graph, backend=backend)
    results = runner.run()
    assert [r.status for r in results] == ["finished", "failed", "finished"]
    assert "loss became nan" in results[1].message
    assert store.load(results[1].run_id).meta["status"] == "failed"
    assert runner.state == "finished" and best(results).index in (0, 2)


def test_a_busy_gpu_makes_the_sweep_wait_and_a_stop_ends_the_wait(monkeypatch):
    from graphcl_core.admission import AdmissionQueue
    from graphcl_core.sweeps import backend

    queue = AdmissionQueue({"gpu": 1, "cpu": 1})
    other = queue.request("someone else", "gpu")  # another run holds the only GPU slot
    monkeypatch.setattr(backend, "_queue", lambda: queue)
    control, told = SweepControl(), []

    def on_wait():
        told.append(True)
        control.stop()

    with backend._device_slot("cuda", control, on_wait) as ok:
        assert ok is False and told == [True]
    assert queue.summary()["gpu"] == {"slots": 1, "running": 1, "waiting": 0}  # its place given back
    queue.release(other)
    with backend._device_slot("cuda", SweepControl(), on_wait) as ok:
        assert ok is True and told == [True]
        assert queue.summary()["gpu"]["running"] == 1
    assert queue.summary()["gpu"]["running"] == 0  # given back


def test_unlabelled_graph_ranks_by_community_silhouette(tmp_path):
    g = planted_partition()
    g.data.y = None
    results = SweepRunner(_sweep(vary={"margin": [0.5, 2.5]}), RunStore(tmp_path / "runs"), bundle=g).run()
    assert all(r.metric_name == "silhouette" and -1 <= r.metric <= 1 for r in results)
    assert "community_silhouette" in results[0].metrics


def test_estimate_is_measured_and_says_so(tiny_graph):
    est = estimate_seconds(_sweep(epochs=40, early_stop={"rungs": [0.5], "keep": 0.5}), bundle=tiny_graph)
    assert est.trials == 4 and est.epochs == 2 * 20 + 2 * 40
    assert est.seconds > 0 and est.seconds_per_epoch > 0 and est.device == "cpu"
    assert "measured" in est.describe() and "4 trials" in est.describe()


# -------------------------------------------------------------------------------------------- CLI
def test_estimate_counts_each_trials_snapshots_and_quick_evaluations(tiny_graph, monkeypatch):
    """A trial snapshots (every 2 epochs here) and evaluates (every 10) besides its epochs: the estimate
    measures one of each and adds them per trial (it once timed bare epochs only, ~3x low on Cora's CPU)."""
    import time

    from graphcl_core import evaluation
    from graphcl_core.trainer import Trainer

    take, quick = Trainer.take_snapshot, evaluation.evaluate
    monkeypatch.setattr(Trainer, "take_snapshot", lambda self, *a, **k: (time.sleep(0.01), take(self, *a, **k))[1])
    monkeypatch.setattr(evaluation, "evaluate",
                        lambda emb, b, quick=True, seed=0: (time.sleep(0.02 if quick else 0), _q(emb, b, quick, seed))[1])

    def _q(emb, b, q, seed):
        return quick(emb, b, quick=q, seed=seed)

    base = TrainConfig(epochs=40, **{**FAST, "eval_every": 10})
    est = estimate_seconds(SweepConfig("tiny-communities", base=base, vary={"margin": [0.5, 2.5]}, probe="quick"),
                           bundle=tiny_graph)
    assert est.snapshot_seconds >= 0.01 and est.eval_seconds >= 0.02
    per_trial_snapshots = 20 * est.snapshot_seconds  # 40 epochs, one every 2
    per_trial_evals = min(4 * est.eval_seconds, 40 * est.seconds_per_epoch)
    assert est.extra_seconds == pytest.approx(2 * (per_trial_snapshots + per_trial_evals))
    assert est.seconds >= est.extra_seconds + est.epochs * est.seconds_per_epoch
    assert "snapshots" in est.describe() and "evaluations" in est.describe()
    silent = estimate_seconds(SweepConfig("tiny-communities", base=base.replace(eval_every=0),
                                          vary={"margin": [0.5, 2.5]}, probe="quick"), bundle=tiny_graph)
    assert silent.eval_seconds == 0.0  # no evaluations during training: none counted


def test_cli_sweep_json_and_table(tmp_path, capsys):
    code = sweep_main(["--graph", "karate", "--vary", "margin=0.5,2.5", "--vary", "lr=1e-3:1e-2:2:log",
                       "--epochs", "6", "--set", "hidden=16", "--set", "embedding_dim=8", "--set", "eval_every=0",
                       "--device", "cpu", "--probe", "quick", "--no-estimate", "--out", str(tmp_path / "runs"),
                       "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    last = json.loads(out.strip().splitlines()[-1])
    assert len(last["trials"]) == 4 and last["metric"] == "linear_probe"
    assert last["best"]["trial"] in {t["trial"] for t in last["trials"]}
    assert {"config", "metric", "linear_probe_acc", "seconds", "run_id"} <= set(last["trials"][0])
    assert last["trials"][0]["config"] == {"margin": 0.5, "lr": 0.001}
    assert out.splitlines()[0].split()[:4] == ["rank", "trial", "margin", "lr"]
    assert "[4/4]" in err
    with (tmp_path / "sweeps" / "cli" / last["sweep_id"] / "results.csv").open() as fh:
        assert len(list(csv.DictReader(fh))) == 4


@pytest.mark.parametrize("argv, message", [
    (["--vary", "lr=0:1:3:log"], "lr: a log scale needs 'from' and 'to' above 0"),
    (["--vary", "margin"], "--vary expects SETTING=VALUES"),
    (["--margin", "a,b"], "margin: 'a' is not a number"),
    (["--metric", "acc"], "metric: 'acc' is not a metric"),
])
def test_cli_bad_settings_exit_2_with_one_line(argv, message, capsys):
    assert sweep_main(["--graph", "karate", "--no-estimate", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_the_hosts_epoch_limit_holds_for_every_trial(tiny_graph):
    """GRAPHCL_MAX_EPOCHS limits sweeps as it limits runs: refused before anything trains."""
    from graphcl_core import options

    options.set_current(options.RuntimeOptions(max_epochs=5))
    try:
        with pytest.raises(ConfigError, match="at most 5 epochs"):
            SweepRunner(_sweep(epochs=6), None, bundle=tiny_graph, backend="local")
        assert len(SweepRunner(_sweep(epochs=5), None, bundle=tiny_graph, backend="local").configs) == 4
    finally:
        options.set_current(None)

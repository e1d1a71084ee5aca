"""Run store round trip and the background job: saved as it goes, failures saved, control works."""

import json
import time

import numpy as np
import pytest
import torch

from graphcl_core.config import TrainConfig
from graphcl_core.errors import RunStoreError
from graphcl_core.models import build_model
from graphcl_core.runs import RunStore
from graphcl_core.worker import TrainingJob

SMALL = dict(hidden=16, embedding_dim=8, device="cpu", snapshot_every=2)


def _wait(cond, timeout=30.0):
    deadline = time.time() + timeout
    while not cond() and time.time() < deadline:
        time.sleep(0.02)
    return cond()


def test_job_saves_a_run_that_loads_back(tiny_graph, runs_dir):
    store = RunStore()
    assert store.root == runs_dir
    job = TrainingJob(tiny_graph, TrainConfig(epochs=10, eval_every=5, **SMALL), store).start()
    job.join(60)
    assert job.state == "finished", job.message
    runs = store.list()
    assert [r["id"] for r in runs] == [job.run_id]
    assert runs[0]["status"] == "finished" and runs[0]["epoch"] == 10
    run = store.load(job.run_id)
    assert run.config.epochs == 10 and [r["epoch"] for r in run.history] == list(range(1, 11))
    assert "linear_probe_acc" in run.meta["metrics"]
    assert run.snapshot_epochs[0] == 0 and run.snapshot_epochs[-1] == 10
    emb = run.load_snapshot()
    assert emb.shape == (60, 8) and emb.dtype == np.float32
    assert run.nodes()[0]["name"] == "n0" and run.nodes()[0]["label"] == "group 0"
    assert run.edge_index().shape == tuple(tiny_graph.data.edge_index.shape)
    model = build_model(run.config, tiny_graph.num_features)
    model.load_state_dict(run.load_weights())
    json.loads((run.path / "config.json").read_text())  # plain JSON, not pickle


def test_failed_run_is_saved_with_its_message(tiny_graph, runs_dir):
    tiny_graph.data.x[:] = float("nan")
    store = RunStore()
    job = TrainingJob(tiny_graph, TrainConfig(epochs=5, **SMALL), store).start()
    job.join(60)
    assert job.state == "failed" and "learning rate" in job.message
    meta = store.list()[0]
    assert meta["status"] == "failed" and "learning rate" in meta["message"]


def test_start_paused_step_resume_stop(tiny_graph, runs_dir):
    job = TrainingJob(tiny_graph, TrainConfig(epochs=100_000, **SMALL), RunStore(), start_paused=True).start()
    try:
        assert _wait(lambda: job.state == "paused")
        time.sleep(0.2)  # started paused: no epoch may run, however long we wait
        assert job.status()["epoch"] == 0
        job.step_once()
        assert _wait(lambda: job.status()["epoch"] == 1)
        job.step_once()
        job.step_once()
        assert _wait(lambda: job.status()["epoch"] >= 3)
        time.sleep(0.2)
        assert job.status()["epoch"] == 3 and job.state == "paused"  # exactly one epoch a Step
        job.resume()
        assert _wait(lambda: job.status()["epoch"] >= 5)
        assert job.state == "running"
    finally:
        job.stop()
        job.join(30)
    assert job.state == "stopped"
    assert RunStore().list()[0]["status"] == "stopped"


def test_store_rejects_bad_and_missing_ids(tmp_path):
    store = RunStore(tmp_path)
    with pytest.raises(RunStoreError, match="not a valid run id"):
        store.load("../etc")
    with pytest.raises(RunStoreError, match="no saved run"):
        store.load("nope")
    assert store.list() == []


def test_damaged_run_is_skipped_in_list_and_clear_on_load(tiny_graph, tmp_path):
    store = RunStore(tmp_path)
    w = store.create(tiny_graph, TrainConfig(**SMALL))
    (w.path / "config.json").write_text("{broken")
    assert len(store.list()) == 1
    with pytest.raises(RunStoreError, match="damaged"):
        store.load(w.run_id)
    store.delete(w.run_id)
    assert store.list() == []


def test_weights_are_plain_tensors(tiny_graph, tmp_path):
    store = RunStore(tmp_path)
    w = store.create(tiny_graph, TrainConfig(**SMALL))
    w.save_weights(build_model(TrainConfig(**SMALL), tiny_graph.num_features))
    state = torch.load(w.path / "model.pt", weights_only=True)
    assert all(isinstance(v, torch.Tensor) for v in state.values())


def test_run_of_a_dead_process_is_listed_as_interrupted(tiny_graph, tmp_path):
    store = RunStore(tmp_path)
    w = store.create(tiny_graph, TrainConfig(**SMALL))
    assert store.list()[0]["status"] == "running"  # this process is alive
    w.meta["pid"] = 2**22 + 12345  # no such process
    w._write_meta()
    meta = store.list()[0]
    assert meta["status"] == "interrupted" and "stopped before it ended" in meta["message"]
    assert store.load(w.run_id).meta["status"] == "interrupted"


def test_steps_clicked_before_a_resume_do_not_run_after_the_next_pause(tiny_graph, runs_dir):
    """Steps still queued when Resume is pressed are moot: they must not run later as extra epochs."""
    job = TrainingJob(tiny_graph, TrainConfig(epochs=100_000, **SMALL), RunStore(), start_paused=True)
    for _ in range(3):
        job.step_once()  # before the trainer exists: kept as pending steps
    job.resume()
    job.pause()
    job.start()
    try:
        assert _wait(lambda: job.state == "paused")
        time.sleep(0.2)
        assert job.status()["epoch"] == 0
        job.step_once()
        assert _wait(lambda: job.status()["epoch"] == 1)
        time.sleep(0.2)
        assert job.status()["epoch"] == 1
    finally:
        job.stop()
        job.join(30)


def test_stop_is_acknowledged_before_the_final_probe(tiny_graph, runs_dir, monkeypatch):
    """The page shows "stopped" at once; the final (slow) probe only adds metrics to the saved run."""
    import threading

    from graphcl_core import trainer as trainer_mod

    release = threading.Event()
    original = trainer_mod.Trainer.evaluate

    def slow_final(self, quick=True):
        if not quick:
            assert release.wait(30)
        return original(self, quick=quick)

    monkeypatch.setattr(trainer_mod.Trainer, "evaluate", slow_final)
    store = RunStore()
    job = TrainingJob(tiny_graph, TrainConfig(epochs=100_000, eval_every=10_000, **SMALL), store).start()
    assert _wait(lambda: job.trainer is not None and job.trainer.epoch > 2)
    job.stop()
    assert _wait(lambda: job.state == "stopped", 5.0), job.state  # while the final probe is still held
    assert job.alive
    release.set()
    job.join(60)
    run = store.load(job.run_id)
    assert run.meta["status"] == "stopped" and "linear_probe_acc" in run.meta["metrics"]

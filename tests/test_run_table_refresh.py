"""The Runs page's refresh of training runs: only they are read again, and a deleted one drops out."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from graphcl_core.config import TrainConfig
from graphcl_core.runs import RunStore
from ui import run_table


def _progress(writer, bundle, epoch: int) -> None:
    emb = np.zeros((bundle.num_nodes, 4), np.float32)
    writer.save_progress([{"epoch": e, "loss": 1.0 / e, "seconds": 0.1} for e in range(1, epoch + 1)],
                         [SimpleNamespace(epoch=epoch, embeddings=emb)], epoch, 0.1 * epoch)


def test_training_runs_are_read_again_and_finished_ones_are_not(tmp_path, tiny_graph, monkeypatch):
    store = RunStore(tmp_path)
    cfg = TrainConfig(epochs=50, hidden=16, embedding_dim=4)
    done, live, gone = (store.create(tiny_graph, cfg, "cpu") for _ in range(3))
    for w in (done, live, gone):
        _progress(w, tiny_graph, 3)
    done.finish("finished")
    runs = run_table.load_runs(store)
    assert set(run_table.training(runs)) == {live.run_id, gone.run_id}

    _progress(live, tiny_graph, 40)
    store.delete(gone.run_id)  # deleted while the page is open
    loaded = []
    real_load = store.load
    monkeypatch.setattr(store, "load", lambda rid: loaded.append(rid) or real_load(rid))
    fresh = run_table.refreshed(store, runs)
    assert sorted(loaded) == sorted([live.run_id, gone.run_id])  # the finished run is not read again
    assert fresh[done.run_id] is runs[done.run_id] and gone.run_id not in fresh
    assert run_table.row(fresh[live.run_id])["epochs"] == "40/50"
    assert run_table.row(runs[live.run_id])["epochs"] == "3/50"  # the page's first reading, as it was

    live.finish("finished")
    assert run_table.training(run_table.refreshed(store, fresh)) == []

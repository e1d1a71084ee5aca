"""The Runs page's data without a browser: runs read back, table rows, default comparison, deletion."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from graphcl_core.config import TrainConfig
from graphcl_core.runs import RunStore
from ui import run_table
from ui.registry import Slot


def _run(store, bundle, created, status, *, cfg=TrainConfig(epochs=20, margin=1.5), probe=None):
    w = store.create(bundle, cfg, "cpu")
    w.meta["created"] = created
    hist = [{"epoch": 1, "loss": 0.9, "seconds": 0.1}, {"epoch": 2, "loss": 0.7, "seconds": 0.2}]
    if probe is not None:
        hist[-1]["linear_probe_acc"] = probe
    w.save_progress(hist, [SimpleNamespace(epoch=2, embeddings=np.zeros((bundle.num_nodes, 4), np.float32))], 2, 0.25)
    w.finish(status)
    return w.run_id


def test_rows_default_comparison_and_a_damaged_run(tmp_path, tiny_graph):
    store = RunStore(tmp_path)
    old = _run(store, tiny_graph, 1000.0, "finished", probe=0.8)
    stopped = _run(store, tiny_graph, 2000.0, "stopped")
    new = _run(store, tiny_graph, 3000.0, "finished", cfg=TrainConfig(epochs=20, loss="infonce"))
    (store.path / stopped / "config.json").write_text("{not json")  # damaged: left out, not an error
    runs = run_table.load_runs(store)
    assert list(runs) == [new, old]
    df = run_table.table(runs)
    assert list(df["run"]) == [new, old] and list(df["status"]) == ["finished", "finished"]
    first = run_table.row(runs[old])
    assert first["epochs"] == "2/20" and first["final loss"] == 0.7 and first["linear probe"] == 80.0
    assert first["margin"] == 1.5 and first["time (s)"] == 0.2 and first["graph"] == tiny_graph.name
    assert run_table.row(runs[new])["loss"] == "infonce"
    assert run_table.default_comparison(runs) == [new, old]
    assert run_table.load_runs(store, limit=1).keys() == {new}


def test_default_comparison_without_finished_runs_is_the_newest(tmp_path, tiny_graph):
    store = RunStore(tmp_path)
    _run(store, tiny_graph, 1000.0, "stopped")
    newest = _run(store, tiny_graph, 2000.0, "failed")
    assert run_table.default_comparison(run_table.load_runs(store)) == [newest]
    assert run_table.default_comparison({}) == []


def test_delete_run_removes_files_and_cached_frames(tmp_path, tiny_graph):
    store = RunStore(tmp_path)
    rid = _run(store, tiny_graph, 1000.0, "finished")
    slot = Slot("tok-runs-delete")
    slot.cache[("explore-frames", rid, "PCA 2-D")] = object()
    slot.cache[("explore-frames", "other", "PCA 2-D")] = keep = object()
    assert run_table.delete_run(slot, store, rid) is None
    assert not (store.path / rid).exists()
    assert list(slot.cache.values()) == [keep]
    assert "no saved run" in run_table.delete_run(slot, store, rid).lower()


def test_missing_results_and_percentages_read_alike_everywhere():
    """An unlabelled run has no probe: a dash (as on the page's metrics), never "None"; percentages have one
    decimal in the table (a percent column dropped trailing zeros: "90%" under "90.83%") and in the captions."""
    assert run_table.MISSING == "—"
    assert run_table.percent(None) == "—" and run_table.percent(0.9) == "90.0%" and run_table.percent(0.9083) == "90.8%"
    assert run_table.COLUMNS["linear probe"]["type_config"]["format"] == "%.1f%%"
    for q in (0.9, 0.9083, 0.8915, 0.89155, 1 / 3, 0.0005):  # the table's digits are the caption's
        assert f"{run_table._percent_value(q):.1f}%" == run_table.percent(q)


def test_compare_caption_names_the_loss_as_a_loss():
    cfg = TrainConfig(loss="margin", margin=1.0, hidden=256, lr=0.005)
    assert run_table.settings_caption(cfg, {"linear_probe_acc": 0.9}) == \
        "margin loss · margin 1 · hidden 256 · lr 0.005 · probe 90.0%"
    assert run_table.settings_caption(TrainConfig(loss="infonce"), None).startswith("infonce loss · margin ")
    assert "probe" not in run_table.settings_caption(cfg, {"silhouette": None})


def test_a_nan_result_reads_as_missing(tmp_path, tiny_graph):
    store = RunStore(tmp_path)
    rid = _run(store, tiny_graph, 1000.0, "finished")
    run = store.load(rid)
    run.meta["metrics"] = {"linear_probe_acc": None, "silhouette": float("nan")}
    row = run_table.row(run)
    assert row["linear probe"] is None and row["silhouette"] is None
    # the summary's metric and the compare caption read a NaN probe as missing too, never "nan%"
    assert run_table.percent(float("nan")) == run_table.MISSING
    assert "probe" not in run_table.settings_caption(TrainConfig(), {"linear_probe_acc": float("nan")})

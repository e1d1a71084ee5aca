"""What keeps the app quick to answer: frames saved during training and reused, the run store's parse
cache, and a UMAP warm-up that gives way to a run training on the CPU."""

from __future__ import annotations

import contextlib
import os
import time

import numpy as np
import pytest

from graphcl_core import projection, saved_frames, umap_warmup
from graphcl_core.projection import Projector
from graphcl_core.runs import RunStore
from graphcl_core.trainer import Snapshot


def _emb(n: int = 40, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(2), n // 2)
    return (rng.standard_normal((2, 8))[y] * 3 + rng.standard_normal((n, 8))).astype(np.float32)


# ---- saved frames -----------------------------------------------------------------------------------

def test_a_saved_frame_loads_back_equal(tmp_path):
    frame = Projector("pca", 2).project(_emb())
    path = saved_frames.save_frame(tmp_path, 7, frame)
    assert path == tmp_path / "frames" / "pca-2d" / "epoch_000007.npz"
    back = saved_frames.load_frames(tmp_path, "pca", 2)
    assert list(back) == [7]
    got = back[7]
    np.testing.assert_array_equal(got.coords, frame.coords)
    np.testing.assert_array_equal(got.index, frame.index)
    np.testing.assert_array_equal(got.raw, frame.raw)
    assert (got.method, got.dim, got.note, got.subsampled) == ("pca", 2, frame.note, False)
    assert saved_frames.load_frames(tmp_path, "umap", 2) == {}
    assert list(saved_frames.load_frames(tmp_path, "pca", 2, epochs=[1, 2])) == []


def test_unwritable_run_folder_is_not_an_error(tmp_path):
    frame = Projector("pca", 2).project(_emb())
    blocker = tmp_path / "frames"
    blocker.write_text("a file where the folder should be")
    assert saved_frames.save_frame(tmp_path, 1, frame) is None


def test_continue_from_aligns_the_next_frame_on_a_loaded_one(tmp_path):
    x = _emb()
    first = Projector("pca", 2).project(x)
    turn = np.array([[0.0, -1.0], [1.0, 0.0]], np.float32)  # the saved picture was drawn turned by 90°
    first.coords, first.raw = first.coords @ turn, first.raw @ turn
    saved_frames.save_frame(tmp_path, 10, first)
    loaded = saved_frames.load_frames(tmp_path, "pca", 2)[10]
    p = Projector("pca", 2)
    p.continue_from(loaded, n_total=len(x))
    nxt = p.project(x)  # a cold projector would draw it unturned
    assert np.abs(nxt.coords - first.coords).mean() < 0.01
    assert np.abs(Projector("pca", 2).project(x).coords - first.coords).mean() > 0.1


def test_filler_projects_only_the_missing_epochs_and_saves_them(tmp_path):
    embs = {e: _emb(seed=e) for e in (1, 2, 3, 4)}
    live = Projector("pca", 2)
    for e in (1, 3):  # what the live view projected while the run trained
        saved_frames.save_frame(tmp_path, e, live.project(embs[e]))
    asked = []

    def embeddings(e):
        asked.append(e)
        return embs[e]

    filler = saved_frames.FrameFiller(tmp_path, list(embs), embeddings, "pca", 2, n_total=40)
    assert filler.loaded == 2 and filler.progress() == (2, 4) and not filler.done
    assert filler.missing() == [4, 2]  # the last epoch first: it is the picture shown on opening
    filler.start().join(30)
    assert filler.error is None and filler.done and sorted(filler.frames()) == [1, 2, 3, 4]
    assert asked == [4, 2]
    assert sorted(saved_frames.load_frames(tmp_path, "pca", 2)) == [1, 2, 3, 4]
    # a second opening finds everything on disk and starts no thread
    again = saved_frames.FrameFiller(tmp_path, list(embs), embeddings, "pca", 2, n_total=40).start()
    assert again.done and again._thread is None


def test_frames_or_nearest_covers_every_epoch_while_filling(tmp_path):
    live = Projector("pca", 2)
    for e in (10, 40):
        saved_frames.save_frame(tmp_path, e, live.project(_emb(seed=e)))
    filler = saved_frames.FrameFiller(tmp_path, [10, 20, 30, 40, 50], lambda e: _emb(seed=e), "pca", 2, n_total=40)
    have = filler.frames()
    near = filler.frames_or_nearest()  # nothing projected yet: the saved ones stand in
    assert sorted(near) == [10, 20, 30, 40, 50]
    assert near[20] is have[10] and near[30] is have[40] and near[50] is have[40] and near[10] is have[10]
    empty = saved_frames.FrameFiller(tmp_path / "none", [1, 2], lambda e: _emb(), "pca", 2, n_total=40)
    assert empty.frames_or_nearest() == {}


def test_filler_keeps_the_saved_frames_nodes_for_cold_frames(tmp_path):
    """Live frames of a 60-node graph showed a 20-node subset: frames projected later show the same 20."""
    embs = {e: _emb(60, seed=e) for e in (1, 2, 3)}
    live = Projector("pca", 2, max_points=20, seed=5)
    saved_frames.save_frame(tmp_path, 2, live.project(embs[2]))
    filler = saved_frames.FrameFiller(tmp_path, [1, 2, 3], embs.__getitem__, "pca", 2, n_total=60,
                                      max_points=50).start()
    assert filler.wait_for_any(5)
    filler.join(30)
    got = filler.frames()
    assert sorted(got) == [1, 2, 3]
    for e in (1, 3):
        np.testing.assert_array_equal(got[e].index, got[2].index)


def test_filler_reports_bad_embeddings(tmp_path):
    bad = np.full((40, 8), np.nan, np.float32)
    filler = saved_frames.FrameFiller(tmp_path, [5], lambda e: bad, "pca", 2, n_total=40, save=False).start()
    filler.join(30)
    assert filler.done and "NaN" in (filler.error or "")


def test_filler_waits_for_the_umap_warm_up_only_for_umap(tmp_path, monkeypatch):
    monkeypatch.setattr(projection.projection_gpu, "gpu_available", lambda: False)
    calls = []
    filler = saved_frames.FrameFiller(tmp_path, [1], lambda e: _emb(), "pca", 2, n_total=40,
                                      before_umap=lambda: calls.append(1)).start()
    filler.join(30)
    assert calls == [] and filler.done


# ---- run store cache --------------------------------------------------------------------------------

def _saved_run(root, tiny_graph, epochs: int = 30):
    from graphcl_core.presets import preset

    store = RunStore(root)
    w = store.create(tiny_graph, preset("small-graph", epochs=epochs))
    hist = [{"epoch": e, "loss": 1.0 / e, "seconds": 0.01 * e} for e in range(1, epochs + 1)]
    w.save_progress(hist, [Snapshot(epochs, 0.1, _emb(tiny_graph.num_nodes).astype(np.float16))], epochs, 0.3)
    w.finish("finished")
    return store, w


def test_history_is_parsed_once_per_file_version(tmp_path, tiny_graph, monkeypatch):
    from graphcl_core import runs

    store, w = _saved_run(tmp_path, tiny_graph)
    parsed = []
    real = runs._parse_history
    monkeypatch.setattr(runs, "_parse_history", lambda text: parsed.append(1) or real(text))
    a = store.load(w.run_id)
    b = store.load(w.run_id)
    assert len(parsed) == 1 and a.history == b.history and len(a.history) == 30
    a.history.append({"epoch": 99})  # callers get their own list
    assert len(store.load(w.run_id).history) == 30
    # the run goes on: metrics.csv is rewritten, the next load sees the new rows
    hist = a.history[:-1] + [{"epoch": 31, "loss": 0.01, "seconds": 0.31}]
    time.sleep(0.01)
    w.save_progress(hist, [], 31, 0.31)
    assert len(store.load(w.run_id).history) == 31 and len(parsed) == 2


def test_config_from_the_cache_is_a_private_copy(tmp_path, tiny_graph):
    store, w = _saved_run(tmp_path, tiny_graph)
    cfg = store.load(w.run_id).config
    cfg.epochs = 12345
    assert store.load(w.run_id).config.epochs == 30


def test_a_damaged_history_says_so(tmp_path, tiny_graph):
    from graphcl_core.errors import RunStoreError

    store, w = _saved_run(tmp_path, tiny_graph)
    (w.path / "metrics.csv").write_text("epoch,loss\n1,not-a-number\n")
    with pytest.raises(RunStoreError, match="damaged"):
        store.load(w.run_id)


# ---- UMAP warm-up -----------------------------------------------------------------------------------

def test_warm_up_waits_while_a_cpu_run_trains(monkeypatch):
    busy = iter([1, 1, 1, 0])
    monkeypatch.setattr(umap_warmup, "cpu_runs_training", lambda: next(busy))
    waited = umap_warmup.wait_while_cpu_trains(max_wait=5, poll=0.05)
    assert 0.1 <= waited < 2


def test_warm_up_wait_is_bounded(monkeypatch):
    monkeypatch.setattr(umap_warmup, "cpu_runs_training", lambda: 1)
    assert 0.2 <= umap_warmup.wait_while_cpu_trains(max_wait=0.2, poll=0.05) < 1.5


def test_warm_up_order_on_cpu_and_on_gpu(monkeypatch):
    calls = []
    monkeypatch.setattr(umap_warmup, "compile_in_child", lambda: calls.append("child"))
    monkeypatch.setattr(umap_warmup, "wait_while_cpu_trains",
                        lambda max_wait=umap_warmup.LOAD_WAIT_S: calls.append(f"wait {max_wait:g}"))
    monkeypatch.setattr(projection, "warm_here", lambda: calls.append("here"))
    monkeypatch.setattr(projection.projection_gpu, "gpu_available", lambda: False)
    monkeypatch.setattr(umap_warmup, "cache_is_warm", lambda: False)
    projection._warmup()
    assert calls == ["child", "wait 20", "here"]
    calls.clear()
    # an earlier start filled numba's cache: no child, and a shorter wait before loading the kernels
    monkeypatch.setattr(umap_warmup, "cache_is_warm", lambda: True)
    projection._warmup()
    assert calls == ["wait 5", "here"]
    calls.clear()
    monkeypatch.setattr(projection.projection_gpu, "gpu_available", lambda: True)
    projection._warmup()
    assert calls == ["here"]  # TorchDR: nothing to compile, nothing to wait for


@pytest.mark.timeout(300)
def test_compile_in_child_fills_numba_cache_for_this_process(tmp_path, monkeypatch):
    """The child compiles into the cache folder the server uses (inherited NUMBA_CACHE_DIR) and ends well."""
    if not os.environ.get("NUMBA_CACHE_DIR"):
        pytest.skip("numba's cache folder is not set (no writable home)")
    assert umap_warmup.compile_in_child(timeout=280)
    cache = os.environ["NUMBA_CACHE_DIR"]
    assert any(name.startswith("umap") for name in os.listdir(cache))
    assert umap_warmup.cache_is_warm()  # the child said so: the next start skips it


def test_the_warm_cache_marker_follows_the_cache_folder_and_umaps_files(tmp_path, monkeypatch):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "cache-a"))
    (tmp_path / "cache-a").mkdir()
    marker = umap_warmup.cache_marker()
    assert marker is not None and marker.parent == tmp_path / "cache-a" and not umap_warmup.cache_is_warm()
    umap_warmup.mark_cache_warm()
    assert umap_warmup.cache_is_warm()
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "cache-b"))  # another (empty) cache: not warm
    assert not umap_warmup.cache_is_warm()
    monkeypatch.delenv("NUMBA_CACHE_DIR")
    assert umap_warmup.cache_marker() is None and not umap_warmup.cache_is_warm()
    umap_warmup.mark_cache_warm()  # nothing to mark, no error
    # umap-learn reinstalled (its files newer): another name, so not warm
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "cache-a"))
    assert umap_warmup.cache_is_warm()
    monkeypatch.setattr(umap_warmup, "_umap_files_time", lambda t=umap_warmup._umap_files_time(): t + 100)
    assert umap_warmup.cache_marker() != marker and not umap_warmup.cache_is_warm()


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="reads process states from /proc")
def test_compile_child_is_held_while_a_cpu_run_trains(monkeypatch):
    """A child that needs 0.3 s of CPU is stopped while a run trains (here: 1 s), then resumed; bounded
    by LOAD_WAIT_S in all."""
    import subprocess
    import sys
    import threading

    states = []
    # a run trains until the child has been seen stopped a few times, then ends (no clock involved)
    monkeypatch.setattr(umap_warmup, "cpu_runs_training", lambda: int(states.count("T") < 3))
    proc = subprocess.Popen([sys.executable, "-c", "import time\nt = time.process_time()\n"
                             "while time.process_time() - t < 0.3: pass"])

    def watch():
        while proc.poll() is None:
            with contextlib.suppress(OSError):
                states.append(open(f"/proc/{proc.pid}/stat").read().split(")")[1].split()[0])
            time.sleep(0.05)

    t = threading.Thread(target=watch)
    t.start()
    assert umap_warmup._supervise(proc, timeout=30, poll=0.05)
    t.join()
    assert states.count("T") >= 3 and proc.returncode == 0  # held while the run trained, then finished
    # once LOAD_WAIT_S is spent the child runs even while the CPU is busy
    monkeypatch.setattr(umap_warmup, "LOAD_WAIT_S", 0.2)
    monkeypatch.setattr(umap_warmup, "cpu_runs_training", lambda: 1)
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    assert umap_warmup._supervise(proc, timeout=30, poll=0.05) and proc.returncode == 0

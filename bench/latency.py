"""Latency a person feels (issue 10 item 6), one JSON line per measurement.

    python bench/latency.py inprocess [--graph Cora] [--epochs 200]   # the GPU machine (runs on a CPU too)
    python bench/latency.py fresh_server [--graph Cora] [--click-after 1.2,0]   # bench/latency_start.py
    python bench/latency.py start_breakdown [--graph Cora] [--repeats 3]        # bench/latency_start.py
    python bench/latency.py browser [--runs 50]                        # a machine with Chromium (bench/latency_browser.py)

``inprocess`` times, in one process, what the page script emits (no browser: the GPU machine has none):
- ``start_to_first_loss``: Start pressed on the Train page (``AppTest``, or the ``TrainingJob`` API where
  Streamlit is not installed: ``where`` says which) → the job's first loss row → the page's next run
  that draws the loss chart;
- ``first_frame_fresh_process``: a child process that, like a fresh server, starts the projection
  warm-up at import, initialises CUDA (training has done so in the app), then asks for the first UMAP
  frame of trained embeddings: ``seconds_after_request`` and ``since_import`` (backend: TorchDR on CUDA,
  umap-learn on a CPU);
- ``first_frame`` / ``warm_frames``: the live view's cold frame in a warm process, then warm-started frames
  of successive snapshots (median / max);
- ``frame_100k``: one frame of 100,000 × 128 clustered embeddings as the live view draws it (a 4,000-node
  subsample) and as Explore/Runs do by default (20,000);
- ``explore_open``: a finished run whose live frames were saved: time to its last epoch's frame from the
  saved files (``saved_frames.FrameFiller``) against projecting it, and until every snapshot has a frame.
Add the browser's own draw time for the same element, measured on the CPU machine by ``browser``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
LIVE_POINTS = 4000  # ui/training.LIVE_MAX_POINTS
from latency_start import APP_SHELL_S  # noqa: E402 - a browser's time to draw a fresh page's app shell
from latency_start import _device_fields, emit  # noqa: E402 - the same JSON lines and device fields


# ---- (a) Start → first loss point ------------------------------------------------------------------
def start_to_first_loss(graph: str, epochs: int) -> None:
    try:
        from streamlit.testing.v1 import AppTest  # noqa: F401
    except ImportError:
        return _start_to_first_loss_api(graph, epochs)
    from streamlit.testing.v1 import AppTest

    from ui import registry

    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.query_params.update({"graph": graph, "epochs": str(epochs)})
    at.run()
    at.switch_page("pages/train.py").run()
    slot = registry.get_slot(at.session_state["sid"])
    t0 = time.perf_counter()
    at.button(key="train.start").click()
    at.run()
    click_rerun = time.perf_counter() - t0
    job = slot.job
    while not job.status()["history"] and not job.done and time.perf_counter() - t0 < 60:
        time.sleep(0.001)
    first_row = time.perf_counter() - t0
    seen: dict[str, float] = {}
    while len(seen) < 2 and time.perf_counter() - t0 < 60:  # the page's polls, back to back
        at.run()
        for key in set(_element_keys(at._tree)) & {"train.loss", "train.projection"}:
            seen.setdefault(key, time.perf_counter() - t0)
    frames = slot.cache.get("paced-frames")
    frame = frames.ready()["frame"] if frames is not None else None
    job.stop()
    job.join(30)
    emit(what="start_to_first_loss", where="apptest", graph=graph, first_loss_row_s=first_row,
         page_emits_loss_s=seen.get("train.loss"), page_emits_projection_s=seen.get("train.projection"),
         first_frame_method=getattr(frame, "method", None), click_rerun_s=click_rerun, **_device_fields())


def _element_keys(node):
    """Keys of every element in an AppTest tree (the live charts are custom components: no typed query)."""
    key = getattr(node, "key", None)
    if key:
        yield key
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            yield from _element_keys(child)


def _start_to_first_loss_api(graph: str, epochs: int) -> None:
    from graphcl_core.presets import preset
    from graphcl_core.runs import RunStore
    from graphcl_core.worker import TrainingJob
    from ui import graphs

    bundle = graphs.load_named(graph)
    t0 = time.perf_counter()
    job = TrainingJob(bundle, preset("default", epochs=epochs).validate(), RunStore()).start()
    while not job.status()["history"] and not job.done and time.perf_counter() - t0 < 60:
        time.sleep(0.001)
    first_row = time.perf_counter() - t0
    job.stop()
    job.join(30)
    emit(what="start_to_first_loss", where="api (no Streamlit here)", graph=graph, first_loss_row_s=first_row,
         **_device_fields())


# ---- trained embeddings for the frames ----------------------------------------------------------------
def trained_snapshots(graph: str, epochs: int, every: int):
    """A finished run's snapshots (epoch → float32 N×D), trained here with the default recipe, and its writer."""
    from graphcl_core.presets import preset
    from graphcl_core.runs import RunStore
    from graphcl_core.worker import TrainingJob
    from ui import graphs

    bundle = graphs.load_named(graph)
    cfg = preset("default", epochs=epochs, snapshot_every=every).validate()
    job = TrainingJob(bundle, cfg, RunStore()).start()
    job.join(600)
    snaps = {s.epoch: s.embeddings.astype("float32") for s in job.trainer.snapshot_list()}
    return snaps, job.writer


# ---- (b) the first frame in a fresh process -----------------------------------------------------------
def _child_first_frame(emb_path: str) -> None:
    t_start = time.perf_counter()
    import torch

    from graphcl_core import projection

    projection.warmup_in_background()
    t_import = time.perf_counter() - t_start
    if torch.cuda.is_available():
        torch.ones(1, device="cuda").sum().item()  # the app's training has set CUDA up already
    import numpy as np

    x = np.load(emb_path)
    t_req = time.perf_counter()
    frame = projection.Projector("umap", 2, max_points=LIVE_POINTS).project(x)
    done = time.perf_counter()
    emit(what="first_frame_fresh_process", method=frame.method, seconds_after_request=done - t_req,
         since_import=done - t_start - t_import, import_s=t_import, nodes=len(x), note=frame.note,
         **_device_fields())


def first_frame_fresh_process(snaps: dict) -> None:
    import numpy as np

    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "emb.npy")
        np.save(path, snaps[max(snaps)])
        out = subprocess.run([sys.executable, __file__, "child-first-frame", path], capture_output=True, text=True,
                             timeout=600)
        print(out.stdout.strip() or out.stderr[-2000:], flush=True)


# ---- (c) cold frame in a warm process, then warm frames ----------------------------------------------
def frames(snaps: dict) -> None:
    from graphcl_core import projection

    projection.warmup_in_background().join(600)
    p = projection.Projector("umap", 2, max_points=LIVE_POINTS)
    epochs = sorted(snaps)
    t0 = time.perf_counter()
    first = p.project(snaps[epochs[0]])
    cold = time.perf_counter() - t0
    times = []
    for e in epochs[1:11]:
        t0 = time.perf_counter()
        p.project(snaps[e])
        times.append(time.perf_counter() - t0)
    emit(what="first_frame", method=first.method, seconds=cold, nodes=len(snaps[epochs[0]]), **_device_fields())
    emit(what="warm_frames", frames=len(times), median_s=statistics.median(times) if times else None,
         max_s=max(times) if times else None, **_device_fields())


# ---- (d) a 100k-node frame ------------------------------------------------------------------------------
def frame_100k(n: int = 100_000) -> None:
    from projection import clustered  # bench/projection.py

    from graphcl_core import projection

    x = clustered(n, 128)
    for shown in (LIVE_POINTS, 20_000):
        p = projection.Projector("umap", 2, max_points=shown)
        t0 = time.perf_counter()
        cold = p.project(x)
        t_cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        p.project(x + 0.001)
        emit(what="frame_100k", nodes=n, shown=len(cold.index), cold_s=t_cold, warm_s=time.perf_counter() - t0,
             method=cold.method, note=cold.note, **_device_fields())


# ---- Explore opening a finished run ---------------------------------------------------------------------
def explore_open(snaps: dict, run_dir: Path) -> None:
    """Half of the snapshots' frames saved as the live view would (every other one, the last among them)."""
    from graphcl_core import projection, saved_frames

    epochs = sorted(snaps)
    live = projection.Projector("umap", 2, max_points=LIVE_POINTS)
    for e in epochs[::-2]:
        saved_frames.save_frame(run_dir, e, live.project(snaps[e]))
    n = len(snaps[epochs[0]])
    t0 = time.perf_counter()
    filler = saved_frames.FrameFiller(run_dir, epochs, snaps.__getitem__, "umap", 2, n_total=n, save=False,
                                      max_points=3000).start()
    first = time.perf_counter() - t0 if epochs[-1] in filler.frames() else None
    filler.join(600)
    all_done = time.perf_counter() - t0
    t0 = time.perf_counter()
    projection.Projector("umap", 2, max_points=3000).project(snaps[epochs[-1]])
    emit(what="explore_open", snapshots=len(epochs), saved=filler.loaded, last_frame_from_disk_s=first,
         all_frames_s=all_done, last_frame_projected_instead_s=time.perf_counter() - t0, error=filler.error,
         **_device_fields())


def inprocess(args) -> None:
    from common import setup_data_dir

    setup_data_dir()
    os.environ.setdefault("GRAPHCL_RUNS_DIR", tempfile.mkdtemp(prefix="graphcl-latency-"))
    start_to_first_loss(args.graph, args.epochs)
    snaps, writer = trained_snapshots(args.graph, args.epochs, max(1, args.epochs // 20))
    first_frame_fresh_process(snaps)
    frames(snaps)
    explore_open(snaps, writer.path)
    if not args.skip_100k:
        frame_100k()


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "child-first-frame":
        return _child_first_frame(sys.argv[2])
    if len(sys.argv) == 5 and sys.argv[1] == "child-fresh-server":
        from common import setup_data_dir
        from latency_start import child_fresh_server

        setup_data_dir()
        os.environ.setdefault("GRAPHCL_RUNS_DIR", tempfile.mkdtemp(prefix="graphcl-latency-"))
        return child_fresh_server(sys.argv[2], float(sys.argv[3]), float(sys.argv[4]))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="mode", required=True)
    a = sub.add_parser("inprocess", help="AppTest / library timings (the GPU machine)")
    a.add_argument("--graph", default="Cora")
    a.add_argument("--epochs", type=int, default=200)
    a.add_argument("--skip-100k", action="store_true", help="leave out the 100k-node frame (slow on a CPU)")
    f = sub.add_parser("fresh_server", help="a fresh studio process: Start clicked soon after → first loss "
                       "point and first UMAP frame emitted (bench/latency_start.py)")
    f.add_argument("--graph", default="Cora")
    f.add_argument("--click-after", default=f"{APP_SHELL_S},0",
                   help="seconds from the warm-ups' start to the click, comma-separated (one fresh process each; "
                   f"default {APP_SHELL_S}: a browser's app-shell load, and 0)")
    f.add_argument("--timeout", type=float, default=120.0, help="give up waiting for a UMAP frame after this")
    s = sub.add_parser("start_breakdown", help="phases of a TrainingJob's start (bench/latency_start.py)")
    s.add_argument("--graph", default="Cora")
    s.add_argument("--epochs", type=int, default=200)
    s.add_argument("--repeats", type=int, default=3, help="starts in one process (the first pays first uses)")
    s.add_argument("--no-warmups", action="store_true", help="do not start (and wait for) the studio's warm-ups")
    b = sub.add_parser("browser", help="Playwright timings in Chromium (the CPU machine)")
    b.add_argument("--runs", type=int, default=50, help="saved runs on the Runs page")
    b.add_argument("--only", default="", help="comma-separated: start,try,explore,runs,stop")
    b.add_argument("--fresh-cache", action="store_true", help="each server starts with an empty numba cache "
                   "(a machine that never ran UMAP)")
    args = ap.parse_args()
    if args.mode == "inprocess":
        inprocess(args)
    elif args.mode in ("fresh_server", "start_breakdown"):
        from common import setup_data_dir

        import latency_start

        setup_data_dir()
        os.environ.setdefault("GRAPHCL_RUNS_DIR", tempfile.mkdtemp(prefix="graphcl-latency-"))
        if args.mode == "fresh_server":
            latency_start.fresh_server(args.graph, [float(v) for v in args.click_after.split(",")], args.timeout)
        else:
            latency_start.start_breakdown(args.graph, args.epochs, args.repeats, not args.no_warmups)
    else:
        from latency_browser import browser

        browser(args)


if __name__ == "__main__":
    main()

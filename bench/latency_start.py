"""What happens between Start and the first loss point / UMAP frame: ``bench/latency.py fresh_server`` and
``bench/latency.py start_breakdown`` (JSON lines, printed as they come; CPU or GPU).

``fresh_server``: a child process does what a freshly started ``graphcl-studio`` does — imports the
package and starts the warm-ups (``ui.studio_server.start_warmups``) — then opens the Train page in ``AppTest``
with ``?graph=...`` at once, clicks Start ``--click-after`` seconds after the warm-ups started (or as soon
as the page is there, if later), and times from the click: the job's first loss row, the page script
**emitting** the loss chart with a point and the projection with its first UMAP frame (the moment
``live_chart`` is called: a browser gets the element then, Streamlit streams it; ``AppTest`` itself
only returns at the script's end, also timed), and the warm-ups' own durations. The page is rerun at its own poll
interval (``train.poll``: 0.1 s until the first loss row, then the training's pace), as the browser's
fragment timer would, starting each rerun that long after the previous one started.

``start_breakdown``: a ``TrainingJob`` of the default recipe, started ``--repeats`` times in one process
(the first pays the process's first uses), each with a timeline of its phases, measured by wrapping the
functions that do them (no extra device syncs): thread start, waiting for the admission slot, the
Trainer (inputs to the device, the model, the engine with its CSR/propagation set-up), the run folder,
the epoch-0 snapshot, the first epoch, the first loss read back, and when a poller saw it.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
for _p in (str(REPO), str(REPO / "bench")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

# A browser's time to draw the app shell of a fresh page (docs/latency.md: 1.0-1.4 s on the CPU machine).
APP_SHELL_S = 1.2


def emit(**row) -> None:
    print(json.dumps(row, default=lambda v: round(v, 4) if isinstance(v, float) else str(v)), flush=True)


def _device_fields() -> dict:
    import torch

    from graphcl_core import projection_gpu

    return {"device": "cuda" if torch.cuda.is_available() else "cpu",
            "gpu": torch.cuda.get_device_name() if torch.cuda.is_available() else None,
            "umap_backend": "torchdr" if projection_gpu.gpu_available() else "umap-learn",
            "load_average": round(os.getloadavg()[0], 2)}


# ---- wrapping functions to time them ------------------------------------------------------------------
class Timeline:
    """``(phase, start, end)`` offsets from ``t0`` of wrapped calls, the first ``limit`` of each phase."""

    def __init__(self) -> None:
        self.t0 = time.perf_counter()
        self.rows: list[tuple[str, float, float]] = []
        self.marks: dict[str, float] = {}
        self._lock = threading.Lock()

    def now(self) -> float:
        return time.perf_counter() - self.t0

    def mark(self, name: str) -> None:
        with self._lock:
            self.marks.setdefault(name, self.now())

    def add(self, name: str, start: float, end: float) -> None:
        with self._lock:
            self.rows.append((name, start, end))

    def first(self, name: str) -> tuple[float, float] | None:
        return next(((s, e) for n, s, e in self.rows if n == name), None)


@contextlib.contextmanager
def wrapped(timeline_ref: list, targets: list[tuple[object, str, str]]):
    """Wrap ``getattr(owner, attr)`` for each ``(owner, attr, phase)``; timings go to ``timeline_ref[0]``."""
    saved = []
    for owner, attr, phase in targets:
        raw = owner.__dict__[attr] if isinstance(owner, type) else getattr(owner, attr)
        func = raw.__func__ if isinstance(raw, (classmethod, staticmethod)) else raw

        def make(func=func, phase=phase):
            def timed(*a, **kw):
                tl = timeline_ref[0]
                s = tl.now()
                try:
                    return func(*a, **kw)
                finally:
                    tl.add(phase, s, tl.now())
            return timed

        new = make()
        if isinstance(raw, classmethod):
            new = classmethod(new)
        elif isinstance(raw, staticmethod):
            new = staticmethod(new)
        setattr(owner, attr, new)
        saved.append((owner, attr, raw))
    try:
        yield
    finally:
        for owner, attr, raw in reversed(saved):
            setattr(owner, attr, raw)


# ---- start_breakdown ----------------------------------------------------------------------------------
def start_breakdown(graph: str, epochs: int, repeats: int, warmups: bool) -> None:
    from graphcl_core import trainer as trainer_mod
    from graphcl_core import worker
    from graphcl_core.engine.inputs import RunInputs
    from graphcl_core.presets import preset
    from graphcl_core.runs import RunStore
    from ui import graphs

    if warmups:  # as a server that has been up a while: the studio's warm-ups are done
        from ui import studio_server as studio

        t = time.perf_counter()
        for th in studio.start_warmups():
            th.join(600)
        emit(what="start_breakdown_warmups", seconds=time.perf_counter() - t)
    t = time.perf_counter()
    bundle = graphs.load_named(graph)
    graph_load = time.perf_counter() - t
    cfg = preset("default", epochs=epochs).validate()
    ref = [Timeline()]
    targets = [(worker.TrainingJob, "_main", "thread"),
               (worker.TrainingJob, "_wait_for_first_slot", "wait_for_slot"),
               (worker, "share_cpu_cores", "share_cpu_cores"),
               (trainer_mod.Trainer, "__init__", "trainer_build"),
               (RunInputs, "from_bundle", "inputs_to_device"),
               (trainer_mod, "build_model", "model_build"),
               (trainer_mod, "select_engine", "engine_setup"),
               (RunStore, "create", "run_folder"),
               (trainer_mod.Trainer, "take_snapshot", "snapshot"),
               (trainer_mod.Trainer, "step", "epoch"),
               (trainer_mod.Trainer, "flush_losses", "read_loss")]
    with wrapped(ref, targets):
        for i in range(repeats):
            tl = ref[0] = Timeline()
            job = worker.TrainingJob(bundle, cfg, RunStore())
            tl.mark("job_created")
            job.start()
            tl.mark("thread_start_returned")
            while not job.status()["history"] and not job.done and tl.now() < 120:
                time.sleep(0.0005)
            tl.mark("poller_sees_first_row")
            job.stop()
            job.join(60)
            emit(what="start_breakdown", repeat=i, graph=graph, graph_load_s=graph_load if i == 0 else None,
                 first_loss_row_s=tl.marks["poller_sees_first_row"], state=job.state, message=job.message,
                 engine={k: v for k, v in (job.trainer.fast_info if job.trainer is not None else {}).items()
                         if k in ("propagation", "cuda_graph", "batched_views", "sparse_features", "tf32")},
                 phases=_phases(tl), **_device_fields())


def _phases(tl: Timeline) -> dict:
    """Each phase's first call as ``[start, end]`` seconds after the job was created (the first snapshot
    is epoch 0's; ``read_loss`` is the first epoch's loss read back, inside ``epoch`` when the loss is
    read every step)."""
    out = {}
    for name in ("thread", "wait_for_slot", "share_cpu_cores", "trainer_build", "inputs_to_device", "model_build",
                 "engine_setup", "run_folder", "snapshot", "epoch"):
        span = tl.first(name)
        if span is not None:
            out[name] = [round(span[0], 4), round(span[1] if name != "thread" else span[0], 4)]
    epoch = tl.first("epoch")
    reads = [(s, e) for n, s, e in tl.rows if n == "read_loss" and epoch and s >= epoch[0]]  # within the step
    if reads:
        out["read_loss"] = [round(reads[0][0], 4), round(reads[0][1], 4)]
    out["poller_sees_first_row"] = round(tl.marks.get("poller_sees_first_row", float("nan")), 4)
    return out


# ---- fresh_server ---------------------------------------------------------------------------------------
def _record_fits() -> list[dict]:
    """Every ``Projector.project`` call from now on, with its thread (the warm-up's or the page's), when it
    started (``at``: ``time.perf_counter()``), its rows, method and duration; TorchDR's own part in
    ``torchdr_s`` (its first call includes ``import torchdr``)."""
    from graphcl_core import projection, projection_gpu

    fits: list[dict] = []
    project, torchdr_umap = projection.Projector.project, projection_gpu.torchdr_umap
    inner = threading.local()

    def timed_torchdr(*a, **kw):
        s = time.perf_counter()
        try:
            return torchdr_umap(*a, **kw)
        finally:
            inner.seconds = time.perf_counter() - s

    def timed_project(self, emb):
        s = time.perf_counter()
        inner.seconds = None
        frame = project(self, emb)
        fits.append({"thread": threading.current_thread().name, "at": s, "rows": len(frame.index),
                     "method": frame.method, "seconds": round(time.perf_counter() - s, 4),
                     "torchdr_s": None if inner.seconds is None else round(inner.seconds, 4)})
        return frame

    projection.Projector.project = timed_project
    projection_gpu.torchdr_umap = timed_torchdr
    return fits


def _worth_showing(fits: list[dict], most: int = 12) -> list[dict]:
    """The warm-up's fits and the UMAP frames, and the page's first PCA frame (the rest are alike)."""
    pca = [f for f in fits if f["method"] == "pca" and f["thread"].startswith("ScriptRunner")]
    keep = [f for f in fits if f not in pca or f is pca[0]]
    return keep[:most]


def fresh_server(graph: str, click_after: list[float], timeout: float) -> None:
    """One child process per delay: a fresh process each time, as a freshly started server."""
    for delay in click_after:
        out = subprocess.run([sys.executable, str(REPO / "bench" / "latency.py"), "child-fresh-server", graph,
                              str(delay), str(timeout)], capture_output=True, text=True, timeout=timeout + 300)
        lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
        print("\n".join(lines) if lines else json.dumps({"what": "fresh_server", "click_after_s": delay,
                                                         "error": out.stderr[-3000:]}), flush=True)


def child_fresh_server(graph: str, click_after: float, timeout: float) -> None:
    t_proc = time.perf_counter()
    from graphcl_core import projection  # what graphcl-studio does first: the package, the warm-ups
    from ui import studio_server as studio

    if os.environ.get("SWITCH_MS"):  # experiment: the interpreter's GIL switch interval
        sys.setswitchinterval(float(os.environ["SWITCH_MS"]) / 1000)
    fits = _record_fits()
    t_w = time.perf_counter()
    threads = studio.start_warmups()
    warm_done: dict[str, float] = {}

    def watch(th: threading.Thread) -> None:
        th.join(600)
        warm_done[th.name] = time.perf_counter() - t_w

    for th in threads:
        threading.Thread(target=watch, args=(th,), daemon=True).start()

    from streamlit.testing.v1 import AppTest

    import ui.live_chart
    from ui import registry

    emitted: list[tuple[float, str, str | None, int]] = []  # (time, key, projection method, points)
    real_chart = ui.live_chart.live_chart

    def recording_chart(fig, *, key, config=None):
        title = getattr(getattr(fig.layout, "title", None), "text", None) or ""
        method = "umap" if title.startswith("UMAP") else "pca" if title.startswith("PCA") else None
        points = sum(len(tr.x) for tr in fig.data if getattr(tr, "x", None) is not None)
        emitted.append((time.perf_counter(), key, method, points))
        return real_chart(fig, key=key, config=config)

    ui.live_chart.live_chart = recording_chart  # pages/train.py imports it at each run
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=timeout)
    at.query_params.update({"graph": graph})
    at.run()
    at.switch_page("pages/train.py").run()
    page_ready = time.perf_counter() - t_w
    if at.exception:
        emit(what="fresh_server", click_after_s=click_after, error=str(at.exception[0].value))
        return
    time.sleep(max(0.0, click_after - (time.perf_counter() - t_w)))
    slot = registry.get_slot(at.session_state["sid"])
    t0 = time.perf_counter()
    click_at = t0 - t_w
    first_row: list[float] = []

    def watch_rows() -> None:  # from the click on: the click's own redraw waits for this row (live.await_first_loss)
        while time.perf_counter() - t0 < timeout:
            job = slot.job
            if job is not None and (job.status()["history"] or job.done):
                break
            time.sleep(0.0005)
        first_row.append(time.perf_counter() - t0)

    watcher = threading.Thread(target=watch_rows, daemon=True)
    watcher.start()
    at.button(key="train.start").click()
    at.run()
    runs = [time.perf_counter() - t0]
    job = slot.job

    def first(pred) -> float | None:
        return next((t - t0 for t, k, m, n in emitted if t >= t0 and pred(k, m, n)), None)

    run_end_loss = None
    last_start = t0
    while time.perf_counter() - t0 < timeout:
        if (first(lambda k, m, n: k == "train.projection" and m == "umap") is not None
                and first(lambda k, m, n: k == "train.loss" and n > 0) is not None):
            break  # both the first UMAP frame and the first loss point are out
        poll = at.session_state["train.poll"] if "train.poll" in at.session_state else None
        time.sleep(max(0.0, last_start + (poll or 0.0) - time.perf_counter()))  # the page's own timer
        last_start = time.perf_counter()
        at.run()
        runs.append(time.perf_counter() - t0)
        if run_end_loss is None and first(lambda k, m, n: k == "train.loss" and n > 0) is not None:
            run_end_loss = runs[-1]
        if at.exception:
            break
    watcher.join(5)
    job.stop()
    job.join(60)
    for th in threads:
        th.join(0)
    methods = [m for t, k, m, n in emitted if t >= t0 and k == "train.projection"]
    emit(what="fresh_server", graph=graph, click_after_s=click_after, click_at_s=click_at,
         import_s=t_w - t_proc, page_ready_s=page_ready,
         first_loss_row_s=first_row[0] if first_row else None,
         script_emits_loss_point_s=first(lambda k, m, n: k == "train.loss" and n > 0),
         apptest_returns_loss_point_s=run_end_loss,
         script_emits_first_frame_s=first(lambda k, m, n: k == "train.projection"),
         script_emits_umap_frame_s=first(lambda k, m, n: k == "train.projection" and m == "umap"),
         frame_methods=methods[:12], page_runs=len(runs), page_run_ends_s=[round(r, 3) for r in runs[:15]],
         umap_warmup_s=warm_done.get("graphcl-umap-warmup"), cuda_warmup_s=warm_done.get("graphcl-cuda-warmup"),
         umap_warm_at_end=projection.is_warm(),
         projections=[{**f, "at": round(f["at"] - t_w, 3)} for f in _worth_showing(fits)],
         pca_frames=sum(f["method"] == "pca" for f in fits),
         job_state=job.state, exception=str(at.exception[0].value) if at.exception else None,
         note="times from the click, except click_at_s, page_ready_s, *_warmup_s and projections' at (from "
              "the warm-ups' start); script_emits_*: the page script called live_chart (a browser gets it then)",
         **_device_fields())

"""App timings through a headless ``AppTest`` session (prints JSON lines).

Measures what a user feels: time from pressing Start on the Train page to the first loss point
(the job's history gets its first row), the latency of a page rerun while training runs (the UI
stays responsive), the first live projection frame after start-up and later frames.

    GRAPHCL_DATA_DIR=../shared/data/planetoid python bench/app_timing.py --graph Cora
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--graph", default="Cora")
    ap.add_argument("--epochs", type=int, default=400)
    args = ap.parse_args()
    os.environ.setdefault("GRAPHCL_RUNS_DIR", tempfile.mkdtemp(prefix="graphcl-bench-runs-"))

    from streamlit.testing.v1 import AppTest

    from graphcl_core import projection
    from graphcl_core.device import device_info
    from ui import registry

    t_app = time.perf_counter()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params.update({"graph": args.graph, "epochs": str(args.epochs)})
    at.run()
    at.switch_page("pages/train.py").run()
    assert not at.exception, [e.message for e in at.exception]
    t_page = time.perf_counter() - t_app
    slot = registry.get_slot(at.session_state["sid"])

    t0 = time.perf_counter()
    at.button(key="train.start").click()
    at.run()
    t_click_render = time.perf_counter() - t0
    job = slot.job
    while not job.status()["history"] and not job.done and time.perf_counter() - t0 < 60:
        time.sleep(0.002)
    first_loss = time.perf_counter() - t0

    reruns = []
    while not job.done and len(reruns) < 15:
        r0 = time.perf_counter()
        at.run()
        reruns.append(time.perf_counter() - r0)
        time.sleep(0.2)
    frames_ready = projection.is_warm()
    job.join(300)
    st = job.status()
    info = device_info(job.device)
    print(json.dumps({"what": "app_start_to_first_loss", "graph": args.graph, "device": job.device,
                      "gpu": info["name"], "seconds": round(first_loss, 3),
                      "click_rerun_seconds": round(t_click_render, 3), "first_page_seconds": round(t_page, 3)}))
    print(json.dumps({"what": "app_rerun_while_training", "graph": args.graph, "device": job.device,
                      "median_seconds": round(statistics.median(reruns), 3) if reruns else None,
                      "max_seconds": round(max(reruns), 3) if reruns else None, "reruns": len(reruns),
                      "umap_warm_by_then": frames_ready}))
    print(json.dumps({"what": "app_training_run", "graph": args.graph, "device": job.device, "state": job.state,
                      "epochs": st["epoch"], "train_seconds": round(st["seconds"], 3),
                      "ms_per_epoch": round(1000 * st["seconds"] / max(1, st["epoch"]), 3),
                      "message": job.message}))

    # live projection frames as the Train page makes them (Projector with warm start)
    projection.warmup_in_background().join(120)
    snaps = job.trainer.snapshot_list()
    proj = projection.Projector("umap", 2)
    times = []
    for s in snaps[-6:]:
        f = proj.project(s.embeddings.astype("float32"))
        times.append(f.seconds)
    print(json.dumps({"what": "app_projection_frames", "graph": args.graph, "nodes": int(snaps[-1].embeddings.shape[0]),
                      "first_frame_seconds": round(times[0], 3),
                      "warm_frame_median_seconds": round(statistics.median(times[1:]), 3)}))


if __name__ == "__main__":
    main()

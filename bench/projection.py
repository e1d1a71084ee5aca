"""Projection-frame timings (UMAP through ``graphcl_core.projection.Projector``), one JSON line each.

    python bench/projection.py [--out results.jsonl]

- ``first_frame``: a fresh Python process that, like the app, calls ``warmup_in_background()`` as
  soon as it imports the projection module, then asks for its first frame either at once
  (``request=immediate``: the frame waits for the numba warm-up) or once ``is_warm()`` (``after_warm``).
  Run with an empty numba cache (``cache=cold``: first start after install) and again with the cache
  the first run wrote (``cache=warm``: every later start). Times are from process start.
- ``warm_frames``: Cora-sized (2,708 × 128) frames after the first: median of 10 warm-started frames.
- ``frame_100k``: 100,000 × 128 embeddings; the Projector shows a fixed random subsample
  (``max_points``, 20,000 by default) and says so in ``note``.

Embeddings are trained Cora embeddings when Cora and a GPU are at hand (400 fast epochs), else
clustered random vectors of the same shape.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

T_START = time.perf_counter()

HERE = os.path.dirname(os.path.abspath(__file__))


def clustered(n: int, d: int, k: int = 7, seed: int = 0):
    import numpy as np

    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((k, d)).astype(np.float32)
    lab = rng.integers(0, k, n)
    x = centres[lab] + 0.6 * rng.standard_normal((n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def child(emb_path: str, request: str) -> None:
    """Fresh process: start the warm-up at import (as the app does), then time the first frame."""
    import graphcl_core.projection as P

    P.warmup_in_background()
    t_import = time.perf_counter() - T_START
    import numpy as np
    import torch

    x = np.load(emb_path)
    emb = torch.as_tensor(x, device="cuda" if torch.cuda.is_available() else "cpu")
    if request == "after_warm":
        while not P.is_warm():
            time.sleep(0.01)
    t_req = time.perf_counter() - T_START
    proj = P.Projector("umap").project(emb)
    t_done = time.perf_counter() - T_START
    print(json.dumps({"import_and_start_warmup_s": round(t_import, 3), "requested_at_s": round(t_req, 3),
                      "first_frame_at_s": round(t_done, 3), "frame_s": round(proj.seconds, 3),
                      "method": proj.method, "is_warm_at_end": P.is_warm(), "note": proj.note}), flush=True)


def make_embeddings(path: str) -> str:
    import numpy as np

    sys.path.insert(0, HERE)
    from common import setup_data_dir

    setup_data_dir()
    try:
        import torch

        if not torch.cuda.is_available():
            raise RuntimeError("no GPU: use random embeddings")
        from graphcl_core.config import TrainConfig
        from graphcl_core.loaders import load_graph
        from graphcl_core.trainer import Trainer

        t = Trainer(load_graph("Cora"), TrainConfig(eval_every=0))
        for _ in range(t.cfg.epochs):
            t.step()
        t.flush_losses()
        np.save(path, t.embeddings().float().cpu().numpy())
        return "trained Cora embeddings (400 epochs)"
    except Exception as e:  # noqa: BLE001
        np.save(path, clustered(2708, 128))
        return f"clustered random 2708x128 ({type(e).__name__}: {e})"[:200]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--child", default=None)
    ap.add_argument("--emb", default=None)
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    if a.child:
        child(a.emb, a.child)
        return
    sys.path.insert(0, HERE)
    from common import JsonOut, env_summary

    out = JsonOut(a.out)
    out({"what": "env", **env_summary()})
    tmp = tempfile.mkdtemp(prefix="graphcl_proj_")
    emb_path = os.path.join(tmp, "emb.npy")
    source = make_embeddings(emb_path)
    cache = os.path.join(tmp, "numba_cache")
    os.makedirs(cache, exist_ok=True)
    env = {**os.environ, "NUMBA_CACHE_DIR": cache, "PYTHONPATH": os.pathsep.join(
        [os.path.dirname(HERE)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])}
    for cache_state, request in (("cold", "immediate"), ("warm", "immediate"), ("warm", "after_warm")):
        row = {"what": "projection_first_frame", "cache": cache_state, "request": request, "embeddings": source,
               "nodes": 2708, "dim": 128}
        try:
            t0 = time.perf_counter()
            r = subprocess.run([sys.executable, __file__, "--child", request, "--emb", emb_path], env=env,
                               capture_output=True, text=True, timeout=240)
            row["process_wall_s"] = round(time.perf_counter() - t0, 3)
            lines = [ln for ln in r.stdout.splitlines() if ln.startswith("{")]
            if lines:
                row.update(json.loads(lines[-1]))
            else:
                row["error"] = (r.stderr or r.stdout)[-800:]
        except Exception as e:  # noqa: BLE001
            row["error"] = f"{type(e).__name__}: {e}"
        out(row)

    import numpy as np
    import torch

    import graphcl_core.projection as P

    P.warmup_in_background().join(240)
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    x = torch.as_tensor(np.load(emb_path), device=dev)
    try:
        p = P.Projector("umap")
        first = p.project(x)
        g = torch.Generator(device=dev).manual_seed(0)
        times = []
        for _ in range(10):
            x = x + 0.01 * torch.randn(x.shape, device=dev, generator=g)
            times.append(p.project(x).seconds)
        out({"what": "projection_warm_frames", "nodes": int(x.shape[0]), "dim": int(x.shape[1]), "device": dev,
             "first_frame_s": round(first.seconds, 3), "warm_frame_s_median": round(statistics.median(times), 3),
             "warm_frame_s_max": round(max(times), 3), "method": first.method})
    except Exception as e:  # noqa: BLE001
        out({"what": "projection_warm_frames", "error": f"{type(e).__name__}: {e}"})
    try:
        big = torch.as_tensor(clustered(100_000, 128, k=10, seed=1), device=dev)
        p = P.Projector("umap")
        f1 = p.project(big)
        f2 = p.project(big + 0.01 * torch.randn(big.shape, device=dev))
        out({"what": "projection_frame_100k", "nodes": 100_000, "dim": 128, "device": dev,
             "shown_points": int(len(f1.index)), "subsampled": f1.subsampled, "note": f1.note,
             "first_frame_s": round(f1.seconds, 3), "warm_frame_s": round(f2.seconds, 3), "method": f1.method})
    except Exception as e:  # noqa: BLE001
        out({"what": "projection_frame_100k", "error": f"{type(e).__name__}: {e}"})


if __name__ == "__main__":
    main()

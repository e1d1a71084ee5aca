"""How many TorchDR iterations a warm-started live frame needs (``projection.GPU_UPDATE_ITERATIONS``).

    python bench/latency_iterations.py [--graph Cora] [--epochs 200] [--every 10] [--counts 40,60,80,100]

Trains the default recipe on ``graph`` once, then lays its snapshots out as the live view does: a cold
frame of the first snapshot (``GPU_FIRST_ITERATIONS``), then a chain of warm-started frames, each from
the previous one (so any error a short fit leaves accumulates, as it would on the page). One chain per
iteration count, all from the same cold frame, plus a reference chain of 300 warm iterations and a
second one (TorchDR draws its negative samples unseeded). Runs on the GPU where CUDA is present, else
on the CPU (TorchDR is plain PyTorch: slower, same layouts).

Quality of a count ``k``, one JSON line per frame and a summary per count:
- ``trust`` (chains): ``sklearn.manifold.trustworthiness`` of each frame against the embeddings (15
  neighbours, cosine: the projection's own metric) — do a point's layout neighbours stay its true ones;
- ``displacement`` (single steps): for each epoch, ``k`` and 300 iterations from the same start (the
  reference chain's previous frame); the RMS distance of a point from its 300-iteration place, as a
  fraction of the layout's RMS radius, after ``scipy.spatial.procrustes`` (centred, unit norm, best
  rotation/reflection/scale): sqrt of its disparity. A second 300-iteration fit gives the noise floor.
  (Between whole chains this distance is mostly run-to-run noise: a second 300-iteration chain is as
  far from the first as any ``k``, the layouts drifting apart while the embedding reorganises; it is
  reported as ``chain_displacement_mean`` only.)

The criterion: the smallest ``k`` whose chain's mean trust is at most 0.005 below the 100-iteration
chain's, whose every frame is at most 0.01 below that chain's same frame, and whose mean step
displacement is at most 0.02 (2 % of the layout's radius) above that of 100 iterations.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from latency import _device_fields, emit, trained_snapshots  # noqa: E402

REFERENCE = 300
TRUST_MEAN_TOL, TRUST_WORST_TOL, DISPLACEMENT_TOL = 0.005, 0.01, 0.02


def chain(snaps: dict, epochs: list[int], iterations: int, first) -> list[tuple[int, np.ndarray, float]]:
    """Warm-started frames of ``epochs[1:]`` after ``first`` (the cold frame of ``epochs[0]``)."""
    from graphcl_core import projection

    p = projection.Projector("umap", 2, backend="torchdr")
    p.continue_from(first, n_total=len(snaps[epochs[0]]))
    old = projection.GPU_UPDATE_ITERATIONS
    projection.GPU_UPDATE_ITERATIONS = iterations
    try:
        out = []
        for e in epochs[1:]:
            t0 = time.perf_counter()
            f = p.project(snaps[e])
            if f.method != "umap":
                raise RuntimeError(f"epoch {e}: {f.note}")
            out.append((e, f.raw, time.perf_counter() - t0))
        return out
    finally:
        projection.GPU_UPDATE_ITERATIONS = old


def displacement(ref: np.ndarray, other: np.ndarray, procrustes) -> float:
    """RMS distance of a point from its place in ``ref``, as a fraction of ``ref``'s RMS radius, after
    ``scipy.spatial.procrustes`` (centred, unit norm, best rotation/reflection/scale): sqrt(disparity)."""
    return float(np.sqrt(procrustes(ref, other)[2]))


def trust(x: np.ndarray, coords: np.ndarray) -> float:
    from sklearn.manifold import trustworthiness

    return float(trustworthiness(x, coords, n_neighbors=15, metric="cosine"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--graph", default="Cora")
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--every", type=int, default=10, help="snapshot interval (epochs) between live frames")
    ap.add_argument("--counts", default="40,60,80,100")
    ap.add_argument("--frames", type=int, default=0, help="use only the first N warm frames (0: all)")
    args = ap.parse_args()
    from common import setup_data_dir
    from scipy.spatial import procrustes

    from graphcl_core import projection

    setup_data_dir()
    os.environ.setdefault("GRAPHCL_RUNS_DIR", tempfile.mkdtemp(prefix="graphcl-iterations-"))
    counts = sorted(int(c) for c in args.counts.split(","))
    snaps, _ = trained_snapshots(args.graph, args.epochs, args.every)
    epochs = sorted(snaps)
    epochs = epochs[: args.frames + 1] if args.frames else epochs
    first = projection.Projector("umap", 2, backend="torchdr").project(snaps[epochs[0]])
    dev = {**_device_fields(), "layout": "torchdr"}
    emit(what="iterations_setup", graph=args.graph, nodes=len(snaps[epochs[0]]), warm_frames=len(epochs) - 1,
         epochs=epochs, first_iterations=projection.GPU_FIRST_ITERATIONS, **dev)
    ref = {e: raw for e, raw, _ in chain(snaps, epochs, REFERENCE, first)}
    summary = {}
    for k in [*counts, REFERENCE]:  # the last: a second 300-iteration chain, the run-to-run noise floor
        rows = []
        for e, raw, secs in chain(snaps, epochs, k, first):
            x = snaps[e].astype(np.float32)
            rows.append({"epoch": e, "trust": trust(x, raw), "displacement": displacement(ref[e], raw, procrustes),
                         "seconds": secs})
            emit(what="iterations_frame", iterations=k, **rows[-1])
        summary[k] = rows
        emit(what="iterations_summary", iterations=k, trust_mean=statistics.mean(r["trust"] for r in rows),
             trust_min=min(r["trust"] for r in rows),
             chain_displacement_mean=statistics.mean(r["displacement"] for r in rows),
             seconds_median=statistics.median(r["seconds"] for r in rows), **dev)
    step = steps(snaps, epochs, ref, counts, procrustes)
    for k, values in step.items():
        emit(what="iterations_step", iterations=k or f"{REFERENCE} again (noise floor)",
             displacement_mean=statistics.mean(values), displacement_max=max(values), frames=len(values))
    if 100 in summary:
        base = summary[100]
        base_trust = statistics.mean(r["trust"] for r in base)
        base_disp = statistics.mean(step[100])
        ok = [k for k in counts
              if statistics.mean(r["trust"] for r in summary[k]) >= base_trust - TRUST_MEAN_TOL
              and all(r["trust"] >= b["trust"] - TRUST_WORST_TOL for r, b in zip(summary[k], base))
              and statistics.mean(step[k]) <= base_disp + DISPLACEMENT_TOL]
        emit(what="iterations_choice", smallest_within_tolerance=min(ok) if ok else None, passing=ok,
             criterion=f"chains: mean trust >= T(100) - {TRUST_MEAN_TOL}, every frame >= its T(100) - "
                       f"{TRUST_WORST_TOL}; steps: mean displacement from 300 iterations <= D(100) + {DISPLACEMENT_TOL}")


def steps(snaps: dict, epochs: list[int], ref: dict, counts: list[int], procrustes) -> dict[int, list[float]]:
    """One warm step per epoch, all from the reference chain's previous frame: the displacement of ``k``
    iterations from 300 from the same start (and of a second 300 from the first: the noise floor, key 0)."""
    from graphcl_core import projection

    out: dict[int, list[float]] = {k: [] for k in [*counts, 0]}
    for before, e in zip(epochs[1:-1], epochs[2:]):  # ``ref`` starts at the first warm frame
        start = ref[before]
        laid = {}
        for k in [REFERENCE, 0, *counts]:
            p = projection.Projector("umap", 2, backend="torchdr")
            p.continue_from(projection.Projection(coords=start, index=np.arange(len(start)), method="umap", dim=2,
                                                  subsampled=False, seconds=0.0, raw=start), n_total=len(start))
            old = projection.GPU_UPDATE_ITERATIONS
            projection.GPU_UPDATE_ITERATIONS = REFERENCE if k == 0 else k
            try:
                laid[k] = p.project(snaps[e]).raw
            finally:
                projection.GPU_UPDATE_ITERATIONS = old
        for k in [0, *counts]:
            out[k].append(displacement(laid[REFERENCE], laid[k], procrustes))
        emit(what="iterations_step_frame", epoch=e, **{f"displacement_{k or 'floor'}": round(out[k][-1], 5)
                                                         for k in [0, *counts]})
    return out


if __name__ == "__main__":
    main()

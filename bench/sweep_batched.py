"""Throughput on one GPU (issue 11, item 2): the 27-configuration Cora sweep one trial after another and
batched, in the same process, one JSON line each, then one line comparing them.

    python bench/sweep_batched.py --data-dir .data/planetoid            # Cora, 400 epochs, full probe
    python bench/sweep_batched.py --small --device cpu                  # karate, 4 configurations, 30 epochs

The sweep: margin 0.5/1/2.5 × lr 1e-4/5e-4/1e-3 × hidden 64/128/256 from the default recipe, 400 epochs,
seed 0, ranked by the validation probe. Both rows run through ``SweepRunner`` with every trial saved
in a temporary run store, as a real sweep is (``--no-store`` leaves the store out): ``sequential`` is
``SequentialBackend`` (one ``Trainer`` after another, CUDA-graph step, scikit-learn probe),
``batched`` is ``BatchedBackend`` (stacked trials, one CUDA graph per batch, torch probe). A short
unmeasured sweep on each backend (the same configurations, 5 epochs) first pays the process's one-off
costs (CUDA context, kernels, Triton's compilation of the fused negatives when its cache is cold).
The last line: the speed-up, and per trial the reported probe accuracy (``linear_probe_acc``, report
protocol) and the ranking metric both ways with their largest difference (target: batched ≤ 2.5 s
on one H100/H200, each trial within 1 point).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import torch

from common import JsonOut, env_summary  # noqa: E402

from graphcl_core.batched import negative_kernels  # noqa: E402
from graphcl_core.loaders import load_graph  # noqa: E402
from graphcl_core.presets import PRESETS  # noqa: E402
from graphcl_core.runs import RunStore  # noqa: E402
from graphcl_core.sweep import SweepConfig, SweepRunner  # noqa: E402
from graphcl_core.sweeps.backend import SequentialBackend  # noqa: E402
from graphcl_core.sweeps.batched_backend import BatchedBackend  # noqa: E402
from graphcl_core.sweeps.config import base_from_dict  # noqa: E402

VARY = {"margin": [0.5, 1.0, 2.5], "lr": [1e-4, 5e-4, 1e-3], "hidden": [64, 128, 256]}
SMALL_VARY = {"margin": [0.5, 2.5], "lr": [1e-3, 1e-2]}


def make_sweep(graph: str, vary: dict, epochs: int, device: str, probe: str) -> SweepConfig:
    base = {**PRESETS["default"], "epochs": epochs, "device": device}
    return SweepConfig(graph, base=base_from_dict(base), vary=vary, probe=probe)


def run_sweep(sweep: SweepConfig, bundle, backend, store: bool) -> tuple[float, list]:
    """Wall seconds of ``SweepRunner.run()`` and its results, ordered by trial."""
    with tempfile.TemporaryDirectory(prefix="sweep_batched_") as tmp:
        runner = SweepRunner(sweep, RunStore(f"{tmp}/runs") if store else None, bundle=bundle, backend=backend)
        t0 = time.perf_counter()
        results = runner.run()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        seconds = time.perf_counter() - t0
    if runner.state != "finished":
        raise SystemExit(f"the sweep ended {runner.state}: {runner.message}")
    return seconds, sorted(results, key=lambda r: r.index)


def row(results: list) -> dict:
    return {"finished": sum(r.status == "finished" for r in results),
            "failures": sorted({r.message for r in results if r.status != "finished"})[:3],
            "probe_acc": [round(r.metrics.get("linear_probe_acc", float("nan")), 4) for r in results],
            "metric": [None if r.metric is None else round(r.metric, 4) for r in results]}


def max_diff(a: list, b: list) -> float | None:
    d = [abs(x - y) for x, y in zip(a, b) if x is not None and y is not None and x == x and y == y]
    return round(max(d), 4) if d else None


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--graph", default="Cora")
    p.add_argument("--epochs", type=int, default=400)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--probe", choices=("full", "quick"), default="full")
    p.add_argument("--small", action="store_true", help="karate, 4 configurations, 30 epochs (a check on the CPU)")
    p.add_argument("--only", choices=("both", "sequential", "batched"), default="both")
    p.add_argument("--no-store", action="store_true", help="do not save the trials as runs")
    p.add_argument("--data-dir", help="folder with Planetoid data (Cora/raw), as GRAPHCL_DATA_DIR")
    p.add_argument("--out", help="append the JSON lines to this file too")
    args = p.parse_args()
    if args.data_dir:
        os.environ["GRAPHCL_DATA_DIR"] = os.path.abspath(args.data_dir)
        os.environ.setdefault("GRAPHCL_OFFLINE", "1")
    if args.small:
        graph, vary, epochs = "karate", SMALL_VARY, min(args.epochs, 30)
    else:
        graph, vary, epochs = args.graph, VARY, args.epochs
    out = JsonOut(args.out)
    bundle = load_graph(graph)
    sweep = make_sweep(graph, vary, epochs, args.device, args.probe)
    common = {"bench": "sweep_batched", "graph": bundle.name, "epochs": epochs, "probe": args.probe,
              "configurations": len(sweep.points()), "device": args.device, "store": not args.no_store,
              **env_summary()}
    # the same batches for 5 epochs: every kernel of the measured sweep is built (Triton's fused negatives
    # are compiled per batch width, once per machine: see warmup_seconds of a first run)
    warm = make_sweep(graph, vary, 5, args.device, "quick")
    rows = {}
    for name in ("sequential", "batched"):
        if args.only not in ("both", name):
            continue
        backend = SequentialBackend(bundle) if name == "sequential" else BatchedBackend(bundle)
        t0 = time.perf_counter()
        run_sweep(warm, bundle, backend, store=False)
        warm_s = time.perf_counter() - t0
        seconds, results = run_sweep(sweep, bundle, backend, store=not args.no_store)
        rows[name] = {**common, "backend": name, "seconds": round(seconds, 3), "warmup_seconds": round(warm_s, 2),
                      **row(results)}
        if name == "batched":
            rows[name]["negative_kernels"] = negative_kernels.status()
        out(rows[name])
    if len(rows) == 2:
        s, b = rows["sequential"], rows["batched"]
        out({"bench": "sweep_batched", "compare": True, "sequential_seconds": s["seconds"],
             "batched_seconds": b["seconds"], "speedup": round(s["seconds"] / max(b["seconds"], 1e-9), 2),
             "max_probe_acc_diff": max_diff(s["probe_acc"], b["probe_acc"]),
             "max_metric_diff": max_diff(s["metric"], b["metric"]),
             "mean_probe_acc": [round(sum(x["probe_acc"]) / len(x["probe_acc"]), 4) for x in (s, b)],
             "target_met": b["seconds"] <= 2.5})


if __name__ == "__main__":
    main()

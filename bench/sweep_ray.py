"""A sweep beyond one GPU: the same 108-configuration Cora sweep with the sequential backend on one GPU
and with the Ray backend on every GPU of this machine, one JSON line each (issue 11: on 2 GPUs in
≤ 0.6× the one-GPU time).

    python bench/sweep_ray.py                              # both; 400 epochs, full probe, 2 actors a GPU
    python bench/sweep_ray.py --only ray --slots 3 --warm  # Ray alone; --warm adds a second sweep on
                                                           # the same actors (started, graph loaded)
    python bench/sweep_ray.py --trials 8 --epochs 50       # a quick check of the set-up

The sweep: margin 0.5/1/2.5 × lr 1e-4/5e-4/1e-3 × hidden 64/128/256 (the issue's 27 configurations)
× seed 0-3, 400 epochs each, from the default recipe; every trial is saved as a run in a temporary
store, as a real sweep does, and scored with ``--probe`` (full: the validation protocol's 5 splits).
``seconds`` is the wall time of ``SweepRunner.run()``; Ray's row also counts ``ray.init`` and the
start of its actors (``ray_init_seconds`` says how much of it was ``ray.init``). ``ratio`` is Ray's
seconds over the sequential ones (target ≤ 0.6 on 2 GPUs); ``max_metric_diff`` compares each trial's
metric between the two (same seeds).

Ray on a GPU machine without internet: carry a wheel for its Python (check ``python3 -V``; cp311
below). The whole Ray wheel is 79 MB, over what one device call carries (64 MiB); without its Java
jars (Ray's Java API, unused here) it is 47 MB and works:

    pip download ray==2.60.0 msgpack --no-deps --only-binary=:all: --python-version 3.11 -d .whl/ray
    zip -q -d .whl/ray/ray-2.60.0-*.whl 'ray/jars/*'
    # on the device, from the repository root, with .whl/ray and .data carried:
    python3 -m pip install -q --no-index --no-deps --target /tmp/ray_site .whl/ray/*.whl
    PYTHONPATH=/tmp/ray_site GRAPHCL_DATA_DIR=$PWD/.data/planetoid GRAPHCL_OFFLINE=1 \
        python3 bench/sweep_ray.py --out "$OUT/sweep_ray.jsonl"
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import time

import torch

from common import JsonOut, env_summary, setup_data_dir  # noqa: E402

from graphcl_core.loaders import load_graph  # noqa: E402
from graphcl_core.presets import PRESETS  # noqa: E402
from graphcl_core.runs import RunStore  # noqa: E402
from graphcl_core.sweep import SweepConfig, SweepRunner, best  # noqa: E402
from graphcl_core.sweeps.config import base_from_dict  # noqa: E402

VARY = {"margin": [0.5, 1.0, 2.5], "lr": [1e-4, 5e-4, 1e-3], "hidden": [64, 128, 256], "seed": [0, 1, 2, 3]}


def make_sweep(args) -> SweepConfig:
    base = {**PRESETS["default"], "epochs": args.epochs, "device": args.device}
    return SweepConfig(args.graph, base=base_from_dict(base), vary=VARY, budget=args.trials, probe=args.probe)


def run_sweep(sweep: SweepConfig, bundle, backend) -> tuple[float, list]:
    """Wall seconds of one sweep saved in a temporary run store, and its results."""
    with tempfile.TemporaryDirectory(prefix="sweep_ray_") as tmp:
        runner = SweepRunner(sweep, RunStore(f"{tmp}/runs"), bundle=bundle, backend=backend)
        t0 = time.perf_counter()
        results = runner.run()
        seconds = time.perf_counter() - t0
    if runner.state != "finished":
        raise SystemExit(f"the sweep ended {runner.state}: {runner.message}")
    return seconds, results


def summary(results: list) -> dict:
    top = best(results)
    statuses = [r.status for r in results]
    return {"trials": len(results), "finished": statuses.count("finished"), "failed": statuses.count("failed"),
            "failures": sorted({r.message for r in results if r.status == "failed"})[:3],
            "best": top.values if top else None, "best_metric": round(top.metric, 4) if top else None,
            "trial_seconds_sum": round(sum(r.seconds for r in results), 2)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--graph", default="Cora")
    p.add_argument("--epochs", type=int, default=400)
    p.add_argument("--trials", type=int, default=None, help="the first N configurations (default all 108)")
    p.add_argument("--probe", choices=("full", "quick"), default="full")
    p.add_argument("--device", default="cuda")
    p.add_argument("--only", choices=("both", "sequential", "ray"), default="both")
    p.add_argument("--slots", type=int, default=2, help="Ray actors sharing one GPU")
    p.add_argument("--warm", action="store_true", help="also time a second Ray sweep on the same actors")
    p.add_argument("--out", help="append the JSON lines to this file too")
    args = p.parse_args()
    setup_data_dir()
    out = JsonOut(args.out)
    bundle = load_graph(args.graph)
    sweep = make_sweep(args)
    common = {"bench": "sweep_ray", "graph": bundle.name, "epochs": args.epochs, "probe": args.probe,
              "configurations": len(sweep.points()), "device": args.device, **env_summary()}

    seq_seconds, seq_results = None, None
    if args.only in ("both", "sequential"):
        from graphcl_core.sweeps.backend import SequentialBackend

        seq_seconds, seq_results = run_sweep(sweep, bundle, SequentialBackend(bundle))
        out({**common, "backend": "sequential", "gpus": 1 if args.device != "cpu" else 0,
             "seconds": round(seq_seconds, 2), **summary(seq_results)})
        gc.collect()
        torch.cuda.empty_cache()

    if args.only in ("both", "ray"):
        from graphcl_core.sweeps.ray_backend import RayBackend

        gpus = torch.cuda.device_count() if args.device != "cpu" else 0
        backend = RayBackend(bundle, slots_per_gpu=args.slots, num_gpus=gpus, startup_timeout_s=600)
        t0 = time.perf_counter()
        backend.connect()
        init_seconds = time.perf_counter() - t0
        seconds, results = run_sweep(sweep, bundle, backend)
        seconds += init_seconds
        row = {**common, "backend": "ray", "gpus": gpus, "slots_per_gpu": args.slots,
               "workers": len(backend._actors), "seconds": round(seconds, 2),
               "ray_init_seconds": round(init_seconds, 2), **summary(results)}
        if seq_seconds:
            row["ratio"] = round(seconds / seq_seconds, 3)
            want = {r.index: r.metric for r in seq_results}
            diffs = [abs(r.metric - want[r.index]) for r in results
                     if r.metric is not None and want.get(r.index) is not None]
            row["max_metric_diff"] = round(max(diffs), 4) if diffs else None
        out(row)
        if args.warm:
            warm, results = run_sweep(sweep, bundle, backend)
            out({**common, "backend": "ray-warm", "gpus": gpus, "slots_per_gpu": args.slots,
                 "workers": len(backend._actors), "seconds": round(warm, 2), **summary(results),
                 **({"ratio": round(warm / seq_seconds, 3)} if seq_seconds else {})})
        backend.close()


if __name__ == "__main__":
    main()

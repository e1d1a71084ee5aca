"""A sweep beyond one GPU: the same 108-configuration Cora sweep in this process on one GPU and with
the Ray backend on every GPU of this machine, one JSON line per sweep, printed as each ends (issue 11:
on 2 GPUs in ≤ 0.6× the one-GPU time).

    python bench/sweep_ray.py --probe quick --warm   # in-process BatchedBackend on cuda:0 against Ray in
                                                     # batched mode (one actor per GPU); --warm adds a
                                                     # second sweep of each (Ray: the same actors)
    python bench/sweep_ray.py --baseline sequential --ray-batched off --slots 2   # the per-trial paths
    python bench/sweep_ray.py --trials 8 --epochs 20 --graph karate --device cpu  # a check on the CPU
    python bench/sweep_ray.py --probe quick --warm --prepare   # Ray's actors started first, as the page does

The sweep: margin 0.5/1/2.5 × lr 1e-4/5e-4/1e-3 × hidden 64/128/256 (the issue's 27 configurations)
× seed 0-3, 400 epochs each, from the default recipe; every trial is saved as a run in a temporary
store, as a real sweep does, and scored with ``--probe`` (full: the validation protocol's 5 splits).
Both sides go through ``SweepRunner``; the baseline is ``--baseline`` (``batched``: ``BatchedBackend``,
or ``sequential``) in this process on ``device`` (``cuda`` = cuda:0 here), Ray's actors get one GPU
each (batched) or a slot of one (``--ray-batched off``).

Fields: ``seconds`` is the wall time of ``SweepRunner.run()``; Ray's row adds ``ray.init``
(``ray_init_seconds``), so its ``seconds`` is what a user waits from a cold start, and
``sweep_seconds`` leaves ``ray.init`` out (the actors' start stays in). ``first_trial_seconds``: from
the start of the sweep to its first trial's start. ``ratio`` is Ray's ``seconds`` over the baseline's
(``ratio_sweep`` with ``sweep_seconds``; the warm rows compare warm with warm); ``max_metric_diff``
is the largest difference of one trial's metric between the two (same seeds). ``driver`` (Ray rows):
where the driver's time went (``ray_relay.new_stats``): ``relay_seconds`` fetching and copying the
actors' events, ``runner_seconds`` the runner writing run files, ``snapshot_mb`` the snapshots that
crossed (``spooled``: those the actors wrote to the sweep's spool folder instead, ``ray_spool``),
``share_seconds`` how long each actor's batched share took (their spread: the imbalance) and
``share_spans`` when each ran (seconds after the dispatch began: what is before and after them is the
driver's own start and tail).

Ray on a GPU machine without internet: carry a wheel for its Python (check ``python3 -V``). The whole
Ray wheel is 79 MB, over what one device call carries (64 MiB); without its Java jars (Ray's Java API,
unused here) it is 47 MB and works:

    pip download ray==2.60.0 msgpack --no-deps --only-binary=:all: --python-version 3.12 -d .whl/ray
    zip -q -d .whl/ray/ray-2.60.0-*.whl 'ray/jars/*'
    # on the device, from the repository root, with .whl/ray and .data carried:
    python3 -m pip install -q --no-index --no-deps --target /tmp/ray_site .whl/ray/*.whl
    PYTHONPATH=/tmp/ray_site GRAPHCL_DATA_DIR=$PWD/.data/planetoid GRAPHCL_OFFLINE=1 \
        python3 bench/sweep_ray.py --probe quick --warm --out "$OUT/sweep_ray.jsonl"
"""

from __future__ import annotations

import argparse
import gc
import os
import tempfile
import time

import torch

from common import REPO, JsonOut, env_summary, setup_data_dir  # noqa: E402

from graphcl_core.loaders import load_graph  # noqa: E402
from graphcl_core.presets import PRESETS  # noqa: E402
from graphcl_core.runs import RunStore  # noqa: E402
from graphcl_core.sweep import SweepConfig, SweepRunner, best  # noqa: E402
from graphcl_core.sweeps.config import base_from_dict  # noqa: E402

VARY = {"margin": [0.5, 1.0, 2.5], "lr": [1e-4, 5e-4, 1e-3], "hidden": [64, 128, 256], "seed": [0, 1, 2, 3]}
RAY_BATCHED = {"auto": "auto", "on": True, "off": False}


def make_sweep(args) -> SweepConfig:
    base = {**PRESETS["default"], "epochs": args.epochs, "device": args.device}
    return SweepConfig(args.graph, base=base_from_dict(base), vary=VARY, budget=args.trials, probe=args.probe)


def run_sweep(sweep: SweepConfig, bundle, backend) -> tuple[float, float | None, list]:
    """Wall seconds of one sweep saved in a temporary run store, seconds to its first trial's start,
    and its results."""
    first: list[float] = []
    with tempfile.TemporaryDirectory(prefix="sweep_ray_") as tmp:
        t0 = time.perf_counter()

        def on_event(ev) -> None:
            if ev.kind == "trial_started" and not first:
                first.append(time.perf_counter() - t0)

        runner = SweepRunner(sweep, RunStore(f"{tmp}/runs"), bundle=bundle, backend=backend, on_event=on_event)
        t0 = time.perf_counter()
        results = runner.run()
        seconds = time.perf_counter() - t0
    if runner.state != "finished":
        raise SystemExit(f"the sweep ended {runner.state}: {runner.message}")
    return seconds, (round(first[0], 2) if first else None), results


def summary(results: list) -> dict:
    top = best(results)
    statuses = [r.status for r in results]
    return {"trials": len(results), "finished": statuses.count("finished"), "failed": statuses.count("failed"),
            "failures": sorted({r.message for r in results if r.status == "failed"})[:3],
            "best": top.values if top else None, "best_metric": round(top.metric, 4) if top else None,
            "trial_seconds_sum": round(sum(r.seconds for r in results), 2)}


def max_metric_diff(results: list, reference: list | None) -> float | None:
    """The largest |metric difference| of one trial between two sweeps of the same configurations."""
    if not reference:
        return None
    want = {r.index: r.metric for r in reference}
    diffs = [abs(r.metric - want[r.index]) for r in results if r.metric is not None and want.get(r.index) is not None]
    return round(max(diffs), 4) if diffs else None


def baseline_backend(args, bundle):
    if args.baseline == "sequential":
        from graphcl_core.sweeps.backend import SequentialBackend

        return SequentialBackend(bundle)
    from graphcl_core.sweeps.batched_backend import BatchedBackend

    return BatchedBackend(bundle)


def free_gpu_cache() -> None:
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--graph", default="Cora")
    p.add_argument("--epochs", type=int, default=400)
    p.add_argument("--trials", type=int, default=None, help="the first N configurations (default all 108)")
    p.add_argument("--probe", choices=("full", "quick"), default="full")
    p.add_argument("--device", default="cuda")
    p.add_argument("--only", choices=("both", "baseline", "ray"), default="both")
    p.add_argument("--baseline", choices=("batched", "sequential"), default="batched",
                   help="the in-process backend on one device (default batched)")
    p.add_argument("--ray-batched", choices=tuple(RAY_BATCHED), default="on",
                   help="Ray's batched mode (on: one actor per GPU, each training its share batched)")
    p.add_argument("--slots", type=int, default=2, help="Ray actors sharing one GPU in the per-trial mode")
    p.add_argument("--warm", action="store_true",
                   help="also time a second sweep of each: the baseline's in this process, Ray's on the same actors")
    p.add_argument("--prepare", action="store_true",
                   help="start the actors before the first Ray sweep (RayBackend.prepare, as the Sweep page does once "
                        "Ray is chosen): that sweep's seconds then leave out ray.init and the actors' start, "
                        "reported as ray_init_seconds and prepare_seconds")
    p.add_argument("--out", help="append the JSON lines to this file too, as they come")
    args = p.parse_args()
    setup_data_dir()
    out = JsonOut(args.out)
    bundle = load_graph(args.graph)
    sweep = make_sweep(args)
    gpus = torch.cuda.device_count() if args.device != "cpu" else 0
    common = {"bench": "sweep_ray", "graph": bundle.name, "epochs": args.epochs, "probe": args.probe,
              "configurations": len(sweep.points()), "device": args.device, **env_summary()}

    base: dict[str, tuple[float, list]] = {}
    if args.only in ("both", "baseline"):
        backend = baseline_backend(args, bundle)
        for label in ("cold", "warm") if args.warm else ("cold",):
            seconds, first, results = run_sweep(sweep, bundle, backend)
            base[label] = (seconds, results)
            out({**common, "backend": args.baseline + ("-warm" if label == "warm" else ""), "where": "in process",
                 "gpus": 1 if gpus else 0, "seconds": round(seconds, 2), "first_trial_seconds": first,
                 **summary(results)})
        free_gpu_cache()

    if args.only in ("both", "ray"):
        from graphcl_core.sweeps.ray_backend import RayBackend

        # a local Ray's workers inherit this environment: they find this package from any working folder
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
        backend = RayBackend(bundle, slots_per_gpu=args.slots, num_gpus=gpus, startup_timeout_s=600,
                             batched=RAY_BATCHED[args.ray_batched])
        t0 = time.perf_counter()
        backend.connect()
        init_seconds = time.perf_counter() - t0
        prepare_seconds = None
        if args.prepare:
            t0 = time.perf_counter()
            backend.prepare(sweep.trials())
            prepare_seconds = time.perf_counter() - t0
        try:
            for label in ("cold", "warm") if args.warm else ("cold",):
                seconds, first, results = run_sweep(sweep, bundle, backend)
                total = seconds + (init_seconds if label == "cold" and not args.prepare else 0.0)
                row = {**common, "backend": "ray" + ("-warm" if label == "warm" else ""), "mode": backend.last_mode,
                       "gpus": gpus, "workers": len(backend._actors), "seconds": round(total, 2),
                       "sweep_seconds": round(seconds, 2),
                       "ray_init_seconds": round(init_seconds, 2) if label == "cold" else 0.0,
                       "prepare_seconds": round(prepare_seconds, 2) if label == "cold" and args.prepare else None,
                       "first_trial_seconds": first, **summary(results),
                       "driver": {k: v if isinstance(v, list) else round(v, 2) for k, v in backend.last_stats.items()}}
                if label in base:
                    ref_seconds, ref_results = base[label]
                    row.update(baseline=args.baseline, baseline_seconds=round(ref_seconds, 2),
                               ratio=round(total / ref_seconds, 3), ratio_sweep=round(seconds / ref_seconds, 3),
                               max_metric_diff=max_metric_diff(results, ref_results))
                out(row)
        finally:
            backend.close()


if __name__ == "__main__":
    main()

"""Command line of sweeps: ``sweep_main(argv)``, the body of ``python -m graphcl_core sweep``.

    python -m graphcl_core sweep --graph karate --vary margin=0.5,1,2.5 --vary lr=1e-4:1e-3:3:log \
        --epochs 200 --out runs --json

``--vary SETTING=VALUES`` takes a list (``0.5,1,2.5``) or a range (``from:to:count[:log]``);
``--margin``, ``--lr`` and ``--hidden`` are short forms of it, and ``--set SETTING=VALUE`` fixes a
setting for every trial (a list or range there varies it). Progress goes to stderr, then a table of
the trials, best first, to stdout; with ``--json`` the last line is one JSON object
``{"trials": [...], "best": {...}, "seconds": ...}``. Bad settings exit 2 with one line on stderr;
a sweep in which every trial failed exits 1. ``--backend batched`` trains trials that share shapes
together on this device (``sweeps.batched_backend``), ``--backend auto`` does so on a GPU when it
helps; ``--backend ray`` trains the trials on Ray actors (``sweeps.ray_backend``: the cluster at
``RAY_ADDRESS``, else a local Ray on this machine).
"""

from __future__ import annotations

import argparse
import json
import math
import sys

from .errors import ConfigError, GraphCLError
from .presets import PRESETS
from .sweeps.config import METHODS, SweepConfig, base_from_dict
from .sweeps.metrics import normalise_metric
from .sweeps.results import TrialResult, rank

BACKENDS = ("auto", "local", "batched", "ray")


class _Parser(argparse.ArgumentParser):
    """argparse that fails with exit code 2 and a single line (no usage dump)."""

    def error(self, message: str):  # noqa: D102
        sys.stderr.write(f"error: {message} (see --help)\n")
        raise SystemExit(2)


def build_parser(prog: str = "python -m graphcl_core sweep") -> argparse.ArgumentParser:
    p = _Parser(prog=prog, description="Try many settings on one graph and rank them.")
    p.add_argument("--graph", required=True, help="bundled name, Cora/CiteSeer/PubMed, or a graph file")
    p.add_argument("--nodes", help="optional node table (CSV) for a graph file")
    p.add_argument("--label-column", help="label column of the node table")
    p.add_argument("--preset", choices=sorted(PRESETS), default="default", help="the recipe every trial starts from")
    p.add_argument("--vary", action="append", default=[], metavar="SETTING=VALUES",
                   help="values to try: a list 0.5,1,2.5 or a range from:to:count[:log]")
    for name in ("margin", "lr", "hidden"):
        p.add_argument(f"--{name}", metavar="VALUES", help=f"short for --vary {name}=VALUES")
    p.add_argument("--set", action="append", default=[], metavar="SETTING=VALUE",
                   help="a setting for every trial (a list or range varies it)")
    p.add_argument("--epochs", help="epochs of every trial")
    p.add_argument("--method", choices=METHODS, default="grid")
    p.add_argument("--random", action="store_true", help="short for --method random")
    p.add_argument("--budget", "--trials", dest="budget", help="at most this many trials")
    p.add_argument("--seed", default="0", help="seed of the random draws (each trial keeps its own seed setting)")
    p.add_argument("--metric", default="auto", help="auto, probe (linear_probe), silhouette or loss (final_loss)")
    p.add_argument("--probe", choices=("full", "quick"), default="full", help="final evaluation protocol")
    p.add_argument("--early-stop", metavar="RUNGS",
                   help="successive halving at these shares of the epochs, e.g. 0.25,0.5")
    p.add_argument("--keep", default="0.5", help="share of trials kept at each rung (with --early-stop)")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default=None)
    p.add_argument("--backend", choices=BACKENDS, default="local",
                   help="local: one trial after another here; batched: many trials at once on this device (one "
                        "model over stacked parameters, the probe in torch); auto: batched on a GPU when trials "
                        "share shapes, else local; ray: Ray actors on this machine's GPUs or on the cluster at "
                        "RAY_ADDRESS (pip install -r requirements-ray.txt)")
    p.add_argument("--out", help="runs folder to save the trials in (the sweep record goes in sweeps/ beside it)")
    p.add_argument("--no-estimate", action="store_true", help="skip the timed probe before the start")
    p.add_argument("--json", action="store_true", help="end with one JSON line of results")
    return p


def _pair(flag: str, text: str) -> tuple[str, str]:
    if "=" not in text:
        raise ConfigError(f"{flag} expects SETTING=VALUES, got '{text}'.")
    k, v = text.split("=", 1)
    return k.strip(), v.strip()


def sweep_from_args(args: argparse.Namespace) -> SweepConfig:
    """The ``SweepConfig`` the arguments describe (raises ``ConfigError`` with a plain message)."""
    base: dict = dict(PRESETS[args.preset])
    vary: dict = {}
    for name in ("margin", "lr", "hidden"):
        if getattr(args, name) is not None:
            vary[name] = getattr(args, name)
    for text in args.vary:
        k, v = _pair("--vary", text)
        vary[k] = v
    for text in args.set:
        k, v = _pair("--set", text)
        if "," in v or ":" in v:
            vary[k] = v
        else:
            base[k] = v
    if args.epochs is not None:
        base["epochs"] = args.epochs
    if args.device is not None:
        base["device"] = args.device
    early = None
    if args.early_stop:
        early = {"rungs": args.early_stop, "keep": args.keep}
    return SweepConfig(args.graph, base=base_from_dict(base), vary=vary,
                       method="random" if args.random else args.method, seed=args.seed, budget=args.budget,
                       metric=normalise_metric(args.metric), early_stop=early, probe=args.probe, nodes=args.nodes,
                       label_column=args.label_column, backend=args.backend)


def _fmt(x) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    return f"{x:.4g}" if isinstance(x, float) else str(x)


def _trial_json(r: TrialResult) -> dict:
    d = {"trial": r.index + 1, "config": r.values, "status": r.status, "metric": r.metric,
         "final_loss": r.final_loss, "epochs": r.epochs, "seconds": round(r.seconds, 3), "run_id": r.run_id}
    for k in ("validation_probe_acc", "linear_probe_acc", "silhouette", "community_silhouette"):
        if k in r.metrics:
            d[k] = r.metrics[k]
    if r.message:
        d["message"] = r.message
    return d


def results_table(results: list[TrialResult], fields: list[str], metric: str) -> str:
    """Plain-text table of the trials, best first."""
    head = ["rank", "trial", *fields, metric, "final_loss", "epochs", "seconds", "status", "run_id"]
    rows = [[str(n + 1), str(r.index + 1), *(_fmt(r.values.get(f)) for f in fields), _fmt(r.metric),
             _fmt(r.final_loss), str(r.epochs), f"{r.seconds:.1f}", r.status, r.run_id or "-"]
            for n, r in enumerate(rank(results))]
    widths = [max(len(c) for c in col) for col in zip(head, *rows)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in [head, *rows])


def _say(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def _progress_line(ev, runner) -> str | None:
    n = len(runner.configs)
    if ev.kind == "trial_started":
        shown = " ".join(f"{k}={_fmt(v)}" for k, v in ev.data["values"].items()) or "base settings"
        return f"[{ev.trial + 1}/{n}] {shown} on {ev.data['device']}"
    if ev.kind == "trial_finished":
        r = ev.data["result"]
        extra = f": {r.message}" if r.message and r.status != "finished" else ""
        return (f"[{r.index + 1}/{n}] {r.status} after {r.epochs} epochs, {runner.metric}={_fmt(r.metric)}, "
                f"loss={_fmt(r.final_loss)} ({r.seconds:.1f} s){extra}")
    if ev.kind == "rung":
        return f"[{ev.trial + 1}/{n}] rung at epoch {ev.data['epoch']}: score {_fmt(ev.data['score'])}, " + \
            ("kept" if ev.data["kept"] else "pruned")
    return None


def _run(args: argparse.Namespace) -> int:
    from .runs import RunStore
    from .sweeps.estimate import estimate_seconds
    from .sweeps.runner import SweepRunner

    sweep = sweep_from_args(args)
    runner = SweepRunner(sweep, RunStore(args.out) if args.out else None, backend=args.backend)
    if args.backend == "ray":
        _say("Ray: trials run on Ray workers (RAY_ADDRESS, else a local Ray on this machine); the estimate "
             "measures this process, so it is skipped.")
    elif not args.no_estimate:
        _say(estimate_seconds(sweep, bundle=runner.bundle, backend=runner.backend.name).describe())
    finished = None
    try:
        for ev in runner.events():
            line = _progress_line(ev, runner)
            if line:
                _say(line)
            if ev.kind == "sweep_finished":
                finished = ev.data
    except KeyboardInterrupt:
        runner.stop()
        runner.join()
        _say("interrupted")
        return 130
    results = finished["results"]
    if finished["status"] == "failed":
        _say(f"sweep failed: {finished['message']}")
        return 1
    if results and all(r.status == "failed" for r in results):
        _say(f"training failed in every trial: {results[0].message}")
        return 1
    print(results_table(results, list(sweep.vary), runner.metric), flush=True)
    if runner.record is not None:
        _say(f"sweep saved in {runner.record.path}")
    if args.json:
        top = finished["best"]
        print(json.dumps({"sweep_id": runner.sweep_id, "graph": runner.bundle.name, "metric": runner.metric,
                          "trials": [_trial_json(r) for r in results],
                          "best": _trial_json(top) if top else None, "seconds": round(finished["seconds"], 3)},
                         default=float), flush=True)
    return 0


def sweep_main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` (without the ``sweep`` word), run the sweep, return the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except GraphCLError as e:
        sys.stderr.write(f"error: {e}\n")
        return 2

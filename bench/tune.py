"""Hyperparameter search for the margin recipes, scored ONLY on the validation protocol.

Every configuration is trained with 3 training seeds (``--seeds``) and scored with
``graphcl_core.evaluation.probe_scores(..., "validation")``: random 10/90 splits with split seeds
100-104 over the labelled nodes outside the public test set, and the public split's train -> val
nodes. The report protocol (split seeds 0-4, public test nodes) is never computed here, so nothing
chosen from this output has seen the numbers ``bench/quality.py`` reports.

The grid: configurations are ``TrainConfig`` fields applied on top of a base recipe (``--base``,
``default``). The built-in grid samples ``--max-configs`` (60) points, reproducibly, from ``SPACE``
and always includes the current margin recipes as anchors. ``--grid FILE.json`` replaces it with
either ``{"space": {field: [values, ...]}, "base": "default", "max_configs": 60, "sample_seed": 0}``
or a list of configurations ``[{field: value, ...}, ...]`` (each one run as given).

Output, one JSON line each: ``tune`` per run (graph, config id, seed, validation scores),
``tune_config`` per graph × configuration (mean / min over seeds), ``tune_best`` per graph and over
all graphs (mean of the graphs' validation means: one setting for both, as a default must be); then
the top configurations as a markdown table.

    python bench/tune.py [--graphs Cora,CiteSeer] [--seeds 0,1,2] [--grid FILE.json] [--max-configs 60]
        [--base default] [--device auto] [--jobs 1] [--epochs N] [--out FILE.jsonl] [--print-grid]
        [--shard K/N]                       # only configurations with index % N == K (split a long search)
    python bench/tune.py --from-jsonl A.jsonl B.jsonl ...   # summary, best and table of saved runs

Configuration ids (c00, c01, ...) depend only on the grid, so runs of several calls (one graph or
one shard each) combine with ``--from-jsonl``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import statistics
import sys
import traceback

from common import JsonOut, run_tasks, score, setup_data_dir, summarise, train_embeddings

from graphcl_core.config import TrainConfig  # noqa: E402
from graphcl_core.presets import PRESETS, preset  # noqa: E402

# The built-in search space for the margin loss on two augmented views (values around the defaults).
SPACE: dict[str, list] = {
    "encoder": ["graphconv", "gcn"],
    "activation": ["prelu", "elu"],
    "margin": [2.0, 2.5, 3.0, 3.5],
    "lr": [2.5e-4, 5e-4, 1e-3],
    "hidden": [256, 512],
    "embedding_dim": [128, 256],
    "epochs": [400, 800],
    "drop_edge_p": [0.2, 0.3, 0.4],
    "mask_feature_p": [0.2, 0.3, 0.4],
    "dropout": [0.0, 0.2],
}
ANCHORS = ("default", "margin-gcn")  # current margin recipes, always in the built-in grid
TOP = 10


def sample_grid(space: dict[str, list], max_configs: int, sample_seed: int = 0,
                anchors: list[dict] = ()) -> list[dict]:
    """``anchors`` first, then distinct points of the product of ``space``, sampled reproducibly."""
    bad = [k for k in space if k not in TrainConfig.__dataclass_fields__]
    if bad:
        raise SystemExit(f"tune.py: not TrainConfig fields: {', '.join(bad)}")
    keys = list(space)
    points = [dict(zip(keys, values)) for values in itertools.product(*(space[k] for k in keys))]
    random.Random(sample_seed).shuffle(points)
    configs: list[dict] = []
    for c in [*anchors, *points]:
        if len(configs) >= max_configs:
            break
        if c not in configs:
            configs.append(c)
    return configs


def load_grid(path: str | None, max_configs: int, base: str) -> tuple[list[dict], str]:
    """(configurations, base recipe) from ``--grid FILE`` or the built-in grid."""
    if path is None:
        fields = set(SPACE)
        anchors = [{k: v for k, v in preset(n).to_dict().items() if k in fields} for n in ANCHORS]
        return sample_grid(SPACE, max_configs, 0, anchors), base
    spec = json.load(open(path))
    if isinstance(spec, list):
        return [dict(c) for c in spec], base
    return (sample_grid(spec["space"], int(spec.get("max_configs", max_configs)), int(spec.get("sample_seed", 0))),
            spec.get("base", base))


def run_one(graph: str, base: str, cid: str, config: dict, seed: int, device: str, epochs: int | None) -> dict:
    """Train one configuration with one seed and score it on the validation protocol only."""
    from graphcl_core.loaders import load_graph

    row = {"what": "tune", "protocol": "validation", "graph": graph, "config_id": cid, "base": base,
           "config": config, "seed": seed}
    try:
        over = {**config, **({} if epochs is None else {"epochs": epochs})}
        cfg = preset(base, **over, device=device, seed=seed, eval_every=0, snapshot_every=10**6)
        bundle = load_graph(graph)
        emb, info = train_embeddings(bundle, cfg)
        row.update(info)
        row.update(score(emb, bundle, "validation"))
    except Exception as e:  # noqa: BLE001 - a diverging configuration must not stop the search
        row.update({"error": f"{type(e).__name__}: {e}"[:300], "trace": traceback.format_exc()[-800:]})
    return row


def best_lines(per_config: list[dict], configs: dict[str, dict]) -> list[dict]:
    """The best configuration per graph and over all graphs, by validation random-split mean."""
    out = []
    graphs = sorted({s["graph"] for s in per_config})
    for g in graphs:
        rows = [s for s in per_config if s["graph"] == g and s["random_mean"] is not None]
        if rows:
            b = max(rows, key=lambda s: s["random_mean"])
            out.append({"what": "tune_best", "graph": g, "config_id": b["config_id"], "config": configs[b["config_id"]],
                        "val_random_mean": b["random_mean"], "val_random_min": b["random_min"],
                        "val_public_mean": b["public_mean"]})
    means: dict[str, list[float]] = {}
    for s in per_config:
        if s["random_mean"] is not None:
            means.setdefault(s["config_id"], []).append(s["random_mean"])
    complete = {c: statistics.mean(v) for c, v in means.items() if len(v) == len(graphs)}
    if len(graphs) > 1 and complete:
        c = max(complete, key=complete.get)
        out.append({"what": "tune_best", "graph": "all", "config_id": c, "config": configs[c],
                    "val_random_mean_over_graphs": round(complete[c], 4),
                    **{f"val_random_mean_{s['graph']}": s["random_mean"] for s in per_config if s["config_id"] == c}})
    return out


def top_table(per_config: list[dict], configs: dict[str, dict], top: int = TOP) -> str:
    lines = []
    for g in sorted({s["graph"] for s in per_config}):
        rows = sorted((s for s in per_config if s["graph"] == g and s["random_mean"] is not None),
                      key=lambda s: -s["random_mean"])[:top]
        lines += [f"\n{g}: top {len(rows)} by validation (split seeds 100-104)\n",
                  "| config | val random mean | min over seeds | public val mean | settings |",
                  "| --- | --- | --- | --- | --- |"]
        pct = lambda v: "–" if v is None else f"{100 * v:.1f}"  # noqa: E731
        lines += [f"| {s['config_id']} | {pct(s['random_mean'])} | {pct(s['random_min'])} | {pct(s['public_mean'])} | "
                  f"{json.dumps(configs[s['config_id']])} |" for s in rows]
    return "\n".join(lines)


def report(rows: list[dict], emit) -> None:
    """Summary lines, best lines and the top table of finished ``tune`` rows."""
    configs = {r["config_id"]: r["config"] for r in rows}
    per_config = sorted(summarise(rows, keys=("graph", "config_id")), key=lambda s: (s["graph"], s["config_id"]))
    for s in per_config:
        emit({"what": "tune_config", **s, "config": configs[s["config_id"]]})
    for line in best_lines(per_config, configs):
        emit(line)
    print(top_table(per_config, configs), flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--graphs", default="Cora,CiteSeer")
    ap.add_argument("--seeds", default="0,1,2", help="training seeds, comma-separated")
    ap.add_argument("--grid", help="JSON file: a search space or a list of configurations (see above)")
    ap.add_argument("--max-configs", type=int, default=60)
    ap.add_argument("--base", default="default", choices=list(PRESETS), help="recipe the configurations change")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--jobs", type=int, default=1, help="trainings run at once, each in its own process")
    ap.add_argument("--epochs", type=int, default=None, help="override every configuration's epochs (smoke tests)")
    ap.add_argument("--out", help="also append the JSON lines to this file")
    ap.add_argument("--print-grid", action="store_true", help="print the configurations and stop")
    ap.add_argument("--shard", default="0/1", help="K/N: run only configurations whose index %% N == K")
    ap.add_argument("--from-jsonl", nargs="+", metavar="FILE", help="only summarise saved tune lines")
    args = ap.parse_args(argv)
    emit = JsonOut(args.out)
    if args.from_jsonl:
        rows = [json.loads(line) for f in args.from_jsonl for line in open(f) if line.startswith("{")]
        report([r for r in rows if r.get("what") == "tune"], emit)
        return 0
    configs_list, base = load_grid(args.grid, args.max_configs, args.base)
    k, n = (int(v) for v in args.shard.split("/"))
    configs = {f"c{i:02d}": c for i, c in enumerate(configs_list) if i % n == k}
    if args.print_grid:
        for cid, c in configs.items():
            emit({"what": "tune_grid", "config_id": cid, "base": base, "config": c})
        return 0
    setup_data_dir()
    graphs, seeds = args.graphs.split(","), [int(s) for s in args.seeds.split(",")]
    tasks = [(g, base, cid, c, s, args.device, args.epochs)
             for g in graphs for cid, c in configs.items() for s in seeds]
    rows = []
    for row in run_tasks(run_one, tasks, args.jobs, graphs):
        rows.append(row)
        emit(row)
    report(rows, emit)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Quality benchmark: linear-probe accuracy of each recipe on Cora and CiteSeer (prints JSON lines).

Protocol (as GRACE/DGI report it): train on the whole graph without labels, freeze the encoder
output, L2-normalise, logistic regression on a random 10% of the nodes, accuracy on the other 90%,
mean ± std over 5 random splits (``graphcl_core.evaluation.linear_probe``, C picked by
cross-validation on the training part). The last line checks the issue's bars.

    GRAPHCL_DATA_DIR=../shared/data/planetoid python bench/quality.py [--graphs Cora,CiteSeer]
        [--presets default,margin-gcn,infonce,infonce-gcn,grace] [--device auto] [--seeds 0] [--jobs 1]

``--jobs N`` runs N trainings at once in separate processes (the probe is CPU work, so on a machine
with many cores this cuts the wall time several-fold; the accuracies do not change).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from graphcl_core.evaluation import linear_probe, public_split_probe  # noqa: E402
from graphcl_core.loaders import load_graph  # noqa: E402
from graphcl_core.presets import PRESETS, preset  # noqa: E402
from graphcl_core.trainer import Trainer  # noqa: E402

BARS = {"Cora": {"margin": 0.82, "best": 0.84}, "CiteSeer": {"margin": 0.72, "best": 0.73}}


def run_one(graph: str, name: str, device: str, seed: int) -> dict:
    bundle = load_graph(graph)
    cfg = preset(name, device=device, seed=seed, eval_every=0, snapshot_every=10**6)
    trainer = Trainer(bundle, cfg)
    t0 = time.perf_counter()
    for _ in range(cfg.epochs):
        trainer.step()
    trainer.flush_losses()
    if trainer.device.type == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - t0
    emb = trainer.embeddings()
    probe = linear_probe(emb, bundle.data.y, train_frac=0.1, splits=5, seed=0)
    public = public_split_probe(emb, bundle.data)
    return {"what": "quality", "graph": graph, "preset": name, "loss": cfg.loss, "encoder": cfg.encoder,
            "epochs": cfg.epochs, "seed": seed, "device": str(trainer.device),
            "linear_probe_acc": round(probe["mean"], 4), "linear_probe_std": round(probe["std"], 4),
            "public_split_acc": None if public is None else round(public, 4),
            "train_seconds": round(seconds, 2), "final_loss": round(trainer.history[-1]["loss"], 4)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--graphs", default="Cora,CiteSeer")
    ap.add_argument("--presets", default=",".join(PRESETS))
    ap.add_argument("--device", default="auto")
    ap.add_argument("--seeds", default="0", help="training seeds, comma-separated (results are averaged)")
    ap.add_argument("--jobs", type=int, default=1, help="trainings run at once, each in its own process")
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    tasks = [(g, n, args.device, s) for g in args.graphs.split(",") for n in args.presets.split(",") for s in seeds]
    if args.jobs > 1:
        for g in args.graphs.split(","):
            load_graph(g)  # processed once here, not by several workers at the same time
        os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 2) // args.jobs)))
        pool = ProcessPoolExecutor(args.jobs, mp_context=multiprocessing.get_context("spawn"))
        results = (f.result() for f in [pool.submit(run_one, *t) for t in tasks])
    else:
        pool, results = None, (run_one(*t) for t in tasks)
    rows = []
    for r in results:
        rows.append(r)
        print(json.dumps(r), flush=True)
    if pool is not None:
        pool.shutdown()
    summary = {}
    for g, n, _, _ in tasks:
        accs = [r["linear_probe_acc"] for r in rows if r["graph"] == g and r["preset"] == n]
        summary[(g, n)] = sum(accs) / len(accs)
    verdict = {}
    for graph, bars in BARS.items():
        accs = {n: a for (g, n), a in summary.items() if g == graph}
        if not accs:
            continue
        best_name = max(accs, key=accs.get)
        margin = accs.get("default")
        verdict[graph] = {"margin_default": None if margin is None else round(margin, 4), "margin_bar": bars["margin"],
                          "best": round(accs[best_name], 4), "best_preset": best_name, "best_bar": bars["best"],
                          "pass": margin is not None and margin >= bars["margin"] and accs[best_name] >= bars["best"]}
    print(json.dumps({"what": "quality_summary", **verdict}), flush=True)


if __name__ == "__main__":
    main()

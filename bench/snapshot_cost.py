"""What dense snapshots cost a run: the same run with the old spacing (every 5 epochs, at most 60) and with
the playback spacing (``config.snapshot_interval``: every epoch where the 64 MiB budget allows).

One JSON line per (graph, spacing): seconds of ``Trainer.run`` (wall, evaluation off), epochs per
second, snapshots kept, their bytes, and the spacing used. Runs on CPU or GPU (``--device``):

    python bench/snapshot_cost.py --graphs karate cora --epochs 200 --device cuda
"""

from __future__ import annotations

import argparse
import time

from common import JsonOut, env_summary, setup_data_dir, sync


def measure(bundle, cfg, label: str, out: JsonOut, repeats: int) -> None:
    from graphcl_core.trainer import Trainer

    best = None
    for _ in range(repeats):
        t = Trainer(bundle, cfg)
        t0 = time.perf_counter()
        t.run()
        sync(t.device)
        seconds = time.perf_counter() - t0
        best = seconds if best is None else min(best, seconds)
    snaps = t.snapshot_list()
    out({"graph": bundle.name, "spacing": label, "device": str(t.device), "epochs": cfg.epochs,
         "snapshot_every": t.snapshot_every, "snapshots": len(snaps),
         "snapshot_mb": round(sum(s.embeddings.nbytes for s in snaps) / 2**20, 2),
         "run_s": round(best, 3), "epochs_per_s": round(cfg.epochs / best, 1)})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--graphs", nargs="+", default=["karate", "cora"])
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--repeats", type=int, default=3, help="best of this many runs per spacing")
    ap.add_argument("--out", default=None, help="also append the JSON lines to this file")
    args = ap.parse_args()
    setup_data_dir()
    from graphcl_core.config import TrainConfig
    from graphcl_core.loaders import load_graph

    out = JsonOut(args.out)
    out({"env": env_summary()})
    for g in args.graphs:
        bundle = load_graph(g)
        base = TrainConfig(epochs=args.epochs, device=args.device, eval_every=0)
        measure(bundle, base.replace(snapshot_every=1, max_snapshots=1000), "playback (every epoch if it fits)",
                out, args.repeats)
        measure(bundle, base.replace(snapshot_every=5, max_snapshots=60), "old (every 5, at most 60)",
                out, args.repeats)


if __name__ == "__main__":
    main()

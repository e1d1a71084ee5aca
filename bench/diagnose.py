"""Which fast-path piece changes a run? Switch pieces off one at a time (eager, a few steps) and print JSON.

    python bench/diagnose.py [--config infonce|margin] [--steps 3]

Pieces: GRAPHCL_TF32, GRAPHCL_INFONCE_FAST, GRAPHCL_FUSED_ADAM, GRAPHCL_FAST_PROPAGATION, GRAPHCL_BATCH_VIEWS,
GRAPHCL_CUDA_GRAPH (each "0" turns it off). Reports losses, the first non-finite gradient/parameter after each
step, and the op that anomaly detection blames for a NaN in the default combination.
"""

from __future__ import annotations

import argparse
import os

import torch

from common import JsonOut, setup_data_dir

from graphcl_core.config import TrainConfig
from graphcl_core.loaders import load_graph
from graphcl_core.trainer import Trainer

CONFIGS = {"infonce": dict(loss="infonce", tau=0.5, encoder="gcn", dropout=0.2, embedding_dim=256), "margin": {}}
EAGER = {"GRAPHCL_CUDA_GRAPH": "0", "GRAPHCL_BATCH_VIEWS": "0"}
COMBOS = [("all", {}), ("eager", EAGER), ("eager-no-tf32", {**EAGER, "GRAPHCL_TF32": "0"}),
          ("eager-ref-infonce", {**EAGER, "GRAPHCL_INFONCE_FAST": "0"}),
          ("eager-foreach-adam", {**EAGER, "GRAPHCL_FUSED_ADAM": "0"}),
          ("eager-pyg-prop", {**EAGER, "GRAPHCL_FAST_PROPAGATION": "0"}),
          ("baseline", {"GRAPHCL_FAST": "0"})]
KEYS = sorted({k for _, c in COMBOS for k in c})


def bad(named) -> str | None:
    for n, t in named:
        if t is not None and not torch.isfinite(t).all():
            return n
    return None


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="infonce")
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    setup_data_dir()
    out = JsonOut(a.out)
    bundle = load_graph("Cora")
    cfg = TrainConfig(eval_every=0, **CONFIGS[a.config])
    for name, env in COMBOS:
        for k in KEYS + ["GRAPHCL_FAST"]:
            os.environ.pop(k, None)
        os.environ.update(env)
        row = {"what": "diagnose", "config": a.config, "combo": name}
        try:
            t = Trainer(bundle, cfg)
            row["fast_info"] = t.fast_info
            losses, notes = [], []
            for i in range(a.steps):
                t.step()
                if t._graphed is None:
                    g = bad((n, p.grad) for n, p in t.model.named_parameters())
                    p = bad(t.model.named_parameters())
                    if g or p:
                        notes.append(f"step {i + 1}: grad {g} param {p}")
            t.flush_losses()
            losses = [r["loss"] for r in t.history]
            row.update(losses=losses, notes=notes)
        except Exception as e:  # noqa: BLE001
            row["error"] = f"{type(e).__name__}: {e}"[:300]
        out(row)
    # anomaly detection on the eager fast path
    for k in KEYS + ["GRAPHCL_FAST"]:
        os.environ.pop(k, None)
    os.environ.update(EAGER)
    try:
        t = Trainer(bundle, cfg)
        with torch.autograd.detect_anomaly(check_nan=True):
            for _ in range(a.steps):
                t.step()
        t.flush_losses()
        out({"what": "diagnose_anomaly", "result": "no anomaly", "losses": [r["loss"] for r in t.history]})
    except Exception as e:  # noqa: BLE001
        out({"what": "diagnose_anomaly", "error": f"{type(e).__name__}: {e}"[:600]})


if __name__ == "__main__":
    main()

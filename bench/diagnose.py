"""Which fast-path piece changes a run? Switch pieces off one at a time (eager, a few steps) and print JSON.

    python bench/diagnose.py [--config infonce|margin] [--steps 3]

Pieces (``RuntimeOptions`` fields, passed to each ``Trainer``; the rest comes from the environment):
tf32, infonce_fast, fused_adam, fast_propagation, batch_views, cuda_graph, and fast for the baseline.
Reports losses, the first non-finite gradient/parameter after each step, and the op that anomaly
detection blames for a NaN in the eager combination.
"""

from __future__ import annotations

import argparse

import torch

from common import JsonOut, setup_data_dir

from graphcl_core import options as runtime_options
from graphcl_core.config import TrainConfig
from graphcl_core.loaders import load_graph
from graphcl_core.trainer import Trainer

CONFIGS = {"infonce": dict(loss="infonce", tau=0.5, encoder="gcn", dropout=0.2, embedding_dim=256), "margin": {}}
EAGER = {"cuda_graph": False, "batch_views": "off"}
COMBOS = [("all", {}), ("eager", EAGER), ("eager-no-tf32", {**EAGER, "tf32": False}),
          ("eager-ref-infonce", {**EAGER, "infonce_fast": False}),
          ("eager-foreach-adam", {**EAGER, "fused_adam": False}),
          ("eager-pyg-prop", {**EAGER, "fast_propagation": False}),
          ("baseline", {"fast": False})]


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
    base = runtime_options.current()
    for name, changes in COMBOS:
        row = {"what": "diagnose", "config": a.config, "combo": name}
        try:
            t = Trainer(bundle, cfg, options=base.with_(**changes))
            row["fast_info"] = t.fast_info
            losses, notes = [], []
            for i in range(a.steps):
                t.step()
                if getattr(t.engine, "graphed", None) is None:  # a replayed graph's grads are its own
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
    try:
        t = Trainer(bundle, cfg, options=base.with_(**EAGER))
        with torch.autograd.detect_anomaly(check_nan=True):
            for _ in range(a.steps):
                t.step()
        t.flush_losses()
        out({"what": "diagnose_anomaly", "result": "no anomaly", "losses": [r["loss"] for r in t.history]})
    except Exception as e:  # noqa: BLE001
        out({"what": "diagnose_anomaly", "error": f"{type(e).__name__}: {e}"[:600]})


if __name__ == "__main__":
    main()

"""Training speed per epoch (and memory, and probe accuracy where cheap), one JSON line per case.

    python bench/speed.py                     # fast paths (default)
    python bench/speed.py --baseline          # fast paths off (RuntimeOptions(fast=False)): the "before"
    python bench/speed.py --cases cora_margin,syn_100k --out results.jsonl

``ms_per_epoch`` is the median over ≥100 timed epochs after warm-up of the wall time of blocks of
``loss_sync_every`` epochs divided by the block length, so it includes reading the loss back
(default ``loss_sync_every=1``: every epoch). ``peak_mem_gb`` is the peak of allocated CUDA memory
during the case (graph, model, optimiser, activations). ``accuracy`` is
``graphcl_core.evaluation.linear_probe`` (5 splits, C by CV) after the full default run
(``cfg.epochs`` epochs, timed ones included) on labelled Planetoid graphs.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
import traceback

import torch

from common import JsonOut, env_summary, gpu_name, peak_gb, reset_peak, setup_data_dir, sync  # noqa: E402

from graphcl_core import options as runtime_options  # noqa: E402
from graphcl_core.config import TrainConfig  # noqa: E402
from graphcl_core.trainer import Trainer  # noqa: E402

INFONCE = dict(loss="infonce", tau=0.5, encoder="gcn", dropout=0.2, embedding_dim=256)

# name: (graph, config overrides, warm-up epochs, timed epochs, accuracy?, timed epochs for --baseline)
CASES = {
    "cora_margin": ("Cora", {}, 50, 300, True, 300),
    "cora_infonce": ("Cora", INFONCE, 50, 300, True, 300),
    "citeseer_margin": ("CiteSeer", {}, 50, 300, True, 300),
    "syn_100k": (("synthetic", 100_000, 1_000_000), {}, 20, 150, False, 30),
    "syn_1m": (("synthetic", 1_000_000, 10_000_000), {}, 5, 100, False, 3),
}


def load(graph, device):
    if isinstance(graph, tuple):
        from graphcl_core.synthetic import synthetic_graph

        _, n, e = graph
        t = time.perf_counter()
        b = synthetic_graph(n, e, device=device)
        sync(device)
        return b, time.perf_counter() - t
    from graphcl_core.loaders import load_graph

    t = time.perf_counter()
    return load_graph(graph), time.perf_counter() - t


def run_case(name: str, baseline: bool, device: str, out: JsonOut, epochs_scale: float = 1.0,
             epochs: int | None = None, accuracy: bool = True, label: str | None = None) -> None:
    graph, over, warm, timed, acc, timed_base = CASES[name]
    acc = acc and accuracy
    if baseline:
        timed = timed_base
    timed = max(1, int(timed * epochs_scale))
    warm = max(1, int(warm * epochs_scale))
    row = {"what": "train_speed", "case": name, "mode": label or ("baseline" if baseline else "fast"), "device": device,
           "gpu": gpu_name() if device.startswith("cuda") else None}
    t = None
    try:
        reset_peak(device)
        bundle, load_s = load(graph, device)
        cfg = TrainConfig(**{"eval_every": 0, "device": device, **over})
        if epochs is not None:
            cfg = cfg.replace(epochs=epochs)
        if acc:
            cfg = cfg.replace(epochs=max(cfg.epochs, warm + timed))
        row.update(graph=bundle.name, nodes=bundle.num_nodes, edges=bundle.num_edges,
                   config={k: getattr(cfg, k) for k in ("encoder", "loss", "pairs", "hidden", "embedding_dim",
                                                        "layers", "dropout", "negatives", "loss_sync_every")},
                   load_s=round(load_s, 3))
        t0 = time.perf_counter()
        t = Trainer(bundle, cfg, options=runtime_options.current().with_(fast=not baseline))
        sync(device)
        row["init_s"] = round(time.perf_counter() - t0, 3)
        k = cfg.loss_sync_every
        t0 = time.perf_counter()
        for _ in range(warm):
            t.step()
        t.flush_losses()
        sync(device)
        row["warmup_s"] = round(time.perf_counter() - t0, 3)
        blocks = []
        done = 0
        while done < timed:
            t0 = time.perf_counter()
            for _ in range(k):
                t.step()
            t.flush_losses()  # no-op when step() already flushed; reading the loss is part of the epoch
            blocks.append((time.perf_counter() - t0) / k)
            done += k
        row.update(ms_per_epoch=round(1e3 * statistics.median(blocks), 4),
                   ms_per_epoch_mean=round(1e3 * statistics.fmean(blocks), 4),
                   ms_per_epoch_p90=round(1e3 * sorted(blocks)[int(0.9 * (len(blocks) - 1))], 4),
                   timed_epochs=done, final_loss=t.history[-1]["loss"], fast_info=t.fast_info)
        if acc:
            while t.epoch < cfg.epochs:
                t.step()
            t.flush_losses()
            row["epochs_trained"] = t.epoch
        row["peak_mem_gb"] = peak_gb(device)
        if acc:
            from graphcl_core.evaluation import linear_probe

            t0 = time.perf_counter()
            probe = linear_probe(t.embeddings(), bundle.data.y, splits=5, seed=0)
            row.update(accuracy=round(probe["mean"], 4), accuracy_std=round(probe["std"], 4),
                       probe_s=round(time.perf_counter() - t0, 2))
    except Exception as e:  # one failing case must not hide the others
        row["error"] = f"{type(e).__name__}: {e}"[:500]
        row["traceback"] = traceback.format_exc()[-1500:]
        row["peak_mem_gb"] = peak_gb(device)
    finally:
        out(row)
        del t
        gc.collect()
        if device.startswith("cuda"):
            torch.cuda.empty_cache()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--baseline", action="store_true", help="fast paths off (the 'before' numbers)")
    ap.add_argument("--both", action="store_true", help="fast and baseline, case by case")
    ap.add_argument("--cases", default=",".join(CASES), help=f"comma-separated subset of {', '.join(CASES)}")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--scale", type=float, default=1.0, help="multiply warm-up/timed epochs (quick checks)")
    ap.add_argument("--epochs", type=int, default=None, help="override cfg.epochs of the accuracy runs (quick checks)")
    ap.add_argument("--no-accuracy", action="store_true", help="skip the full-length run and the probe")
    ap.add_argument("--label", default=None, help="mode label in the output (e.g. fast-no-graph)")
    ap.add_argument("--out", default=None, help="also append the JSON lines to this file")
    a = ap.parse_args()
    setup_data_dir()
    out = JsonOut(a.out)
    out({"what": "env", **env_summary()})
    modes = [False, True] if a.both else [a.baseline]
    for name in [c.strip() for c in a.cases.split(",") if c.strip()]:
        if name not in CASES:
            out({"what": "train_speed", "case": name, "error": "unknown case"})
            continue
        for baseline in modes:
            run_case(name, baseline, a.device, out, a.scale, a.epochs, not a.no_accuracy, a.label)


if __name__ == "__main__":
    main()

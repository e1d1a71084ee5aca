"""Shared helpers for the benchmarks: data location, device description, JSON lines, timing."""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def setup_data_dir() -> None:
    """Point GRAPHCL_DATA_DIR at the repo's .data/planetoid (or ../shared) unless already set."""
    if os.environ.get("GRAPHCL_DATA_DIR"):
        return
    for d in (REPO / ".data" / "planetoid", REPO.parent / "shared" / "data" / "planetoid"):
        if (d / "Cora" / "raw").is_dir():
            os.environ["GRAPHCL_DATA_DIR"] = str(d)
            return


def gpu_name() -> str | None:
    return torch.cuda.get_device_name() if torch.cuda.is_available() else None


def sync(device) -> None:
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def reset_peak(device) -> None:
    if torch.device(device).type == "cuda":
        import gc

        gc.collect()
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()


def peak_gb(device) -> float | None:
    if torch.device(device).type == "cuda":
        return round(torch.cuda.max_memory_allocated() / 2**30, 3)
    return None


class JsonOut:
    """Print one JSON object per line (flushed) and append it to ``path`` when given."""

    def __init__(self, path: str | None = None):
        self.path = path

    def __call__(self, row: dict) -> None:
        row = {k: v for k, v in row.items()}
        line = json.dumps(row, default=str)
        print(line, flush=True)
        if self.path:
            with open(self.path, "a") as f:
                f.write(line + "\n")


def env_summary() -> dict:
    return {"torch": torch.__version__, "python": platform.python_version(), "gpu": gpu_name(),
            "cpu_count": os.cpu_count(), "time": time.strftime("%Y-%m-%d %H:%M:%S")}


# ------------------------------------------------------------------ quality / tuning: train, score, pool
def train_embeddings(bundle, cfg) -> tuple[torch.Tensor, dict]:
    """Train ``cfg`` on ``bundle`` without live evaluation; (final embeddings on the CPU, facts of the run)."""
    from graphcl_core.trainer import Trainer

    trainer = Trainer(bundle, cfg)
    t0 = time.perf_counter()
    for _ in range(cfg.epochs):
        trainer.step()
    trainer.flush_losses()
    sync(trainer.device)
    seconds = time.perf_counter() - t0
    emb = trainer.embeddings().float().cpu()
    return emb, {"device": str(trainer.device), "train_seconds": round(seconds, 2),
                 "final_loss": round(float(trainer.history[-1]["loss"]), 4)}


def score(emb, bundle, protocol: str) -> dict:
    """``graphcl_core.evaluation.probe_scores`` rounded for a JSON line (the one scoring path of bench/)."""
    from graphcl_core.evaluation import probe_scores

    s = probe_scores(emb, bundle.data, protocol)
    r4 = lambda v: None if v is None else round(float(v), 4)  # noqa: E731
    return {"protocol": protocol, "random_mean": r4(s["random_mean"]), "random_min_split": r4(s["random_min"]),
            "random_std_split": r4(s["random_std"]), "random_accs": [r4(a) for a in s["random_accs"]],
            "split_seeds": s["split_seeds"], "public": r4(s["public"])}


def run_tasks(fn, tasks: list[tuple], jobs: int, graphs=()):
    """Yield ``fn(*task)`` for every task, as each finishes; ``jobs > 1`` runs them in that many
    spawned processes (each with its share of the CPU threads; the probe is CPU work)."""
    if jobs <= 1:
        for t in tasks:
            yield fn(*t)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    from graphcl_core.loaders import load_graph

    for g in graphs:
        load_graph(g)  # PyG's processed/ written once here, not by several workers at the same time
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 2) // jobs)))
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        for f in as_completed([pool.submit(fn, *t) for t in tasks]):
            yield f.result()


def summarise(rows: list[dict], keys: tuple[str, ...] = ("graph", "recipe")) -> list[dict]:
    """Per group of ``keys``: mean, minimum and std over training seeds of the per-seed random-split
    mean, and mean / minimum of the public-split accuracy (rows with an ``error`` are counted apart)."""
    import statistics as st

    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault(tuple(r.get(k) for k in keys), []).append(r)
    out = []
    for key, rs in groups.items():
        ok = [r for r in rs if r.get("random_mean") is not None]
        rnd = [r["random_mean"] for r in ok]
        pub = [r["public"] for r in ok if r.get("public") is not None]
        row = dict(zip(keys, key))
        row.update({"protocol": rs[0].get("protocol"), "seeds": sorted(r["seed"] for r in ok),
                    "failed": len(rs) - len(ok),
                    "random_mean": round(st.mean(rnd), 4) if rnd else None,
                    "random_min": round(min(rnd), 4) if rnd else None,
                    "random_std": round(st.pstdev(rnd), 4) if rnd else None,
                    "public_mean": round(st.mean(pub), 4) if pub else None,
                    "public_min": round(min(pub), 4) if pub else None})
        out.append(row)
    return out


def markdown_table(summary: list[dict]) -> str:
    """The summary rows as a markdown table (accuracies in %)."""
    pct = lambda v: "–" if v is None else f"{100 * v:.1f}"  # noqa: E731
    proto = summary[0].get("protocol") if summary else "report"
    rnd, pub = (("random 10/90, split seeds 100-104 (val)", "public split val nodes") if proto == "validation"
                else ("random 10/90, split seeds 0-4", "public split test"))
    lines = [f"| graph | recipe | training seeds | {rnd}: mean | min | {pub}: mean | min |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for s in summary:
        seeds = len(s["seeds"]) if not s.get("failed") else f"{len(s['seeds'])} ({s['failed']} failed)"
        lines.append(f"| {s['graph']} | {s['recipe']} | {seeds} | {pct(s['random_mean'])} | {pct(s['random_min'])} | "
                     f"{pct(s['public_mean'])} | {pct(s['public_min'])} |")
    return "\n".join(lines)

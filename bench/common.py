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

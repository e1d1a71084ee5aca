"""The sweep record: what a sweep asked for and what each trial gave, beside the run store.

Every trial is an ordinary run of the run store (``runs.py``), so Explore and Runs work on it; its
``meta.json`` also says ``"sweep": {"id": ..., "trial": n}``. The sweep itself is one folder::

    <parent>/
        runs/                        the run store root (GRAPHCL_RUNS_DIR)
            20261127-061500-karate-ab12/   trial 1, a run like any other
            ...
        sweeps/                      beside it (sweeps_root_for(runs root))
          <workspace>/               one folder per workspace of the run store, as runs/ has
            <sweep_id>/
                sweep.json    id, created, finished, status (running | paused | finished | stopped | failed;
                              read back as interrupted when the process that ran it is gone),
                              message, graph, metric, config (SweepConfig.to_dict()), runs_root,
                              trials: [{trial, values, status, run_id, metric, final_loss, epochs, seconds,
                              message}] (status pending, running, finished, pruned, failed, stopped, or
                              not_started: the sweep ended before it), best (trial number or null)
                results.csv   one row per trial that ran, in the order they ended: trial, each varied
                              setting, the metric, final_loss, epochs, seconds, run_id, status, message

Both files are rewritten whole through a temporary file and a rename when trials start and end (on the
sweep's writer thread, a few at once), so a reader (the page, another process) never sees half a file.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import secrets
import threading
import time
from pathlib import Path
from typing import Callable

from ..errors import RunStoreError
from ..runs import _atomic_write
from .config import SweepConfig
from .results import NOT_STARTED, TrialResult, best

_ID_OK = re.compile(r"^[A-Za-z0-9_.-]+$")


def sweeps_root_for(runs_root: str | Path) -> Path:
    """``sweeps/`` beside the runs folder."""
    return Path(runs_root).absolute().parent / "sweeps"


def _slug(name: str) -> str:
    s = re.sub(r"[^A-Za-z0-9]+", "-", Path(name).stem or name).strip("-").lower()
    return (s or "graph")[:32]


class SweepRecord:
    """Writes ``sweep.json`` and ``results.csv`` of one sweep (from the sweep's thread)."""

    def __init__(self, root: str | Path, sweep: SweepConfig, metric: str, points: list[dict],
                 runs_root: str | Path | None, submit: Callable | None = None):
        """``submit(key, write)``: queue the rewrites of trials starting and ending there (the sweep's writer
        thread, ``run_writes.RunWrites``) instead of making them in the sweep thread (27 Cora trials: ~55
        rewrites, ~0.1 s in which a GPU sweep's scoring waited). Queued rewrites coalesce: one waiting is
        enough, and it writes the record as it is when it runs."""
        self._submit, self._lock, self._queued = submit, threading.Lock(), False
        self.sweep_id = f"{time.strftime('%Y%m%d-%H%M%S')}-{_slug(sweep.graph)}-{secrets.token_hex(2)}"
        self.path = Path(root) / self.sweep_id
        self.path.mkdir(parents=True, exist_ok=True)
        self.fields = list(sweep.vary)
        self.metric = metric
        self.results: list[TrialResult] = []
        self.meta = {"id": self.sweep_id, "created": time.time(), "finished": None, "status": "running",
                     "message": "", "graph": sweep.graph, "metric": metric, "config": sweep.to_dict(),
                     "runs_root": str(Path(runs_root).absolute()) if runs_root is not None else None,
                     "pid": os.getpid(), "best": None,
                     "trials": [{"trial": i + 1, "values": p, "status": "pending", "run_id": None}
                                for i, p in enumerate(points)]}
        self._write()

    def trial_started(self, index: int, run_id: str | None) -> None:
        with self._lock:
            self.meta["trials"][index].update(status="running", run_id=run_id)
        self._queue_write()

    def trial_ended(self, result: TrialResult) -> None:
        with self._lock:
            self.results.append(result)
            self.meta["trials"][result.index].update(
                status=result.status, run_id=result.run_id, metric=result.metric, final_loss=result.final_loss,
                epochs=result.epochs, seconds=round(result.seconds, 3), message=result.message)
            top = best(self.results)
            self.meta["best"] = top.index + 1 if top else None
        self._queue_write()

    def trials_not_started(self, indices: list[int]) -> None:
        """Trials the sweep ended before (stopped or failed): ``not_started``, no longer ``pending``."""
        with self._lock:
            for i in indices:
                self.meta["trials"][i]["status"] = NOT_STARTED
        self._write()

    def set_status(self, status: str, message: str = "") -> None:
        """(Written at once: the sweep's end, after its writer thread has finished.)"""
        with self._lock:
            self.meta.update(status=status, message=message)
            if status in ("finished", "stopped", "failed"):
                self.meta["finished"] = time.time()
        self._write()

    def _queue_write(self) -> None:
        if self._submit is None:
            return self._write()
        with self._lock:
            if self._queued:
                return
            self._queued = True
        self._submit(f"sweep {self.sweep_id}", self._write)

    def _write(self) -> None:
        with self._lock:
            self._queued = False
            text = json.dumps(self.meta, indent=2, default=_plain)
            table = results_csv(self.results, self.fields, self.metric)
        _atomic_write(self.path / "sweep.json", text)
        _atomic_write(self.path / "results.csv", table)


def _plain(x):
    """numpy scalars and the like in JSON."""
    return x.item() if hasattr(x, "item") else str(x)


def results_csv(results: list[TrialResult], fields: list[str], metric: str) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["trial", *fields, metric, "final_loss", "epochs", "seconds", "run_id", "status", "message"])
    for r in results:
        w.writerow([r.index + 1, *(r.values.get(f, "") for f in fields), _num(r.metric), _num(r.final_loss),
                    r.epochs, round(r.seconds, 3), r.run_id or "", r.status, r.message])
    return out.getvalue()


def _num(x: float | None) -> str:
    return "" if x is None else repr(float(x))


def _mark_interrupted(meta: dict) -> dict:
    """A sweep still marked running whose process is gone (server restart, crash) says so."""
    if meta.get("status") in ("running", "paused"):
        try:
            os.kill(int(meta.get("pid")), 0)
        except (OSError, ValueError, TypeError):
            meta["status"] = "interrupted"
            meta["message"] = meta.get("message") or ("The program that ran this sweep stopped before it ended; "
                                                      "the trials that ended are kept.")
            for t in meta.get("trials", []):  # nor will its waiting trials ever start
                if t.get("status") == "pending":
                    t["status"] = NOT_STARTED
    return meta


def list_sweeps(root: str | Path) -> list[dict]:
    """``sweep.json`` of every readable sweep under ``root``, newest first."""
    root = Path(root)
    if not root.is_dir():
        return []
    out = []
    for d in root.iterdir():
        try:
            out.append(_mark_interrupted(json.loads((d / "sweep.json").read_text(encoding="utf-8"))))
        except (OSError, ValueError):
            continue
    return sorted(out, key=lambda m: m.get("created", 0), reverse=True)


def load_sweep(root: str | Path, sweep_id: str) -> tuple[dict, list[dict]]:
    """``(sweep.json, rows of results.csv)`` of one sweep."""
    if not _ID_OK.match(sweep_id or ""):
        raise RunStoreError(f"'{sweep_id}' is not a valid sweep id.")
    d = Path(root) / sweep_id
    try:
        meta = _mark_interrupted(json.loads((d / "sweep.json").read_text(encoding="utf-8")))
        with (d / "results.csv").open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except FileNotFoundError:
        raise RunStoreError(f"There is no saved sweep called '{sweep_id}' in {root}.") from None
    except (OSError, ValueError) as e:
        raise RunStoreError(f"Sweep '{sweep_id}' is damaged and cannot be read ({e}).") from None
    return meta, rows

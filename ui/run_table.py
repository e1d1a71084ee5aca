"""The Runs page's data: saved runs read back, one table row each, the default comparison, deletion.

Plain functions over a ``RunStore`` and its ``SavedRun`` objects (tested without a browser); the page
only lays the results out.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from graphcl_core.config import TrainConfig
from graphcl_core.errors import GraphCLError
from graphcl_core.runs import RunStore, SavedRun
from graphcl_core.workspaces import ACTIVE_STATES

from .registry import Slot

# The table lists at most this many runs (newest first).
MAX_RUNS = 300
# How often (seconds) the Runs page reads such runs again: a training run saves its progress every 2 s.
REFRESH_EVERY_S = 2.0
# What a cell shows for a value a run does not have (an unlabelled graph has no probe or silhouette; a run
# still training has no final loss): the same dash as the page's metrics, not the table's own "None".
MISSING = "—"
# Formats of the table's number columns. The probe is held in percent, rounded to one decimal here and
# written "%.1f%%": Streamlit's "percent" format dropped trailing zeros ("90%" beside "90.83%"), and with a
# fixed decimal it rounded otherwise than Python (89.1 % in the table, 89.2 % in the caption below it).
COLUMNS = {
    "linear probe": st.column_config.NumberColumn(format="%.1f%%"),
    "final loss": st.column_config.NumberColumn(format="%.4f"),
    "silhouette": st.column_config.NumberColumn(format="%.3f"),
    "lr": st.column_config.NumberColumn(format="%g"),
    "started": st.column_config.DatetimeColumn(format="D MMM, HH:mm"),
}


def load_runs(store: RunStore, limit: int = MAX_RUNS, *, shared: bool = False) -> dict[str, SavedRun]:
    """``{run id: SavedRun}`` of the store's own workspace (``shared``: the runs others published, which
    are read-only), newest first; damaged runs are left out."""
    runs = {}
    for meta in (store.shared() if shared else store.list())[:limit]:
        try:
            runs[meta["id"]] = store.load(meta["id"])
        except (GraphCLError, KeyError):
            continue
    return runs


def training(runs: dict[str, SavedRun]) -> list[str]:
    """Ids of the runs that are still training (or paused or waiting), whose rows go stale."""
    return [rid for rid, r in runs.items() if r.meta.get("status") in ACTIVE_STATES]


def refreshed(store: RunStore, runs: dict[str, SavedRun]) -> dict[str, SavedRun]:
    """``runs`` with the training ones read again from the store (the others as they are: reading only a few
    small files keeps the refresh of a 50-run page cheap); a run deleted meanwhile is left out."""
    out = dict(runs)
    for rid in training(runs):
        try:
            out[rid] = store.load(rid)
        except GraphCLError:
            out.pop(rid)
    return out


def row(r: SavedRun) -> dict:
    """One table row: status and results, then the settings worth comparing."""
    m, c = r.meta, r.config
    metrics = m.get("metrics") or {}
    return {
        "run": r.run_id, "graph": m.get("graph"), "status": m.get("status"),
        "epochs": f"{m.get('epoch', 0)}/{m.get('epochs', c.epochs)}",
        "final loss": _number(m.get("final_loss")), "linear probe": _percent_value(metrics.get("linear_probe_acc")),
        "silhouette": _number(metrics.get("silhouette")), "time (s)": round(float(m.get("seconds") or 0), 1),
        "started": pd.Timestamp(m.get("created", 0), unit="s", tz="UTC").tz_convert(None),
        "loss": c.loss, "margin": c.margin, "hidden": c.hidden, "lr": c.lr, "encoder": c.encoder,
        "pairs": c.pairs, "embedding": c.embedding_dim, "device": m.get("device"),
        "published": bool(m.get("published")), "pinned": bool(m.get("pinned")),
    }


def _number(value) -> float | None:
    """A result as a number, or None where the run has none (a NaN read back from JSON too: the table would
    show it as an error cell instead of ``MISSING``)."""
    return None if value is None or value != value else value


def _percent_value(value) -> float | None:
    """A probe accuracy in percent with one decimal, the digits ``percent`` writes (or None)."""
    value = _number(value)
    return None if value is None else round(value * 100, 1)


def table(runs: dict[str, SavedRun]) -> pd.DataFrame:
    return pd.DataFrame([row(r) for r in runs.values()])


def percent(value: float | None) -> str:
    """A linear-probe accuracy as the table shows it (one decimal), or ``MISSING``."""
    value = _number(value)
    return MISSING if value is None else f"{value:.1%}"


def settings_caption(cfg: TrainConfig, metrics: dict | None) -> str:
    """The line under a compared run's projection: its loss named as one ("margin loss", not a bare "margin"
    beside the margin value), the settings that shape it, and its probe accuracy when it has one."""
    probe = _number((metrics or {}).get("linear_probe_acc"))
    return (f"{cfg.loss} loss · margin {cfg.margin:g} · hidden {cfg.hidden} · lr {cfg.lr:g}"
            + (f" · probe {percent(probe)}" if probe is not None else ""))


def default_comparison(runs: dict[str, SavedRun]) -> list[str]:
    """The two newest finished runs, else the newest run."""
    ids = list(runs)
    return [rid for rid in ids if runs[rid].meta.get("status") == "finished"][:2] or ids[:1]


def delete_run(slot: Slot, store: RunStore, run_id: str) -> str | None:
    """Delete a run's files and forget its cached frames; returns an error message, or ``None``."""
    error = _message_of(store.delete, run_id)
    if error:
        return error
    for key in [k for k in slot.cache if isinstance(k, tuple) and run_id in k]:
        slot.cache.pop(key, None)
    return None


def _message_of(action, run_id: str) -> str | None:
    """Run a store action on one run; its error message for the page, or None."""
    try:
        action(run_id)
    except GraphCLError as e:
        return str(e)
    return None


def set_published(store: RunStore, run_id: str, published: bool) -> str | None:
    """Publish (readable by every visitor, changed by nobody else) or unpublish; an error message or None."""
    return _message_of(store.publish if published else store.unpublish, run_id)


def set_pinned(store: RunStore, run_id: str, pinned: bool) -> str | None:
    """Pin (kept when the workspace's oldest runs make room) or unpin; an error message or None."""
    return _message_of(store.pin if pinned else store.unpin, run_id)

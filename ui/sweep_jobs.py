"""The tab's sweep: start, pause, stop, the time estimate, and the results table, without a browser.

The ``SweepRunner`` (``graphcl_core.sweep``) trains in its own background thread; it is kept in the
tab's registry slot (``slot.cache[RUNNER]``), so a rerun, a page switch or a reload (same ``sid`` in
the URL) finds the same sweep and never starts a second one. The page only reads it: the trial table,
``status()`` and ``latest_snapshot(i)``, polled by a fragment.
"""

from __future__ import annotations

import math
import queue

from graphcl_core.errors import GraphCLError
from graphcl_core.graph import GraphBundle
from graphcl_core.sweep import SweepConfig, SweepRunner, estimate_seconds
from graphcl_core.sweeps.backend import auto_backend
from graphcl_core.sweeps.metrics import METRICS

from . import sources, sweep_backends, training
from .registry import Slot

RUNNER = "sweep.runner"
ESTIMATE = "sweep.estimate"
STATE_LABELS = {"ready": "starting", "running": "running", "paused": "paused", "finished": "finished",
                "stopped": "stopped", "failed": "failed"}


def runner_of(slot: Slot) -> SweepRunner | None:
    return slot.cache.get(RUNNER)


def active(slot: Slot) -> bool:
    r = runner_of(slot)
    return r is not None and not r.done


def start(slot: Slot, bundle: GraphBundle | None, sweep: SweepConfig) -> str | None:
    """Start ``sweep`` on ``bundle`` in the background; None, or a plain message why not."""
    if bundle is None:
        return "No graph is loaded: choose one on the Graph page."
    with slot.lock:
        if active(slot):
            return "A sweep is already running in this tab: stop it first."
        try:
            backend = sweep_backends.make(sweep.backend, bundle, training.visitor_of(slot), sweep)
            runner = SweepRunner(sweep, sources.store(), bundle=bundle, backend=backend)
        except GraphCLError as e:
            return str(e)
        slot.cache[RUNNER] = runner
        for k in ("sweep.frames", "sweep.replay.sources", "sweep.replay.frames"):
            slot.cache.pop(k, None)
    runner.start()
    return None


def drain(slot: Slot) -> None:
    """Empty the runner's event queue. The page reads the trial table and the latest snapshots instead, so
    nobody else takes the events, and the queued snapshot events would hold up to 256 embedding matrices."""
    r = runner_of(slot)
    if r is None:
        return
    try:
        for _ in r.events(timeout=0):
            pass
    except queue.Empty:
        pass


def toggle_pause(slot: Slot) -> None:
    r = runner_of(slot)
    if r is None or r.done:
        return
    if r.state == "paused":
        r.resume()
    else:
        r.pause()


def stop(slot: Slot) -> None:
    r = runner_of(slot)
    if r is not None and not r.done:
        r.stop()


def estimate(slot: Slot, bundle: GraphBundle, sweep: SweepConfig) -> str:
    """Measure a few epochs and say how long the sweep should take on its backend (kept for this exact setup)."""
    name = auto_backend(sweep.trials()) if sweep.backend == "auto" else sweep.backend
    try:
        if name == "ray":
            text = ("On Ray the time depends on the workers' GPUs, which this server cannot measure; the results "
                    "stream back here as trials end.")
        else:
            text = estimate_seconds(sweep, bundle=bundle, backend=name).describe()
    except GraphCLError as e:
        text = f"Could not estimate the time: {e}"
    slot.cache[ESTIMATE] = (setup_key(sweep), text)
    return text


def cached_estimate(slot: Slot, sweep: SweepConfig) -> str | None:
    """The estimate made for this very setup, if any (None after any change)."""
    got = slot.cache.get(ESTIMATE)
    return got[1] if got and got[0] == setup_key(sweep) else None


def setup_key(sweep: SweepConfig) -> str:
    return sweep.to_json()


# ---- what is shown -------------------------------------------------------------------------------
# A trial's status as people read it (the runner's words otherwise), in the order the progress line counts them.
TRIAL_LABELS = {"finished": "finished", "pruned": "stopped early", "failed": "failed", "stopped": "stopped",
                "running": "running", "pending": "waiting", "not_started": "not started"}
# The run's reported linear probe (``Trainer.evaluate``), under the name Explore and the Runs table give it.
REPORTED_PROBE = ("linear_probe_acc", "Linear probe")
MISSING = "—"  # shown where a trial has no number (not scored, failed, never started)


def metric_label(metric: str) -> str:
    return METRICS.get(metric, (metric,))[0]


def ranked_column(metric: str) -> str:
    """The results column of the sweep's own score, saying that it is the one trials are ranked by."""
    return f"{metric_label(metric).capitalize()} (used to rank)"


def trial_status(status: str) -> str:
    return TRIAL_LABELS.get(status, status)


def fmt_value(v) -> str:
    if isinstance(v, float):
        return format(v, ".4g")
    return str(v)


def trial_title(row: dict) -> str:
    """"#3 margin=1.5 lr=0.001" for pickers and small multiples."""
    shown = " ".join(f"{k}={fmt_value(v)}" for k, v in row["values"].items())
    return f"#{row['trial']} {shown}".strip()


def results_rows(table: list[dict], metric: str, notes: dict[int, str] | None = None):
    """The results table as a pandas ``Styler``: one row per trial, in trial order, the varied settings as
    columns, then status, why it ended (``notes``: trial index from 0 → message; the column only when
    some trial has one), epochs, loss, the score trials are ranked by and, on labelled graphs, the
    run's reported linear probe (the number Explore and Runs show, on the report protocol). The numbers
    stay numbers (the table sorts them); a missing one shows as ``MISSING``, never as "None"."""
    import pandas as pd

    ranked, (probe_key, probe_name) = ranked_column(metric), REPORTED_PROBE
    notes = {i: n for i, n in (notes or {}).items() if n}
    with_probe = metric == "linear_probe" or any(probe_key in (r.get("reported") or {}) for r in table)
    out = []
    for r in table:
        row = {"Trial": r["trial"], **r["values"], "Status": trial_status(r["status"])}
        if notes:
            row["Note"] = notes.get(r["trial"] - 1, "")
        row["Epoch"] = f"{r['epoch']} / {r['epochs']}"
        row["Loss"] = _num(r.get("loss"))
        row[ranked] = _num(r.get("metric"))
        if with_probe:
            row[probe_name] = _num((r.get("reported") or {}).get(probe_key))
        row["Run"] = r.get("run_id") or ""
        out.append(row)
    frame = pd.DataFrame(out)
    percent = "{:.1%}".format
    formats = {"Loss": "{:.4f}".format, ranked: percent if metric == "linear_probe" else "{:.4f}".format}
    if with_probe:
        formats[probe_name] = percent
    settings = [k for k in frame.columns if k in (table[0]["values"] if table else {})]
    formats.update({k: fmt_value for k in settings})
    return frame.style.format(formats, na_rep=MISSING)


def notes_of(results) -> dict[int, str]:
    """Messages of ended trials (a failure's reason), by trial index."""
    return {r.index: r.message for r in results if r.message}


def _num(x) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def best_trial(table: list[dict], metric: str) -> int | None:
    """The trial number (from 1) with the best metric among finished trials, or None."""
    from graphcl_core.sweeps.metrics import higher_is_better

    done = [r for r in table if r["status"] == "finished" and _num(r.get("metric")) is not None]
    if not done:
        return None
    sign = -1 if higher_is_better(metric) else 1
    return min(done, key=lambda r: (sign * r["metric"], r["trial"]))["trial"]


def progress(status: dict, table: list[dict]) -> tuple[float, str]:
    """Share of the planned epochs done, and a sentence for the progress bar that counts the trials by how
    they ended: "Sweep stopped: 3 of 5 trials finished, 1 stopped, 1 not started"."""
    total = sum(r["epochs"] for r in table) or 1
    done = sum(r["epochs"] if r["status"] in ("finished", "pruned", "failed", "stopped") else r["epoch"]
               for r in table)
    state = STATE_LABELS.get(status["state"], status["state"])
    counts = {s: sum(r["status"] == s for r in table) for s in {r["status"] for r in table}}
    others = [f"{counts.pop(s)} {TRIAL_LABELS[s]}" for s in TRIAL_LABELS if s != "finished" and s in counts]
    others += [f"{n} {s}" for s, n in counts.items() if s not in TRIAL_LABELS]
    text = f"Sweep {state}: {counts.get('finished', 0)} of {status['trials']} trials finished"
    text += "".join(f", {o}" for o in others)
    if status.get("message"):
        text += f". {status['message']}"
    return min(1.0, done / total), text


def explore_params(base_params: dict, run_id: str) -> dict:
    """Query parameters that open trial ``run_id`` in Explore (the tab's token and settings kept)."""
    return {**base_params, "run": run_id}

"""What the Train page's live view says about a run: progress line, metric values and deltas.

Plain functions of a job's ``status()`` and history, so the wording is tested without a browser.
"""

from __future__ import annotations

from . import training

# A metric's shown value and its delta since the previous evaluation (``None``: no delta).
Shown = tuple[str, "str | None"]


def progress_text(status: dict) -> str:
    """``Epoch 40 of 200 · 12.5 epochs/s · about 13 s left`` (or paused / finished in / stopped)."""
    rate, left = training.speed(status)
    text = f"Epoch {status['epoch']} of {status['epochs']}"
    if rate:
        text += f" · {rate:,.1f} epochs/s"
    state = status["state"]
    if state in ("running", "queued") and left is not None:
        text += f" · about {training.fmt_seconds(left)} left"
    elif state == "paused":
        text += " · paused"
    elif state == "finished":
        text += f" · finished in {training.fmt_seconds(status['seconds'])}"
    elif state == "stopped":
        text += " · stopped"
    return text


def loss_metric(history: list[dict]) -> Shown:
    """The newest loss and its change over the last 10 epochs."""
    if not history:
        return "—", None
    last = history[-1]["loss"]
    before = history[-11]["loss"] if len(history) > 10 else None
    return f"{last:.4f}", (f"{last - before:+.4f} in 10 epochs" if before is not None else None)


def quality_metric(history: list[dict], key: str, fmt: str) -> Shown:
    """The newest evaluated value of ``key`` (``fmt``-formatted) and its change since the evaluation before."""
    cur, prev = training.latest_quality(history)
    v = cur.get(key)
    d = (v - prev[key]) if v is not None and key in prev else None
    return (fmt.format(v) if v is not None else "—"), (fmt.format(d) if d is not None else None)


def probe_fraction(history: list[dict]) -> float:
    """Share of labelled nodes the newest probe trained on (10 % unless the run said otherwise)."""
    cur, _ = training.latest_quality(history)
    return cur.get("linear_probe_train_frac", 0.1)

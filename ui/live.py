"""What the Train page's live view says about a run (progress line, metric values and deltas), and
what its Pause/Resume does to the run and to its playback (``ui.pacing``).

Plain functions of a job's ``status()`` and history, so the wording is tested without a browser.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from . import pacing, training

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


# ---- the playback of a run (ui/pacing.py) --------------------------------------------------------

def run_key(job: Any) -> str:
    """Names one run for its ``pacing.Playhead`` (a new job, even at a reused address, starts at 0)."""
    return f"{id(job)}:{job.created}"


def paced_progress_text(status: dict, shown: int, rate: float | None, *, held: bool = False,
                        map_epoch: int | None = None) -> str:
    """``_paced_text`` and, when the map drawn with it is of another epoch (``map_epoch``: a long run keeps a
    snapshot every few epochs, or the frame of the epoch shown is still being laid out), ``· map from epoch
    53``: the line and the map's title then name the same epochs instead of 59 above 53."""
    text = _paced_text(status, shown, rate, held=held)
    return text if map_epoch is None or map_epoch == shown else f"{text} · map from epoch {map_epoch}"


def _paced_text(status: dict, shown: int, rate: float | None, *, held: bool = False) -> str:
    """``progress_text`` while the picture is live; while it plays behind training,
    ``Showing epoch 40 of 200 (trained: 200) · played at 10 epochs/s · 16 s to go · training finished in 4 s``.

    It names the run's own state in the sidebar's words (paused, finished, stopped) and tells a paused
    playback apart from a paused run: after Stop or the run's end a held picture says ``playback paused
    · training stopped``, never a bare ``paused`` beside a sidebar that says ``stopped`` (issue 10)."""
    trained = status["epoch"]
    if shown >= trained:
        return progress_text(status)
    state = status["state"]
    text = f"Showing epoch {shown} of {status['epochs']} (trained: {trained})"
    if rate:
        text += f" · played at {rate:g} epochs/s"
    if held:
        text += " · paused" if state == "paused" else " · playback paused"
    else:
        left = pacing.seconds_left(shown, trained if state != "running" else status["epochs"], rate)
        if left is not None:
            text += f" · {training.fmt_seconds(left)} to go"
    if state == "finished":
        text += f" · training finished in {training.fmt_seconds(status['seconds'])}"
    elif state in ("stopped", "failed"):
        text += f" · training {state}"
    return text


def projection_title(method: str, frame_epoch: int, wanted_epoch: int | None, shown: int | None = None,
                     every: int = 1) -> str:
    """The map's title: ``UMAP of the embeddings at epoch 75``; while the map of the epoch on screen is still
    being laid out, ``UMAP embeddings at epoch 59 · laying out 75…``; and when the epoch on screen has no
    snapshot of its own (a long run keeps one every few epochs), ``UMAP embeddings at epoch 12 (nearest
    snapshot)``. (Short: the map's column holds about 45 characters at 1400 px; and every form says
    "embeddings at epoch", which the browser tests find the map by.)

    Why: a UMAP frame takes 0.1-1 s (a few ms on a GPU) and is made in the background, so in a fast run
    the map trails the epoch shown by a redraw or two, and a long run keeps a snapshot only every few
    epochs; said so, neither looks like a mismatch with the progress line. ``wanted_epoch`` is the
    snapshot of the epoch on screen (``pacing.frame_epoch``)."""
    name = "UMAP" if method == "umap" else "PCA"
    if wanted_epoch is not None and frame_epoch < wanted_epoch:
        return f"{name} embeddings at epoch {frame_epoch} · laying out {wanted_epoch}…"
    if shown is not None and frame_epoch < shown and every > 1:
        return f"{name} embeddings at epoch {frame_epoch} (nearest snapshot)"
    return f"{name} of the embeddings at epoch {frame_epoch}"


def glide_ms(poll_s: float | None, full_ms: int = 450) -> int:
    """How long the live map's points glide to a new frame: ``full_ms`` (``figures.TRANSITION``) when no
    frame follows soon, else at most 60 % of the poll. The browser draws a frame once the one before has
    glided (``ui/live_chart.js``): with a 450 ms glide and a frame every 0.4 s each frame waited for the
    last one's, and the map's title named the epoch before the progress line's in half of the samples."""
    return full_ms if not poll_s else max(0, min(full_ms, int(0.6 * poll_s * 1000)))


LAGGING_NOTE = ("Each map takes a moment to lay out (in the background), so while the run moves fast the map "
                "shows the newest one ready and trails the epoch shown; it catches up when the run pauses or ends.")


def on_screen(shown: int, trained: int) -> int:
    """The epoch the live view draws: the playhead's, but the first trained epoch at once. A paced
    playhead starts at epoch 0 and reaches epoch 1 only 1/pace seconds after the first redraw (0.1 s at
    karate's Auto pace), so the first loss point would come a poll late after Start."""
    return max(shown, min(1, trained))


def is_held(job: Any, head: pacing.Playhead) -> bool:
    """The run or its playback is paused (the page offers Resume)."""
    return job is not None and (training.is_paused(job) or head.paused(run_key(job)))


def pause_or_resume(slot: Any, head: pacing.Playhead, now: float, rate: float | None) -> None:
    """Pause/Resume acts on the run (while it trains) and on its playback together.

    Pausing a run whose picture keeps up with it (live, or a pace faster than training) holds only the
    run: the picture still reaches the epoch the run pauses at (one may land after the click), so a Step
    then trains the next one instead of first showing that one. A picture behind the run holds where it is.
    """
    job = slot.job
    if job is None:
        return
    key = run_key(job)
    if is_held(job, head):
        if training.is_paused(job):
            training.toggle_pause(slot)
        head.set_paused(key, False, now)
        return
    trained = job.trainer.epoch if job.trainer is not None else 0
    if slot.active:
        training.toggle_pause(slot)
    if job.done or (rate is not None and head.at(key, now, trained, rate) < trained):
        head.set_paused(key, True, now)  # (where it was drawn last: the picture never jumps on Pause)


def step(slot: Any, head: pacing.Playhead, rate: float | None, now: float,
         train_one: Callable[[], str | None]) -> str | None:
    """The Step button: exactly one more epoch on screen, then everything holds (``pacing.Playhead.step``
    says why). While a paced picture is behind training, the next epoch is already trained: it is shown
    from its snapshot and the run (if it still trains) is paused, nothing is trained. At the newest
    trained epoch (or live, or with no run) ``train_one`` trains it (``training.launch(..., training.step)``;
    a fresh run when the last one ended) and the picture moves to it once trained; the click waits up to
    ``training.STOP_WAIT_S`` for that epoch, so the page that follows shows it. Returns
    ``train_one``'s message."""
    job = slot.job
    trainer = getattr(job, "trainer", None)
    if job is None or trainer is None or rate is None:
        return train_one()
    key = run_key(job)
    if head.step(key, trainer.epoch, now):
        if slot.active and not training.is_paused(job):
            training.toggle_pause(slot)
        return None
    if job.done:
        return train_one()  # shown to its end: Step starts a fresh run (its own playhead shows epoch 1)
    message = train_one()
    deadline = time.monotonic() + training.STOP_WAIT_S
    while head.awaits_step(key, trainer.epoch) and not job.done and time.monotonic() < deadline:
        time.sleep(0.005)
    return message


def playback_pending(job: Any, head: pacing.Playhead, rate: float | None) -> bool:
    """The run has ended but its playback has not yet shown its last epoch (it may be paused)."""
    trained = job.trainer.epoch if job.trainer is not None else 0
    return bool(job.done and rate and head.behind(run_key(job), trained))


def await_first_loss(job: Any, now: float | None = None) -> bool:
    """Right after Start, hold the redraw until the run's first loss row (at most until
    ``training.FIRST_LOSS_WAIT_S`` after Start), so that this redraw draws the first point.

    Why: a redraw that starts before the row exists draws no point, and the next one comes a poll later
    and takes its own 0.1-0.3 s beside the starting run (H200, Cora: the row 0.2 s after the click, the
    point 0.4-0.6 s). Waiting, the page hands the interpreter to the run's thread, whose start is then
    quicker too. A run in line, paused, or ended is not waited for. Whether the run has its first row."""
    if job is None or job.done or training.is_paused(job):
        return False
    left = job.created + training.FIRST_LOSS_WAIT_S - (time.time() if now is None else now)
    if left <= 0:
        return bool(job.trainer is not None and job.trainer.history)
    return job.wait_first_loss(left)


def _recent(t: float | None) -> bool:
    """Within ``training.FAST_POLL_MAX_S`` of ``t``: fast polls after Start or Stop are for a moment only
    (a slow first epoch or a slow stop on a big graph must not become ten reruns a second)."""
    return t is not None and time.time() - t < training.FAST_POLL_MAX_S


def poll_seconds(job: Any, head: pacing.Playhead, rate: float | None, first_frame_pending: bool = False
                 ) -> float | None:
    """Seconds between redraws of the live view (``None``: no redraws).

    Until the run's first loss row, and while ``first_frame_pending`` (the page has drawn no map of the run:
    ``live_frames.first_frame_pending``): ``POLL_FIRST_S``, so the first point and the first map follow
    Start at once (both for ``FAST_POLL_MAX_S`` at most). While it
    trains: the training pace (and at least the playback's, so a paced picture moves
    smoothly); after it ended: the playback's until the picture reaches the last trained epoch.
    """
    if job is None:
        return None
    if not job.done:
        if job.state == "queued" and (job.trainer is not None or job.status().get("queue_position") is not None):
            return training.POLL_QUEUED_S  # waiting in line (a just-started job is "queued" until it has a trainer)
        if getattr(job, "stopping", False) and _recent(getattr(job, "stop_requested_at", None)):
            return training.POLL_FIRST_S  # Stop was pressed: say "stopped" as soon as the run does
        if training.is_paused(job):
            trained = job.trainer.epoch if job.trainer is not None else 0
            if head.awaits_step(run_key(job), trained) and _recent(head.stepped_at(run_key(job))):
                return training.POLL_FIRST_S  # Step: show the stepped epoch the moment it is trained
            return training.POLL_IDLE_S
        if (job.trainer is None or job.trainer.epoch == 0 or first_frame_pending) and _recent(getattr(job, "created", None)):
            return training.POLL_FIRST_S  # Start was pressed: the first loss point and map the moment they exist
        return min(training.POLL_RUNNING_S, pacing.poll_seconds(rate)) if rate else training.POLL_RUNNING_S
    if playback_pending(job, head, rate) and not head.paused(run_key(job)):
        return pacing.poll_seconds(rate)
    return None

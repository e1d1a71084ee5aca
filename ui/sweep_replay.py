"""Replay of an ended sweep's grid: every trial's saved snapshots, epoch by epoch, side by side.

On a GPU a whole sweep can end in seconds, too fast to watch; afterwards each trial is an ordinary
saved run with its snapshots, so the grid can be replayed at a pace a person can follow. The state
is two session keys (any mapping, so it is tested without a browser): ``EPOCH`` (the epoch on screen)
and ``PLAYING``. Each trial shows its newest snapshot at or before that epoch.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import numpy as np

from graphcl_core.errors import GraphCLError
from graphcl_core.projection import project_once

from . import sources
from .registry import Slot

EPOCH = "sweep.replay.epoch"
PLAYING = "sweep.replay.playing"
CHOSEN = "sweep.replay.chosen"  # the epochs for which the slider or a replay chose the epoch on screen
STARTED = "sweep.replay.started"  # the run a Play click makes shows the first epoch before stepping
_SOURCES = "sweep.replay.sources"  # slot.cache: {run_id: SavedSource}
_FRAMES = "sweep.replay.frames"  # slot.cache: {(run_id, epoch): Projection or None}


def saved_sources(slot: Slot, table: list[dict]) -> dict[int, sources.SavedSource]:
    """The saved run of each trial that has one (loaded once per run id), by trial index."""
    cache = slot.cache.setdefault(_SOURCES, {})
    out = {}
    for r in table:
        rid = r.get("run_id")
        if not rid:
            continue
        if rid not in cache:
            try:
                cache[rid] = sources.SavedSource(sources.store().load(rid))
            except GraphCLError:
                continue
        out[r["trial"] - 1] = cache[rid]
    return out


def epochs_of(srcs: dict[int, sources.SavedSource]) -> list[int]:
    """Every snapshot epoch of any trial, in order."""
    return sorted({e for s in srcs.values() for e in s.epochs()})


def frames_at(slot: Slot, srcs: dict[int, sources.SavedSource], epoch: int) -> dict[int, tuple[int, Any]]:
    """``{trial index: (snapshot epoch, PCA Projection or None)}``: each trial's newest snapshot at or before
    ``epoch`` (its first one when it has none that early)."""
    cache = slot.cache.setdefault(_FRAMES, {})
    out = {}
    for i, src in srcs.items():
        eps = src.epochs()
        if not eps:
            continue
        e = max((x for x in eps if x <= epoch), default=eps[0])
        k = (src.id, e)
        if k not in cache:
            try:
                cache[k] = project_once(np.asarray(src.embeddings(e), dtype=np.float32), method="pca", dim=2,
                                        max_points=2000)
            except GraphCLError:
                cache[k] = None
        out[i] = (e, cache[k])
    return out


def current(state: MutableMapping[str, Any], epochs: list[int]) -> int:
    """The epoch on screen: the last one, unless a replay or the slider chose another for these epochs.

    (Following the last epoch is kept as a choice of its own: the slider's own value, from the browser,
    showed an ended sweep's grid at epoch 0.)"""
    if state.get(EPOCH) not in epochs or (state.get(CHOSEN) != tuple(epochs) and not state.get(PLAYING)):
        state[EPOCH] = epochs[-1]
    return state[EPOCH]


def chose(state: MutableMapping[str, Any], epochs: list[int]) -> None:
    """The slider was moved: keep its epoch on screen (for these epochs)."""
    state[CHOSEN] = tuple(epochs)


def forget_choice(state: MutableMapping[str, Any]) -> None:
    """A new sweep: its ended grid shows its last epoch (even with the same epochs as the one before)."""
    state.pop(CHOSEN, None)


def play(state: MutableMapping[str, Any], epochs: list[int]) -> None:
    """Start the replay (from the first epoch when the last one is on screen)."""
    if current(state, epochs) == epochs[-1]:
        state[EPOCH] = epochs[0]
    state[PLAYING] = True
    state[STARTED] = True
    state[CHOSEN] = tuple(epochs)  # a paused replay keeps its epoch


def pause(state: MutableMapping[str, Any]) -> None:
    state[PLAYING] = False


def tick(state: MutableMapping[str, Any], epochs: list[int]) -> bool:
    """One timer tick while playing: the next epoch. True when the replay has just reached the end."""
    if not state.get(PLAYING) or state.pop(STARTED, False):
        return False
    i = epochs.index(current(state, epochs))
    if i + 1 < len(epochs):
        state[EPOCH] = epochs[i + 1]
        return False
    state[PLAYING] = False
    return True

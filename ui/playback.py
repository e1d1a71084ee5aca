"""Replay of a run's snapshots on Explore: which epoch each timer tick shows, and Play / Pause.

The state lives in session state (any mapping, so it is tested without a browser): ``PLAYING`` (the
timer is on), ``STARTED`` (the first tick after Play shows the first frame before moving on) and the
epoch slider's own key, whose value is the epoch on screen.
"""

from __future__ import annotations

import math
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

PLAYING = "explore.playing"
STARTED = "explore.play_started"
# A replay takes at most about this many timer ticks: a run with a snapshot every epoch (every epoch of
# a small graph is kept) steps over several at a time instead of crawling through hundreds.
MAX_REPLAY_STEPS = 40


def replay_step(n_epochs: int) -> int:
    """Snapshots advanced per tick: 1 up to ``MAX_REPLAY_STEPS + 1`` snapshots, more above."""
    return max(1, math.ceil((n_epochs - 1) / MAX_REPLAY_STEPS))


@dataclass
class Playback:
    """Play / Pause / tick over the snapshot ``epochs`` of one run; ``epoch_key`` is its slider's key."""

    state: MutableMapping[str, Any]
    epoch_key: str

    @property
    def playing(self) -> bool:
        return bool(self.state.get(PLAYING))

    def current(self, epochs: Sequence[int]) -> int:
        """The epoch on screen, moved to the newest snapshot when it is not one of ``epochs``."""
        if self.state.get(self.epoch_key) not in epochs:
            self.state[self.epoch_key] = epochs[-1]
        return self.state[self.epoch_key]

    def tick(self, epochs: Sequence[int], *, pause_clicked: bool = False) -> bool:
        """One run of the page while playing: step to the next snapshot (``replay_step`` of them, so a
        replay of many snapshots still ends in about ``MAX_REPLAY_STEPS`` ticks, on the last one).

        Returns True when the replay has just reached its end and stopped (the caller reruns the page
        so that the timer goes off). The run a Pause click makes never steps.
        """
        i = list(epochs).index(self.current(epochs))
        if not self.playing or pause_clicked or self.state.pop(STARTED, False):
            return False
        if i + 1 < len(epochs):
            self.state[self.epoch_key] = epochs[min(i + replay_step(len(epochs)), len(epochs) - 1)]
            return False
        self.state[PLAYING] = False
        return True

    def play(self, epochs: Sequence[int]) -> None:
        """Start the replay, from the first snapshot when the last one is on screen."""
        if self.current(epochs) == epochs[-1]:
            self.state[self.epoch_key] = epochs[0]
        self.state[PLAYING] = True
        self.state[STARTED] = True

    def pause(self) -> None:
        self.state[PLAYING] = False

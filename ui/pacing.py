"""Demo pacing: which epoch the Train page shows while a run trains faster than an audience can follow.

A default Cora run trains in 0.4 s on a GPU. The page plays it back from its snapshots at a chosen
pace (epochs shown per second) instead: the *playhead* moves forward by ``pace × seconds`` between
two redraws and never past the epoch already trained, so a run slower than the pace (a CPU) is
simply shown live, and a pause of the run or of the playback never makes the picture jump. "Live"
shows the newest epoch at once, as before. Step moves a held picture exactly one epoch forward
(``Playhead.step``).

Plain functions of numbers (and a ``Playhead`` over any mapping), so every
rule is tested without a browser or a clock.
"""

from __future__ import annotations

import bisect
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

# A run played at the automatic pace lasts about this long on screen (when it trains faster).
AIM_SECONDS = 20.0
# The automatic pace is never slower than this (a 20-epoch run is not crawled through at 1/s); it has
# no ceiling, so a long run is still shown in about AIM_SECONDS and the picture never lags far behind.
AUTO_MIN = 2.0
# The speed control's choices; the value is kept in session state and the URL (``speed=``).
AUTO, LIVE = "auto", "live"
SPEEDS = (AUTO, "5", "10", "20", "50", LIVE)
SPEED_LABELS = {AUTO: "Auto", LIVE: "Live", **{s: f"{s}/s" for s in SPEEDS if s.isdigit()}}
# Seconds between redraws while the playback is behind the run (at slow paces, once per epoch shown).
POLL_S, POLL_MAX_S = 0.4, 1.0


def parse_speed(value: Any) -> str | None:
    """A speed choice from a URL or a widget (``"10"``, ``10``, ``"live"``); ``None`` when it is none of them."""
    text = str(value).strip().lower()
    if text.endswith("/s"):
        text = text[:-2]
    if text.replace(".", "", 1).isdigit():
        text = str(int(float(text))) if float(text).is_integer() else text
    return text if text in SPEEDS else None


def auto_pace(total_epochs: int) -> float:
    """Epochs per second that show a ``total_epochs`` run in about ``AIM_SECONDS`` (200 epochs: 10/s)."""
    return max(AUTO_MIN, total_epochs / AIM_SECONDS)


def pace(speed: str, total_epochs: int) -> float | None:
    """Epochs shown per second for a speed choice; ``None`` means live (the newest epoch at once)."""
    if speed == LIVE:
        return None
    if speed == AUTO:
        return auto_pace(total_epochs)
    return float(speed)


def advance(position: float, seconds: float, rate: float | None, trained: int) -> float:
    """The playhead ``seconds`` of playing after ``position``: ``rate`` epochs a second further, never past
    ``trained`` (a run slower than the pace is shown live); ``rate=None`` jumps to ``trained``."""
    if rate is None:
        return float(trained)
    return min(float(trained), position + rate * max(0.0, seconds))


def frame_epoch(shown: int, snapshot_epochs: Sequence[int]) -> int | None:
    """The snapshot to draw for epoch ``shown``: the newest at or before it (the first when none is)."""
    if not snapshot_epochs:
        return None
    i = bisect.bisect_right(snapshot_epochs, shown)
    return snapshot_epochs[max(0, i - 1)]


def history_until(history: list[dict], shown: int) -> list[dict]:
    """The history rows up to the epoch on screen: the loss curve is drawn as far as the picture."""
    i = len(history)
    while i and history[i - 1]["epoch"] > shown:
        i -= 1
    return history[:i]


def poll_seconds(rate: float | None) -> float:
    """Seconds between redraws while playing behind the run: ``POLL_S``, slower only at slow paces."""
    if not rate:
        return POLL_S
    return min(POLL_MAX_S, max(POLL_S, 1.0 / rate))


def seconds_left(shown: float, total_epochs: int, rate: float | None) -> float | None:
    """How long the playback still takes to reach the last epoch (``None`` when live)."""
    return None if not rate else max(0.0, (total_epochs - shown) / rate)


@dataclass
class Playhead:
    """The epoch on screen for one run, kept in ``state`` under ``key`` (the app keeps it in the tab's
    slot, so a reload goes on where the picture was instead of replaying the run from its start).

    ``state[key]`` is ``{"run": id, "position": float, "at": seconds, "paused": bool, "until": int | None}``
    (``until``: the epoch a held picture still moves to once it is trained, set by ``step``); a new run
    (another id) starts at epoch 0.
    """

    state: MutableMapping[str, Any]
    key: str = "train.playhead"

    def _of(self, run: Any) -> dict:
        head = self.state.get(self.key)
        if not isinstance(head, dict) or head.get("run") != run:
            head = self.state[self.key] = {"run": run, "position": 0.0, "at": None, "paused": False, "until": None}
        return head

    def update(self, run: Any, now: float, trained: int, rate: float | None) -> int:
        """Move the playhead to ``now`` and return the epoch to show. While paused the picture holds
        still (up to the epoch a Step asked for, once it is trained), and the time spent so is not made
        up later."""
        head = self._of(run)
        seconds = 0.0 if head["at"] is None or head["paused"] else now - head["at"]
        head["position"] = advance(head["position"], seconds, rate, trained)
        if head["paused"] and head.get("until") is not None:
            head["position"] = max(head["position"], float(min(trained, head["until"])))
        head["at"] = now
        return int(head["position"])

    def at(self, run: Any, now: float, trained: int, rate: float | None) -> int:
        """The epoch ``update`` would show at ``now``, leaving the playhead where it is (a Pause holds the
        picture where it was drawn last: no jump)."""
        head = self._of(run)
        seconds = 0.0 if head["at"] is None or head["paused"] else now - head["at"]
        return int(advance(head["position"], seconds, rate, trained))

    def shown(self, run: Any) -> int:
        return int(self._of(run)["position"])

    def paused(self, run: Any) -> bool:
        return bool(self._of(run)["paused"])

    def set_paused(self, run: Any, paused: bool, now: float) -> None:
        """Pause or resume the playback at ``now`` (resuming plays on from the epoch on screen)."""
        head = self._of(run)
        head["paused"] = paused
        head["until"] = None
        if not paused:
            head["at"] = now

    def step(self, run: Any, trained: int, now: float) -> bool:
        """Step: hold the picture and move it exactly one epoch past the one on screen.

        Why one epoch on screen, not one trained: while a fast run is played back the picture is behind
        training (showing epoch 131 of 155 trained), and the epochs after it are already trained, so
        Step shows the next of them, from its snapshot, and trains nothing; a Step that trained epoch 156
        instead would change nothing a person can see (the stranger's "Step does nothing"). At the newest
        trained epoch the next one does not exist yet: the caller trains it and the picture moves to it
        as soon as it is trained. Either way every Step shows exactly one more epoch, and the picture
        then holds (Resume plays on from there).

        Returns True when the next epoch is already trained (nothing to train), False when the caller
        must train it. The epoch on screen counts as at least the first trained one (``live.on_screen``).
        """
        head = self._of(run)
        target = max(int(head["position"]), min(1, trained)) + 1
        head["paused"], head["until"], head["at"], head["stepped_at"] = True, target, now, now
        head["position"] = float(max(head["position"], min(trained, target)))
        return target <= trained

    def awaits_step(self, run: Any, trained: int) -> bool:
        """A Step asked for an epoch that is not trained yet (the page polls quickly until it is)."""
        head = self._of(run)
        return bool(head["paused"] and head.get("until") is not None and head["until"] > trained)

    def stepped_at(self, run: Any) -> float | None:
        """When the last Step was asked for (``None``: never)."""
        return self._of(run).get("stepped_at")

    def behind(self, run: Any, trained: int) -> bool:
        """True while the picture has not yet reached the newest trained epoch."""
        return self.shown(run) < trained

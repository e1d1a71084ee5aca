"""Batched mode of the Ray backend: every batch group split evenly over the actors (``split_groups``),
and each actor trains its share as one ``BatchedBackend`` sweep (``BatchDispatch``).

A share is one ``TrialWorker.run_batch`` call: the actor's ``BatchedBackend`` regroups it by batch
shape, trains each group as one stacked model with one CUDA graph, and scores the share with the
batched torch probe. Early stopping cuts within a share (``BatchedBackend``'s own rungs), not across
actors. If an actor fails to start, another takes its share; if it dies while training, the trials
of its share that had not ended fail with the reason, and the other actors go on.
"""

from __future__ import annotations

from typing import Sequence

from .backend import Trial, TrialEvent
from .ray_relay import ActorRelay

UNREPORTED = "The Ray worker's batch ended without finishing this trial."


def split_groups(groups: Sequence[Sequence[int]], n: int) -> list[list[int]]:
    """``n`` shares of the trials of ``groups`` (batch groups of trial indices): each group dealt out
    round-robin, the deal going on where the previous group's stopped. So every share gets about
    ``len(group) / n`` of every group (±1: the same mix of hidden sizes, so the same work), and the
    shares' sizes differ by at most one. Empty shares are left out."""
    if n < 1:
        raise ValueError("split_groups needs at least one share")
    shares: list[list[int]] = [[] for _ in range(n)]
    k = 0
    for group in groups:
        for i in group:
            shares[k % n].append(i)
            k += 1
    return [s for s in shares if s]


class BatchDispatch(ActorRelay):
    """Hands each free actor the next share; relays events (``ActorRelay``) until every share ended."""

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.todo: list[list[Trial]] = []

    def run(self, shares: Sequence[Sequence[Trial]]) -> None:
        self.todo = [list(s) for s in shares if s]
        try:
            while (self.todo and not self.control.stopped) or self.busy:
                self.start_ready()
                if not self.control.paused and not self.control.stopped:
                    for actor in list(self.idle):
                        if not self.todo:
                            break
                        share = self.todo.pop(0)
                        self.submit(actor, actor.run_batch.remote(share, self.state()), share)
                for share, out in self.collect():
                    self.stats["share_seconds"].append(round(out["seconds"], 2))
                    if "started" in out:
                        self.stats["share_spans"].append((round(out["started"] - self.wall0, 2),
                                                          round(out["ended"] - self.wall0, 2)))
                    self._close_unreported(share)
                self.tell_paused()
                self.tell_resumed()
        except BaseException:
            self.stop_busy()
            raise
        finally:
            self.tell_resumed()

    def _close_unreported(self, share: list[Trial]) -> None:
        """A trial that started but got no ``finished`` (which BatchedBackend always sends) fails, so no
        run is left open; trials a stop kept from starting stay unstarted."""
        for t in share:
            if t.index in self.started and t.index not in self.ended:
                self.ended.add(t.index)
                self.on_event(TrialEvent("finished", t.index, status="failed", message=UNREPORTED))

    # ---- ActorRelay's questions -------------------------------------------------------------------------
    def has_work(self) -> bool:
        return bool(self.todo)

    def waiting_trial(self) -> int | None:
        return self.todo[0][0].index if self.todo else None

    def call_failed(self, actor, share: list[Trial], err: Exception) -> None:
        for t in share:
            self.trial_lost(t.index, err)  # those already ended stay as they ended
        if self.actor_died(err):
            self.forget(actor, err)
        else:  # the call raised, the actor lives: it may train another share
            self.idle.append(actor)

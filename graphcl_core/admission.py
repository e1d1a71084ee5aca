"""One admission queue for every training and sweep on this server: fair, first come first served.

Each device has a pool of slots: ``gpu`` (``RuntimeOptions.gpu_slots``) and ``cpu``
(``RuntimeOptions.cpu_slots``, default the number of cores minus one). A run asks for a slot with
``request(owner, pool)`` and gets a ``Ticket``; it trains once the ticket is admitted and gives the
slot back with ``release(ticket)`` (also what Stop, Pause on the CPU and a closed tab do: the next
ticket is admitted inside the same call, so a freed slot is taken at once).

Who goes next when a slot frees up::

    waiting (oldest first):  A1  A2  B1  A3  C1        A holds 1 slot, cap 1
    admitted next:           B1  (A is at its cap while others wait; B is the oldest under it)
    then:                    C1, then A2, A3           (when only capped owners wait, the oldest goes)

An owner (a workspace or browser tab) holds at most ``max_per_owner`` slots of a pool while someone
else waits; alone, it may use every free slot, so no slot idles.

``position`` and ``estimated_wait`` replay that rule forward: each admitted run frees its slot after
its remaining time (from its own progress, or from the pool's moving average of run durations when it
has none yet), and waiting runs are admitted in that order. No Streamlit here; the app and the CLI
share ``default_queue()``.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from . import options as runtime_options

# Progress of an admitted run: ``(fraction done in [0, 1], seconds it has trained)``, or None when unknown.
ProgressFn = Callable[[], "tuple[float, float] | None"]
# A run's duration guess (seconds) before any run of the pool has ended.
DEFAULT_RUN_S = 30.0
# Weight of the newest run in the moving average of durations.
AVERAGE_WEIGHT = 0.3


@dataclass(eq=False)
class Ticket:
    """One run's place: ``waiting`` → ``admitted`` → ``released`` (or ``waiting`` → ``released``)."""

    owner: str
    pool: str
    label: str = ""
    progress: ProgressFn | None = None
    on_admit: Callable[["Ticket"], None] | None = None
    expected_s: float | None = None
    number: int = 0
    state: str = "waiting"
    asked_at: float = 0.0
    admitted_at: float | None = None
    _event: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def admitted(self) -> bool:
        return self.state == "admitted"

    @property
    def waiting(self) -> bool:
        return self.state == "waiting"

    def wait(self, timeout: float | None = None) -> bool:
        """Block until admitted or released (cancelled); True when admitted."""
        self._event.wait(timeout)
        return self.admitted


class AdmissionQueue:
    """Slots per pool, a FIFO of waiting tickets with a per-owner cap, and wait estimates."""

    def __init__(self, slots: dict[str, int], max_per_owner: int = 1, *,
                 clock: Callable[[], float] = time.monotonic):
        bad = {k: v for k, v in slots.items() if not isinstance(v, int) or v < 1}
        if bad or not isinstance(max_per_owner, int) or max_per_owner < 1:
            raise ValueError(f"slots and the per-owner cap must be positive whole numbers, not {bad or max_per_owner}")
        self.slots = dict(slots)
        self.max_per_owner = max_per_owner
        self._clock = clock
        self._lock = threading.Lock()
        self._waiting: list[Ticket] = []
        self._admitted: list[Ticket] = []
        self._average: dict[str, float] = {}
        self._numbers = itertools.count(1)

    # ---- asking and giving back ---------------------------------------------------------------
    def request(self, owner: str, pool: str, *, label: str = "", progress: ProgressFn | None = None,
                on_admit: Callable[[Ticket], None] | None = None, expected_s: float | None = None) -> Ticket:
        """A ticket for a slot of ``pool``, admitted at once when one is free and fairness allows.

        ``progress`` lets estimates use the run's own pace once it trains; ``on_admit`` is called
        (outside the queue's lock, from whichever thread frees the slot) when the ticket is admitted.
        """
        if pool not in self.slots:
            raise ValueError(f"unknown pool '{pool}' (pools: {', '.join(self.slots)})")
        ticket = Ticket(str(owner), pool, label, progress, on_admit, expected_s, next(self._numbers),
                        asked_at=self._clock())
        with self._lock:
            self._waiting.append(ticket)
            admitted = self._admit_locked(pool)
        self._notify(admitted)
        return ticket

    def release(self, ticket: Ticket | None) -> None:
        """Give the slot back (admitted) or leave the line (waiting); the next ticket is admitted now.

        Safe to call twice and from any thread."""
        if ticket is None:
            return
        with self._lock:
            if ticket.state == "waiting":
                self._waiting.remove(ticket)
            elif ticket.state == "admitted":
                self._admitted.remove(ticket)
                self._remember_locked(ticket)
            else:
                return
            ticket.state = "released"
            ticket._event.set()  # a thread blocked in wait() wakes up and sees it was cancelled
            admitted = self._admit_locked(ticket.pool)
        self._notify(admitted)

    def release_owner(self, owner: str) -> int:
        """Release every ticket of ``owner`` (a visitor who left); returns how many."""
        with self._lock:
            mine = [t for t in self._waiting + self._admitted if t.owner == owner]
        for t in mine:
            self.release(t)
        return len(mine)

    # ---- where am I ----------------------------------------------------------------------------
    def position(self, ticket: Ticket) -> int | None:
        """1 for the next to be admitted, 2 after it...; 0 when admitted; None once released."""
        if ticket.state != "waiting":
            return 0 if ticket.admitted else None
        return self._forecast(ticket)[0]

    def estimated_wait(self, ticket: Ticket) -> float | None:
        """Seconds until admitted (0 when admitted; None once released)."""
        if ticket.state != "waiting":
            return 0.0 if ticket.admitted else None
        return self._forecast(ticket)[1]

    def where(self, ticket: Ticket) -> tuple[int | None, float | None]:
        """``(position, estimated_wait)`` from one replay."""
        if ticket.state != "waiting":
            return (0, 0.0) if ticket.admitted else (None, None)
        return self._forecast(ticket)

    def average_run_s(self, pool: str) -> float:
        return self._average.get(pool, DEFAULT_RUN_S)

    def summary(self) -> dict:
        """Per pool: slots, admitted and waiting counts (for the app's status and the load test)."""
        with self._lock:
            return {p: {"slots": n, "running": sum(t.pool == p for t in self._admitted),
                        "waiting": sum(t.pool == p for t in self._waiting)} for p, n in self.slots.items()}

    # ---- inside ---------------------------------------------------------------------------------
    def _held_locked(self, pool: str) -> dict[str, int]:
        held: dict[str, int] = {}
        for t in self._admitted:
            if t.pool == pool:
                held[t.owner] = held.get(t.owner, 0) + 1
        return held

    def _pick(self, waiting: list[Ticket], held: dict[str, int]) -> Ticket:
        """The oldest ticket whose owner is under the cap; the oldest of all when every owner is at it."""
        for t in waiting:
            if held.get(t.owner, 0) < self.max_per_owner:
                return t
        return waiting[0]

    def _admit_locked(self, pool: str) -> list[Ticket]:
        admitted = []
        held = self._held_locked(pool)
        while True:
            waiting = [t for t in self._waiting if t.pool == pool]
            if not waiting or sum(held.values()) >= self.slots[pool]:
                return admitted
            t = self._pick(waiting, held)
            self._waiting.remove(t)
            self._admitted.append(t)
            t.state, t.admitted_at = "admitted", self._clock()
            held[t.owner] = held.get(t.owner, 0) + 1
            t._event.set()
            admitted.append(t)

    @staticmethod
    def _notify(admitted: list[Ticket]) -> None:
        for t in admitted:
            if t.on_admit is not None:
                t.on_admit(t)

    def _remember_locked(self, ticket: Ticket) -> None:
        if ticket.admitted_at is None:
            return
        took = max(0.0, self._clock() - ticket.admitted_at)
        old = self._average.get(ticket.pool)
        self._average[ticket.pool] = took if old is None else (1 - AVERAGE_WEIGHT) * old + AVERAGE_WEIGHT * took

    def _remaining(self, t: Ticket, now: float) -> float:
        """Seconds an admitted run still needs: from its progress, else the average less what it had."""
        avg = t.expected_s or self.average_run_s(t.pool)
        try:
            p = t.progress() if t.progress is not None else None
        except Exception:  # noqa: BLE001 - an estimate must never break the queue
            p = None
        if p is not None:
            done, seconds = p
            if 0.02 <= done < 1 and seconds > 0:
                return seconds * (1 - done) / done
        return max(1.0, avg - (now - (t.admitted_at or now)))

    def _forecast(self, ticket: Ticket) -> tuple[int | None, float | None]:
        """Replay the admission rule forward until ``ticket`` is admitted: (position, seconds)."""
        with self._lock:
            if ticket.state != "waiting":
                return (0, 0.0) if ticket.admitted else (None, None)
            pool, now = ticket.pool, self._clock()
            running = [t for t in self._admitted if t.pool == pool]
            waiting = [t for t in self._waiting if t.pool == pool]
        # (time the slot frees, owner holding it); free slots free now
        ends = sorted((self._remaining(t, now), t.owner) for t in running)
        ends += [(0.0, None)] * max(0, self.slots[pool] - len(ends))
        ends.sort(key=lambda e: e[0])
        held: dict[str, int] = {}
        for _, owner in ends:
            if owner is not None:
                held[owner] = held.get(owner, 0) + 1
        place = 0
        while waiting:
            at, owner = ends.pop(0)
            if owner is not None:
                held[owner] -= 1
            nxt = self._pick(waiting, held)
            waiting.remove(nxt)
            place += 1
            if nxt is ticket:
                return place, max(0.0, at)
            held[nxt.owner] = held.get(nxt.owner, 0) + 1
            ends.append((at + (nxt.expected_s or self.average_run_s(pool)), nxt.owner))
            ends.sort(key=lambda e: e[0])
        return None, None


def cpu_slots_default() -> int:
    """The number of cores minus one (at least 1): one core stays free for the pages."""
    return max(1, (os.cpu_count() or 2) - 1)


def threads_per_cpu_run(cpu_slots: int, cores: int | None = None) -> int:
    """Intra-op threads one CPU run may use: every CPU slot's share of the cores but one (the pages').

    A thread pool wider than its share is slow, not just unfair: each small operation waits for all
    of the pool's threads, and one of them is often descheduled by the web server or another run
    (karate, 50 epochs on 2 loaded cores: 32 s with PyTorch's default 2 threads, 1.7 s with 1).
    """
    cores = cores or os.cpu_count() or 2
    return max(1, (cores - 1) // max(1, cpu_slots))


def pool_of(device: str) -> str:
    return "gpu" if str(device).startswith("cuda") else "cpu"


_default: AdmissionQueue | None = None
_default_lock = threading.Lock()


def default_queue() -> AdmissionQueue:
    """The process's queue, made on first use from ``options.current()`` (never at import)."""
    global _default
    with _default_lock:
        if _default is None:
            opts = runtime_options.current()
            _default = AdmissionQueue({"gpu": max(1, opts.gpu_slots),
                                       "cpu": max(1, opts.cpu_slots or cpu_slots_default())},
                                      max(1, opts.max_slots_per_visitor))
        return _default


def set_default_queue(queue: AdmissionQueue | None) -> None:
    """Replace the process's queue (tests; ``None``: made again from the options on next use)."""
    global _default
    with _default_lock:
        _default = queue

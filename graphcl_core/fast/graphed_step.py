"""One whole training step (two views, loss, backward, optimiser step) captured in a CUDA graph.

After a few eager warm-up steps (real epochs, run on a side stream so lazy initialisation such as
cuBLAS handles and the optimiser state happens outside the capture), the step is captured once and
each later epoch is a single ``graph.replay()``: no Python per op, no kernel launches, no host
sync. Randomness keeps working: the trainer's generator is registered with the graph (graph-safe
Philox: every replay draws fresh numbers) and dropout uses the default CUDA generator, which
PyTorch registers itself. Each replay also writes its loss into a device ring buffer, so the
trainer reads ``k`` losses back with one copy, exactly as it reads eager losses.

Anything that fails during capture is reported by ``capture_step`` raising; the engine
(``graphcl_core.engine.graphed``) then logs the reason and keeps training eagerly.
"""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Callable

import torch

WARMUP_STEPS = 3

# Held while a CUDA graph is captured, and by any other thread's work that draws from the default CUDA
# generator (a TorchDR layout: ``projection_gpu``). A capture owns that generator's offset; a draw from
# another thread meanwhile fails ("Offset increment outside graph capture encountered unexpectedly":
# on the H200 a frame laid out while a new run captured its step fell back to PCA), and two captures
# at once (a sweep beside a run) would share it.
CAPTURE_LOCK = threading.RLock()


# Runs that will capture their step in a moment (announced when their engine is made, settled when the capture
# is done or given up). A layout waits for them before it takes ``CAPTURE_LOCK`` (``wait_for_pending_captures``):
# while a layout holds the lock a new run cannot capture, so it trains eagerly, a few hundred Python-launched
# kernels an epoch that take the interpreter lock from the layout itself. Announcements expire, so a run made
# but never started does not hold layouts up.
PENDING_EXPIRES_S = 1.0
_pending: dict[int, float] = {}
_pending_changed = threading.Condition()


def announce_capture(owner: object) -> None:
    with _pending_changed:
        _pending[id(owner)] = time.monotonic()


def capture_settled(owner: object) -> None:
    with _pending_changed:
        if _pending.pop(id(owner), None) is not None:
            _pending_changed.notify_all()


def wait_for_pending_captures(max_wait_s: float, clock: Callable[[], float] = time.monotonic) -> bool:
    """Wait (at most ``max_wait_s``) until no run announced within ``PENDING_EXPIRES_S`` is still to capture;
    returns whether none is."""
    deadline = clock() + max_wait_s
    with _pending_changed:
        while True:
            now = clock()
            live = [t for t in _pending.values() if now - t < PENDING_EXPIRES_S]
            if not live:
                return True
            left = min(deadline, min(live) + PENDING_EXPIRES_S) - now
            if deadline - now <= 0:
                return False
            _pending_changed.wait(max(0.0, left))


def capture_when_free(capture: Callable[[], None], owner: object) -> None:
    """Run ``capture`` unless a layout holds ``CAPTURE_LOCK`` now; then the caller trains this epoch
    eagerly and tries again at the next one (a run never waits for a layout). Once it has run (captured
    or given up), ``owner``'s announced capture is settled."""
    if CAPTURE_LOCK.acquire(blocking=False):
        try:
            capture()
        finally:
            CAPTURE_LOCK.release()
            capture_settled(owner)


@contextlib.contextmanager
def tf32(enabled: bool):
    """Allow TF32 matrix products inside the block (restored afterwards; no-op when not enabled)."""
    if not enabled:
        yield
        return
    old = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = True
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32 = old


class GraphedStep:
    """A captured training step. ``replay()`` runs one epoch and returns its loss."""

    def __init__(self, graph, loss: torch.Tensor, ring: torch.Tensor, pos: torch.Tensor):
        self.graph = graph
        self.static_loss = loss
        self.ring = ring
        self._pos = pos  # device-side slot counter, advanced inside the graph
        self._slot = 0  # host mirror of _pos (deterministic, no sync needed)

    @property
    def ring_size(self) -> int:
        return int(self.ring.numel())

    def replay(self) -> torch.Tensor:
        """One epoch. Its loss is a 0-dim view of its ring slot: valid until ``ring_size`` more replays
        overwrite it, so the reader must read at least every ``ring_size`` epochs (the trainer reads every
        ``loss_sync_every``, the ring's size)."""
        self.graph.replay()
        slot = self._slot
        self._slot = (slot + 1) % self.ring.numel()
        return self.ring[slot]


def capture_step(step_body: Callable[[], torch.Tensor], optimizer: torch.optim.Optimizer,
                 generators: list[torch.Generator], ring_size: int, device: torch.device,
                 allow_tf32: bool = False) -> GraphedStep:
    """Capture ``step_body`` (forward + loss + backward + optimiser step, returning the loss).

    The caller has already run the warm-up steps. Raises on any failure (the caller falls back).
    """
    graph = torch.cuda.CUDAGraph()
    for gen in generators:
        graph.register_generator_state(gen)  # AttributeError on PyTorch without custom-generator support
    ring = torch.zeros(max(1, int(ring_size)), dtype=torch.float32, device=device)
    pos = torch.zeros(1, dtype=torch.long, device=device)
    optimizer.zero_grad(set_to_none=True)  # grads are then allocated by the captured backward
    torch.cuda.synchronize(device)
    with CAPTURE_LOCK, tf32(allow_tf32), torch.cuda.graph(graph, capture_error_mode="thread_local"):
        loss = step_body()
        ring.index_copy_(0, pos, loss.detach().reshape(1).to(torch.float32))
        pos.add_(1).remainder_(ring.numel())
    return GraphedStep(graph, loss, ring, pos)

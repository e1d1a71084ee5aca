"""``LayoutWorker``: the GPU's UMAP layouts (TorchDR) in a process of their own.

A layout is ~150-300 small PyTorch operations driven from Python, and so is a training run's loop and
every rerun of a Streamlit page: in one process they take turns at the interpreter lock. On the H200
a cold Cora frame that takes 0.3-0.5 s alone took 1.8-3 s in the studio's server beside a run and its
page, and the run's first loss row came 0.4 s late behind it. In a process of its own the layout has
its own interpreter (and its own CUDA context, ~0.5 GB), and ``import torchdr`` (4-6 s on a fresh
machine: it imports ``torch._dynamo`` and scikit-learn) no longer holds the server's lock while the
server starts.

The process is started once (``start()``, by the studio's UMAP warm-up), warms TorchDR up on a
Cora-sized input and says it is ready; ``layout(x, **kw)`` sends the rows and the parameters of
``projection_gpu.torchdr_umap`` and waits (without the lock) for the coordinates. If the process
cannot start, dies, or answers with an error, ``layout`` raises ``WorkerUnavailable`` and the caller
lays the frame out in-process as before.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import threading

import numpy as np

log = logging.getLogger(__name__)

READY_TIMEOUT_S = 120.0  # importing torch and TorchDR and warming up on a cold disk


class WorkerUnavailable(RuntimeError):
    """The layout process is not there (not started, failed to start, or gone)."""


class LayoutWorker:
    def __init__(self, device: str = "cuda"):
        ctx = mp.get_context("spawn")  # a fresh interpreter: no copy of the server's threads or CUDA state
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=serve, args=(child, device), name="graphcl-layouts", daemon=True)
        self._proc.start()
        child.close()
        self._lock = threading.Lock()
        self.ready = threading.Event()
        self.failure: str | None = None
        threading.Thread(target=self._await_ready, name="graphcl-layouts-ready", daemon=True).start()

    def _await_ready(self) -> None:
        try:
            if self._conn.poll(READY_TIMEOUT_S):
                kind, detail = self._conn.recv()
                if kind != "ready":
                    self.failure = str(detail)
            else:
                self.failure = f"the layout process was not ready after {READY_TIMEOUT_S:.0f} s"
        except (EOFError, OSError) as e:
            self.failure = f"the layout process ended ({type(e).__name__})"
        if self.failure:
            log.warning("GPU layouts stay in the server process: %s", self.failure)
        self.ready.set()

    @property
    def alive(self) -> bool:
        return self.ready.is_set() and self.failure is None and self._proc.is_alive()

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Wait for the warm-up; True when the process is ready to lay out."""
        self.ready.wait(timeout)
        return self.alive

    def layout(self, x: np.ndarray, **kw) -> np.ndarray:
        """``projection_gpu.torchdr_umap(x, **kw)`` in the worker: float32 N×dim coordinates."""
        if not self.alive:
            raise WorkerUnavailable(self.failure or "the layout process is not ready")
        with self._lock:
            try:
                self._conn.send(("layout", np.ascontiguousarray(x, dtype=np.float32), kw))
                ok, payload = self._conn.recv()
            except (EOFError, OSError, BrokenPipeError) as e:
                self.failure = f"the layout process ended ({type(e).__name__})"
                raise WorkerUnavailable(self.failure) from e
        if not ok:
            raise RuntimeError(payload)
        return payload

    def stop(self) -> None:
        with self._lock:
            try:
                self._conn.send(("stop", None, None))
            except (OSError, BrokenPipeError):
                pass
        self._proc.join(5)
        if self._proc.is_alive():
            self._proc.terminate()


def serve(conn, device: str) -> None:
    """The worker's loop: warm up, say ready, then lay out what comes until told to stop."""
    try:
        from . import projection_gpu

        rng = np.random.default_rng(0)
        centres = rng.standard_normal((7, 128)) * 3
        x = (centres[rng.integers(0, 7, 2000)] + rng.standard_normal((2000, 128))).astype(np.float32)
        start = rng.standard_normal((2000, 2)).astype(np.float32)
        first = projection_gpu.layout_here(x, 2, n_neighbors=15, min_dist=0.1, metric="cosine", init=start,
                                           iterations=40, learning_rate=1.0, warm=False, device=device)
        projection_gpu.layout_here(x, 2, n_neighbors=15, min_dist=0.1, metric="cosine", init=first,
                                   iterations=20, learning_rate=0.1, warm=True, device=device)
    except Exception as e:  # noqa: BLE001 - reported to the server, which then lays out in-process
        conn.send(("failed", f"{type(e).__name__}: {e}"))
        return
    conn.send(("ready", None))
    while True:
        try:
            kind, x, kw = conn.recv()
        except (EOFError, OSError):
            return
        if kind == "stop":
            return
        try:
            conn.send((True, projection_gpu.layout_here(x, **kw)))
        except Exception as e:  # noqa: BLE001 - one bad frame: the caller falls back for it
            conn.send((False, f"{type(e).__name__}: {e}"))

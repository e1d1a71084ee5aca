"""The next run's first frame, laid out before Start (on a GPU, while the Train page waits for the click).

A run's first frame is the UMAP of its epoch-0 embeddings: the encoder's output at its initial weights,
which the seed fixes. Laid out after Start, that cold layout shares the GPU and the interpreter with the
starting run and the page's redraws: 1.1-1.2 s on an H200 against 0.3 s alone. So while no run is active,
the page asks for the settings on screen (``prepare``): a thread builds the run's trainer exactly as Start
would (same graph, settings and seed, no training), takes its epoch-0 snapshot and lays it out. When the
run's own epoch-0 snapshot turns out to be that one (``take``: the same embeddings, compared value by
value), its first frame is that layout, and the run's warm-started chain continues from it.

Only where UMAP runs on the GPU (the layout waits for its warm-up), and for graphs of at most ``MAX_NODES``
nodes (the trainer holds GPU memory outside the admission queue for a moment).
"""

from __future__ import annotations

import logging
import threading
import time

import numpy as np

from graphcl_core import options as runtime_options
from graphcl_core import projection, projection_gpu
from graphcl_core.config import TrainConfig
from graphcl_core.device import resolve_device
from graphcl_core.graph import GraphBundle
from graphcl_core.trainer import Trainer

from .registry import Slot
from .training import LIVE_MAX_POINTS

log = logging.getLogger(__name__)

CACHE_KEY = "first-frame-ahead"
MAX_NODES = 50_000
SAME_EMBEDDINGS_ATOL = 1e-2  # float16 snapshots; another seed or setting differs by far more
WARM_WAIT_S = 300.0  # a page opened while UMAP warms up: its frame is laid out once UMAP is warm
TAKE_WAIT_S = 3.0  # longest wait for a layout ahead under way (alone it takes 0.2-0.4 s for Cora on an H200)


class FirstFrameAhead:
    """One tab's laid-out first frame for the settings last asked for; ``take`` hands it over once."""

    def __init__(self, max_points: int = LIVE_MAX_POINTS, idle=lambda: True):
        """``idle()``: no run of this tab is going (a run that started lays out its own first frame, and a
        layout ahead beside it would only slow that one down)."""
        self.max_points, self.idle = max_points, idle
        self._cond = threading.Condition()
        self._want: tuple[GraphBundle, TrainConfig] | None = None
        self._ready: dict | None = None  # {"key", "embeddings", "projector", "frame"}
        self._laying: np.ndarray | None = None  # the embeddings being laid out now
        self._busy_key: tuple | None = None  # the settings the thread is working on now
        self._thread: threading.Thread | None = None

    def want(self, bundle: GraphBundle, cfg: TrainConfig) -> None:
        key = (id(bundle), cfg)
        with self._cond:
            asked = (id(self._want[0]), self._want[1]) if self._want else None
            if (self._ready and self._ready["key"] == key) or key in (asked, self._busy_key):
                return  # (already laid out, queued, or being laid out: a page rerun asks again and again)
            self._want = (bundle, cfg)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="graphcl-first-frame-ahead", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def take(self, embeddings: np.ndarray, method: str, wait: float = TAKE_WAIT_S):
        """``(projector, frame)`` when ``embeddings`` are the ones laid out ahead (then forgotten), else None.

        A layout of these very embeddings still under way is waited for (up to ``wait`` seconds): a Start
        clicked while it runs would otherwise lay the same frame out a second time beside it, and both
        would share the GPU (a fresh H200: 0.62 s for the run's own frame, where the one ahead was done
        0.2 s after the click)."""
        if method != "umap":
            return None
        deadline = time.monotonic() + wait
        with self._cond:
            # (an older frame for other settings may still be ready: it does not end the wait)
            while (_same(self._laying, embeddings)
                   and not (self._ready is not None and _same(self._ready["embeddings"], embeddings))):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            r = self._ready
            if r is None or not _same(r["embeddings"], embeddings):
                return None
            self._ready = None
            return r["projector"], r["frame"]

    def ready_for(self, bundle: GraphBundle, cfg: TrainConfig) -> bool:
        with self._cond:
            return bool(self._ready and self._ready["key"] == (id(bundle), cfg))

    def _loop(self) -> None:
        while True:
            with self._cond:
                if self._want is None:
                    self._thread = None
                    return
                (bundle, cfg), self._want = self._want, None
                self._busy_key = (id(bundle), cfg)
            try:
                ready = self._lay_out(bundle, cfg)
            except Exception as e:  # noqa: BLE001 - only a head start: the run lays its first frame out itself
                log.info("first frame ahead of Start not laid out: %s: %s", type(e).__name__, e)
                ready = None
            with self._cond:  # (the frame and the end of its layout seen at once by a waiting take)
                self._ready, self._laying, self._busy_key = ready, None, None
                self._cond.notify_all()

    def _lay_out(self, bundle: GraphBundle, cfg: TrainConfig) -> dict | None:
        if not projection.wait_until_warm(WARM_WAIT_S) or not self.idle():  # the page may open before UMAP is warm
            return None
        # no CUDA graph: this trainer never trains, and a capture it announced would hold layouts back
        trainer = Trainer(bundle, cfg, options=runtime_options.current().with_(cuda_graph=False))
        emb = trainer.take_snapshot().embeddings
        del trainer
        projector = projection.Projector("umap", 2, max_points=self.max_points, seed=cfg.seed)
        with self._cond:
            self._laying = emb  # (cleared by _loop together with the result)
        frame = projector.project(emb.astype(np.float32))
        return {"key": (id(bundle), cfg), "embeddings": emb, "projector": projector, "frame": frame}


def wanted(bundle: GraphBundle | None, cfg: TrainConfig) -> bool:
    """Worth laying out ahead: UMAP on the GPU, a GPU run, a graph of at most ``MAX_NODES`` nodes."""
    if bundle is None or bundle.num_nodes > MAX_NODES:
        return False
    if not projection_gpu.gpu_available():
        return False
    try:
        return resolve_device(cfg.device).type == "cuda"
    except Exception:  # noqa: BLE001 - settings the page is about to reject
        return False


def prepare(slot: Slot, bundle: GraphBundle | None, cfg: TrainConfig) -> None:
    """Lay out (in the background) the first frame of a run of ``cfg`` on ``bundle``, if ``wanted``."""
    if not wanted(bundle, cfg):
        return
    ahead = slot.cache.get(CACHE_KEY)
    if not isinstance(ahead, FirstFrameAhead):
        ahead = slot.cache[CACHE_KEY] = FirstFrameAhead(idle=lambda: slot.job is None or slot.job.done)
    ahead.want(bundle, cfg)


def of(slot: Slot) -> FirstFrameAhead | None:
    ahead = slot.cache.get(CACHE_KEY)
    return ahead if isinstance(ahead, FirstFrameAhead) else None


def _same(a: np.ndarray | None, b: np.ndarray) -> bool:
    """The same snapshot (float16 rounding aside): another seed or setting differs by far more."""
    return (a is not None and a.shape == b.shape
            and bool(np.allclose(a, b, atol=SAME_EMBEDDINGS_ATOL, rtol=0)))

"""2-D/3-D projections of node embeddings for the live view (UMAP or PCA).

The live view redraws the embedding every few epochs, so a projection must be fast and frames must
be comparable: ``Projector`` remembers the previous frame, warm-starts UMAP from it, and rotates/
reflects each new frame onto the previous one (orthogonal Procrustes) so the picture does not spin
or flip between frames. UMAP's kNN graph is computed with our exact torch kNN (GPU when the
embeddings are there) instead of pynndescent, which is both faster for our sizes and deterministic.
Where CUDA and TorchDR are present (``projection_gpu.py``) UMAP runs on the GPU instead, with the
same start, alignment and scaling; umap-learn stays the CPU's backend.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import torch

from . import projection_gpu
from .errors import ConfigError, GraphCLError
from .knn import as_float_tensor, knn

log = logging.getLogger(__name__)

# Numba (used by UMAP/pynndescent) caches compiled functions on disk only where it may write; point it
# at a per-user folder before numba is first imported so the cache also works for read-only installs.
if "NUMBA_CACHE_DIR" not in os.environ:
    _cache = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
                          "graphcl_studio", "numba")
    try:
        os.makedirs(_cache, exist_ok=True)
        os.environ["NUMBA_CACHE_DIR"] = _cache
    except OSError:  # no writable home: numba falls back to its defaults
        pass

_UMAP_IMPORT_LOCK = threading.Lock()


def _import_umap():
    """Import umap-learn with numba's on-disk cache switched on for all of its kernels.

    Most of umap-learn's ``numba.njit`` kernels are declared without ``cache=True``, so every new
    process compiled them again (~20 s before the first UMAP frame). Its decorators run at import
    time, so defaulting ``cache=True`` while the module imports makes the second and later starts
    load them from the cache instead. ``GRAPHCL_NUMBA_CACHE=0`` (or any failure) imports it as is.
    """
    with _UMAP_IMPORT_LOCK:
        if "umap" in sys.modules:
            return sys.modules["umap"]
        from .options import current

        if current().numba_cache:
            import numba

            njit, jit = numba.njit, numba.jit

            def cached(deco):
                def wrapper(*args, **kwargs):
                    kwargs.setdefault("cache", True)
                    return deco(*args, **kwargs)
                return wrapper

            numba.njit, numba.jit = cached(njit), cached(jit)
            try:
                import umap

                return umap
            except Exception as e:  # noqa: BLE001 - e.g. no writable cache folder: import uncached
                log.warning("numba cache for UMAP unavailable (%s); compiling each start", e)
                for name in [m for m in sys.modules if m.split(".")[0] in ("umap", "pynndescent")]:
                    del sys.modules[name]
            finally:
                numba.njit, numba.jit = njit, jit
        import umap

        return umap


_METHODS = ("umap", "pca")
# "auto": TorchDR on the GPU where CUDA and TorchDR are present, else umap-learn on the CPU.
BACKENDS = ("auto", "umap-learn", "torchdr")
# TorchDR iterations per frame: a cold frame, then warm-started ones (its vectorised SGD needs more
# iterations than umap-learn's per-edge epochs; ~1.5 ms each on Cora on an H200).
# 60 for a cold frame (was 300, then 150): the fewest of 40/60/80 that meets the criterion below
# (bench/latency_cold_iterations.py, CPU TorchDR, a default Cora run's 20 live frames, 2 repeats each): the
# first frame's trustworthiness 0.9092-0.9107 against 0.9184-0.9187 with 300 (40: 0.9028-0.9065, more than
# 0.01 below; 80: 0.9128-0.9129), the chain's mean 0.9478-0.9486 against 0.9482-0.9489. On a fresh H200
# server the first frame beside the starting run then took 0.27-0.56 s of TorchDR instead of 0.68-0.74 s.
GPU_FIRST_ITERATIONS = 60
# 80 for a warm frame: the fewest of 40/60/80/100 within tolerance of 100 on a trained Cora run's 20
# live frames (bench/latency_iterations.py, docs/latency.md): trustworthiness of the chain of frames
# 0.948 (100: 0.950, 60: 0.946; tolerance 0.005, and 0.01 per frame, which 60 missed by 0.003), one
# step's displacement from a 300-iteration fit 14.3 % of the layout's radius (100: 14.0 %, 40:
# 16.8 %, tolerance +2 %; two 300-iteration fits differ by 10.2 %). On CiteSeer 80 passes the first
# and misses the second by 0.05 % of the radius (within its noise). umap-learn (CPU) is unchanged.
GPU_UPDATE_ITERATIONS = 80
# The warm-up's layout: its kernels are loaded at the first iteration, so a few iterations do (150 took
# 1.0-1.3 s more of a fresh H200 server's warm-up, which ended 1.2 s after its page was ready).
WARM_UP_GPU_ITERATIONS = 5
# Above this many shown points the first (cold) UMAP frame runs proportionally fewer epochs.
FIRST_FRAME_FULL_POINTS = 8_000
_WARM = threading.Event()
_WARM_LOCK = threading.Lock()
_WARM_THREAD: threading.Thread | None = None
# UMAP's numba kernels keep global state (thread count); one fit at a time keeps them well-behaved.
_UMAP_LOCK = threading.Lock()


@dataclass
class Projection:
    """One frame: ``coords[i]`` is the position of node ``index[i]``."""

    coords: np.ndarray  # (n_shown, dim) float32, centred, ~[-1, 1]
    index: np.ndarray  # (n_shown,) int64
    method: str
    dim: int
    subsampled: bool
    seconds: float
    note: str = ""
    # The same frame centred but unscaled, in the layout's own units: where a warm start continues from.
    raw: np.ndarray | None = field(default=None, repr=False)


def _pca(x: torch.Tensor, dim: int) -> np.ndarray:
    """Top-``dim`` principal components (exact, float64 for stability); missing ranks are zero-padded.

    The sign of each axis is fixed (largest loading positive) so the first frame is deterministic.
    """
    n, f = x.shape
    xc = x.double() - x.double().mean(0, keepdim=True)
    if f <= n:
        evals, evecs = torch.linalg.eigh(xc.T @ xc)  # ascending
        comps = evecs[:, torch.arange(f - 1, max(f - 1 - dim, -1), -1, device=x.device)]
        signs = torch.sign(comps.gather(0, comps.abs().argmax(0, keepdim=True)))
        signs[signs == 0] = 1
        coords = xc @ (comps * signs)
    else:  # more features than points: work with the N×N Gram matrix instead
        evals, evecs = torch.linalg.eigh(xc @ xc.T)
        order = torch.arange(n - 1, max(n - 1 - dim, -1), -1, device=x.device)
        u = evecs[:, order]
        s = evals[order].clamp_min(0).sqrt()
        signs = torch.sign(u.gather(0, u.abs().argmax(0, keepdim=True)))
        signs[signs == 0] = 1
        coords = u * s * signs
    coords = coords.cpu().numpy()
    if coords.shape[1] < dim:
        coords = np.concatenate([coords, np.zeros((n, dim - coords.shape[1]))], axis=1)
    return coords.astype(np.float32)


def _procrustes(new: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Rotate/reflect centred ``new`` to best match centred ``ref`` (no scaling): stops flips between frames."""
    from scipy.linalg import orthogonal_procrustes

    if not np.isfinite(new).all() or float(np.abs(new).sum()) == 0.0 or float(np.abs(ref).sum()) == 0.0:
        return new
    r, _ = orthogonal_procrustes(new.astype(np.float64), ref.astype(np.float64))
    return (new @ r).astype(np.float32)


def _scale(coords: np.ndarray) -> np.ndarray:
    """Centre and scale so ~99% of points fall in [-1, 1]: frames stay comparable, one outlier can't squash the rest."""
    c = coords - coords.mean(0, keepdims=True)
    s = float(np.quantile(np.abs(c), 0.99)) if c.size else 0.0
    if not np.isfinite(s) or s <= 1e-12:
        s = float(np.abs(c).max()) if c.size else 0.0
    if s <= 1e-12:
        return c.astype(np.float32)
    return (c / s).astype(np.float32)


_WARM_UMAP_CLASS = None


def _warm_umap_class():
    """A ``umap.UMAP`` whose layout step starts from ``init`` *as given*.

    Stock UMAP min-max rescales any init array to [0, 10] per axis before optimising, while a
    converged layout spans ~20+ units; a warm start therefore began shrunken (and squashed per
    axis) and the few update epochs spent re-expanding it, which made points jump between frames
    even when the embeddings barely changed. This subclass runs the same SGD (same graph pruning,
    same epochs-per-sample, same optimiser) on the unscaled previous frame. Any API mismatch with
    another umap-learn version falls back to the stock path (slightly jumpier, still correct).
    """
    global _WARM_UMAP_CLASS
    if _WARM_UMAP_CLASS is not None:
        return _WARM_UMAP_CLASS
    umap = _import_umap()
    from umap.layouts import optimize_layout_euclidean
    from umap.umap_ import make_epochs_per_sample

    class _WarmUMAP(umap.UMAP):
        def _fit_embed_data(self, X, n_epochs, init, random_state, **kwargs):
            try:
                if isinstance(n_epochs, list) or self.densmap or self.output_dens or not isinstance(init, np.ndarray):
                    raise TypeError("unsupported options for the warm path")
                graph = self.graph_.tocoo()
                graph.sum_duplicates()
                n_epochs = int(n_epochs)
                prune = n_epochs if n_epochs > 10 else (500 if graph.shape[0] <= 10000 else 200)  # as stock UMAP
                graph.data[graph.data < (graph.data.max() / float(prune))] = 0.0
                graph.eliminate_zeros()
                emb = np.ascontiguousarray(init, dtype=np.float32).copy()
                if np.unique(emb, axis=0).shape[0] < emb.shape[0]:  # coincident points never separate
                    emb += random_state.normal(scale=1e-3, size=emb.shape).astype(np.float32)
                eps = make_epochs_per_sample(graph.data, n_epochs)
                rng_state = random_state.randint(np.iinfo(np.int32).min + 1, np.iinfo(np.int32).max, 3
                                                 ).astype(np.int64)
                emb = optimize_layout_euclidean(
                    emb, emb, graph.row, graph.col, n_epochs, graph.shape[1], eps, self._a, self._b,
                    rng_state, self.repulsion_strength, self._initial_alpha, self.negative_sample_rate,
                    parallel=False, verbose=False, densmap=False, densmap_kwds={}, tqdm_kwds={"disable": True},
                    move_other=True)
                if isinstance(emb, list):
                    emb = emb[-1]
                return np.asarray(emb, dtype=np.float32), {}
            except (TypeError, AttributeError, ValueError) as e:
                log.debug("warm UMAP path unavailable (%s); using stock UMAP", e)
                return super()._fit_embed_data(X, n_epochs, init, random_state, **kwargs)

    _WARM_UMAP_CLASS = _WarmUMAP
    return _WarmUMAP


class Projector:
    """Stateful: remembers the previous frame so UMAP warm-starts from it and points move smoothly."""

    def __init__(self, method: str = "umap", dim: int = 2, *, max_points: int = 20_000, n_neighbors: int = 15,
                 min_dist: float = 0.1, seed: int = 0, first_epochs: int = 200, update_epochs: int = 50,
                 metric: str = "cosine", update_learning_rate: float = 0.5, backend: str = "auto"):
        method = str(method).lower()
        if backend not in BACKENDS:
            raise ConfigError(f"Unknown UMAP backend '{backend}'. Choose one of: {', '.join(BACKENDS)}.")
        if method not in _METHODS:
            raise ConfigError(f"Unknown projection '{method}'. Choose 'umap' or 'pca'.")
        if dim not in (2, 3):
            raise ConfigError(f"The projection can be 2-D or 3-D, not {dim}-D.")
        if max_points < 10:
            raise ConfigError(f"Show at least 10 points (max_points={max_points}).")
        if n_neighbors < 2:
            raise ConfigError(f"UMAP needs at least 2 neighbours (n_neighbors={n_neighbors}).")
        if not 0.0 <= min_dist <= 1.0:
            raise ConfigError(f"UMAP's min_dist must be between 0 and 1 (got {min_dist}).")
        if first_epochs < 1 or update_epochs < 1:
            raise ConfigError("UMAP needs at least 1 epoch per frame.")
        if metric not in ("cosine", "euclidean"):
            raise ConfigError(f"Unknown distance '{metric}'. Choose 'euclidean' or 'cosine'.")
        self.method, self.dim = method, int(dim)
        self.max_points, self.n_neighbors, self.min_dist = int(max_points), int(n_neighbors), float(min_dist)
        self.seed, self.first_epochs, self.update_epochs = int(seed), int(first_epochs), int(update_epochs)
        self.metric, self.update_learning_rate = metric, float(update_learning_rate)
        self.backend = backend
        self.gpu_first_iterations: int | None = None  # TorchDR's cold frame: GPU_FIRST_ITERATIONS unless set
        self.reset()

    @property
    def on_gpu(self) -> bool:
        """UMAP frames come from TorchDR (on CUDA when present) rather than umap-learn."""
        if self.backend == "torchdr":
            return True
        return self.backend == "auto" and projection_gpu.gpu_available()

    def reset(self) -> None:
        """Forget the previous frame (next frame is a cold start). Call when the graph changes."""
        self._n_total: int | None = None
        self._index: np.ndarray | None = None
        self._prev: np.ndarray | None = None  # previous frame, centred, in the method's own units

    def continue_from(self, frame: Projection, n_total: int, *, warm: bool = True) -> None:
        """Make ``frame`` (of an ``n_total``-node graph, e.g. one saved during training) the previous frame:
        the next one shows the same nodes and (``warm``) warm-starts from it and is aligned onto it."""
        if frame.dim != self.dim:
            raise ConfigError(f"A {frame.dim}-D frame cannot continue a {self.dim}-D projection.")
        self._n_total, self._index = int(n_total), np.asarray(frame.index, dtype=np.int64).copy()
        prev = frame.raw if frame.raw is not None else frame.coords
        self._prev = np.asarray(prev, dtype=np.float32) if warm and frame.method == self.method else None

    def _choose_index(self, n: int) -> np.ndarray:
        """All nodes, or one fixed random subset per graph size, so successive frames show the same nodes."""
        if self._n_total != n or self._index is None:
            self.reset()
            self._n_total = n
            if n > self.max_points:
                rng = np.random.default_rng(self.seed)
                self._index = np.sort(rng.choice(n, self.max_points, replace=False)).astype(np.int64)
            else:
                self._index = np.arange(n, dtype=np.int64)
        return self._index

    def _first_epochs(self, n: int) -> int:
        """Cold-start epochs: ``first_epochs`` up to 8,000 points, then fewer (never below ``update_epochs``),
        so a 20,000-point first frame costs about what an 8,000-point one does (from a PCA start)."""
        if n <= FIRST_FRAME_FULL_POINTS:
            return self.first_epochs
        return max(min(self.update_epochs, self.first_epochs), int(self.first_epochs * FIRST_FRAME_FULL_POINTS / n))

    def _cold_init(self, x: torch.Tensor) -> np.ndarray:
        """PCA start scaled to ~[-10, 10] (like UMAP's "pca" init), with a tiny jitter to split ties."""
        init = _pca(x, self.dim).astype(np.float64)
        m = np.abs(init).max()
        init = (init * (10.0 / m) if m > 0 else init)
        init = init + np.random.default_rng(self.seed).normal(0, 1e-4, init.shape)
        return init.astype(np.float32)

    def _umap_gpu(self, x: torch.Tensor, warm: bool) -> np.ndarray:
        n = x.size(0)
        device = "cuda" if torch.cuda.is_available() else "cpu"
        if warm:
            init, its, lr = self._prev, GPU_UPDATE_ITERATIONS, self.update_learning_rate
        else:
            init, its, lr = self._cold_init(x), self.gpu_first_iterations or GPU_FIRST_ITERATIONS, 1.0
        return projection_gpu.torchdr_umap(x, self.dim, n_neighbors=max(2, min(self.n_neighbors, n - 1)),
                                           min_dist=self.min_dist, metric=self.metric, init=init, iterations=its,
                                           learning_rate=lr, warm=warm, device=device)

    def _umap(self, x: torch.Tensor, warm: bool) -> np.ndarray:
        if self.on_gpu:
            return self._umap_gpu(x, warm)
        umap = _import_umap()  # heavy import (numba); only when UMAP is actually used

        n = x.size(0)
        nn = max(2, min(self.n_neighbors, n - 1))
        idx, dist = knn(x, nn - 1, metric=self.metric, exclude_self=True)
        # umap-learn expects each point to be its own first neighbour (distance 0) in precomputed_knn.
        idx = np.concatenate([np.arange(n, dtype=np.int64)[:, None], idx], axis=1)
        dist = np.concatenate([np.zeros((n, 1), np.float32), dist], axis=1)
        if warm:
            init, epochs, lr = self._prev.astype(np.float32), self.update_epochs, self.update_learning_rate
        else:
            init, epochs, lr = self._cold_init(x), self._first_epochs(n), 1.0
        cls = _warm_umap_class() if warm else umap.UMAP
        reducer = cls(n_neighbors=nn, n_components=self.dim, min_dist=self.min_dist, metric=self.metric,
                      precomputed_knn=(idx, dist), init=init, n_epochs=epochs, learning_rate=lr,
                      random_state=self.seed, n_jobs=1, verbose=False)
        with warnings.catch_warnings(), _UMAP_LOCK:
            warnings.simplefilter("ignore")  # "no search index" / "n_jobs overridden": expected here
            out = reducer.fit_transform(x.cpu().numpy())
        return np.asarray(out, dtype=np.float32)

    def project(self, emb) -> Projection:
        """Project ``emb`` (N×D tensor on any device, or array). Raises GraphCLError for NaN/inf or bad shapes."""
        t0 = time.perf_counter()
        try:
            x = as_float_tensor(emb)
        except GraphCLError as e:
            if "NaN" in str(e) or "infinite" in str(e):
                raise GraphCLError(
                    "The embeddings contain NaN or infinite values, so they cannot be projected. Training "
                    "probably diverged: lower the learning rate or raise the temperature and train again.") from e
            raise
        n = x.size(0)
        index = self._choose_index(n)
        subsampled = len(index) < n
        xs = x[torch.as_tensor(index, device=x.device)] if subsampled else x
        m = xs.size(0)
        method, notes = self.method, []
        if method == "umap" and m < 5:
            method = "pca"
            notes.append(f"PCA instead of UMAP: {m} nodes are too few for UMAP")
        warm = self._prev is not None and self._prev.shape == (m, self.dim)
        raw = None
        if method == "umap":
            try:
                raw = self._umap(xs, warm)
            except Exception as e:  # numerical trouble inside UMAP should not kill the live view
                log.warning("UMAP failed, falling back to PCA: %s", e)
                raw = None
            if raw is None or not np.isfinite(raw).all():
                method = "pca"
                notes.append("PCA instead of UMAP: UMAP could not lay out these embeddings")
                warm = False
                self._prev = None
        if raw is None or method == "pca":
            raw = _pca(xs, self.dim)
        raw = raw - raw.mean(0, keepdims=True)
        if warm and self._prev is not None and self._prev.shape == raw.shape:
            raw = _procrustes(raw, self._prev)
        self._prev = raw
        name = "UMAP" if method == "umap" else "PCA"
        if subsampled:
            notes.insert(0, f"{name} of a random {m:,}-node subsample of {n:,} nodes")
        return Projection(coords=_scale(raw), index=index.copy(), method=method, dim=self.dim,
                          subsampled=subsampled, seconds=time.perf_counter() - t0, note="; ".join(notes), raw=raw)


def project_once(emb, method: str = "umap", dim: int = 2, **kw) -> Projection:
    """One-off projection without remembered state (e.g. a saved run's final embeddings)."""
    return Projector(method, dim, **kw).project(emb)


def layout_in_progress() -> bool:
    """Whether a UMAP layout (CPU or GPU) is running now. A training run's live evaluations do not start
    meanwhile: on the H200 a scikit-learn evaluation thread beside the run made a run's first Cora frame
    take 3.5 s instead of 1.5 s (the threads share the interpreter lock)."""
    return _UMAP_LOCK.locked() or projection_gpu.layout_in_progress()


_waited_for = 0  # layouts a person is waiting for now (``first_frame``)
_waited_lock = threading.Lock()


@contextlib.contextmanager
def first_frame():
    """Mark a layout that a person is waiting for (a run's first frame, laid out cold). Runs on the GPU yield
    the interpreter lock meanwhile (``Trainer.run``): on the H200 a cold Cora frame took 1.1 s beside a
    starting run and the page's redraws, against 0.33 s alone, while the run (800 epochs in ~1 s)
    only needs the lock to launch its epochs."""
    global _waited_for
    with _waited_lock:
        _waited_for += 1
    try:
        yield
    finally:
        with _waited_lock:
            _waited_for -= 1


def first_frame_in_progress() -> bool:
    return _waited_for > 0


def warm_here() -> None:
    """Run UMAP's cold and warm-start paths once on a small input, so their kernels are compiled (or,
    with numba's cache, loaded) and TorchDR's CUDA work is set up. Raises on failure."""
    p = Projector("umap", 2, first_epochs=20, update_epochs=11)
    rng = np.random.default_rng(0)
    if p.on_gpu:  # a Cora-sized input: TorchDR's first layout of that size cost 3.2 s after a 60-row warm-up
        p.gpu_first_iterations = WARM_UP_GPU_ITERATIONS
        centres = rng.standard_normal((7, 128)) * 3
        x = (centres[rng.integers(0, 7, 2000)] + rng.standard_normal((2000, 128))).astype(np.float32)
    else:  # numba compiles per type, not per size
        x = rng.standard_normal((60, 16)).astype(np.float32)
    p.project(x)
    if not p.on_gpu:  # numba compiles the warm-start path apart (init array, fewer epochs); TorchDR's is the
        p.project(x + 0.01)  # same torch code as the cold one (on a fresh H200 the second layout cost 0.64 s)


def _warmup() -> None:
    """On a GPU with TorchDR: one small layout. Otherwise the numba compile in a low-priority child process
    (``umap_warmup``), then the cached kernels loaded here once no run trains on the CPU (or after 20 s);
    when an earlier start filled the cache, only the load (after at most 5 s of a CPU run)."""
    from . import umap_warmup
    from .options import current

    try:
        if not Projector("umap", 2).on_gpu:
            if current().numba_cache and umap_warmup.cache_is_warm():
                umap_warmup.wait_while_cpu_trains(umap_warmup.WARM_LOAD_WAIT_S)  # only a load left to do
            else:
                if current().numba_cache:
                    umap_warmup.compile_in_child()
                umap_warmup.wait_while_cpu_trains()
        warm_here()
    except Exception as e:  # warm-up is an optimisation only
        log.warning("UMAP warm-up failed: %s", e)
    finally:
        _WARM.set()


def _import_cyclic_packages() -> None:
    """Import here, before the warm-up thread starts, the packages whose modules import each other:
    ``narwhals.stable`` imports its ``v1`` and ``v2``, which import it back, so two threads importing them at
    once deadlock. The warm-up imports them through TorchDR → scikit-learn (``v2``) while the server's main
    thread imports them through Streamlit → plotly (``v1``): on the H200 a fresh server failed to start with
    ``_DeadlockError: deadlock detected by _ModuleLock('narwhals.stable.v2')``."""
    try:
        import narwhals.stable.v1  # noqa: F401 - plotly's (and its package, v2 included)
        import narwhals.stable.v2  # noqa: F401 - scikit-learn's
    except ImportError:  # an older plotly or scikit-learn without narwhals: nothing to race on
        pass


def warmup_in_background() -> threading.Thread:
    """Get UMAP ready in a daemon thread so the user's first frame doesn't pay for it (``_warmup``).

    Idempotent: later calls return the same thread.
    """
    global _WARM_THREAD
    with _WARM_LOCK:
        if _WARM_THREAD is None:
            _import_cyclic_packages()
            _WARM_THREAD = threading.Thread(target=_warmup, name="graphcl-umap-warmup", daemon=True)
            _WARM_THREAD.start()
        return _WARM_THREAD


def wait_until_warm(timeout: float) -> bool:
    """Start the warm-up if it has not started, wait for it at most ``timeout`` seconds; ``is_warm()``."""
    warmup_in_background()
    return _WARM.wait(timeout)


def is_warm() -> bool:
    """True once the background warm-up has finished (successfully or not)."""
    return _WARM.is_set()

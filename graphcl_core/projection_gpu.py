"""UMAP on the GPU with TorchDR: the live view's frames where CUDA is present.

umap-learn runs on the CPU and compiles its numba kernels once per machine (~20 s before the first
frame on a fresh one); TorchDR's UMAP (pure PyTorch, an optional extra: ``requirements-gpu.txt``)
needs no compile and lays out Cora in ~0.3 s on an H200. ``Projector`` (``projection.py``) calls
``torchdr_umap`` when ``gpu_available()``; everything else (subsampling, PCA start, Procrustes
alignment, scaling) stays the same for both backends, so frames look alike whichever made them.

Two things TorchDR does that a warm start must undo:
- an ``init`` array is rescaled to ``init_scaling * init / init[:, 0].std()`` (default 1e-4, a
  near-collapsed start); passing ``init_scaling = init[:, 0].std()`` starts from the previous frame
  exactly as it was;
- the array becomes the optimised parameter, so it must be a fresh leaf tensor (the previous frame
  handed back directly fails with "can't optimize a non-leaf Tensor").
``random_state`` is never passed: TorchDR would reseed the process-wide generators (and switch
cuDNN to benchmark mode) under a run that is training in another thread.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import threading

import numpy as np
import torch

from .fast.graphed_step import CAPTURE_LOCK, wait_for_pending_captures

# One GPU layout at a time: two tabs asking at once would only fight over the same device.
_GPU_LOCK = threading.Lock()
# How long a layout waits for runs about to capture their CUDA graph (3 eager epochs and a capture: ~0.1 s on
# an H200; a run that waits longer trains eagerly meanwhile, and the frame is that much later).
CAPTURE_WAIT_S = 0.3
_STREAMS: dict = {}  # device -> the CUDA stream layouts run on


def _layout_stream(device: torch.device):
    """A CUDA stream of the layouts' own (a no-op context elsewhere): on the default stream a layout's
    kernels queue behind a training run's, and TorchDR reads a value back every iteration, so each of
    its iterations would wait for the run's queued work."""
    if device.type != "cuda":
        return contextlib.nullcontext()
    if device not in _STREAMS:
        _STREAMS[device] = torch.cuda.Stream(device)
    return torch.cuda.stream(_STREAMS[device])


def layout_in_progress() -> bool:
    """Whether a GPU layout is running now (live evaluations wait for it: ``Trainer._evaluate_async``)."""
    return _GPU_LOCK.locked()


@functools.lru_cache(maxsize=1)
def torchdr_installed() -> bool:
    """TorchDR is importable (an optional extra; absent means umap-learn on the CPU)."""
    return importlib.util.find_spec("torchdr") is not None


def gpu_available() -> bool:
    """A CUDA device and TorchDR: the live view's UMAP then runs on the GPU."""
    return torch.cuda.is_available() and torchdr_installed()


def torchdr_umap(x: torch.Tensor, dim: int, *, n_neighbors: int, min_dist: float, metric: str,
                 init: np.ndarray, iterations: int, learning_rate: float, warm: bool,
                 device: str | torch.device = "cuda") -> np.ndarray:
    """UMAP layout of ``x`` (N×D) with TorchDR on ``device``, starting from ``init`` (N×dim).

    ``warm``: ``init`` is the previous frame and is kept at its own scale; otherwise it is a PCA start
    that TorchDR shrinks to its usual near-zero spread. ``metric='cosine'`` is UMAP on L2-normalised
    rows with squared Euclidean distance (the same neighbours: |a-b|² = 2 - 2 cos(a, b)).
    Returns float32 N×dim on the CPU.
    """
    import torchdr

    if metric not in ("cosine", "euclidean"):
        raise ValueError(f"unknown metric {metric!r}")
    device = torch.device(device)
    if device.type == "cuda" and device.index is None:
        device = torch.device("cuda", torch.cuda.current_device())
    wait_for_pending_captures(CAPTURE_WAIT_S)  # a run about to capture goes first (it trains eagerly until then)
    with _GPU_LOCK, CAPTURE_LOCK:  # TorchDR draws from the default CUDA generator: never during a capture
        if x.is_cuda:  # made on the caller's stream: a copy of our own, ready before the layout's stream uses it
            x = x.detach().clone()
            torch.cuda.current_stream(device).synchronize()
        with _layout_stream(device):
            return _layout(torchdr, x, dim, n_neighbors, min_dist, metric, init, iterations, learning_rate, warm,
                           device)


def _layout(torchdr, x, dim, n_neighbors, min_dist, metric, init, iterations, learning_rate, warm, device):
    x = x.to(device=device, dtype=torch.float32)
    if metric == "cosine":
        x = torch.nn.functional.normalize(x, dim=1)
    # TorchDR drops duplicate rows (a gradient of N-k rows for N points): lay out the distinct rows,
    # then give every duplicate the place of its twin (equal embeddings belong at the same spot).
    x, first, inverse = _distinct_rows(x)
    init = np.asarray(init, dtype=np.float32)[first.cpu().numpy()]
    start = torch.tensor(init, device=device)  # a fresh leaf tensor
    if warm:
        spread = float(start[:, 0].std())
        scaling = spread if spread > 1e-12 else 1.0
    else:
        scaling = 1e-4  # TorchDR's own default for its PCA start
    reducer = torchdr.UMAP(n_neighbors=int(n_neighbors), n_components=int(dim), min_dist=float(min_dist),
                           lr=float(learning_rate), init=start, init_scaling=scaling, max_iter=int(iterations),
                           device=str(device), backend=None, verbose=False, distributed=False)
    out = reducer.fit_transform(x)
    out = torch.as_tensor(out).detach().to("cpu", torch.float32)
    return out[inverse.cpu()].numpy()


def _distinct_rows(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``x``'s distinct rows (in order of first appearance), each one's first index, and the map back."""
    uniq, inverse = torch.unique(x, dim=0, return_inverse=True)
    if uniq.size(0) == x.size(0):
        idx = torch.arange(x.size(0), device=x.device)
        return x, idx, idx
    order = torch.arange(x.size(0), device=x.device)
    first = torch.full((uniq.size(0),), x.size(0), dtype=torch.long, device=x.device)
    first = first.scatter_reduce(0, inverse, order, reduce="amin")
    keep = torch.sort(first).values  # first appearances, in the original order
    rank = torch.empty_like(first)
    rank[torch.argsort(first)] = torch.arange(first.numel(), device=x.device)
    return x[keep], keep, rank[inverse]

"""The negatives' squared distances as three Triton kernels (CUDA only): no gathered block in memory.

``negative_distances`` in plain tensor operations writes and reads the gathered (R, k, G, D) block of
negatives (``table[idx]``, then its difference with the anchors) five times forward and backward:
9 Cora trials at embedding size 128 make it 62 MB, and the distances took ~270 µs of a 2.1 ms step
in each of a sweep's three batches (H200), whatever their hidden size. Here each kernel reads the rows
it needs once and writes only its result:

- ``_distances``: one program per (anchor, negative) pair: ``d[r, j, g] = Σ (a[r, g] - t[idx, g])²``.
- ``_anchor_grads``: one program per anchor: ``∂a[r, g] = Σ_j 2 g[r, j, g] (a[r, g] - t[idx_rj, g])``.
- ``_table_grads``: one program per table row ``m``, over the pairs that drew it (``idx`` sorted once
  per step; ``order``/``bounds`` as ``negative_distances._rows_of`` builds them):
  ``∂t[m, g] = Σ_i 2 g_i (t[m, g] - a[r(i), g])``. Every row is written (zero where none drew it), so
  nothing is filled first and nothing is added atomically.

Sums run in float32 over the embedding dimension in one tile, so the results agree with the tensor
version to rounding. ``available`` says whether these kernels can serve a tensor (CUDA, float32,
Triton importable, no earlier failure); the caller uses the tensor version otherwise (the CPU, CI),
and after ``disable`` when a kernel could not be built here (Triton compiles with the machine's C
compiler on first use, then caches).
"""

from __future__ import annotations

import functools
import logging
import os
import subprocess
import sys
from pathlib import Path

import torch

log = logging.getLogger(__name__)
_failed: list[str] = []  # why the kernels do not work in this process (set once, by ``disable``)

try:  # (PyTorch's CUDA builds bring Triton; its CPU builds do not)
    import triton
    import triton.language as tl
except ImportError:  # pragma: no cover - depends on the install
    triton = None


# Each kernel is compiled once per embedding width (``BD``, a power of two) and cached on disk by Triton:
# the group count, the width and k are plain arguments (not specialised on), and the trials are walked
# ``BG`` at a time, so the app's warm-up (``build_in_child``, the default recipe's width) builds what a sweep
# of any size uses at that width; a sweep over other widths compiles theirs in its first eager step.
BG = 8
_PLAIN = ["G", "D", "k"]


@functools.lru_cache(maxsize=None)
def _kernels():
    @triton.jit(do_not_specialize=_PLAIN)
    def _distances(a, t, idx, out, G, D, k, BG: tl.constexpr, BD: tl.constexpr):
        i = tl.program_id(0).to(tl.int64)  # pair i = r·k + j
        r = i // k
        m = tl.load(idx + i).to(tl.int64)
        d = tl.arange(0, BD)[None, :]
        for g0 in range(0, G, BG):
            g = g0 + tl.arange(0, BG)[:, None]
            mask = (g < G) & (d < D)
            x = tl.load(a + r * G * D + g * D + d, mask=mask, other=0.0)
            y = tl.load(t + m * G * D + g * D + d, mask=mask, other=0.0)
            diff = x - y
            gs = g0 + tl.arange(0, BG)
            tl.store(out + i * G + gs, tl.sum(diff * diff, axis=1), mask=gs < G)

    @triton.jit(do_not_specialize=_PLAIN)
    def _anchor_grads(a, t, idx, grad, out, G, D, k, BG: tl.constexpr, BD: tl.constexpr):
        r = tl.program_id(0).to(tl.int64)
        d = tl.arange(0, BD)[None, :]
        for g0 in range(0, G, BG):
            g = g0 + tl.arange(0, BG)[:, None]
            mask = (g < G) & (d < D)
            x = tl.load(a + r * G * D + g * D + d, mask=mask, other=0.0)
            acc = tl.zeros([BG, BD], dtype=tl.float32)
            for j in range(0, k):
                m = tl.load(idx + r * k + j).to(tl.int64)
                y = tl.load(t + m * G * D + g * D + d, mask=mask, other=0.0)
                w = tl.load(grad + (r * k + j) * G + g, mask=g < G, other=0.0)
                acc += 2.0 * w * (x - y)
            tl.store(out + r * G * D + g * D + d, acc, mask=mask)

    @triton.jit(do_not_specialize=_PLAIN)
    def _table_grads(a, t, order, bounds, grad, out, G, D, k, BG: tl.constexpr, BD: tl.constexpr):
        m = tl.program_id(0).to(tl.int64)
        d = tl.arange(0, BD)[None, :]
        start = tl.load(bounds + m)
        end = tl.load(bounds + m + 1)
        for g0 in range(0, G, BG):
            g = g0 + tl.arange(0, BG)[:, None]
            mask = (g < G) & (d < D)
            y = tl.load(t + m * G * D + g * D + d, mask=mask, other=0.0)
            acc = tl.zeros([BG, BD], dtype=tl.float32)  # (a row nobody drew gets 0, even if not finite)
            for p in range(start, end):
                i = tl.load(order + p).to(tl.int64)
                w = tl.load(grad + i * G + g, mask=g < G, other=0.0)
                x = tl.load(a + (i // k) * G * D + g * D + d, mask=mask, other=0.0)
                acc += 2.0 * w * (y - x)
            tl.store(out + m * G * D + g * D + d, acc, mask=mask)

    return _distances, _anchor_grads, _table_grads


def available(*tensors: torch.Tensor) -> bool:
    """Whether the kernels can take these tensors: float32 on a CUDA device, Triton installed and working."""
    return triton is not None and not _failed and all(x.is_cuda and x.dtype == torch.float32 for x in tensors)


def warm_up(width: int, device: str = "cuda") -> None:
    """Compile (or load from Triton's cache) the kernels for embeddings ``width`` wide, on a tiny problem:
    the first batch of a sweep otherwise compiles them inside its first step (~5 s on an H200 host whose
    cache was cold)."""
    from .negative_distances import negative_sq_distances

    a = torch.zeros(2, 1, width, device=device, requires_grad=True)
    t = torch.ones(2, 1, width, device=device, requires_grad=True)
    if available(a, t):
        negative_sq_distances(a, t, torch.tensor([1, 0], device=device), 1).sum().backward()


def child_env() -> dict:
    """This process's environment, with the folder that holds ``graphcl_core`` first on the child's path
    (the app may have been started from anywhere)."""
    root = str(Path(__file__).resolve().parents[2])
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)}


def build_in_child(width: int, timeout_s: float = 45.0) -> bool:
    """``warm_up`` in a child process first, then here: the kernels are compiled there into Triton's disk
    cache, and this process only loads them (0.5 s, H200). Compiling took ~5 s on an H200 host whose cache
    was cold (12.8 s for the child's imports, compiling and this load), and much of it holds the interpreter
    lock: in the app's process, the pages served meanwhile would stall. When the child fails or runs out of
    time nothing is loaded here (a sweep then compiles, or falls back, at its first step). The child costs
    a few seconds of one core and a short-lived CUDA context at every start, cache or not. Returns whether
    the kernels were loaded here."""
    if triton is None or _failed:
        return False
    code = f"from graphcl_core.batched.negative_kernels import warm_up; warm_up({int(width)})"
    try:
        done = subprocess.run([sys.executable, "-c", code], env=child_env(), timeout=timeout_s,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    except (OSError, subprocess.SubprocessError) as e:
        log.info("fused negative kernels were not built in a child process: %s", e)
        return False
    if done.returncode != 0:
        log.info("building the fused negative kernels failed in a child process (exit %s): %s", done.returncode,
                 (done.stderr or "").strip().splitlines()[-1:] or "")
        return False
    warm_up(width)  # (no random draws and no capture: safe beside another thread's CUDA-graph capture)
    return not _failed


def status() -> str:
    """``triton`` when the kernels serve CUDA tensors in this process, else ``off: why``."""
    if triton is None:
        return "off: Triton is not installed"
    return f"off: {_failed[0]}" if _failed else "triton"


def disable(error: Exception) -> None:
    """A kernel failed (no compiler, an unsupported GPU): the tensor version serves from now on."""
    if not _failed:
        _failed.append(f"{type(error).__name__}: {error}")
        log.warning("fused negative-distance kernels unavailable (%s); using tensor operations", _failed[0])


def _blocks(D: int) -> dict:
    return {"BG": BG, "BD": triton.next_power_of_2(D)}


def distances(a: torch.Tensor, table: torch.Tensor, idx: torch.Tensor, k: int) -> torch.Tensor:
    """``d`` (R, k, G) for contiguous ``a`` (R, G, D), ``table`` (M, G, D), ``idx`` (R·k,)."""
    R, G, D = a.shape
    out = a.new_empty(R, k, G)
    if out.numel():
        _kernels()[0][(R * k,)](a, table, idx, out, G, D, k, **_blocks(D))
    return out


def anchor_grads(a: torch.Tensor, table: torch.Tensor, idx: torch.Tensor, grad: torch.Tensor, k: int) -> torch.Tensor:
    """``∂a`` (R, G, D) from the distances' gradient ``grad`` (R, k, G), contiguous."""
    R, G, D = a.shape
    out = torch.empty_like(a)
    if out.numel():
        _kernels()[1][(R,)](a, table, idx, grad, out, G, D, k, **_blocks(D))
    return out


def table_grads(a: torch.Tensor, table: torch.Tensor, order: torch.Tensor, bounds: torch.Tensor,
                grad: torch.Tensor, k: int) -> torch.Tensor:
    """``∂table`` (M, G, D): pairs ``order[bounds[m]:bounds[m+1]]`` drew row ``m``."""
    M, G, D = table.shape
    out = torch.empty_like(table)
    if out.numel():
        _kernels()[2][(M,)](a, table, order, bounds, grad, out, G, D, k, **_blocks(D))
    return out

"""The batched step's own autograd pieces: negatives' distances, per-trial linear maps, propagation onto a base."""

from __future__ import annotations

import pytest
import torch

from graphcl_core.batched.negative_distances import negative_sq_distances


def _plain(a, table, idx, k):
    R, G, D = a.shape
    rows = table.reshape(table.size(0), G * D)[idx].view(R, k, G, D)
    return (a.unsqueeze(1) - rows).pow(2).sum(-1)


def test_values_and_gradients_are_those_of_the_plain_expression():
    gen = torch.Generator().manual_seed(0)
    R, G, D, M, k = 37, 3, 5, 29, 4
    a = torch.randn(R, G, D, generator=gen, dtype=torch.float64, requires_grad=True)
    table = torch.randn(M, G, D, generator=gen, dtype=torch.float64, requires_grad=True)
    idx = torch.randint(0, M, (R * k,), generator=gen)
    idx[:k] = 7  # one row drawn several times, and (likely) rows never drawn
    w = torch.randn(R, k, G, generator=gen, dtype=torch.float64)

    fused = negative_sq_distances(a, table, idx, k)
    plain = _plain(a, table, idx, k)
    assert torch.allclose(fused, plain)
    ga, gt = torch.autograd.grad((fused * w).sum(), (a, table))
    pa, pt = torch.autograd.grad((plain * w).sum(), (a, table))
    assert torch.allclose(ga, pa) and torch.allclose(gt, pt)
    assert torch.count_nonzero(gt.abs().sum((1, 2))) == idx.unique().numel()  # undrawn rows get zero


def test_gradcheck():
    gen = torch.Generator().manual_seed(1)
    a = torch.randn(6, 2, 3, generator=gen, dtype=torch.float64, requires_grad=True)
    table = torch.randn(5, 2, 3, generator=gen, dtype=torch.float64, requires_grad=True)
    idx = torch.randint(0, 5, (12,), generator=gen)
    assert torch.autograd.gradcheck(lambda x, t: negative_sq_distances(x, t, idx, 2), (a, table))



def _case(seed: int, R: int, G: int, D: int, M: int, k: int, device: str = "cpu"):
    gen = torch.Generator().manual_seed(seed)
    a = torch.randn(R, G, D, generator=gen).to(device).requires_grad_()
    table = torch.randn(M, G, D, generator=gen).to(device).requires_grad_()
    idx = torch.randint(0, M, (R * k,), generator=gen)
    idx[:k] = 3  # one row drawn several times
    w = torch.randn(R, k, G, generator=gen).to(device)
    return a, table, idx.to(device), w


@pytest.mark.skipif(not torch.cuda.is_available(), reason="the fused kernels run on CUDA")
@pytest.mark.parametrize("shape", [(2708, 9, 128, 2708, 5), (300, 1, 64, 900, 3), (50, 3, 7, 20, 2),
                                   (40, 20, 5, 30, 1), (33, 17, 33, 12, 1)])
def test_fused_kernels_agree_with_the_tensor_version(shape, monkeypatch):
    from graphcl_core.batched import negative_kernels

    pytest.importorskip("triton")
    monkeypatch.setattr(negative_kernels, "_failed", [])  # (a failure would fall back silently: checked below)
    R, G, D, M, k = shape
    a, table, idx, w = _case(3, R, G, D, M, k, "cuda")
    with torch.no_grad():
        table[-1] = float("inf")  # a row nobody drew (idx < M - 1 below): its gradient is 0, not NaN
    idx = idx.clamp(max=M - 2)
    assert negative_kernels.available(a, table)
    fused = negative_sq_distances(a, table, idx, k)
    fa, ft = torch.autograd.grad((fused * w).sum(), (a, table))
    assert negative_kernels.status() == "triton", negative_kernels.status()
    monkeypatch.setattr(negative_kernels, "available", lambda *t: False)
    plain = negative_sq_distances(a, table, idx, k)
    pa, pt = torch.autograd.grad((plain * w).sum(), (a, table))
    for x, y in ((fused, plain), (fa, pa), (ft, pt)):
        assert torch.allclose(x, y, rtol=1e-4, atol=1e-4)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="the fused kernels run on CUDA")
def test_warm_up_builds_the_kernels_on_a_gpu():
    from graphcl_core.batched import negative_kernels

    pytest.importorskip("triton")
    negative_kernels.warm_up(128)
    assert negative_kernels.status() == "triton"


def test_warm_up_does_nothing_without_the_kernels(monkeypatch):
    from graphcl_core.batched import negative_kernels

    calls = []
    monkeypatch.setattr(negative_kernels, "distances", lambda *a: calls.append(a))
    negative_kernels.warm_up(16, device="cpu")  # (CPU tensors: the tensor version, nothing to build)
    assert calls == [] and not negative_kernels._failed


def test_the_kernels_are_compiled_in_a_child_process_then_loaded_here(monkeypatch):
    """The app's warm-up compiles in a child (no interpreter lock held here for seconds), which must find
    the package wherever the app was started from; then this process loads them."""
    import subprocess
    import sys

    from graphcl_core.batched import negative_kernels

    monkeypatch.setattr(negative_kernels, "triton", object())
    monkeypatch.setattr(negative_kernels, "_failed", [])
    monkeypatch.chdir("/")
    runs, here = [], []
    monkeypatch.setattr(negative_kernels, "warm_up", lambda width: here.append(width))
    monkeypatch.setattr(subprocess, "run", lambda cmd, **kw: runs.append((cmd, kw)) or subprocess.CompletedProcess(cmd, 0))
    assert negative_kernels.build_in_child(96)
    (cmd, kw), = runs
    assert cmd[0] == sys.executable and "warm_up(96)" in cmd[-1] and here == [96]
    monkeypatch.undo()
    # the child's command finds the package from another folder (here with a CPU build: nothing to compile)
    code = cmd[-1].replace("warm_up(96)", "print('imported')")
    done = subprocess.run([sys.executable, "-c", code], env=kw["env"], cwd="/", capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0 and "imported" in done.stdout, done.stderr[-500:]


@pytest.mark.parametrize("outcome", ["exit", "timeout"])
def test_nothing_is_compiled_here_when_the_child_fails(outcome, monkeypatch):
    """A child that fails or runs out of time leaves this process alone: no compiling under its lock now."""
    import subprocess

    from graphcl_core.batched import negative_kernels

    def child(cmd, **kw):
        if outcome == "timeout":
            raise subprocess.TimeoutExpired(cmd, kw["timeout"])
        return subprocess.CompletedProcess(cmd, 1, stderr="Traceback ...\nRuntimeError: no C compiler\n")

    monkeypatch.setattr(negative_kernels, "triton", object())
    monkeypatch.setattr(negative_kernels, "_failed", [])
    monkeypatch.setattr(subprocess, "run", child)
    monkeypatch.setattr(negative_kernels, "warm_up", lambda width: pytest.fail("compiled in this process"))
    assert not negative_kernels.build_in_child(128)


def test_no_child_without_triton(monkeypatch):
    import subprocess

    from graphcl_core.batched import negative_kernels

    monkeypatch.setattr(negative_kernels, "triton", None)
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: pytest.fail("no child without Triton"))
    assert not negative_kernels.build_in_child(128)


def _broken(*args, **kwargs):
    raise RuntimeError("no C compiler")


@pytest.mark.parametrize("where", ["distances", "anchor_grads", "table_grads"])
def test_a_kernel_that_cannot_be_built_leaves_the_tensor_version(where, monkeypatch):
    """Triton present but failing (no compiler, an old GPU): the same values and gradients, and the
    kernels are not tried again."""
    from graphcl_core.batched import negative_kernels

    monkeypatch.setattr(negative_kernels, "triton", object())  # "installed" ...
    monkeypatch.setattr(negative_kernels, "_failed", [])
    monkeypatch.setattr(torch.Tensor, "is_cuda", property(lambda self: True))  # ... and on "CUDA"
    fine = {"distances": _plain_fused_distances, "anchor_grads": _plain_anchor_grads,
            "table_grads": _plain_table_grads}
    for name, f in fine.items():
        monkeypatch.setattr(negative_kernels, name, _broken if name == where else f)
    a, table, idx, w = _case(4, 11, 2, 3, 7, 3)
    d = negative_sq_distances(a, table, idx, 3)
    ga, gt = torch.autograd.grad((d * w).sum(), (a, table))
    monkeypatch.undo()
    plain = _plain(a, table, idx, 3)
    pa, pt = torch.autograd.grad((plain * w).sum(), (a, table))
    assert torch.allclose(d, plain) and torch.allclose(ga, pa) and torch.allclose(gt, pt)


def test_after_a_failure_the_kernels_are_not_tried_again(monkeypatch):
    from graphcl_core.batched import negative_kernels

    monkeypatch.setattr(negative_kernels, "triton", object())
    monkeypatch.setattr(negative_kernels, "_failed", [])
    monkeypatch.setattr(torch.Tensor, "is_cuda", property(lambda self: True))
    calls = []
    monkeypatch.setattr(negative_kernels, "distances", lambda *a: calls.append(1) or _broken())
    a, table, idx, _ = _case(5, 4, 1, 2, 4, 2)
    assert negative_kernels.available(a, table)
    negative_sq_distances(a, table, idx, 2)
    negative_sq_distances(a, table, idx, 2)
    assert calls == [1] and not negative_kernels.available(a, table)
    assert "no C compiler" in negative_kernels._failed[0]


# the kernels' arithmetic in tensor operations (what the tests above stand in for a working GPU kernel)
def _plain_fused_distances(a, table, idx, k):
    return _plain(a, table, idx, k).detach()


def _plain_anchor_grads(a, table, idx, grad, k):
    R, G, D = a.shape
    diff = a.unsqueeze(1) - table[idx].view(R, k, G, D)
    return (2 * grad.unsqueeze(-1) * diff).sum(1)


def _plain_table_grads(a, table, order, bounds, grad, k):
    M, G, D = table.shape
    out = torch.zeros_like(table)
    for m in range(M):
        for i in order[bounds[m]: bounds[m + 1]].tolist():
            out[m] += 2 * grad[i // k].view(-1, G)[i % k].unsqueeze(-1) * (table[m] - a[i // k])
    return out

def test_trial_linear_is_each_trials_own_product_with_its_gradients():
    from graphcl_core.batched.trial_linear import trial_linear

    gen = torch.Generator().manual_seed(2)
    h = torch.randn(2, 5, 3, 4, generator=gen, dtype=torch.float64, requires_grad=True)  # (V, N, T, I)
    w = torch.randn(3, 6, 4, generator=gen, dtype=torch.float64, requires_grad=True)  # (T, O, I)
    out = trial_linear(h, w)
    assert out.is_contiguous() and torch.allclose(out, torch.einsum("vnti,toi->vnto", h, w))
    assert torch.autograd.gradcheck(trial_linear, (h, w))


@pytest.mark.parametrize("kernel", ["csr", "gather"])
def test_propagation_onto_a_base_is_base_plus_the_propagation(kernel):
    from graphcl_core.fast.propagation import CachedAdjacency

    gen = torch.Generator().manual_seed(3)
    edges = torch.randint(0, 8, (2, 20), generator=gen)
    adj = CachedAdjacency(edges, 8, "graphconv", kernel=kernel)
    view = adj.view(torch.rand(20, generator=gen, dtype=torch.float64))
    h = torch.randn(8, 3, generator=gen, dtype=torch.float64, requires_grad=True)
    base_leaf = torch.randn(8, 3, generator=gen, dtype=torch.float64, requires_grad=True)
    w = torch.randn(8, 3, generator=gen, dtype=torch.float64)
    out = view.propagate_onto(h, base_leaf * 1.0)  # a fresh tensor, as a layer's product is
    ref = base_leaf + view.propagate(h)
    assert torch.allclose(out, ref)
    got = torch.autograd.grad((out * w).sum(), (h, base_leaf))
    want = torch.autograd.grad((ref * w).sum(), (h, base_leaf))
    assert all(torch.allclose(a, b) for a, b in zip(got, want))


def test_propagation_onto_a_view_of_a_custom_functions_output_accumulates_into_that_output():
    """A layer's root product reaches ``propagate_onto`` reshaped (a view of the product function's output):
    autograd forbids writing into such a view, so the accumulation goes into the output it views."""
    from graphcl_core.fast.propagation import CachedAdjacency

    gen = torch.Generator().manual_seed(4)
    adj = CachedAdjacency(torch.randint(0, 6, (2, 15), generator=gen), 6, "graphconv", kernel="csr")
    view = adj.view(torch.rand(15, generator=gen, dtype=torch.float64))
    h = torch.randn(6, 4, generator=gen, dtype=torch.float64, requires_grad=True)
    x = torch.randn(6, 4, generator=gen, dtype=torch.float64, requires_grad=True)
    w = torch.randn(2, 3, 4, generator=gen, dtype=torch.float64)
    base = view.propagate(x).view(2, 3, 4)  # the product (a custom function's output), reshaped
    assert base._base is not None
    out = view.propagate_onto(h, base.view(6, 4)).view(2, 3, 4)
    ref = view.propagate(x).view(2, 3, 4) + view.propagate(h).view(2, 3, 4)
    assert torch.allclose(out, ref)
    got = torch.autograd.grad((out * w).sum(), (h, x))
    want = torch.autograd.grad((ref * w).sum(), (h, x))
    assert all(torch.allclose(a, b) for a, b in zip(got, want))

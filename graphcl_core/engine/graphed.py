"""``GraphedEngine``: the fast step captured once in a CUDA graph, then replayed every epoch.

The first ``WARMUP_STEPS`` epochs run eagerly on a side stream (PyTorch's CUDA-graph recipe: lazy
set-up such as cuBLAS handles and the optimiser state happens outside the capture); then the step
is captured (``fast.graphed_step``) and each epoch is one ``replay()`` whose loss is a slot of a
device ring. If the capture fails, the reason goes to ``fast_info["cuda_graph"]`` and the engine
goes on as a plain ``FastEngine``.
"""

from __future__ import annotations

import logging

import torch

from ..fast.graphed_step import WARMUP_STEPS, GraphedStep, announce_capture, capture_step, capture_when_free, tf32
from ..config import TrainConfig
from .fast import FastEngine
from .inputs import SEED_LOCK, RunInputs
from .views import FastInputs

log = logging.getLogger(__name__)


class GraphedEngine(FastEngine):
    """``info`` is the run's ``fast_info``: ``cuda_graph`` goes from pending to on, or off with the reason.

    ``ring_size`` (the trainer's ``loss_sync_every``): a replay's loss stays readable for that many epochs.
    """

    name = "graphed"

    def __init__(self, cfg: TrainConfig, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                 inputs: RunInputs, gen: torch.Generator, *, fast_inputs: FastInputs, stack_views: bool,
                 fast_infonce: bool, tf32: bool, info: dict, ring_size: int):
        super().__init__(cfg, model, optimizer, inputs, gen, fast_inputs=fast_inputs, stack_views=stack_views,
                         fast_infonce=fast_infonce, tf32=tf32)
        self.info = info
        self.ring_size = ring_size
        self.state = "pending"  # pending (warming up) | on | off
        self.graphed: GraphedStep | None = None
        self._steps = 0
        self._side_stream = None
        if inputs.device.type == "cuda":
            announce_capture(self)  # a GPU layout about to start waits for this capture (fast.graphed_step)

    def step(self) -> torch.Tensor:
        if self.state == "pending" and self._steps >= WARMUP_STEPS:
            capture_when_free(self._capture, self)
        self._steps += 1
        if self.graphed is not None:
            return self.graphed.replay()
        if self.state != "pending" or self.inputs.device.type != "cuda":
            return super().step()
        # warm-up on a side stream
        self.optimizer.zero_grad(set_to_none=True)
        if self._side_stream is None:
            self._side_stream = torch.cuda.Stream(self.inputs.device)
        cur = torch.cuda.current_stream(self.inputs.device)
        self._side_stream.wait_stream(cur)
        with torch.cuda.stream(self._side_stream), tf32(self.tf32):
            loss = self.step_body()
        cur.wait_stream(self._side_stream)
        return loss.detach()

    def _capture(self) -> None:
        dev = self.inputs.device
        gens = [self.gen]
        if dev.type == "cuda" and not hasattr(torch.cuda.CUDAGraph, "register_generator_state"):
            # Older PyTorch: only the default CUDA generator works inside graphs; reseed it for this run.
            with SEED_LOCK:
                idx = dev.index if dev.index is not None else torch.cuda.current_device()
                self.gen = torch.cuda.default_generators[idx]
                self.gen.manual_seed(self.cfg.seed + self._steps)
            gens = []
        try:
            self.graphed = capture_step(self.step_body, self.optimizer, gens, self.ring_size, dev,
                                        allow_tf32=self.tf32)
            self.state = self.info["cuda_graph"] = "on"
        except Exception as e:  # noqa: BLE001 - any capture problem means: train eagerly
            self.graphed = None
            self.state = "off"
            reason = f"capture failed ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''})"[:300]
            self.info["cuda_graph"] = f"off: {reason}"
            log.warning("CUDA graph %s; training without it", reason)
            self.optimizer.zero_grad(set_to_none=True)
            if dev.type == "cuda":
                torch.cuda.synchronize(dev)

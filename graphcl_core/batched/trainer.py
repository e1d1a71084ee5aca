"""``BatchedTrainer``: many trials of one graph trained at once on one device, one step for all of them.

The learning problem of each trial is the ``Trainer``'s: its seed's initial weights (``StackedModel``),
its own generator drawing its views and negatives in the single-run order (``StackedInputs.draw``,
``augment.generate_pairs``), the same loss, Adam with its own learning rate and weight decay
(``StackedAdam``). Only the arithmetic is shared: one encoder pass for all trials and views, one
backward (the trials' losses are summed; no parameter is shared, so each gets its own gradient). Trials
of one seed and view probabilities would all draw the same numbers, so they draw once (``shares_draws``).

On CUDA the whole step (draws included: every trial's generator is registered with the graph) is
captured as one CUDA graph after ``WARMUP_STEPS`` eager steps, as ``engine.graphed`` does for one run;
each epoch is then one replay writing the T losses into a device ring, read back every ``RING`` epochs
or when asked (``flush``). Snapshots stay on the device (float16) until then. Each batch works on a
CUDA stream of its own, so the batches of a wave (one per hidden size, say) overlap on the GPU: their
steps are many small kernels that leave most of it idle one batch at a time.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time

import numpy as np
import torch

from .. import options as runtime_options
from ..augment import generate_pairs
from ..config import TrainConfig, snapshot_capacity, snapshot_interval
from ..device import resolve_device
from ..engine.base import MAX_POSITIVES
from ..engine.inputs import RunInputs
from ..errors import ConfigError
from ..fast.graphed_step import CAPTURE_LOCK, WARMUP_STEPS, announce_capture, capture_when_free, tf32
from ..graph import GraphBundle
from ..options import RuntimeOptions
from ..trainer import Snapshot
from .adam import StackedAdam
from .draws import BatchedDraws
from .groups import batch_key, unsupported
from .inputs import StackedInputs
from .model import StackedModel
from .negative_distances import negative_sq_distances

log = logging.getLogger(__name__)

RING = 64  # epochs of losses a CUDA graph keeps on the device between two reads


def shares_draws(configs: list[TrainConfig], num_nodes: int, *, alone_too: bool = False) -> bool:
    """Whether a batch's trials (one ``batch_key``) can train on one draw of views and negatives: two
    views of every node (``pairs="views"``, all positives in each step) and the same seed and view
    probabilities, so that each trial's generator would draw the very numbers of the first's (a sweep
    over margin, learning rate or weight decay). One trial alone (``alone_too``) has nothing to share,
    but may."""
    cfg = configs[0]
    if cfg.pairs != "views" or num_nodes > MAX_POSITIVES or (len(configs) < 2 and not alone_too):
        return False
    key = lambda c: (c.seed, float(c.drop_edge_p), float(c.mask_feature_p))  # noqa: E731
    return all(key(c) == key(cfg) for c in configs)


class BatchedTrainer:
    """``configs`` must share a ``groups.batch_key``. Thread-safety: ``stop()`` from any thread."""

    def __init__(self, bundle: GraphBundle, configs: list[TrainConfig], *, options: RuntimeOptions | None = None,
                 share_draws: bool | None = None, stream: "torch.cuda.Stream | None" = None):
        """``share_draws``: train on one set of views and negatives for all trials (``shares_draws``; default:
        whenever they would all draw the same ones anyway). ``stream``: the CUDA stream to train on, shared
        with other batches (default: a stream of its own)."""
        if not configs:
            raise ConfigError("A batch needs at least one trial.")
        cfg = configs[0].validate()
        for c in configs:
            why = unsupported(c.validate())
            if why or batch_key(c) != batch_key(cfg):
                raise ConfigError(f"These trials cannot train in one batch: {why or 'their shapes differ'}.")
        if cfg.pairs == "edges" and bundle.num_edges == 0:
            raise ConfigError("The 'edges' pair strategy needs a graph with edges; this graph has none.")
        self.bundle, self.configs, self.cfg, self.trials = bundle, configs, cfg, len(configs)
        self.options = options if options is not None else runtime_options.current()
        self.device = resolve_device(cfg.device)
        inputs = RunInputs.from_bundle(bundle, cfg, self.device)
        self.run_inputs, self.num_nodes = inputs, bundle.num_nodes
        self.gens = [torch.Generator(device=self.device).manual_seed(c.seed) for c in configs]
        self.model = StackedModel(configs, inputs.x.size(1), self.device)
        self.two_views = cfg.pairs == "views"
        self.shared = shares_draws(configs, bundle.num_nodes) if share_draws is None else share_draws
        if share_draws and not shares_draws(configs, bundle.num_nodes, alone_too=True):
            raise ConfigError("Only two-view trials with the same seed and view probabilities can share draws.")
        first_out = cfg.hidden if cfg.layers > 1 else cfg.embedding_dim
        self.inputs = StackedInputs(inputs, cfg.encoder, 1 if self.shared else self.trials, first_out,
                                    views=2 if self.two_views else 1, propagation=self.options.propagation,
                                    sparse_features=self.options.sparse_features)
        def per_trial(name: str) -> torch.Tensor:
            return torch.tensor([float(getattr(c, name)) for c in configs], device=self.device)

        self.draws = BatchedDraws(inputs, self.inputs.sampler, configs[:1] if self.shared else configs,
                                  2 if self.two_views else 1)
        self.optimizer = StackedAdam(self.model.parameters(), per_trial("lr"), per_trial("weight_decay"),
                                     decoupled=cfg.optimizer == "adamw",
                                     fused=self.device.type == "cuda" and self.options.fused_adam)
        self.margin = per_trial("margin").unsqueeze(1)
        cuda = self.device.type == "cuda"
        self.tf32 = cuda and self.options.tf32
        self.graph_state = "pending" if cuda and self.options.cuda_graph else "off"
        if self.graph_state == "pending":
            announce_capture(self)  # a GPU layout about to start waits for this capture (fast.graphed_step)
        self._graph = self._ring = None
        self._slot = 0
        self._side_stream = None
        # (with CSR propagation only: the gather kernel's atomics on three streams ran 13× slower on an H200)
        self.stream = ((stream or torch.cuda.Stream(self.device)) if cuda and self.inputs.adj_train.kernel == "csr"
                       else None)
        if self.stream is not None:  # the weights and inputs were made on the caller's stream
            self.stream.wait_stream(torch.cuda.current_stream(self.device))
        self.epoch = 0
        self.train_seconds = 0.0
        self.history: list[list[dict]] = [[] for _ in configs]
        self.snapshots: list[list[Snapshot]] = [[] for _ in configs]
        self.failed: dict[int, str] = {}
        self._pending: list[tuple[int, torch.Tensor, float]] = []
        self._pending_snaps: list[tuple[int, torch.Tensor]] = []
        self._reads: list[tuple] = []  # read-backs queued by flush(wait=False), oldest first (with their event)
        self._stop = threading.Event()
        # as the Trainer: every cfg.snapshot_every epochs unless the run's snapshots would pass the budget
        self.snapshot_every = snapshot_interval(cfg, bundle.num_nodes)
        self.max_snapshots = snapshot_capacity(bundle.num_nodes, cfg.embedding_dim, cfg.max_snapshots)

    # ---- the step -----------------------------------------------------------------------------------
    def losses(self) -> torch.Tensor:
        """Every trial's loss (T,) on freshly drawn views and pairs."""
        cfg, model = self.cfg, self.model
        if self.shared:
            return self._shared_losses()
        if self.two_views:
            weights, keep = self.draws.views_of(self.gens)
            z = model.project(model.embed(self.inputs, self.inputs.adj_train.view(weights), keep, 2))
            za, zb = z.unbind(1)  # (one stacking copy backward; two selects fill and copy twice, then add)
        else:
            za = zb = model.project(model.embed(self.inputs, self.inputs.clean_view, None, 1))[:, 0]
        pos, neg = self._pair_distances(za, zb)
        # the mean over all pairs of y·d + (1-y)·term(d), with the similar pairs (y = 1) first
        if cfg.loss == "margin":  # losses.margin_contrastive_loss, one margin per trial
            term = torch.clamp(self.margin - neg, min=0)
        else:  # losses.hadsell_contrastive_loss
            term = torch.clamp(self.margin - torch.sqrt(neg + 1e-12), min=0).pow(2)
        return (pos.sum(1) + term.sum(1)) / (pos.size(1) + neg.size(1))

    def _shared_losses(self) -> torch.Tensor:
        """``losses`` when every trial draws the same views and negatives: drawn once (the first trial's
        generator; the others would give the same numbers), the trials side by side in each node's row."""
        gens = self.gens[:1]
        weights, keep = self.draws.views_of(gens)
        z = self.model.project(self.model.embed_shared(self.inputs, self.inputs.adj_train.view(weights), keep, 2),
                               shared=True)  # (2, N, T, D)
        za, zb = z.unbind(0)
        n, k = za.size(0), self.cfg.negatives
        pos = (za - zb).pow(2).sum(-1)  # (N, T): node j in both views
        neg = negative_sq_distances(za, zb, self.draws.negatives_of(gens)[0], k)  # (N, k, T)
        margin = self.margin.view(-1)
        if self.cfg.loss == "margin":
            term = torch.clamp(margin - neg, min=0)
        else:
            term = torch.clamp(margin - torch.sqrt(neg + 1e-12), min=0).pow(2)
        return (pos.sum(0) + term.sum((0, 1))) / (n + n * k)

    def _pair_distances(self, za: torch.Tensor, zb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Squared distances of every trial's similar pairs (T, P₊) and of its dissimilar ones (T, P₋).

        A negative's anchor is its positive's (``neg_src = pos_src.repeat_interleave(k)``), so anchors are
        broadcast instead of gathered: one gather (and one scatter in the backward) instead of two.
        """
        T, n, D = za.shape
        offset = (torch.arange(T, device=self.device) * n).unsqueeze(1)

        def rows(z: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:  # z[t, idx[t]] for every trial
            return z.reshape(T * n, D).index_select(0, (idx + offset).flatten()).view(T, -1, D)

        if self.draws.capped:
            src, dst, num_positive = self._pairs()
            d2 = (rows(za, src) - rows(zb, dst)).pow(2).sum(-1)
            return d2[:, :num_positive], d2[:, num_positive:]
        d, k = self.draws, self.cfg.negatives
        a = za if d.identity else za.index_select(1, d.pos_src)
        b = zb if d.identity else zb.index_select(1, d.pos_dst)
        pos = (a - b).pow(2).sum(-1)
        rows_neg = (d.negatives_of(self.gens) + offset).flatten()  # into zb's (T·n) rows
        neg = negative_sq_distances(a.reshape(-1, 1, D), zb.reshape(T * n, 1, D), rows_neg, k)
        return pos, neg.view(T, -1)

    def _pairs(self) -> tuple[torch.Tensor, torch.Tensor, int]:
        """Each trial's pairs from its own generator, as ``StepEngine.pairs`` draws them where a step takes a
        subset of the positives (``MAX_POSITIVES``): (T, P) each, and how many of them are similar."""
        cfg, inp = self.cfg, self.run_inputs
        sets = [generate_pairs(cfg.pairs, inp.num_nodes, edge_index=inp.edge_index, y=inp.y,
                               negatives=cfg.negatives, sampling=cfg.negative_sampling,
                               exclude_true_edges=cfg.exclude_true_edges, max_positives=MAX_POSITIVES,
                               generator=g, edge_keys=inp.edge_keys, device=inp.device) for g in self.gens]
        return torch.stack([s.src for s in sets]), torch.stack([s.dst for s in sets]), sets[0].num_positive

    def _step_body(self) -> torch.Tensor:
        per = self.losses()
        per.sum().backward()
        self.optimizer.step()
        return per.detach()

    def on_stream(self):
        """Run GPU work on this batch's own stream (a no-op on the CPU)."""
        return torch.cuda.stream(self.stream) if self.stream is not None else contextlib.nullcontext()

    def step(self) -> None:
        """One epoch of every trial."""
        with self.on_stream():
            self._step()

    def _step(self) -> None:
        t0 = time.perf_counter()
        if self.graph_state == "pending" and self.epoch >= WARMUP_STEPS:
            capture_when_free(self._capture, self)
        if self._graph is not None:
            self._graph.replay()
            loss = self._ring[self._slot]
            self._slot = (self._slot + 1) % RING
        elif self.graph_state == "pending":
            loss = self._eager_on_side_stream()
        else:
            self.optimizer.zero_grad(set_to_none=True)
            with tf32(self.tf32):
                loss = self._step_body()
        self.epoch += 1
        self.train_seconds += time.perf_counter() - t0
        self._pending.append((self.epoch, loss, self.train_seconds))
        if len(self._pending) >= RING:  # (read before the ring wraps: queued on the stream, ahead of the replays)
            self.flush(wait=False)

    def _eager_on_side_stream(self) -> torch.Tensor:
        """Warm-up steps before the capture (PyTorch's recipe: lazy set-up happens outside the graph)."""
        self.optimizer.zero_grad(set_to_none=True)
        if self._side_stream is None:
            self._side_stream = torch.cuda.Stream(self.device)
        cur = torch.cuda.current_stream(self.device)
        self._side_stream.wait_stream(cur)
        with torch.cuda.stream(self._side_stream), tf32(self.tf32):
            loss = self._step_body()
        cur.wait_stream(self._side_stream)
        return loss

    def _capture(self) -> None:
        graph = torch.cuda.CUDAGraph()
        try:
            for g in self.gens:
                graph.register_generator_state(g)
            ring = torch.zeros(RING, self.trials, device=self.device)
            pos = torch.zeros(1, dtype=torch.long, device=self.device)
            self.optimizer.zero_grad(set_to_none=True)
            torch.cuda.synchronize(self.device)
            with CAPTURE_LOCK, tf32(self.tf32), torch.cuda.graph(graph, capture_error_mode="thread_local"):
                per = self._step_body()
                ring.index_copy_(0, pos, per.unsqueeze(0))
                pos.add_(1).remainder_(RING)
            # ``pos`` lives outside the graph's pool: keep it, or its memory is reused and replays index garbage
            self._graph, self._ring, self._pos, self._slot, self.graph_state = graph, ring, pos, 0, "on"
        except Exception as e:  # noqa: BLE001 - any capture problem means: train eagerly
            self.graph_state = f"off: capture failed ({type(e).__name__})"
            log.warning("batched CUDA graph %s; training without it", self.graph_state)
            self.optimizer.zero_grad(set_to_none=True)
            torch.cuda.synchronize(self.device)

    # ---- bookkeeping -----------------------------------------------------------------------------
    @torch.no_grad()
    def embeddings(self) -> torch.Tensor:
        """Every trial's encoder output on the clean graph (T, N, D), ready for the caller's stream."""
        with self.on_stream(), tf32(self.tf32):
            out = self._clean_embeddings()
        if self.stream is not None:
            caller = torch.cuda.current_stream(self.device)
            caller.wait_stream(self.stream)
            out.record_stream(caller)
        return out

    @torch.no_grad()
    def take_snapshot(self) -> None:
        """Keep the embeddings of this epoch on the device (float16) until the next ``flush``."""
        with self.on_stream(), tf32(self.tf32):
            emb = self._clean_embeddings().to(torch.float16)
        self._pending_snaps.append((self.epoch, emb))

    def _clean_embeddings(self) -> torch.Tensor:
        """(T, N, D) on the clean graph (the caller holds no_grad and the stream)."""
        if self.shared:
            return self.model.embed_shared(self.inputs, self.inputs.clean_view, None, 1)[0].permute(1, 0, 2).contiguous()
        return self.model.embed(self.inputs, self.inputs.clean_view, None, 1)[:, 0]

    def flush(self, wait: bool = True) -> None:
        """Read pending losses and snapshots back; a trial whose loss stopped being finite fails.

        ``wait=False`` does not wait for the device: the read-back is queued on the batch's stream (into
        pinned memory) and what has arrived so far is taken in, the rest at a later flush. A waiting read
        drained the GPU's queue at every progress report of a sweep, and the GPU then idled while the
        reports were made (27 Cora trials on an H200: ~0.4 s of a 3.5 s sweep)."""
        with self.on_stream():
            self._queue_reads()
            while self._reads and (wait or self._reads[0][-1] is None or self._reads[0][-1].query()):
                *read, arrived = self._reads.pop(0)
                if arrived is not None:
                    arrived.synchronize()  # (waiting: the copies may still be on their way)
                self._take_in(*read)

    def _queue_reads(self) -> None:
        if not (self._pending or self._pending_snaps):
            return
        losses = (torch.stack([v.reshape(-1).float() for _, v, _ in self._pending])
                  if self._pending else None)
        embs = torch.stack([e for _, e in self._pending_snaps]) if self._pending_snaps else None
        cuda = self.device.type == "cuda"
        host = [None if x is None else (torch.empty(x.shape, dtype=x.dtype, pin_memory=True).copy_(x, non_blocking=True)
                                        if cuda else x) for x in (losses, embs)]
        event = None
        if cuda:
            event = torch.cuda.Event()
            event.record()
        self._reads.append(([(e, s) for e, _, s in self._pending], host[0],
                            [epoch for epoch, _ in self._pending_snaps], host[1], event))
        self._pending.clear()
        self._pending_snaps.clear()

    def _take_in(self, rows: list[tuple[int, float]], losses, snap_epochs: list[int], embs) -> None:
        if losses is not None:
            values = losses.numpy()
            share = 1.0 / self.trials  # the device time each trial had: the batch's, shared
            for t in range(self.trials):
                if t in self.failed:
                    continue
                for (e, s), v in zip(rows, values[:, t]):
                    self.history[t].append({"epoch": e, "loss": float(v), "seconds": s * share})
                    if not np.isfinite(v):
                        self.failed[t] = (f"The loss became {float(v)} at epoch {e}, so training stopped. Try a "
                                          f"smaller learning rate (now {self.configs[t].lr:g}) or a smaller margin.")
                        break
        if embs is not None:  # (copied out of the pinned buffer: snapshots are kept for the whole sweep)
            for epoch, emb in zip(snap_epochs, embs.numpy().copy()):
                for t in range(self.trials):
                    if t not in self.failed:
                        self._keep_snapshot(t, epoch, emb[t])

    def _keep_snapshot(self, t: int, epoch: int, emb: np.ndarray) -> None:
        hist = self.history[t]
        loss = next((r["loss"] for r in reversed(hist) if r["epoch"] <= epoch), float("nan"))
        snaps = self.snapshots[t]
        snaps.append(Snapshot(epoch, loss, emb))
        if len(snaps) > self.max_snapshots:  # thin out evenly, keep the first and the last (as Trainer)
            self.snapshots[t] = snaps[:-1:2] + [snaps[-1]]

    # ---- the loop ------------------------------------------------------------------------------------
    def run(self, to_epoch: int, callback=None) -> None:
        """Train to epoch ``to_epoch`` (or until ``stop()``); snapshot every ``snapshot_every`` epochs and at
        the end, calling ``callback(self)`` after each snapshot."""
        every = self.snapshot_every
        if self.epoch == 0 and not self._pending_snaps and not any(self.snapshots):
            self.take_snapshot()
        while self.epoch < to_epoch and not self._stop.is_set():
            self.step()
            if self.epoch % every == 0 or self.epoch == to_epoch:
                self.take_snapshot()
                if callback is not None:
                    callback(self)
        self.flush()

    def stop(self) -> None:
        self._stop.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

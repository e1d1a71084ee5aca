"""``Trainer``: a short, readable contrastive training loop that another thread can pause, resume and stop.

One ``step()`` is one epoch (one full-graph optimisation step). The loss is kept on the device and
read back every ``cfg.loss_sync_every`` steps, so the GPU is not stalled for a number nobody looks at.

Fast paths (``graphcl_core.fast``; off with ``GRAPHCL_FAST=0`` or ``Trainer(..., fast=False)``):
GraphConv/GCN propagate over a cached, normalised adjacency instead of PyG's scatter (same
parameters, same numbers within float tolerance); sparse bag-of-words features stay sparse (the first
layer, masking and input dropout touch only the nonzeros); on CUDA the whole step, with both views
in one encoder pass and fused Adam, is captured once in a CUDA graph and replayed (``fast_info`` says
what runs, or why not), with TF32 matrix products.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field

import numpy as np
import torch

from .augment import generate_pairs, mask_features
from .augment.pairs import PairSet, edge_keys_of
from .augment.views import drop_edge_mask, feature_keep_mask, undirected_pair_ids
from .config import TrainConfig
from .device import resolve_device
from .fast import fast_enabled
from .fast.graphed_step import WARMUP_STEPS, capture_step, tf32
from .fast.losses import infonce_fast
from .fast.propagation import FAST_CONVS, CachedAdjacency
from .fast.sparse_features import SparseFeatures, sparse_features_wanted
from .errors import ConfigError, TrainingError
from .features import prepare_features
from .graph import GraphBundle
from .losses import hadsell_contrastive_loss, infonce_loss, margin_contrastive_loss, triplet_margin_loss
from .models import build_model

log = logging.getLogger(__name__)
# torch.manual_seed is process-wide: serialise model creation so two runs started at once by two
# browser tabs each get the weights their own seed asks for.
_INIT_LOCK = threading.Lock()

# Above this many nodes InfoNCE uses a random subset per step instead of N×N similarity matrices.
INFONCE_MAX_NODES = 8192
# Above this many positives per step the pair losses sample positives (bounded memory per step).
MAX_POSITIVES = 262_144
# Snapshots of embeddings are kept in memory up to this many bytes per run.
SNAPSHOT_BUDGET_BYTES = 256 * 2**20
# Above this many nodes the step is GPU-bound: no CUDA graph (its private memory pool would only add memory).
GRAPH_MAX_NODES = 300_000


@dataclass
class Snapshot:
    """Node embeddings (float16, encoder output) at one epoch, for replaying the projection."""

    epoch: int
    loss: float
    embeddings: np.ndarray
    metrics: dict = field(default_factory=dict)


class Trainer:
    """Trains a contrastive GNN on one graph with one ``TrainConfig``.

    Thread-safety: ``run()`` trains in the calling thread; ``pause()``, ``resume()`` and ``stop()``
    may be called from any other thread, and ``history``/``snapshots`` are appended under a lock
    (copy them with ``progress()``/``snapshot_list()``).
    """

    def __init__(self, bundle: GraphBundle, cfg: TrainConfig, *, fast: bool | None = None):
        """``fast``: use the fast paths (default: on unless the environment says ``GRAPHCL_FAST=0``)."""
        self.cfg = cfg.validate()
        self.bundle = bundle
        self.device = resolve_device(cfg.device)
        if cfg.pairs == "labels" and not bundle.has_labels:
            raise ConfigError("The 'labels' pair strategy needs a graph with node labels; this graph has none. "
                              "Choose 'views' or 'edges'.")
        if cfg.pairs == "edges" and bundle.num_edges == 0:
            raise ConfigError("The 'edges' pair strategy needs a graph with edges; this graph has none.")
        data = bundle.data
        n = bundle.num_nodes
        dev = self.device
        try:
            self.x = prepare_features(data.x, cfg.feature_norm).to(dev)
            self.edge_index = data.edge_index.to(dev)
            ew = getattr(data, "edge_weight", None)
            self.base_weight = (ew.to(torch.float32) if ew is not None
                                else torch.ones(self.edge_index.size(1))).to(dev)
            self.y = data.y.to(dev) if bundle.has_labels else None
            self.pair_id, self.num_pairs = undirected_pair_ids(self.edge_index, n)
            self.edge_keys = edge_keys_of(self.edge_index, n)
            self.gen = torch.Generator(device=dev).manual_seed(cfg.seed)
            with _INIT_LOCK:
                torch.manual_seed(cfg.seed)
                self.model = build_model(cfg, self.x.size(1)).to(dev)
            self.num_nodes = n
            self._setup_fast(fast)
        except torch.cuda.OutOfMemoryError as e:
            raise _oom_error(bundle) from e
        self.optimizer = _make_optimizer(cfg, self.model, for_cuda_graph=self._graph_state == "pending",
                                         fused=self.fast and dev.type == "cuda" and _env_on("GRAPHCL_FUSED_ADAM"))
        self.epoch = 0
        self.history: list[dict] = []
        self.snapshots: list[Snapshot] = []
        self.started_at: float | None = None
        self.train_seconds = 0.0
        self._pending: list[tuple[int, torch.Tensor, float]] = []
        self._lock = threading.Lock()
        # Held by step(), embeddings() and pair_distances(): the app's live view calls the latter two
        # from its own thread, and they must not switch the model to eval mode or draw from the
        # training generator in the middle of a step.
        self._compute_lock = threading.RLock()
        self._eval_thread: threading.Thread | None = None
        self._viz_gen = torch.Generator(device=self.device).manual_seed(cfg.seed + 7919)
        self._running = threading.Event()
        self._running.set()
        self._stop = threading.Event()
        self._steps_allowed = 0
        per_snapshot = max(1, n * cfg.embedding_dim * 2)
        self.max_snapshots = max(2, min(cfg.max_snapshots, SNAPSHOT_BUDGET_BYTES // per_snapshot))

    # ---- fast paths ------------------------------------------------------------------------------
    def _setup_fast(self, fast: bool | None) -> None:
        """Decide which fast paths apply; ``fast_info`` records what runs and, if not, why."""
        cfg, dev = self.cfg, self.device
        self.fast = fast_enabled(fast)
        self.fast_info: dict = {"fast": self.fast}
        self._adj: CachedAdjacency | None = None
        self._adj2: CachedAdjacency | None = None  # two disjoint copies: both views in one pass
        self._sparse_x: SparseFeatures | None = None  # bag-of-words features kept as CSR
        self._sparse_x2: SparseFeatures | None = None  # the same, stacked twice for batched views
        self._clean_view = None
        self._graphed = None
        self._graph_state = "off"  # off | pending (warming up) | on
        self._warm_steps = 0
        self._side_stream = None
        self._tf32 = False
        if not self.fast:
            self.fast_info.update(propagation="pyg", cuda_graph="off: fast paths disabled", tf32=False)
            return
        if cfg.encoder in FAST_CONVS and _env_on("GRAPHCL_FAST_PROPAGATION"):
            adj = CachedAdjacency(self.edge_index, self.num_nodes, cfg.encoder)
            if cfg.encoder == "gcn" and adj.has_self_loops():
                self.fast_info["propagation"] = "pyg (GCN on a graph with self-loops)"
            else:
                self._adj = adj
                self.fast_info["propagation"] = adj.kernel
                # built eagerly now, never first inside a graph capture (captured work does not run)
                self._clean_view = adj.view(self.base_weight).materialize()
        else:
            self.fast_info["propagation"] = f"pyg ({cfg.encoder} has no fast propagation)"
        self._tf32 = dev.type == "cuda" and os.environ.get("GRAPHCL_TF32", "1") != "0"
        self.fast_info["tf32"] = self._tf32
        blocker = self._graph_blocker()
        if blocker is None:
            self._graph_state = "pending"
            self.fast_info["cuda_graph"] = "pending (captured after warm-up)"
        else:
            self.fast_info["cuda_graph"] = f"off: {blocker}"
            log.info("CUDA graph off: %s", blocker)
        batch = os.environ.get("GRAPHCL_BATCH_VIEWS", "auto").strip().lower()
        two_views = cfg.pairs == "views" or cfg.loss == "infonce"
        if self._adj is not None and two_views and (batch in ("1", "on") or
                                                     (batch == "auto" and self._graph_state == "pending")):
            n = self.num_nodes
            self._adj2 = CachedAdjacency(torch.cat([self.edge_index, self.edge_index + n], 1), 2 * n, cfg.encoder,
                                         kernel=self._adj.kernel)
        self.fast_info["batched_views"] = self._adj2 is not None
        sparse = (False, "off: no fast propagation")
        if self._adj is not None:
            sparse = sparse_features_wanted(self.x, cfg.hidden if cfg.layers > 1 else cfg.embedding_dim)
        if sparse[0]:
            self._sparse_x = SparseFeatures(self.x)
            if self._adj2 is not None:
                self._sparse_x2 = SparseFeatures(self.x, blocks=2)
        self.fast_info["sparse_features"] = sparse[1]

    def _graph_blocker(self) -> str | None:
        """Why the step cannot be captured in a CUDA graph, or None."""
        cfg = self.cfg
        if self.device.type != "cuda":
            return "not a CUDA device"
        if os.environ.get("GRAPHCL_CUDA_GRAPH", "1").strip() == "0":
            return "disabled by GRAPHCL_CUDA_GRAPH=0"
        if self._adj is None:
            return f"encoder '{cfg.encoder}' runs PyG message passing (data-dependent shapes)"
        if cfg.pairs == "labels":
            return "the 'labels' pair strategy checks the labels on the host"
        if cfg.negative_sampling != "uniform":
            return "degree-weighted negative sampling is not captured"
        if self.num_nodes > GRAPH_MAX_NODES:
            return f"large graph (> {GRAPH_MAX_NODES:,} nodes): the step is GPU-bound"
        return None

    def _try_capture(self) -> None:
        gens = [self.gen]
        if self.device.type == "cuda" and not hasattr(torch.cuda.CUDAGraph, "register_generator_state"):
            # Older PyTorch: only the default CUDA generator works inside graphs; reseed it for this run.
            with _INIT_LOCK:
                idx = self.device.index if self.device.index is not None else torch.cuda.current_device()
                self.gen = torch.cuda.default_generators[idx]
                self.gen.manual_seed(self.cfg.seed + self.epoch)
            gens = []
        try:
            self._graphed = capture_step(self._step_body, self.optimizer, gens, self.cfg.loss_sync_every,
                                         self.device, allow_tf32=self._tf32)
            self._graph_state = "on"
            self.fast_info["cuda_graph"] = "on"
        except Exception as e:  # noqa: BLE001 - any capture problem means: train eagerly
            self._graphed = None
            self._graph_state = "off"
            reason = f"capture failed ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''})"[:300]
            self.fast_info["cuda_graph"] = f"off: {reason}"
            log.warning("CUDA graph %s; training without it", reason)
            self.optimizer.zero_grad(set_to_none=True)
            if self.device.type == "cuda":
                torch.cuda.synchronize(self.device)

    def _adj_view(self, drop_p: float):
        if drop_p <= 0:
            return self._clean_view
        return self._adj.view(self._drop_weights(drop_p))

    def _drop_weights(self, drop_p: float) -> torch.Tensor:
        if drop_p <= 0:
            return self.base_weight
        return self.base_weight * drop_edge_mask(self.pair_id, self.num_pairs, drop_p, self.gen)

    def _step_body(self) -> torch.Tensor:
        loss = self.compute_loss()
        loss.backward()
        self.optimizer.step()
        return loss

    def _eager_step(self) -> torch.Tensor:
        self.optimizer.zero_grad(set_to_none=True)
        if self._graph_state == "pending" and self.device.type == "cuda":
            # warm-up before capture, on a side stream (as PyTorch's CUDA-graph recipe does)
            if self._side_stream is None:
                self._side_stream = torch.cuda.Stream(self.device)
            cur = torch.cuda.current_stream(self.device)
            self._side_stream.wait_stream(cur)
            with torch.cuda.stream(self._side_stream), tf32(self._tf32):
                loss = self._step_body()
            cur.wait_stream(self._side_stream)
        else:
            with tf32(self._tf32):
                loss = self._step_body()
        if self._graph_state == "pending":
            self._warm_steps += 1
        return loss.detach()

    # ---- one view of the graph ------------------------------------------------------------
    def _graph_view(self, drop_p: float):
        """``(edge_index, edge_weight)`` of a view with edges dropped with probability ``drop_p``.

        For layers that take edge weights, dropped edges get weight 0 (static shapes, no host
        sync); GraphConv's weights are then normalised symmetrically (1/sqrt(d_u d_v)).
        """
        w = self.base_weight
        if drop_p > 0:
            w = w * drop_edge_mask(self.pair_id, self.num_pairs, drop_p, self.gen)
        enc = self.cfg.encoder
        if enc == "graphconv":
            deg = torch.zeros(self.num_nodes, device=w.device).index_add_(0, self.edge_index[0], w)
            inv = deg.clamp(min=1e-12).rsqrt()
            return self.edge_index, w * inv[self.edge_index[0]] * inv[self.edge_index[1]]
        if enc == "gcn":
            return self.edge_index, w
        if drop_p > 0:
            return self.edge_index[:, w > 0], None
        return self.edge_index, None

    def _view(self):
        cfg = self.cfg
        if self._adj is not None:
            view = self._adj_view(cfg.drop_edge_p)  # same draw order as below: edges, then features
            return self.model(self._view_features(cfg.mask_feature_p), None, None, adj=view)
        ei, w = self._graph_view(cfg.drop_edge_p)
        return self.model(mask_features(self.x, cfg.mask_feature_p, self.gen), ei, w)

    def _view_features(self, mask_p: float):
        """One view's input: feature columns masked with probability ``mask_p`` (the same draw either way);
        kept sparse, with the input dropout applied to the nonzeros, when sparse features are on."""
        if self._sparse_x is None:
            return mask_features(self.x, mask_p, self.gen)
        keep = feature_keep_mask(self.x.size(1), mask_p, self.gen, self.device)
        return self._sparse_x.view(keep, self.cfg.dropout, self.model.training)

    def _two_views_batched(self):
        """Both views in one encoder pass over the disjoint union of two copies of the graph.

        Mathematically the same as two passes (every op is row-wise or follows the edges, which
        never cross copies); half the kernels. Random draws come in another order (edges 1,
        features 1, edges 2, features 2, then dropout for both), so used where the step is
        launch-bound (CUDA-graph path), not where CPU results must match the reference draw by draw.
        """
        cfg, n = self.cfg, self.num_nodes
        w, xs, keeps = [], [], []
        for _ in range(2):
            w.append(self._drop_weights(cfg.drop_edge_p))
            if self._sparse_x2 is not None:
                keeps.append(feature_keep_mask(self.x.size(1), cfg.mask_feature_p, self.gen, self.device))
            else:
                xs.append(mask_features(self.x, cfg.mask_feature_p, self.gen))
        if self._sparse_x2 is None:
            x = torch.cat(xs)
        else:
            keep = None if keeps[0] is None else torch.stack(keeps)
            x = self._sparse_x2.view(keep, cfg.dropout, self.model.training)
        z = self.model(x, None, None, adj=self._adj2.view(torch.cat(w)))
        return z[:n], z[n:]

    def _embeddings_for_loss(self):
        """``(z_a, z_b)``: two augmented views, or the same clean graph twice."""
        if self.cfg.pairs == "views" or self.cfg.loss == "infonce":
            if self._adj2 is not None:
                return self._two_views_batched()
            return self._view(), self._view()
        if self._adj is not None:
            z = self.model(self._view_features(0.0), None, None, adj=self._adj_view(0.0))
            return z, z
        ei, w = self._graph_view(0.0)
        z = self.model(self.x, ei, w)
        return z, z

    def _pairs(self) -> PairSet:
        cfg = self.cfg
        return generate_pairs(cfg.pairs, self.num_nodes, edge_index=self.edge_index, y=self.y,
                              negatives=cfg.negatives, sampling=cfg.negative_sampling,
                              exclude_true_edges=cfg.exclude_true_edges, max_positives=MAX_POSITIVES,
                              generator=self.gen, edge_keys=self.edge_keys, device=self.device)

    def compute_loss(self) -> torch.Tensor:
        cfg = self.cfg
        za, zb = self._embeddings_for_loss()
        if cfg.loss == "infonce":
            fn = infonce_fast if self.fast and _env_on("GRAPHCL_INFONCE_FAST") else infonce_loss
            return fn(za, zb, cfg.tau, max_nodes=INFONCE_MAX_NODES)
        ps = self._pairs()
        if cfg.loss == "triplet":
            p = ps.num_positive
            neg = zb[ps.dst[p:]].view(p, cfg.negatives, -1)
            return triplet_margin_loss(za[ps.src[:p]], zb[ps.dst[:p]], neg, cfg.margin)
        fn = margin_contrastive_loss if cfg.loss == "margin" else hadsell_contrastive_loss
        if self.fast:  # index_select: its backward is one index_add (no sort-based index_put)
            return fn(za.index_select(0, ps.src), zb.index_select(0, ps.dst), ps.y, cfg.margin)
        return fn(za[ps.src], zb[ps.dst], ps.y, cfg.margin)

    # ---- training ----------------------------------------------------------------------------
    def step(self) -> None:
        """One epoch: one optimisation step on the whole graph."""
        with self._compute_lock:
            self._step_locked()

    def _step_locked(self) -> None:
        if self.started_at is None:
            self.started_at = time.perf_counter()
        t0 = time.perf_counter()
        if not self.model.training:
            self.model.train()
        try:
            if self._graph_state == "pending" and self._warm_steps >= WARMUP_STEPS:
                self._try_capture()
            if self._graphed is not None:
                value = self._graphed.replay()  # ring slot of this epoch's loss
            else:
                value = self._eager_step()
        except torch.cuda.OutOfMemoryError as e:
            self.optimizer.zero_grad(set_to_none=True)
            torch.cuda.empty_cache()
            raise _oom_error(self.bundle) from e
        self.epoch += 1
        self.train_seconds += time.perf_counter() - t0
        self._pending.append((self.epoch, value, self.train_seconds))
        if len(self._pending) >= self.cfg.loss_sync_every:
            self.flush_losses()

    def flush_losses(self) -> None:
        """Read pending losses back from the device (one sync) and check they are finite."""
        if not self._pending:
            return
        items = [v for _, v, _ in self._pending]
        if all(isinstance(v, int) for v in items):  # CUDA-graph losses: slots of the device ring
            values = self._graphed.read(items)
        elif any(isinstance(v, int) for v in items):
            ring = self._graphed.ring
            values = torch.cat([ring[v:v + 1] if isinstance(v, int) else v.reshape(1).float()
                                for v in items]).cpu().tolist()
        else:
            values = torch.stack(items).float().cpu().tolist()
        rows = [{"epoch": e, "loss": v, "seconds": s} for (e, _, s), v in zip(self._pending, values)]
        self._pending.clear()
        with self._lock:
            self.history.extend(rows)
        bad = next((r for r in rows if not np.isfinite(r["loss"])), None)
        if bad is not None:
            raise TrainingError(
                f"The loss became {bad['loss']} at epoch {bad['epoch']}, so training stopped. "
                f"Try a smaller learning rate (now {self.cfg.lr:g}) or a smaller margin.")

    def embeddings(self) -> torch.Tensor:
        """Encoder output on the clean graph (what the probe and the projection use)."""
        with self._compute_lock, torch.no_grad():
            return self._embeddings_locked()

    def _embeddings_locked(self) -> torch.Tensor:
        self.model.eval()
        if self._adj is not None:
            with tf32(self._tf32):  # eval mode: no dropout, nothing masked
                return self.model.embed(self._view_features(0.0), None, None, adj=self._adj_view(0.0))
        ei, w = self._graph_view(0.0)
        return self.model.embed(self.x, ei, w)

    @torch.no_grad()
    def pair_distances(self, max_pairs: int = 2000) -> dict:
        """Distances of a fresh sample of positive and negative pairs, in the loss's own units.

        ``squared`` distances for the margin/triplet losses (the margin applies to d²), plain
        distances for Hadsell; cosine-based squared distance for InfoNCE (normalised vectors).
        Draws from its own generator, so looking at the histogram never changes a seeded run.
        """
        with self._compute_lock, torch.no_grad():
            train_gen, self.gen = self.gen, self._viz_gen
            try:
                return self._pair_distances_locked(max_pairs)
            finally:
                self.gen = train_gen

    def _pair_distances_locked(self, max_pairs: int) -> dict:
        self.model.eval()
        za, zb = self._embeddings_for_loss()
        if self.cfg.loss == "infonce":
            za, zb = torch.nn.functional.normalize(za, dim=-1), torch.nn.functional.normalize(zb, dim=-1)
        ps = self._pairs()
        d = (za[ps.src] - zb[ps.dst]).pow(2).sum(-1)
        plain = self.cfg.loss == "hadsell"
        if plain:
            d = d.sqrt()
        pos, neg = d[ps.y > 0.5], d[ps.y <= 0.5]
        pos, neg = pos[: max_pairs].float().cpu().numpy(), neg[: max_pairs].float().cpu().numpy()
        return {"positive": pos, "negative": neg, "units": "distance" if plain else "squared distance",
                "margin": self.cfg.margin if self.cfg.loss != "infonce" else None}

    def take_snapshot(self, metrics: dict | None = None) -> Snapshot:
        self.flush_losses()
        emb = self.embeddings().float().cpu().numpy().astype(np.float16)
        loss = self.history[-1]["loss"] if self.history else float("nan")
        snap = Snapshot(self.epoch, loss, emb, dict(metrics or {}))
        with self._lock:
            if self.snapshots and self.snapshots[-1].epoch == self.epoch:
                self.snapshots[-1] = snap
            else:
                self.snapshots.append(snap)
            if len(self.snapshots) > self.max_snapshots:
                # Thin out evenly (keep first and last) so the timeline still spans the whole run.
                self.snapshots = self.snapshots[:-1:2] + [self.snapshots[-1]]
        return snap

    def evaluate(self, quick: bool = True) -> dict:
        from .evaluation import evaluate

        self.flush_losses()
        metrics = evaluate(self.embeddings(), self.bundle, quick=quick, seed=self.cfg.seed)
        with self._lock:
            if self.snapshots and self.snapshots[-1].epoch == self.epoch:
                self.snapshots[-1].metrics.update(metrics)
            for row in reversed(self.history):
                if row["epoch"] == self.epoch:
                    row.update(metrics)
                    break
        return metrics

    def run(self, epochs: int | None = None, callback=None) -> None:
        """Train until ``cfg.epochs`` (or ``epochs`` more) or until ``stop()``.

        Snapshots every ``snapshot_every`` epochs, quick evaluation every ``eval_every`` (when labels
        exist; in a helper thread) and ``callback(self)`` after each of those and at the end. The
        full evaluation of the final embeddings is the caller's (``evaluate(quick=False)``).
        """
        cfg = self.cfg
        target = cfg.epochs if epochs is None else self.epoch + epochs
        if self.epoch == 0 and not self.snapshots:
            self.take_snapshot()
        while self.epoch < target and not self._stop.is_set():
            if not self._running.is_set():
                with self._lock:
                    single = self._steps_allowed > 0
                    self._steps_allowed -= int(single)
                if not single:
                    self.flush_losses()
                    self._running.wait(timeout=0.1)
                    continue
            self.step()
            boundary = self.epoch % cfg.snapshot_every == 0 or self.epoch == target or self.paused
            eval_due = bool(self.bundle.has_labels and cfg.eval_every and self.epoch % cfg.eval_every == 0)
            if boundary or eval_due:
                snap = self.take_snapshot()
                if eval_due:
                    self._evaluate_async(snap)
                if callback is not None:
                    callback(self)
        self.flush_losses()
        self.wait_for_evaluation()

    def _evaluate_async(self, snap: Snapshot) -> None:
        """Quick metrics of a snapshot in a helper thread, so training goes on meanwhile.

        Skipped when the previous evaluation is still running (the GPU outpaces scikit-learn); the
        metrics land in the history row and the snapshot of that epoch when ready.
        """
        if self._eval_thread is not None and self._eval_thread.is_alive():
            return
        from .evaluation import evaluate

        emb, epoch = snap.embeddings, snap.epoch

        def work() -> None:
            try:
                metrics = evaluate(emb.astype(np.float32), self.bundle, quick=True, seed=self.cfg.seed)
            except Exception as e:  # noqa: BLE001 - a metric failing must not stop training
                log.warning("evaluation at epoch %d failed: %s", epoch, e)
                return
            with self._lock:
                snap.metrics.update(metrics)
                for row in reversed(self.history):
                    if row["epoch"] == epoch:
                        row.update(metrics)
                        break

        self._eval_thread = threading.Thread(target=work, name="graphcl-eval", daemon=True)
        self._eval_thread.start()

    def wait_for_evaluation(self, timeout: float | None = 60.0) -> None:
        """Let a running background evaluation finish (so saved metrics are complete)."""
        if self._eval_thread is not None:
            self._eval_thread.join(timeout)

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def request_step(self) -> None:
        """While paused, let exactly one more epoch run (the app's Step button)."""
        with self._lock:
            self._steps_allowed += 1

    def stop(self) -> None:
        self._stop.set()
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def progress(self) -> dict:
        """A consistent copy of what the live view needs."""
        with self._lock:
            return {"epoch": self.epoch, "epochs": self.cfg.epochs, "history": list(self.history),
                    "snapshots": len(self.snapshots), "seconds": self.train_seconds}

    def snapshot_list(self) -> list[Snapshot]:
        with self._lock:
            return list(self.snapshots)


def _env_on(name: str, default: str = "1") -> bool:
    """Switches for single fast-path pieces, each on unless set to 0: GRAPHCL_FAST_PROPAGATION,
    GRAPHCL_INFONCE_FAST, GRAPHCL_FUSED_ADAM (one Adam kernel for all parameters on CUDA; it once turned
    GCN + InfoNCE into NaN, which was a 1e19 gradient from normalising an all-zero view row, fixed in
    ``losses.safe_normalize``; foreach Adam had silently frozen those biases instead)."""
    return os.environ.get(name, default).strip().lower() not in ("0", "false", "no", "off")


def _make_optimizer(cfg: TrainConfig, model: torch.nn.Module, for_cuda_graph: bool = False,
                    fused: bool = False) -> torch.optim.Optimizer:
    """``for_cuda_graph``: optimiser state on the device (capturable); ``fused``: one kernel for all parameters."""
    params = list(model.parameters())
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr, momentum=0.9, weight_decay=cfg.weight_decay)
    cls = torch.optim.AdamW if cfg.optimizer == "adamw" else torch.optim.Adam
    if for_cuda_graph:
        tries = ([{"fused": True, "capturable": True}] if fused else []) + [{"capturable": True}]
    else:
        tries = [{"fused": True}] if fused else []
    for extra in tries:
        try:
            return cls(params, lr=cfg.lr, weight_decay=cfg.weight_decay, **extra)
        except (RuntimeError, ValueError, TypeError):
            continue
    return cls(params, lr=cfg.lr, weight_decay=cfg.weight_decay)


def _oom_error(bundle: GraphBundle) -> TrainingError:
    return TrainingError(
        f"The GPU ran out of memory training on '{bundle.name}' ({bundle.num_nodes:,} nodes). "
        "Try a smaller hidden or embedding size, fewer negatives, or the CPU device.")

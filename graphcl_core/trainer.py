"""``Trainer``: a short, readable contrastive training loop that another thread can pause, resume and stop.

One ``step()`` is one epoch (one full-graph optimisation step). The loss is kept on the device and
read back every ``cfg.loss_sync_every`` steps, so the GPU is not stalled for a number nobody looks at.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import numpy as np
import torch

from .augment import generate_pairs, mask_features
from .augment.pairs import PairSet, edge_keys_of
from .augment.views import drop_edge_mask, undirected_pair_ids
from .config import TrainConfig
from .device import resolve_device
from .errors import ConfigError, TrainingError
from .features import prepare_features
from .graph import GraphBundle
from .losses import hadsell_contrastive_loss, infonce_loss, margin_contrastive_loss, triplet_margin_loss
from .models import build_model

# torch.manual_seed is process-wide: serialise model creation so two runs started at once by two
# browser tabs each get the weights their own seed asks for.
_INIT_LOCK = threading.Lock()

# Above this many nodes InfoNCE uses a random subset per step instead of N×N similarity matrices.
INFONCE_MAX_NODES = 8192
# Above this many positives per step the pair losses sample positives (bounded memory per step).
MAX_POSITIVES = 262_144
# Snapshots of embeddings are kept in memory up to this many bytes per run.
SNAPSHOT_BUDGET_BYTES = 256 * 2**20


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

    def __init__(self, bundle: GraphBundle, cfg: TrainConfig):
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
        except torch.cuda.OutOfMemoryError as e:
            raise _oom_error(bundle) from e
        self.optimizer = _make_optimizer(cfg, self.model)
        self.num_nodes = n
        self.epoch = 0
        self.history: list[dict] = []
        self.snapshots: list[Snapshot] = []
        self.started_at: float | None = None
        self.train_seconds = 0.0
        self._pending: list[tuple[int, torch.Tensor, float]] = []
        self._lock = threading.Lock()
        self._running = threading.Event()
        self._running.set()
        self._stop = threading.Event()
        self._steps_allowed = 0
        per_snapshot = max(1, n * cfg.embedding_dim * 2)
        self.max_snapshots = max(2, min(cfg.max_snapshots, SNAPSHOT_BUDGET_BYTES // per_snapshot))

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
        ei, w = self._graph_view(cfg.drop_edge_p)
        return self.model(mask_features(self.x, cfg.mask_feature_p, self.gen), ei, w)

    def _embeddings_for_loss(self):
        """``(z_a, z_b)``: two augmented views, or the same clean graph twice."""
        if self.cfg.pairs == "views" or self.cfg.loss == "infonce":
            return self._view(), self._view()
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
            return infonce_loss(za, zb, cfg.tau, max_nodes=INFONCE_MAX_NODES)
        ps = self._pairs()
        if cfg.loss == "triplet":
            p = ps.num_positive
            neg = zb[ps.dst[p:]].view(p, cfg.negatives, -1)
            return triplet_margin_loss(za[ps.src[:p]], zb[ps.dst[:p]], neg, cfg.margin)
        fn = margin_contrastive_loss if cfg.loss == "margin" else hadsell_contrastive_loss
        return fn(za[ps.src], zb[ps.dst], ps.y, cfg.margin)

    # ---- training ----------------------------------------------------------------------------
    def step(self) -> None:
        """One epoch: one optimisation step on the whole graph."""
        if self.started_at is None:
            self.started_at = time.perf_counter()
        t0 = time.perf_counter()
        self.model.train()
        self.optimizer.zero_grad(set_to_none=True)
        try:
            loss = self.compute_loss()
            loss.backward()
            self.optimizer.step()
        except torch.cuda.OutOfMemoryError as e:
            self.optimizer.zero_grad(set_to_none=True)
            torch.cuda.empty_cache()
            raise _oom_error(self.bundle) from e
        self.epoch += 1
        self.train_seconds += time.perf_counter() - t0
        self._pending.append((self.epoch, loss.detach(), self.train_seconds))
        if len(self._pending) >= self.cfg.loss_sync_every:
            self.flush_losses()

    def flush_losses(self) -> None:
        """Read pending losses back from the device (one sync) and check they are finite."""
        if not self._pending:
            return
        values = torch.stack([v for _, v, _ in self._pending]).float().cpu().tolist()
        rows = [{"epoch": e, "loss": v, "seconds": s} for (e, _, s), v in zip(self._pending, values)]
        self._pending.clear()
        with self._lock:
            self.history.extend(rows)
        bad = next((r for r in rows if not np.isfinite(r["loss"])), None)
        if bad is not None:
            raise TrainingError(
                f"The loss became {bad['loss']} at epoch {bad['epoch']}, so training stopped. "
                f"Try a smaller learning rate (now {self.cfg.lr:g}) or a smaller margin.")

    @torch.no_grad()
    def embeddings(self) -> torch.Tensor:
        """Encoder output on the clean graph (what the probe and the projection use)."""
        self.model.eval()
        ei, w = self._graph_view(0.0)
        return self.model.embed(self.x, ei, w)

    @torch.no_grad()
    def pair_distances(self, max_pairs: int = 2000) -> dict:
        """Distances of a fresh sample of positive and negative pairs, in the loss's own units.

        ``squared`` distances for the margin/triplet losses (the margin applies to d²), plain
        distances for Hadsell; cosine-based squared distance for InfoNCE (normalised vectors).
        """
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
            for row in reversed(self.history):
                if row["epoch"] == self.epoch:
                    row.update(metrics)
                    break
        return metrics

    def run(self, epochs: int | None = None, callback=None) -> None:
        """Train until ``cfg.epochs`` (or ``epochs`` more) or until ``stop()``.

        Snapshots every ``snapshot_every`` epochs, evaluation every ``eval_every`` (when labels
        exist), and ``callback(self)`` after each of those and at the end.
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
            evaluated = {}
            if self.bundle.has_labels and cfg.eval_every and (self.epoch % cfg.eval_every == 0 or self.epoch == target):
                evaluated = self.evaluate(quick=self.epoch != target)
            if boundary or evaluated:
                self.take_snapshot(evaluated)
                if callback is not None:
                    callback(self)
        self.flush_losses()

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


def _make_optimizer(cfg: TrainConfig, model: torch.nn.Module) -> torch.optim.Optimizer:
    params = model.parameters()
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr, momentum=0.9, weight_decay=cfg.weight_decay)
    if cfg.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    return torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)


def _oom_error(bundle: GraphBundle) -> TrainingError:
    return TrainingError(
        f"The GPU ran out of memory training on '{bundle.name}' ({bundle.num_nodes:,} nodes). "
        "Try a smaller hidden or embedding size, fewer negatives, or the CPU device.")

"""From parsed nodes and edges to a clean ``GraphBundle``: the one place that enforces the contract.

Every format parser produces a ``RawGraph`` (names plus edge arrays, as found in the file); this
module removes self-loops, merges duplicates, makes the graph undirected, checks the size limits,
attaches labels/features, and writes the notes that tell the user what was changed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
from torch_geometric.data import Data

from ..errors import GraphLoadError
from ..graph import GraphBundle
from .limits import SizeLimits


@dataclass
class RawGraph:
    """A graph exactly as read from a file. ``node_attrs[attr][i]`` is node i's value (None = missing)."""

    names: list[str]
    src: np.ndarray
    dst: np.ndarray
    weight: np.ndarray | None = None
    directed: bool = False
    node_attrs: dict[str, list] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


class NodeIndex:
    """Interns node ids as they are met, so names keep the file's order."""

    def __init__(self, names: list[str] | None = None):
        self.names: list[str] = []
        self.index: dict[str, int] = {}
        for n in names or []:
            self.add(n)

    def add(self, name: str) -> int:
        i = self.index.get(name)
        if i is None:
            i = self.index[name] = len(self.names)
            self.names.append(name)
        return i

    def __len__(self) -> int:
        return len(self.names)


# Edge weights are stored as float32: anything larger would become infinity and poison training.
MAX_WEIGHT = float(np.finfo(np.float32).max)
WEIGHT_RULE = "weights must be numbers from 0 up to 3.4e38"


def weight_problem(value) -> str | None:
    """Why ``value`` cannot be an edge weight (``None`` if it can): a number, not a bool, finite,
    zero or more, and small enough for float32 (1e39 would silently become infinity)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "is not a number"
    try:
        value = float(value)
    except OverflowError:  # an integer too large for a float
        return "is too large"
    if math.isnan(value):
        return "is not a number"
    if value < 0:
        return "is negative"
    if value > MAX_WEIGHT:
        return "is too large"
    return None


def is_valid_weight(value) -> bool:
    """A weight read from a structured file (GML, JSON): see ``weight_problem``."""
    return weight_problem(value) is None


def plural(n: int, one: str, many: str) -> str:
    """'1 node', '2 nodes': every count a person reads goes through here."""
    return f"{n:,} {one if n == 1 else many}"



def undeclared_note(new_ids: list[str], edges: int, what: str, has_node_list: bool) -> list[str]:
    """Edges naming ids the file's node list lacks still create those nodes; say so, since it may be a typo."""
    if not new_ids or not has_node_list:
        return []
    example = ", ".join(repr(v) for v in new_ids[:3]) + (", …" if len(new_ids) > 3 else "")
    return [f"{plural(edges, what + ' refers', what + 's refer')} to {plural(len(new_ids), 'id', 'ids')} that "
            f"{'is' if len(new_ids) == 1 else 'are'} not in the node list ({example}); "
            f"{'it was added as a node' if len(new_ids) == 1 else 'they were added as nodes'}."]


def clean_edges(raw: RawGraph, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, list[str]]:
    """Return undirected edges as (u, v, w) with u < v, unique, plus notes on what changed.

    Duplicate weights are merged by keeping the largest, so an edge written in both directions
    (with the same weight) does not double its strength.
    """
    src = np.asarray(raw.src, dtype=np.int64)
    dst = np.asarray(raw.dst, dtype=np.int64)
    w = None if raw.weight is None else np.asarray(raw.weight, dtype=np.float64)
    notes: list[str] = []
    loops = src == dst
    if loops.any():
        notes.append(f"{plural(int(loops.sum()), 'self-loop was', 'self-loops were')} removed.")
        keep = ~loops
        src, dst = src[keep], dst[keep]
        w = None if w is None else w[keep]
    # Exact duplicates (the same ordered pair again) and pairs written in both directions are
    # reported separately: the second is normal for symmetric edge lists and directed input.
    okey, oinv = np.unique(src * n + dst, return_inverse=True)
    dups = len(src) - len(okey)
    if dups:
        how = " (the largest weight was kept)" if w is not None else ""
        notes.append(f"{plural(dups, 'duplicate edge was', 'duplicate edges were')} merged{how}.")
    if w is not None:
        wm = np.full(len(okey), -np.inf)
        np.maximum.at(wm, oinv, w)
        w = wm
    a, b = okey // n, okey % n
    uniq, cinv = np.unique(np.minimum(a, b) * n + np.maximum(a, b), return_inverse=True)
    both = len(okey) - len(uniq)
    if w is not None:
        wm = np.full(len(uniq), -np.inf)
        np.maximum.at(wm, cinv, w)
        w = wm
    if raw.directed:
        extra = f" ({plural(both, 'pair', 'pairs')} of opposite edges became one edge)" if both else ""
        notes.insert(0, f"The input was directed; edges were made undirected{extra}.")
    elif both:
        notes.append(f"{plural(both, 'edge was', 'edges were')} listed in both directions; "
                     "each pair became one undirected edge.")
    return uniq // n, uniq % n, w, notes


def to_edge_index(u: np.ndarray, v: np.ndarray, w: np.ndarray | None):
    """Store each undirected edge in both directions, sorted by (source, target)."""
    rows = np.concatenate([u, v])
    cols = np.concatenate([v, u])
    order = np.lexsort((cols, rows))
    ei = torch.from_numpy(np.stack([rows[order], cols[order]]).astype(np.int64))
    ew = None if w is None else torch.from_numpy(np.concatenate([w, w])[order].astype(np.float32))
    return ei, ew


def encode_labels(values: list) -> tuple[np.ndarray, list[str]]:
    """Map raw label values to class ids (-1 for missing). Classes are numeric-sorted when all are
    whole numbers, else alphabetical, so the numbering does not depend on row order."""
    texts = [None if v is None or (isinstance(v, float) and np.isnan(v)) or str(v).strip() == "" else str(v).strip()
             for v in values]
    present = {t for t in texts if t is not None}

    def as_int(t: str):
        try:
            f = float(t)
        except ValueError:
            return None
        return int(f) if f.is_integer() else None

    if present and all(as_int(t) is not None for t in present):
        classes = sorted(present, key=lambda t: as_int(t))
        names = [str(as_int(t)) for t in classes]
    else:
        classes = names = sorted(present, key=str.casefold)
    pos = {c: i for i, c in enumerate(classes)}
    y = np.array([-1 if t is None else pos[t] for t in texts], dtype=np.int64)
    return y, list(names)


def standardise(x: np.ndarray) -> np.ndarray:
    """Zero mean, unit variance per column; constant columns become zeros."""
    x = x.astype(np.float64)
    std = x.std(axis=0)
    return ((x - x.mean(axis=0)) / np.where(std > 0, std, 1.0)).astype(np.float32)


def make_bundle(raw: RawGraph, *, name: str, source: str, description: str, limits: SizeLimits,
                x: np.ndarray | None = None, feature_source: str = "given", y: np.ndarray | None = None,
                label_names: list[str] | None = None, extra_notes: list[str] | None = None) -> GraphBundle:
    """Clean the edges, check limits, fill in structural features when none are given."""
    from .structural import structural_features

    n = len(raw.names)
    if n == 0:
        raise GraphLoadError("The graph has no nodes.")
    limits.check_nodes(n)
    u, v, w, notes = clean_edges(raw, n)
    limits.check_edges(len(u))
    if len(u) == 0:
        raise GraphLoadError(f"The graph has {plural(n, 'node', 'nodes')} but no edges (after removing self-loops); "
                             "a graph needs at least one edge between two different nodes.")
    if w is not None and len(w) and float(w.max()) > MAX_WEIGHT:
        raise GraphLoadError(f"An edge weight is too large ({float(w.max()):.3g}): {WEIGHT_RULE}. "
                             "Rescale the weights, for example divide them all by the largest one.")
    notes = list(raw.notes) + notes + list(extra_notes or [])
    if x is None:
        x, feature_source = structural_features(u, v, n)
    if x.shape[0] != n:
        raise GraphLoadError(f"Internal mismatch: {x.shape[0]} feature rows for {n} nodes.")
    if not np.isfinite(x).all():
        raise GraphLoadError("Some node features are not finite numbers (NaN or infinity).")
    ei, ew = to_edge_index(u, v, w)
    data = Data(x=torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)), edge_index=ei, num_nodes=n)
    if ew is not None:
        data.edge_weight = ew
    if y is not None and (y >= 0).any():
        data.y = torch.from_numpy(np.asarray(y, dtype=np.int64))
    else:
        label_names = None
    isolated = n - len(np.union1d(u, v))
    if isolated:
        notes.append(f"{plural(isolated, 'node has', 'nodes have')} no edges (kept as isolated nodes).")
    return GraphBundle(data=data, name=name, node_names=list(raw.names), source=source, description=description,
                       label_names=label_names, feature_source=feature_source, notes=notes)

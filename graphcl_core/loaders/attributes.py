"""Node attributes found in GraphML/GEXF/GML/JSON files: which become labels, features or names.

Kept deliberately simple and predictable: a class-like attribute (named e.g. ``class``, ``club``,
``community``) with few distinct values becomes the labels; numeric attributes (except layout and
styling ones such as ``x``/``size``/``r``) become features; a unique ``label``/``name`` becomes
the node names.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .build import encode_labels

LABEL_ATTRS = ("class", "label", "labels", "club", "community", "group", "category", "faction", "target", "y",
               "value")
NAME_ATTRS = ("name", "label", "title")
IGNORED_FEATURES = {"x", "y", "z", "size", "r", "g", "b", "a", "width", "height", "color", "colour", "shape",
                    "pos", "id", "index", "weight", "viz", "label", "name", "title"}


@dataclass
class Interpreted:
    names: list[str] | None = None
    y: np.ndarray | None = None
    label_names: list[str] | None = None
    x: np.ndarray | None = None
    feature_cols: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _number(v) -> float | None:
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, (int, float)):
        return float(v) if math.isfinite(v) else None
    if isinstance(v, str):
        try:
            f = float(v)
        except ValueError:
            return None
        return f if math.isfinite(f) else None
    return None


def _vector(values: list) -> np.ndarray | None:
    """An attribute holding equal-length numeric lists on every node (e.g. JSON ``"x": [..]``)."""
    if not all(isinstance(v, (list, tuple)) and v for v in values):
        return None
    if len({len(v) for v in values}) != 1:
        return None
    rows = [[_number(t) for t in v] for v in values]
    if any(t is None for r in rows for t in r):
        return None
    return np.array(rows, dtype=np.float64)


def interpret(attrs: dict[str, list], n: int) -> Interpreted:
    out = Interpreted()
    if n == 0 or not attrs:
        return out
    lower = {k.lower(): k for k in attrs}
    for key in NAME_ATTRS:
        vals = attrs.get(lower.get(key, ""), None)
        if vals and all(isinstance(v, (str, int)) and str(v).strip() for v in vals) and len({str(v) for v in vals}) == n:
            out.names = [str(v) for v in vals]
            break
    label_key = None
    for key in LABEL_ATTRS:
        k = lower.get(key)
        if k is None or (out.names is not None and key in NAME_ATTRS):
            continue
        vals = attrs[k]
        if any(isinstance(v, (list, tuple, dict)) for v in vals):
            continue
        distinct = {str(v) for v in vals if v is not None and str(v).strip()}
        if 2 <= len(distinct) <= min(100, max(2, n // 2)):
            label_key = k
            out.y, out.label_names = encode_labels(vals)
            out.notes.append(f"Labels were taken from the node attribute '{k}'.")
            break
    blocks, cols = [], []
    for k, vals in attrs.items():
        if k == label_key or k.lower() in IGNORED_FEATURES and _vector(vals) is None:
            continue
        vec = _vector(vals)
        if vec is not None:
            blocks.append(vec)
            cols.append(f"{k} ({vec.shape[1]} values)")
            continue
        nums = [_number(v) for v in vals]
        if all(t is not None for t in nums):
            blocks.append(np.array(nums, dtype=np.float64)[:, None])
            cols.append(k)
    if blocks:
        out.x = np.concatenate(blocks, axis=1).astype(np.float32)
        out.feature_cols = cols
        out.notes.append(f"Node features were taken from the attribute{'s' if len(cols) > 1 else ''} "
                         f"{', '.join(cols)}.")
    return out

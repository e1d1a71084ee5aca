"""Node attributes found in GraphML/GEXF/GML/JSON files: which become labels, features or names.

Kept deliberately simple and predictable, one rule per role:

- labels: the attribute the user chooses, else a class-like one (named e.g. ``class``, ``club``,
  ``community``, ``Klasse``, ``groupe``: ``header_names``) with few distinct values;
- names: a unique ``label``/``name``/``title`` (``Bezeichnung``, ``nom``...);
- features: an attribute holding a list of numbers on every node (node-link JSON ``"x": [..]``) is a
  feature vector and is used. Single numeric attributes (``pop``, ``size``, ``age``, Gephi's
  ``Degree``...) are only *offered* (``numeric_attributes``) and used when the user chooses them: one
  number such as a population or a drawing size would otherwise silently replace the structural
  features. The notes say which numeric attributes were left unused.

The label attribute is never a feature: it would hand the model the answer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import GraphLoadError
from .build import encode_labels
from .header_names import LABEL_KEYS, NAME_KEYS, name_key



@dataclass
class Interpreted:
    names: list[str] | None = None
    y: np.ndarray | None = None
    label_names: list[str] | None = None
    x: np.ndarray | None = None
    feature_cols: list[str] = field(default_factory=list)
    unused_numeric: list[str] = field(default_factory=list)  # numeric attributes offered, not chosen
    label_key: str | None = None
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


def numeric_attributes(attrs: dict[str, list]) -> list[str]:
    """Attributes that can be chosen as features: a number on every node that has the attribute (a node
    without it gets the mean), and at least one number. Not the name/label/title attributes, and not
    feature vectors (those are used anyway)."""
    out = []
    for k, vals in sorted(attrs.items()):
        if name_key(k) in NAME_KEYS:  # names and display labels identify nodes, they do not describe them
            continue
        present = [v for v in vals if v is not None and not (isinstance(v, str) and not v.strip())]
        if present and all(not isinstance(v, bool) and _number(v) is not None for v in present):
            out.append(k)
    return out


def attribute(attrs: dict[str, list], name: str) -> str:
    """The file's spelling of a node attribute the user named (exact first, then any case)."""
    if name in attrs:
        return name
    lower = {k.lower(): k for k in attrs}
    if name.lower() in lower:
        return lower[name.lower()]
    available = ", ".join(sorted(attrs)) or "none"
    raise GraphLoadError(f"The graph has no node attribute '{name}' (and no node table was given). "
                         f"Node attributes in the file: {available}.")


def _names(attrs: dict[str, list], n: int) -> list[str] | None:
    """A unique, non-empty ``name``/``label``/``title`` attribute: the nodes' display names."""
    keys = {name_key(k): k for k in attrs}
    for key in NAME_KEYS:
        vals = attrs.get(keys.get(key, ""), None)
        if vals and all(isinstance(v, (str, int)) and str(v).strip() for v in vals) and len({str(v) for v in vals}) == n:
            return [str(v) for v in vals]
    return None


def detect_label(attrs: dict[str, list], n: int, names_taken: bool) -> str | None:
    """A class-like attribute (by name) with between 2 and min(100, n/2) distinct values."""
    keys = {name_key(k): k for k in attrs}
    for key in LABEL_KEYS:
        k = keys.get(key)
        if k is None or (names_taken and key in NAME_KEYS):
            continue
        vals = attrs[k]
        if any(isinstance(v, (list, tuple, dict)) for v in vals):
            continue
        distinct = {str(v) for v in vals if v is not None and str(v).strip()}
        if 2 <= len(distinct) <= min(100, max(2, n // 2)):
            return k
    return None


def interpret(attrs: dict[str, list], n: int, label: str | None = None) -> Interpreted:
    """Names, labels (``label`` if given, else detected) and numeric features from node attributes."""
    out = Interpreted()
    if n == 0 or not attrs:
        if label:
            attribute(attrs, label)
        return out
    out.names = _names(attrs, n)
    if label:
        label_key = attribute(attrs, label)
        out.notes.append(f"Labels come from the node attribute '{label_key}'.")
    else:
        label_key = detect_label(attrs, n, out.names is not None)
        if label_key is not None:
            out.notes.append(f"Labels were taken from the node attribute '{label_key}'.")
    if label_key is not None:
        out.y, out.label_names = encode_labels(attrs[label_key])
    out.label_key = label_key
    blocks, cols = [], []
    for k, vals in attrs.items():
        if k == label_key:
            continue
        vec = _vector(vals)
        if vec is not None:
            blocks.append(vec)
            cols.append(f"{k} ({vec.shape[1]} values)")
    out.unused_numeric = [k for k in numeric_attributes(attrs) if k != label_key]
    if blocks:
        out.x = np.concatenate(blocks, axis=1).astype(np.float32)
        out.feature_cols = cols
        out.notes.append(f"Node features were taken from the feature-vector attribute{'s' if len(cols) > 1 else ''} "
                         f"{', '.join(cols)}.")
    return out

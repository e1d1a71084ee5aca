"""GML, parsed by networkx (a text format; no code is executed), with size checks first."""

from __future__ import annotations

import re

import networkx as nx
import numpy as np

from ..errors import GraphLoadError
from .build import RawGraph, is_valid_weight
from .limits import SizeLimits
from .text import decode_text

_EDGE = re.compile(rb"\bedge\s*\[")
_NODE = re.compile(rb"\bnode\s*\[")
_POS = re.compile(r"at \((\d+), (\d+)\)")


def _friendly(msg: str) -> str:
    msg = _POS.sub(r"at line \1, column \2", msg)
    msg = msg.replace("edge #", "edge number ").replace("node #", "node number ")
    return msg[:300]


def parse_gml(content: bytes, filename: str, limits: SizeLimits) -> RawGraph:
    # Count on the raw bytes before decoding or parsing: a plain substring count bounds the
    # number of edges cheaply, and the exact (regex) count runs only when that bound is too high.
    for word, pattern, limit, check in ((b"edge", _EDGE, limits.max_edges, limits.check_edges),
                                        (b"node", _NODE, limits.max_nodes, limits.check_nodes)):
        if content.count(word) > limit:
            found = sum(1 for _ in pattern.finditer(content))
            if found > limit:
                check(found, "This file lists") if word == b"edge" else check(found)
    text = decode_text(content, filename)
    try:
        g = nx.parse_gml(text, label=None)
    except nx.NetworkXError as e:
        raise GraphLoadError(f"{filename} is not valid GML: {_friendly(str(e))}.") from None
    except (TypeError, ValueError, KeyError, IndexError, AttributeError, RecursionError) as e:
        raise GraphLoadError(f"{filename} is not valid GML ({type(e).__name__}: {str(e)[:120]}). "
                             "Node ids must be numbers or quoted text.") from None
    ids = list(g.nodes())
    pos = {v: i for i, v in enumerate(ids)}
    src, dst, w = [], [], []
    weighted = False
    for a, b, d in g.edges(data=True):
        src.append(pos[a])
        dst.append(pos[b])
        wt = d.get("weight", d.get("value"))
        if wt is not None:
            if not is_valid_weight(wt):
                raise GraphLoadError(f"In {filename}, the weight of edge {a}–{b} is {wt!r}; weights must be "
                                     "numbers, zero or more.")
            weighted = True
        w.append(1.0 if wt is None else float(wt))
    attr_names = sorted({k for _, d in g.nodes(data=True) for k in d})
    attrs = {k: [g.nodes[v].get(k) for v in ids] for k in attr_names}
    return RawGraph([str(v) for v in ids], np.array(src, dtype=np.int64), np.array(dst, dtype=np.int64),
                    np.array(w) if weighted else None, directed=g.is_directed(), node_attrs=attrs)

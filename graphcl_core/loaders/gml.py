"""GML, parsed by networkx (a text format; no code is executed), with size checks first."""

from __future__ import annotations

import re

import networkx as nx
import numpy as np

from ..errors import GraphLoadError
from .build import WEIGHT_RULE, RawGraph, weight_problem
from .limits import SizeLimits
from .text import decode_text

_EDGE = re.compile(rb"\bedge\s*\[")
_NODE = re.compile(rb"\bnode\s*\[")
_POS = re.compile(r"at \((\d+), (\d+)\)")
NEWLINE = b"\n"
_HUGE_NUMBER = re.compile(rb"\d{4301,}")  # Python refuses to turn more digits than this into an integer


def _friendly(msg: str) -> str:
    msg = _POS.sub(r"at line \1, column \2", msg)
    msg = msg.replace("edge #", "edge number ").replace("node #", "node number ")
    return msg[:300]


def _huge_number(content: bytes, filename: str) -> GraphLoadError:
    """Name the line of a number too long to read (a 5000-digit id), without Python's own wording."""
    m = _HUGE_NUMBER.search(content)
    where = f" on line {content.count(NEWLINE, 0, m.start()) + 1}" if m else ""
    return GraphLoadError(f"{filename} has a number with more than 4,300 digits{where}, which is too long to be a "
                          "node id or a value. Shorten it, or write long ids as quoted text (id \"...\").")


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
    except RecursionError:
        raise GraphLoadError(f"{filename} is nested too deeply to be a graph (lists inside lists, thousands of "
                             "levels deep). Export the graph again as plain GML.") from None
    except ValueError as e:
        if "integer string conversion" in str(e):
            raise _huge_number(content, filename) from None
        raise GraphLoadError(f"{filename} is not valid GML ({str(e)[:120]}).") from None
    except (TypeError, KeyError, IndexError, AttributeError) as e:
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
            if problem := weight_problem(wt):
                raise GraphLoadError(f"In {filename}, the weight of edge {a}–{b} is {str(wt)[:30]}, which "
                                     f"{problem}; {WEIGHT_RULE}.")
            weighted = True
        w.append(1.0 if wt is None else float(wt))
    attr_names = sorted({k for _, d in g.nodes(data=True) for k in d})
    attrs = {k: [g.nodes[v].get(k) for v in ids] for k in attr_names}
    return RawGraph([str(v) for v in ids], np.array(src, dtype=np.int64), np.array(dst, dtype=np.int64),
                    np.array(w) if weighted else None, directed=g.is_directed(), node_attrs=attrs)

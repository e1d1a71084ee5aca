"""networkx node-link JSON ({"nodes": [...], "links"|"edges": [...]}), read with the json module only."""

from __future__ import annotations

import json

import numpy as np

from ..errors import GraphLoadError
from .build import WEIGHT_RULE, NodeIndex, RawGraph, undeclared_note, weight_problem
from .limits import SizeLimits
from .text import decode_text


def _key(v, filename: str, where: str) -> str:
    if isinstance(v, bool) or not isinstance(v, (str, int, float)):
        raise GraphLoadError(f"In {filename}, {where} has id {json.dumps(v)[:40]}; ids must be text or numbers.")
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v)


def parse_node_link(content: bytes, filename: str, limits: SizeLimits) -> RawGraph:
    # Each link has one "source" key: counting them bounds the size before json builds any objects.
    claimed = content.count(b'"source"')
    if claimed > limits.max_edges:
        limits.check_edges(claimed, "This file lists")
    text = decode_text(content, filename)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise GraphLoadError(f"{filename} is not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}.") from None
    except RecursionError:
        raise GraphLoadError(f"{filename} is nested too deeply to be a graph.") from None
    if not isinstance(doc, dict) or "nodes" not in doc or not ({"links", "edges"} & doc.keys()):
        raise GraphLoadError(f"{filename} is JSON but not a node-link graph: it needs a \"nodes\" list and a "
                             "\"links\" (or \"edges\") list, as written by networkx.node_link_data.")
    nodes, links = doc["nodes"], doc.get("links", doc.get("edges"))
    if not isinstance(nodes, list) or not isinstance(links, list):
        raise GraphLoadError(f"In {filename}, \"nodes\" and \"links\" must be lists.")
    if len(links) > limits.max_edges:
        limits.check_edges(len(links), "This file lists")
    if len(nodes) > limits.max_nodes:
        limits.check_nodes(len(nodes))
    index, values = NodeIndex(), []
    has_ids = all(isinstance(nd, dict) and "id" in nd for nd in nodes)
    for i, nd in enumerate(nodes):
        if not isinstance(nd, dict):
            raise GraphLoadError(f"In {filename}, node number {i + 1} is not an object.")
        name = _key(nd["id"], filename, f"node number {i + 1}") if has_ids else str(i)
        if name in index.index:
            raise GraphLoadError(f"In {filename}, node id '{name}' appears twice.")
        index.add(name)
        values.append({k: v for k, v in nd.items() if k != "id"})
    src, dst, w = [], [], []
    weighted = False
    listed, unknown_links = len(index), 0
    for i, ln in enumerate(links):
        if not isinstance(ln, dict) or "source" not in ln or "target" not in ln:
            raise GraphLoadError(f"In {filename}, link number {i + 1} needs a \"source\" and a \"target\".")
        ends = []
        for end in ("source", "target"):
            v = ln[end]
            if not has_ids and nodes:  # old d3 style: endpoints are positions in the node list
                if not isinstance(v, int) or not 0 <= v < len(nodes):
                    raise GraphLoadError(f"In {filename}, link number {i + 1} refers to node {v!r}, but the nodes "
                                         "have no ids and there is no node at that position.")
                ends.append(v)
            else:
                ends.append(index.add(_key(v, filename, f"link number {i + 1}")))
        unknown_links += max(ends) >= listed
        src.append(ends[0])
        dst.append(ends[1])
        wt = ln.get("weight")
        if wt is not None:
            if problem := weight_problem(wt):
                raise GraphLoadError(f"In {filename}, link number {i + 1} has weight {json.dumps(wt)[:30]}, which "
                                     f"{problem}; {WEIGHT_RULE}.")
            weighted = True
        w.append(1.0 if wt is None else float(wt))
    values += [{} for _ in range(len(index) - len(values))]
    keys = sorted({k for v in values for k in v})
    attrs = {k: [v.get(k) for v in values] for k in keys}
    return RawGraph(index.names, np.array(src, dtype=np.int64), np.array(dst, dtype=np.int64),
                    np.array(w) if weighted else None, directed=bool(doc.get("directed", False)), node_attrs=attrs,
                    notes=undeclared_note(index.names[listed:], unknown_links, "link", bool(nodes)))


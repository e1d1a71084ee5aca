"""GraphML and GEXF, parsed with defusedxml so entity bombs and external entities are refused.

We walk the XML ourselves instead of calling networkx.read_graphml on the raw bytes: the
standard-library parser would expand entities, and our own walk gives clearer error messages.
"""

from __future__ import annotations

import defusedxml.ElementTree as DET
import numpy as np
from defusedxml import DefusedXmlException
from xml.etree.ElementTree import ParseError

from ..errors import GraphLoadError
from .build import WEIGHT_RULE, NodeIndex, RawGraph, undeclared_note, weight_problem
from .limits import SizeLimits
from .text import check_bytes


def _tag(el) -> str:
    return el.tag.rsplit("}", 1)[-1].lower()


def _children(el, name: str):
    return [c for c in el if _tag(c) == name]


def _precheck(content: bytes, limits: SizeLimits, node_tag: bytes, edge_tag: bytes) -> None:
    """Refuse oversized files by counting tags, before building the element tree."""
    def count(tag: bytes, container: bytes) -> int:
        return content.count(b"<" + tag) - content.count(b"<" + container) - content.count(b"<" + tag + b"data")
    edges = count(edge_tag, edge_tag + b"s")
    if edges > limits.max_edges:
        limits.check_edges(edges, "This file lists")
    nodes = count(node_tag, node_tag + b"s")
    if nodes > limits.max_nodes:
        limits.check_nodes(nodes)


def _parse(content: bytes, filename: str):
    check_bytes(content, filename)
    try:
        return DET.fromstring(content)
    except DefusedXmlException:
        raise GraphLoadError(f"{filename} uses XML entities (or a DTD reference), which are not allowed "
                             "for safety. Export the graph again without them.") from None
    except LookupError as e:  # the XML declaration names an encoding Python does not know
        raise GraphLoadError(f"{filename} declares a text encoding that is not supported ({e}). "
                             "Save it as UTF-8.") from None
    except ParseError as e:
        line, col = getattr(e, "position", (None, None))
        where = f" at line {line}, column {col}" if line else ""
        raise GraphLoadError(f"{filename} is not valid XML{where}. Is it a complete GraphML/GEXF file?") from None


def _converter(kind: str | None):
    kind = (kind or "string").lower()
    if kind in ("int", "long", "integer"):
        return lambda s: int(float(s))
    if kind in ("float", "double"):
        return float
    if kind == "boolean":
        return lambda s: s.strip().lower() in ("true", "1", "yes")
    return str


def _first_graph(root, filename: str):
    graphs = _children(root, "graph")
    if not graphs:
        raise GraphLoadError(f"{filename} contains no <graph> element.")
    return graphs[0]


def _add_node(index: NodeIndex, node, filename: str) -> None:
    """Register a <node> by its id; a missing or repeated id is the file's error."""
    nid = node.get("id")
    if nid is None:
        raise GraphLoadError(f"A <node> in {filename} has no id.")
    if nid in index.index:
        raise GraphLoadError(f"Node id '{nid}' appears twice in {filename}.")
    index.add(nid)


def _add_edge(index: NodeIndex, e, filename: str, src: list, dst: list) -> tuple[str, str]:
    """Append an <edge>'s end points (adding unseen nodes); returns its source and target ids."""
    a, b = e.get("source"), e.get("target")
    if a is None or b is None:
        raise GraphLoadError(f"An <edge> in {filename} lacks a source or target.")
    src.append(index.add(a))
    dst.append(index.add(b))
    return a, b


def _undeclared(index: NodeIndex, declared: int, src: list, dst: list) -> list[str]:
    """The note on edges whose end points were never declared as <node> elements (none if no node was)."""
    edges = sum(1 for a, b in zip(src, dst) if a >= declared or b >= declared)
    return undeclared_note(index.names[declared:], edges, "edge", declared > 0)


def parse_graphml(content: bytes, filename: str, limits: SizeLimits) -> RawGraph:
    _precheck(content, limits, b"node", b"edge")
    root = _parse(content, filename)
    if _tag(root) != "graphml":
        raise GraphLoadError(f"{filename} is XML but not GraphML (its top element is <{_tag(root)}>).")
    keys, types, defaults, edge_weight_key = {}, {}, {}, None
    for k in _children(root, "key"):
        kid, target = k.get("id"), (k.get("for") or "all").lower()
        name = k.get("attr.name") or kid
        if target in ("node", "all"):
            keys[kid], types[kid] = name, _converter(k.get("attr.type"))
            d = _children(k, "default")
            if d and d[0].text is not None:
                defaults[kid] = d[0].text
        if target in ("edge", "all") and name.lower() == "weight":
            edge_weight_key = kid
    g = _first_graph(root, filename)
    directed = (g.get("edgedefault") or "directed").lower() == "directed"
    index, values = NodeIndex(), []
    for node in _children(g, "node"):
        _add_node(index, node, filename)
        vals = {}
        for kid, raw in defaults.items():
            vals[keys[kid]] = raw
        for d in _children(node, "data"):
            if d.get("key") in keys and d.text is not None:
                vals[keys[d.get("key")]] = d.text
        values.append(vals)
    src, dst, w = [], [], []
    any_directed, declared = directed, len(index)
    for e in _children(g, "edge"):
        a, b = _add_edge(index, e, filename, src, dst)
        if e.get("directed") is not None:
            any_directed = any_directed or e.get("directed").lower() == "true"
        wt = next((d.text for d in _children(e, "data") if d.get("key") == edge_weight_key), None)
        w.append(_weight(wt, filename, f"edge {a}–{b}"))
    values += [{} for _ in range(len(index) - len(values))]
    attrs = {}
    for kid, name in keys.items():
        conv = types[kid]
        col = []
        for v in values:
            raw = v.get(name)
            try:
                col.append(None if raw is None else conv(raw.strip()))
            except ValueError:
                col.append(raw)
        attrs[name] = col
    weight = np.array([1.0 if x is None else x for x in w]) if edge_weight_key and any(x is not None for x in w) else None
    return RawGraph(index.names, np.array(src, dtype=np.int64), np.array(dst, dtype=np.int64), weight,
                    directed=any_directed, node_attrs=attrs, notes=_undeclared(index, declared, src, dst))


def _weight(text: str | None, filename: str, where: str) -> float | None:
    if text is None or not text.strip():
        return None
    try:
        w = float(text)
    except ValueError:
        raise GraphLoadError(f"In {filename}, the weight of {where} is '{text.strip()[:30]}', not a number.") from None
    if problem := weight_problem(w):
        raise GraphLoadError(f"In {filename}, the weight of {where} is {text.strip()[:30]}, which {problem}; "
                             f"{WEIGHT_RULE}.")
    return w


def parse_gexf(content: bytes, filename: str, limits: SizeLimits) -> RawGraph:
    _precheck(content, limits, b"node", b"edge")
    root = _parse(content, filename)
    if _tag(root) != "gexf":
        raise GraphLoadError(f"{filename} is XML but not GEXF (its top element is <{_tag(root)}>).")
    g = _first_graph(root, filename)
    directed = (g.get("defaultedgetype") or "undirected").lower() == "directed"
    titles, types = {}, {}
    for block in _children(g, "attributes"):
        if (block.get("class") or "node").lower() != "node":
            continue
        for a in _children(block, "attribute"):
            titles[a.get("id")] = a.get("title") or a.get("id")
            types[a.get("id")] = _converter(a.get("type"))
    index, values, labels = NodeIndex(), [], []
    for container in _children(g, "nodes"):
        for node in _children(container, "node"):
            _add_node(index, node, filename)
            labels.append(node.get("label"))
            vals = {}
            for av_block in _children(node, "attvalues"):
                for av in _children(av_block, "attvalue"):
                    key = av.get("for") or av.get("id")
                    if key in titles and av.get("value") is not None:
                        try:
                            vals[titles[key]] = types[key](av.get("value").strip())
                        except ValueError:
                            vals[titles[key]] = av.get("value")
            values.append(vals)
    src, dst, w = [], [], []
    any_directed, declared = directed, len(index)
    for container in _children(g, "edges"):
        for e in _children(container, "edge"):
            a, b = _add_edge(index, e, filename, src, dst)
            any_directed = any_directed or (e.get("type") or "").lower() == "directed"
            w.append(_weight(e.get("weight"), filename, f"edge {a}–{b}"))
    n = len(index)
    values += [{} for _ in range(n - len(values))]
    labels += [None] * (n - len(labels))
    attrs = {t: [v.get(t) for v in values] for t in titles.values()}
    # GEXF's 'label' is the display name of a node; keep it as a name candidate, not a class.
    if any(lb is not None for lb in labels) and "name" not in {k.lower() for k in attrs}:
        attrs["name"] = labels
    weight = np.array([1.0 if x is None else x for x in w]) if any(x is not None for x in w) else None
    return RawGraph(index.names, np.array(src, dtype=np.int64), np.array(dst, dtype=np.int64), weight,
                    directed=any_directed, node_attrs=attrs, notes=_undeclared(index, declared, src, dst))

"""Plain-text edge lists: one edge per line, two node ids and an optional weight.

Accepts comma, tab, semicolon or whitespace separators (sniffed from the first lines), an
optional header row, and '#'/'%' comment lines. Node ids are kept as text; when every id is a
whole number the nodes are ordered numerically (so id 0 is node 0), otherwise in order of first
appearance. The number of edge lines is checked against the limit before anything is built.
"""

from __future__ import annotations

import csv
import math
import re
from itertools import islice

import numpy as np

from ..errors import GraphLoadError, GraphTooLargeError
from .build import NodeIndex, RawGraph
from .limits import SizeLimits
from .text import decode_text, short

EXTENSIONS = (".csv", ".tsv", ".txt", ".edges", ".edgelist", ".el")
_HEADER_WORDS = {"source", "target", "from", "to", "src", "dst", "source_id", "target_id", "node1", "node2",
                 "node_1", "node_2", "node_a", "node_b", "id1", "id2", "start", "end", "head", "tail",
                 "sender", "receiver"}  # short words such as u/v count only when the other rows are numeric
_WEIGHT_WORDS = {"weight", "weights", "w", "value", "strength", "count"}
_INT = re.compile(r"^[+-]?\d+$")


def _is_data(line: str) -> bool:
    s = line.strip()
    return bool(s) and s[0] not in "#%"


def _sniff(sample: list[str]) -> str | None:
    """The separator found on most sample lines (at least half); ``None`` means any whitespace."""
    counts = {d: sum(d in ln for ln in sample) for d in ("\t", ",", ";", "|")}
    best = max(counts, key=counts.get)  # ties go to the earlier (tab, then comma)
    return best if counts[best] * 2 >= len(sample) else None


def _split(line: str, delim: str | None) -> list[str]:
    if delim is None:
        return line.split()
    if '"' in line:
        return [t.strip() for t in next(csv.reader([line], delimiter=delim))]
    return [t.strip() for t in line.split(delim)]


def _is_number(t: str) -> bool:
    try:
        float(t)
        return True
    except ValueError:
        return False


def _looks_like_header(rows: list[list[str]]) -> bool:
    first = [t.strip().strip('"').lower() for t in rows[0]]
    if len(first) >= 2 and first[0] in _HEADER_WORDS and first[1] in _HEADER_WORDS:
        return True
    if len(first) >= 3 and first[2] in _WEIGHT_WORDS:
        return True
    rest = rows[1:21]
    if not rest:
        return False
    if len(first) >= 3 and not _is_number(first[2]) and all(len(r) >= 3 and _is_number(r[2]) for r in rest):
        return True
    ids_numeric = all(len(r) >= 2 and _INT.match(r[0]) and _INT.match(r[1]) for r in rest)
    return bool(ids_numeric and len(first) >= 2 and not (_INT.match(first[0]) and _INT.match(first[1])))


def parse_edge_list(content: bytes, filename: str, limits: SizeLimits) -> RawGraph:
    text = decode_text(content, filename)
    lines = text.splitlines()
    sample_idx = list(islice((i for i, ln in enumerate(lines) if _is_data(ln)), 21))
    if not sample_idx:
        raise GraphLoadError(f"{filename} has no edges: every line is empty or a comment.")
    delim = _sniff([lines[i] for i in sample_idx])
    header_line = sample_idx[0] if _looks_like_header([_split(lines[i], delim) for i in sample_idx]) else -1
    if len(lines) > limits.max_edges:  # cheap bound first; exact count of edge lines only when needed
        count = sum(1 for ln in lines if _is_data(ln)) - (header_line >= 0)
        if count > limits.max_edges:
            raise GraphTooLargeError(
                f"This file lists {count:,} edges; the limit is {limits.max_edges:,}. Use a smaller graph, or "
                "raise the limit with the GRAPHCL_MAX_EDGES setting if this computer has the memory.")
    index = NodeIndex()
    src: list[int] = []
    dst: list[int] = []
    weights: list[float] = []
    weighted = extra_cols = unweighted_lines = 0
    for ln, line in enumerate(lines):
        if ln == header_line or not _is_data(line):
            continue
        tokens = _split(line, delim)
        if len(tokens) < 2:
            raise GraphLoadError(f"Line {ln + 1} of {filename} has 1 column; an edge list needs two node ids "
                                 "per line (and an optional weight).")
        a, b = tokens[0].strip('"'), tokens[1].strip('"')
        if not a or not b:
            raise GraphLoadError(f"Line {ln + 1} of {filename} has an empty node id.")
        src.append(index.add(a))
        dst.append(index.add(b))
        if len(tokens) > 3:
            extra_cols += 1
        if len(tokens) >= 3 and tokens[2] != "":
            try:
                w = float(tokens[2])
            except ValueError:
                w = math.nan
            if not math.isfinite(w):
                raise GraphLoadError(f"Line {ln + 1} of {filename}: the weight {short(tokens[2])} is not a number.")
            if w < 0:
                raise GraphLoadError(f"Line {ln + 1} of {filename}: the weight {tokens[2]} is negative; "
                                     "weights must be zero or more.")
            weights.append(w)
            weighted += 1
        else:
            weights.append(1.0)
            unweighted_lines += 1
        if len(src) > limits.max_edges:
            limits.check_edges(len(src), "This file lists at least")
    if not src:
        raise GraphLoadError(f"{filename} has a header but no edges.")
    notes = []
    if extra_cols:
        notes.append("Columns after the third (weight) column were ignored.")
    if weighted and unweighted_lines:
        notes.append(f"{unweighted_lines:,} edges had no weight and were given weight 1.")
    names = index.names
    s, d = np.array(src, dtype=np.int64), np.array(dst, dtype=np.int64)
    if all(_INT.match(nm) for nm in names):
        values = np.array([int(nm) for nm in names], dtype=object)
        order = sorted(range(len(names)), key=lambda i: values[i])
        rank = np.empty(len(names), dtype=np.int64)
        rank[order] = np.arange(len(names))
        names = [names[i] for i in order]
        s, d = rank[s], rank[d]
    w = np.array(weights, dtype=np.float64) if weighted else None
    return RawGraph(names=names, src=s, dst=d, weight=w, directed=False, notes=notes)

"""Optional node table (CSV): one row per node with an id column plus label/feature columns.

The id column is the one named id/node/name/node_id (any case), else the first column. Ids in the
table that the edge list never mentions are added as isolated nodes (with a note), because a
labelled node without edges is still a node the user cares about.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass

import numpy as np

from ..errors import GraphLoadError
from .build import NodeIndex, encode_labels
from .text import decode_text, short

ID_NAMES = ("id", "node", "node_id", "nodeid", "name")


@dataclass
class NodeTable:
    filename: str
    columns: list[str]
    id_col: int
    rows: list[list[str]]
    lines: list[int]


def _sniff(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def parse_node_table(content: bytes, filename: str = "node table") -> NodeTable:
    text = decode_text(content, filename)
    lines = text.splitlines()
    first = next((i for i, ln in enumerate(lines) if ln.strip() and not ln.lstrip().startswith("#")), None)
    if first is None:
        raise GraphLoadError(f"The node table {filename} is empty.")
    delim = _sniff(lines[first])
    reader = csv.reader(io.StringIO(text), delimiter=delim)
    header, rows, numbers = None, [], []
    try:
        for row in reader:
            line = reader.line_num
            if not row or all(not c.strip() for c in row) or (row[0].lstrip().startswith("#") and header is None):
                continue
            if header is None:
                header = [c.strip() for c in row]
                continue
            if len(row) != len(header):
                raise GraphLoadError(f"Line {line} of {filename} has {len(row)} columns, but the header has "
                                     f"{len(header)} ({', '.join(header)}).")
            rows.append([c.strip() for c in row])
            numbers.append(line)
    except csv.Error as e:
        raise GraphLoadError(f"{filename} is not a readable CSV table (line {reader.line_num}: {e}).") from None
    if not header or len(header) < 2 or not rows:
        raise GraphLoadError(f"The node table {filename} needs a header row and at least one data row, "
                             "with a node id column and at least one more column.")
    if len(set(header)) != len(header):
        raise GraphLoadError(f"The node table {filename} has repeated column names: {', '.join(header)}.")
    lower = [h.lower() for h in header]
    id_col = next((lower.index(k) for k in ID_NAMES if k in lower), 0)
    return NodeTable(filename, header, id_col, rows, numbers)


def node_table_columns(content: bytes) -> list[str]:
    """Column names of an uploaded node table, so the user can pick label and feature columns."""
    return parse_node_table(content).columns


def _column(table: NodeTable, name: str) -> int:
    if name in table.columns:
        return table.columns.index(name)
    lower = [c.lower() for c in table.columns]
    if name.lower() in lower:
        return lower.index(name.lower())
    raise GraphLoadError(f"The node table {table.filename} has no column '{name}'. "
                         f"Its columns are: {', '.join(table.columns)}.")


def apply_node_table(table: NodeTable, index: NodeIndex, label_column: str | None,
                     feature_columns: list[str] | None):
    """Match rows to nodes (adding unknown ids to ``index``); return (y, label_names, x, notes)."""
    notes: list[str] = []
    seen: dict[str, int] = {}
    before = len(index)
    row_of: list[int] = []
    for r, (row, line) in enumerate(zip(table.rows, table.lines)):
        key = row[table.id_col]
        if not key:
            raise GraphLoadError(f"Line {line} of {table.filename} has an empty node id.")
        if key in seen:
            raise GraphLoadError(f"Node {short(key)} appears twice in {table.filename} "
                                 f"(lines {table.lines[seen[key]]} and {line}).")
        seen[key] = r
        row_of.append(index.add(key))
    added = len(index) - before
    if added:
        notes.append(f"{added:,} node{'s' if added > 1 else ''} of the node table "
                     f"{'are' if added > 1 else 'is'} not in the edge list and were added as isolated nodes.")
    n = len(index)
    missing = n - len(table.rows)
    y = label_names = x = None
    if label_column:
        c = _column(table, label_column)
        values: list = [None] * n
        for r, node in enumerate(row_of):
            values[node] = table.rows[r][c] or None
        y, label_names = encode_labels(values)
        notes.append(f"Labels come from the column '{table.columns[c]}' ({len(label_names)} classes).")
    if feature_columns:
        cols = [_column(table, f) for f in feature_columns]
        x = np.zeros((n, len(cols)), dtype=np.float32)
        for r, node in enumerate(row_of):
            for j, c in enumerate(cols):
                cell = table.rows[r][c]
                try:
                    val = float(cell)
                except ValueError:
                    val = math.nan
                if not math.isfinite(val):
                    what = "is empty" if not cell else f"has {short(cell)}, which is not a number"
                    raise GraphLoadError(f"Line {table.lines[r]} of {table.filename}: the feature column "
                                         f"'{table.columns[c]}' {what}. Feature columns must hold numbers.")
                x[node, j] = val
        if missing:
            notes.append(f"{missing:,} node{'s' if missing > 1 else ''} of the graph "
                         f"{'have' if missing > 1 else 'has'} no row in the node table; "
                         "their features were set to 0.")
    return y, label_names, x, notes

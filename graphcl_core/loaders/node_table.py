"""Optional node table (CSV): one row per node with an id column plus label/feature columns.

The id column is the user's choice, else the column sharing the most values with the graph's node
ids (a table with both ``ID`` and ``Name`` is matched on whichever the edge list uses); ties go to the
column named id/node/name/node_id (any case; also knoten, noeud, nodo...: ``header_names``), then to the
leftmost. A note says which column was used and how many ids matched, and warns when fewer than
half did. Ids in the table that the edge list never mentions are added as isolated nodes (with a
note), because a labelled node without edges is still a node the user cares about.

Feature columns hold numbers (a decimal comma such as "2,5" counts when the table is not
comma-separated). Real spreadsheets have blank cells: a blank cell, and every graph node without a
row in the table, gets the column's mean, and the notes say how many cells were filled with what.
Only columns whose non-empty cells are all numbers are offered as features
(``node_table_feature_columns``); a named column that is not one fails, all of them in one message.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, replace

import numpy as np

from ..errors import GraphLoadError
from .build import NodeIndex, encode_labels, plural
from .header_names import ID_KEYS, name_key
from .text import decimal_comma_allowed, decode_text, is_decimal_comma, short, to_number

# Every note about the id column contains this, so the app can show it beside the id picker.
ID_NOTE_MARK = "node-table ids"


@dataclass
class NodeTable:
    filename: str
    columns: list[str]
    id_col: int
    rows: list[list[str]]
    lines: list[int]
    delimiter: str = ","

    def numbers(self, c: int) -> list[float | None]:
        """Column ``c`` as numbers; None for a blank cell or one that is not a number."""
        comma = decimal_comma_allowed(self.delimiter)
        return [to_number(row[c], comma) if row[c] else None for row in self.rows]

    def is_numeric(self, c: int) -> bool:
        """At least one number, and every non-empty cell a number."""
        values = self.numbers(c)
        return any(v is not None for v in values) and all(
            v is not None for v, row in zip(values, self.rows) if row[c])


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
                raise GraphLoadError(f"Line {line} of {filename} has {plural(len(row), 'column', 'columns')}, but "
                                     f"the header has {len(header)} ({', '.join(header)}).")
            rows.append([c.strip() for c in row])
            numbers.append(line)
    except csv.Error as e:
        raise GraphLoadError(f"{filename} is not a readable CSV table (line {reader.line_num}: {e}).") from None
    if not header or len(header) < 2 or not rows:
        raise GraphLoadError(f"The node table {filename} needs a header row and at least one data row, "
                             "with a node id column and at least one more column.")
    if len(set(header)) != len(header):
        raise GraphLoadError(f"The node table {filename} has repeated column names: {', '.join(header)}.")
    keys = [name_key(h) for h in header]
    id_col = next((keys.index(k) for k in ID_KEYS if k in keys), 0)
    return NodeTable(filename, header, id_col, rows, numbers, delim)


def node_table_columns(content: bytes) -> list[str]:
    """Column names of an uploaded node table, so the user can pick the id and label columns."""
    return parse_node_table(content).columns


def node_table_feature_columns(content: bytes, id_column: str | None = None) -> list[str]:
    """The columns worth offering as features: every non-empty cell a number (blanks are filled), never
    the id column (``id_column``, else one named id/node/name/knoten...). Dates and free text are left out. On
    automatic, the column that matches the graph best is only known at the load, which drops it from the
    chosen features (``apply_node_table``), so an unnamed leftmost column is still offered."""
    table = parse_node_table(content)
    named = name_key(table.columns[table.id_col]) in ID_KEYS
    skip = _column(table, id_column) if id_column else (table.id_col if named else None)
    return [name for c, name in enumerate(table.columns) if c != skip and table.is_numeric(c)]


def node_table_label_column(content: bytes, id_column: str | None = None) -> str | None:
    """The column a node table's labels most likely are in, to offer first: a class-like name (``class``,
    ``community``, ``Klasse``, ``groupe``...: ``header_names.NODE_LABEL``) with between 2 and min(100, rows/2)
    distinct values, as a graph file's class-like attribute is detected; never the id column. None if none is."""
    from .attributes import detect_label

    table = parse_node_table(content)
    skip = _column(table, id_column) if id_column else table.id_col
    attrs = {name: [row[c] if c < len(row) else "" for row in table.rows]
             for c, name in enumerate(table.columns) if c != skip}
    return detect_label(attrs, len(table.rows), names_taken=False)


def _column(table: NodeTable, name: str) -> int:
    if name in table.columns:
        return table.columns.index(name)
    lower = [c.lower() for c in table.columns]
    if name.lower() in lower:
        return lower.index(name.lower())
    raise GraphLoadError(f"The node table {table.filename} has no column '{name}'. "
                         f"Its columns are: {', '.join(table.columns)}.")


@dataclass(frozen=True)
class IdMatch:
    """The table's id column, how many distinct table ids are graph nodes, and the node names matched."""

    column: int
    matched: int
    names: list[str]


def match_ids(table: NodeTable, candidates: list[list[str]], id_column: str | None = None) -> IdMatch:
    """Pick the id column (the user's, else the best overlap) and the naming of the graph's nodes it
    matches (``candidates``: e.g. a GML's name attribute, then its numeric ids), earlier ones on ties."""
    cols = [_column(table, id_column)] if id_column else range(len(table.columns))
    best = None
    for pref, names in enumerate(candidates):
        known = set(names)
        for c in cols:
            matched = len({row[c] for row in table.rows} & known)
            key = (matched, c == table.id_col, -pref, -c)
            if best is None or key > best[0]:
                best = (key, IdMatch(c, matched, names))
    return best[1]


def id_note(table: NodeTable, match: IdMatch) -> str:
    """Say which column the ids came from and how many matched; warn plainly when fewer than half did."""
    name, rows = table.columns[match.column], len({row[match.column] for row in table.rows})
    if match.matched * 2 < rows:
        return (f"Warning: {ID_NOTE_MARK} do not match the graph: only {match.matched:,} of "
                f"{plural(rows, 'id', 'ids')} in the column '{name}' of {table.filename} "
                f"{'is a node' if match.matched == 1 else 'are nodes'} of the graph, so the other rows became new "
                "isolated nodes. Choose the id column that holds the same ids as the graph file.")
    return (f"The {ID_NOTE_MARK} were read from the column '{name}': {match.matched:,} of "
            f"{plural(rows, 'id', 'ids')} {'matches a node' if match.matched == 1 else 'match nodes'} of the graph.")


def with_id_column(table: NodeTable, column: int) -> NodeTable:
    return replace(table, id_col=column)


def apply_node_table(table: NodeTable, index: NodeIndex, label_column: str | None,
                     feature_columns: list[str] | None):
    """Match rows to nodes (adding unknown ids to ``index``); return (y, label_names, x, notes)."""
    notes: list[str] = []
    label_c = _column(table, label_column) if label_column else None
    if label_c is not None and any(_column(table, f) == label_c for f in feature_columns or ()):
        raise GraphLoadError(f"The column '{table.columns[label_c]}' is the label, so it cannot also be a feature "
                             "(the model would be handed the answer). Choose other feature columns.")
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
        how = "is not in the edge list and was added as an isolated node" if added == 1 else \
            "are not in the edge list and were added as isolated nodes"
        notes.append(f"{plural(added, 'node', 'nodes')} of the node table {how}.")
    n = len(index)
    missing = n - len(table.rows)
    y = label_names = x = None
    if label_c is not None:
        c = label_c
        values: list = [None] * n
        for r, node in enumerate(row_of):
            values[node] = table.rows[r][c] or None
        y, label_names = encode_labels(values)
        classes = plural(len(label_names), "class", "classes")
        notes.append(f"Labels come from the column '{table.columns[c]}' ({classes}).")
    if feature_columns and any(_column(table, f) == table.id_col for f in feature_columns):
        notes.append(f"The column '{table.columns[table.id_col]}' holds the node ids, so it is not used as a feature.")
        feature_columns = [f for f in feature_columns if _column(table, f) != table.id_col]
    if feature_columns:
        x, fnotes = _features(table, [_column(table, f) for f in feature_columns], row_of, n)
        notes += fnotes
    if missing:
        gets = " and ".join(what for what, chosen in (("no label", label_c is not None),
                                                     ("the column means as features", bool(feature_columns)))
                            if chosen) or "nothing from the table"
        notes.append(f"{plural(missing, 'node', 'nodes')} of the graph {'has' if missing == 1 else 'have'} no row "
                     f"in the node table {table.filename}: {'it gets' if missing == 1 else 'they get'} {gets}.")
    return y, label_names, x, notes


def _bad_feature(table: NodeTable, c: int, values: list[float | None]) -> str | None:
    """Why column ``c`` cannot be a feature (its first non-number, or no number at all), or None."""
    name = table.columns[c]
    for r, v in enumerate(values):
        if v is None and table.rows[r][c]:
            return (f"Line {table.lines[r]} of {table.filename}: the feature column '{name}' has "
                    f"{short(table.rows[r][c])}, which is not a number.")
    if all(v is None for v in values):
        return f"The feature column '{name}' of {table.filename} is empty: it holds no numbers."
    return None


def _features(table: NodeTable, cols: list[int], row_of: list[int], n: int):
    """Feature matrix (n × len(cols)); blank cells and nodes without a row get the column mean.
    Every column that is not numeric is named in one error."""
    columns = [table.numbers(c) for c in cols]
    bad = [why for c, values in zip(cols, columns) if (why := _bad_feature(table, c, values))]
    if bad:
        raise GraphLoadError(" ".join(bad) + " Feature columns must hold numbers (blank cells are filled with "
                             "the column mean); choose other feature columns.")
    x = np.empty((n, len(cols)), dtype=np.float32)
    notes = []
    for j, (c, values) in enumerate(zip(cols, columns)):
        known = [v for v in values if v is not None]
        mean = float(np.mean(known))
        x[:, j] = mean  # nodes without a row in the table
        for r, node in enumerate(row_of):
            x[node, j] = mean if values[r] is None else values[r]
        if blanks := len(values) - len(known):
            notes.append(f"{plural(blanks, 'empty cell', 'empty cells')} in '{table.columns[c]}' "
                         f"{'was' if blanks == 1 else 'were'} filled with the column mean {mean:.4g}.")
        if decimal_comma_allowed(table.delimiter) and (
                commas := sum(is_decimal_comma(row[c]) for row in table.rows)):
            notes.append(f"{plural(commas, 'value', 'values')} in '{table.columns[c]}' "
                         f"{'was' if commas == 1 else 'were'} written with a decimal comma (such as 2,5) and read "
                         "as decimals (2.5).")
    names = [table.columns[c] for c in cols]
    notes.insert(0, f"Node features come from the column{'s' if len(names) > 1 else ''} {', '.join(names)}.")
    return x, notes

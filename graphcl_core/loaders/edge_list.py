"""Plain-text edge lists: one edge per line, two node ids and an optional weight.

Accepts comma, tab, semicolon or whitespace separators (sniffed from the first lines), an
optional header row, and '#'/'%' comment lines. A header row is read by name: the source and
target columns are the ones named like source/target, from/to, src/dst, node1/node2, or the same in
another language (quelle/ziel, von/nach, source/cible, origen/destino...: ``header_names``; any case
and accents, anywhere in the row), the weight the one named weight/value/strength/count (gewicht,
poids, peso...), and every other column is ignored with a note; the user can name the three columns
instead. A headerless file is read by
position: two node ids and an optional weight. Node ids are kept as text; when every id is a whole
number the nodes are ordered numerically (so id 0 is node 0), otherwise in order of first
appearance. The number of edge lines is checked against the limit before anything is built.
In a file not separated by commas, a weight written with a decimal comma ("2,5", as European
spreadsheets save it) is 2.5, with a note.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from itertools import islice

import numpy as np

from ..errors import GraphLoadError, GraphTooLargeError
from .build import MAX_WEIGHT, WEIGHT_RULE, NodeIndex, RawGraph, plural
from .header_names import ENDPOINT_KEYS, HEADER_ONLY_KEYS, WEIGHT_KEYS, name_key
from .limits import SizeLimits
from .text import decimal_comma_allowed, decode_text, is_decimal_comma, short, to_number

EXTENSIONS = (".csv", ".tsv", ".txt", ".edges", ".edgelist", ".el")
_INT = re.compile(r"^[+-]?\d+$")


@dataclass(frozen=True)
class Columns:
    """Positions of the source, target and optional weight on a line; ``names`` is the header (None if none)."""

    source: int
    target: int
    weight: int | None
    names: list[str] | None = None

    def name(self, i: int) -> str:
        return self.names[i] if self.names else f"column {i + 1}"


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


def _lower(row: list[str]) -> list[str]:
    return [t.strip().strip('"').lower() for t in row]


def _endpoint_pair(keys: list[str], pairs) -> tuple[int, int] | None:
    """Positions of the first known (source, target) name pair present in a header (cells as ``name_key``s)."""
    for a, b in pairs:
        if a in keys and b in keys:
            return keys.index(a), keys.index(b)
    return None


def _looks_like_header(rows: list[list[str]]) -> bool:
    """A first row is a header when it names the end columns, when text stands where a headerless file has
    its weight (text in the third place of line 1 is a column name far more often than data), or when the
    ids below it are all whole numbers and its own are not."""
    first = _lower(rows[0])
    if _endpoint_pair([name_key(t) for t in rows[0]], ENDPOINT_KEYS):
        return True
    if len(first) >= 3 and first[2] and not _is_number(first[2]):
        return True
    rest = rows[1:21]
    ids_numeric = bool(rest) and all(len(r) >= 2 and _INT.match(r[0]) and _INT.match(r[1]) for r in rest)
    return bool(ids_numeric and len(first) >= 2 and not (_INT.match(first[0]) and _INT.match(first[1])))


def _find(header: list[str], name: str, role: str, filename: str) -> int:
    """Position of a column the user named (exact name first, then any case)."""
    if name in header:
        return header.index(name)
    lower = _lower(header)
    if name.strip().lower() in lower:
        return lower.index(name.strip().lower())
    raise GraphLoadError(f"{filename} has no column {short(name)} (chosen as the {role} column). "
                         f"Its columns are: {', '.join(header)}.")


def _not_an_edge_list(header: list[str], filename: str) -> GraphLoadError:
    return GraphLoadError(
        f"{filename} does not look like an edge list: its first line names the columns {', '.join(header)}, "
        "and none of them is a source or target column (such as source/target, from/to, src/dst, node1/node2, "
        "quelle/ziel, von/nach, source/cible or origen/destino). Choose which columns hold the source and "
        "target of each edge (on the command line: --source-column and --target-column), or use a file with "
        "one 'source target [weight]' per line.")


def resolve_columns(header: list[str], filename: str, source_column: str | None = None,
                    target_column: str | None = None, weight_column: str | None = None) -> Columns:
    """Which header columns hold the source, target and weight: the user's choice, else by name.
    ``weight_column=""`` means no weight (``None`` means: find it by name)."""
    keys = [name_key(h) for h in header]
    pair = _endpoint_pair(keys, ENDPOINT_KEYS + HEADER_ONLY_KEYS)
    if pair is None and (len(header) == 2 or (len(header) >= 3 and keys[2] in WEIGHT_KEYS)):
        pair = (0, 1)  # unnamed ids, but their place is unambiguous
    s = _find(header, source_column, "source", filename) if source_column else (pair[0] if pair else None)
    t = _find(header, target_column, "target", filename) if target_column else (pair[1] if pair else None)
    if s is None or t is None:
        raise _not_an_edge_list(header, filename)
    if s == t:
        raise GraphLoadError(f"The column '{header[s]}' cannot be both the source and the target column.")
    if weight_column:
        w = _find(header, weight_column, "weight", filename)
        if w in (s, t):
            raise GraphLoadError(f"The column '{header[w]}' holds node ids, so it cannot also be the weight.")
    elif weight_column == "":  # chosen: no weight column
        w = None
    else:
        w = next((i for i, k in enumerate(keys) if k in WEIGHT_KEYS and i not in (s, t)), None)
    return Columns(s, t, w, list(header))


def _sample(lines: list[str]) -> tuple[str | None, list[int], list[list[str]]]:
    """(separator, positions of the first data lines, those lines split): enough to see the file's shape."""
    idx = list(islice((i for i, ln in enumerate(lines) if _is_data(ln)), 21))
    delim = _sniff([lines[i] for i in idx]) if idx else None
    return delim, idx, [_split(lines[i], delim) for i in idx]


def _layout(lines: list[str], filename: str, chosen: tuple) -> tuple[str | None, int, Columns | None]:
    """(separator, index of the header line or -1, header columns or None for a headerless file).
    Choosing a column by name says the first line is a header, whatever it looks like."""
    delim, idx, rows = _sample(lines)
    if not idx:
        raise GraphLoadError(f"{filename} has no edges: every line is empty or a comment.")
    if all(c is None for c in chosen) and not _looks_like_header(rows):
        return delim, -1, None
    header = [t.strip().strip('"') for t in rows[0]]
    return delim, idx[0], resolve_columns(header, filename, *chosen)


def read_header(content: bytes, filename: str) -> list[str]:
    """The column names of an edge list's header row ([] for a headerless file), for column pickers."""
    _, idx, rows = _sample(decode_text(content, filename).splitlines())
    return [t.strip().strip('"') for t in rows[0]] if idx and _looks_like_header(rows) else []


def _weight(token: str, where: str, decimal_comma: bool) -> float:
    """A weight cell as a number, or a message naming the line (zero or more, within float32)."""
    w = to_number(token, decimal_comma)
    if w is None and token.strip().lower() in ("inf", "+inf", "infinity", "+infinity"):
        w = math.inf
    if w is None:
        raise GraphLoadError(f"{where}: the weight {short(token)} is not a number.")
    if w < 0:
        raise GraphLoadError(f"{where}: the weight {token} is negative; weights must be zero or more.")
    if w > MAX_WEIGHT:
        raise GraphLoadError(f"{where}: the weight {short(token)} is too large; {WEIGHT_RULE}.")
    return w


def _check_count(lines: list[str], header_line: int, limits: SizeLimits) -> None:
    if len(lines) > limits.max_edges:  # cheap bound first; exact count of edge lines only when needed
        count = sum(1 for ln in lines if _is_data(ln)) - (header_line >= 0)
        if count > limits.max_edges:
            raise GraphTooLargeError(
                f"This file lists {count:,} edges; the limit is {limits.max_edges:,}. Use a smaller graph, or "
                "raise the limit with the GRAPHCL_MAX_EDGES setting if this computer has the memory.")


def _numeric_order(names: list[str], s: np.ndarray, d: np.ndarray):
    """Whole-number ids sorted by value (so id 0 is node 0); other ids keep the file's order."""
    if not all(_INT.match(nm) for nm in names):
        return names, s, d
    values = [int(nm) for nm in names]
    order = sorted(range(len(names)), key=lambda i: values[i])
    rank = np.empty(len(names), dtype=np.int64)
    rank[order] = np.arange(len(names))
    return [names[i] for i in order], rank[s], rank[d]


def _notes(cols: Columns | None, extra_cols: int, weighted: int, unweighted: int, commas: int) -> list[str]:
    notes = []
    if commas:
        notes.append(f"{plural(commas, 'weight was', 'weights were')} written with a decimal comma "
                     "(such as 2,5) and read as decimals (2.5).")
    if cols is not None and cols.names:
        ignored = [n for i, n in enumerate(cols.names) if i not in (cols.source, cols.target, cols.weight)]
        if ignored:
            notes.append(f"The column{'s' if len(ignored) > 1 else ''} {', '.join(repr(n) for n in ignored)} "
                         f"{'were' if len(ignored) > 1 else 'was'} ignored: an edge list uses only the source, "
                         "target and weight columns.")
    if extra_cols:
        notes.append("Columns after the third (weight) column were ignored.")
    if weighted and unweighted:
        notes.append(f"{plural(unweighted, 'edge had', 'edges had')} no weight and "
                     f"{'was' if unweighted == 1 else 'were'} given weight 1.")
    return notes


def _row(tokens: list[str], cols: Columns | None, where: str) -> tuple[str, str, int | None, str]:
    """(source id, target id, position of the weight cell or None, where-text naming the weight column)."""
    if cols is None:
        if len(tokens) < 2:
            raise GraphLoadError(f"{where} has 1 column; an edge list needs two node ids per line "
                                 "(and an optional weight).")
        return tokens[0], tokens[1], 2 if len(tokens) >= 3 else None, where
    last = max(cols.source, cols.target)
    if len(tokens) <= last:
        raise GraphLoadError(f"{where} has {plural(len(tokens), 'column', 'columns')}, but the node ids are read "
                             f"from the columns '{cols.name(cols.source)}' and '{cols.name(cols.target)}' "
                             f"(column {last + 1} is needed).")
    wi = cols.weight if cols.weight is not None and cols.weight < len(tokens) else None
    return tokens[cols.source], tokens[cols.target], wi, where if wi is None else f"{where} (column '{cols.name(wi)}')"


def parse_edge_list(content: bytes, filename: str, limits: SizeLimits, source_column: str | None = None,
                    target_column: str | None = None, weight_column: str | None = None) -> RawGraph:
    lines = decode_text(content, filename).splitlines()
    delim, header_line, cols = _layout(lines, filename, (source_column, target_column, weight_column))
    _check_count(lines, header_line, limits)
    index = NodeIndex()
    src: list[int] = []
    dst: list[int] = []
    weights: list[float] = []
    weighted = extra_cols = unweighted = commas = 0
    decimal_comma = decimal_comma_allowed(delim)
    for ln, line in enumerate(lines):
        if ln == header_line or not _is_data(line):
            continue
        tokens = _split(line, delim)
        a, b, wi, where = _row(tokens, cols, f"Line {ln + 1} of {filename}")
        extra_cols += cols is None and len(tokens) > 3
        a, b = a.strip('"'), b.strip('"')
        if not a or not b:
            raise GraphLoadError(f"Line {ln + 1} of {filename} has an empty node id.")
        src.append(index.add(a))
        dst.append(index.add(b))
        if wi is not None and tokens[wi] != "":
            weights.append(_weight(tokens[wi], where, decimal_comma))
            weighted += 1
            commas += decimal_comma and is_decimal_comma(tokens[wi])
        else:
            weights.append(1.0)
            unweighted += 1
        if len(src) > limits.max_edges:
            limits.check_edges(len(src), "This file lists at least")
    if not src:
        raise GraphLoadError(f"{filename} has a header but no edges.")
    names, s, d = _numeric_order(index.names, np.array(src, dtype=np.int64), np.array(dst, dtype=np.int64))
    w = np.array(weights, dtype=np.float64) if weighted else None
    return RawGraph(names=names, src=s, dst=d, weight=w, directed=False,
                    notes=_notes(cols, extra_cols, weighted, unweighted, commas))

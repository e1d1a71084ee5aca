"""Turning uploaded bytes into text (refusing binary files with a readable message), and table cells into numbers."""

from __future__ import annotations

import math
import re

from ..errors import GraphLoadError


def check_bytes(content: bytes, filename: str) -> None:
    """Refuse empty and binary uploads (NUL bytes, many control characters) with a plain message:
    they are almost always a wrong file (a zip, a pickle, an image)."""
    if not content or not content.strip():
        raise GraphLoadError(f"The file {filename} is empty.")
    if content[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return
    head = content[:65536]
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 13))
    if b"\x00" in head or controls > max(8, len(head) // 100):
        raise GraphLoadError(f"{filename} looks like a binary file, not text. Upload a text file: an edge list "
                             "(.csv, .tsv, .txt), GraphML, GML, GEXF or node-link JSON.")


def decode_text(content: bytes, filename: str) -> str:
    """Decode UTF-8 (BOM allowed), UTF-16 with BOM, or Windows-1252/Latin-1 as a last resort.

    Empty and binary files are refused first (see ``check_bytes``).
    """
    check_bytes(content, filename)
    if content[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return content.decode("utf-16")
        except UnicodeDecodeError:
            raise GraphLoadError(f"{filename} claims to be UTF-16 text but cannot be decoded.") from None
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("cp1252")
    except UnicodeDecodeError:
        return content.decode("latin-1")


def short(value: str, n: int = 40) -> str:
    """Quote a user value in a message without flooding it."""
    value = value if len(value) <= n else value[: n - 1] + "…"
    return repr(value)


_DECIMAL_COMMA = re.compile(r"^\s*[+-]?\d+,\d+\s*$")


def decimal_comma_allowed(delimiter: str | None) -> bool:
    """A decimal comma ("2,5" = 2.5) is read only where the comma cannot be the column separator."""
    return delimiter != ","


def to_number(cell: str, decimal_comma: bool = False) -> float | None:
    """A table cell as a finite number, or None. With ``decimal_comma``, "2,5" (one comma between digits,
    as European spreadsheets write it) is 2.5; "1,234,5" and "1.234,5" stay not-a-number."""
    try:
        value = float(cell)
    except ValueError:
        if not (decimal_comma and _DECIMAL_COMMA.match(cell)):
            return None
        value = float(cell.replace(",", "."))
    return value if math.isfinite(value) else None


def is_decimal_comma(cell: str) -> bool:
    return bool(_DECIMAL_COMMA.match(cell))

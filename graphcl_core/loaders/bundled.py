"""Small graphs shipped in ``sample_graphs/`` so the app works offline, read by the same parsers
as uploads (which keeps those parsers exercised). ``sample_graphs/index.json`` describes them.

Where they are: the repository's ``sample_graphs/`` in a checkout (or an editable install); after a
plain ``pip install .`` the wheel carries the same files as ``graphcl_core/sample_graphs`` (mapped in
``pyproject.toml``), found through ``importlib.resources``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import GraphLoadError
from ..graph import GraphBundle
from .limits import SizeLimits, resolve

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable  # Python 3.11+; only read by type checkers

CHECKOUT_SAMPLES = Path(__file__).resolve().parents[2] / "sample_graphs"


def find_samples_dir(checkout: Path = CHECKOUT_SAMPLES) -> Traversable:
    """The repository's ``sample_graphs/`` when it is there, else the copy inside the installed package."""
    if (checkout / "index.json").is_file():
        return checkout
    return resources.files("graphcl_core").joinpath("sample_graphs")


SAMPLES_DIR = find_samples_dir()


@dataclass(frozen=True)
class BundledGraph:
    name: str
    title: str
    description: str
    file: str
    node_table: str | None = None
    label_column: str | None = None
    feature_columns: tuple[str, ...] | None = None


@lru_cache(maxsize=1)
def _index() -> tuple[BundledGraph, ...]:
    path = SAMPLES_DIR / "index.json"
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise GraphLoadError(f"The bundled sample graphs are missing or damaged ({path}: {e}). "
                             "Regenerate them with: python sample_graphs/make_samples.py") from None
    return tuple(BundledGraph(name=e["name"], title=e["title"], description=e["description"], file=e["file"],
                              node_table=e.get("node_table"), label_column=e.get("label_column"),
                              feature_columns=tuple(e["feature_columns"]) if e.get("feature_columns") else None)
                 for e in entries)


def list_bundled() -> list[BundledGraph]:
    return list(_index())


def find_bundled(name: str) -> BundledGraph | None:
    return next((g for g in _index() if g.name.lower() == name.strip().lower()), None)


def load_bundled(name: str, limits: SizeLimits | None = None) -> GraphBundle:
    from .api import load_bytes

    g = find_bundled(name)
    if g is None:
        raise GraphLoadError(f"There is no bundled graph '{name}'. Bundled graphs: "
                             f"{', '.join(b.name for b in _index())}.")
    def read(fname: str) -> bytes:
        try:
            return (SAMPLES_DIR / fname).read_bytes()
        except OSError:
            raise GraphLoadError(f"The bundled file {fname} is missing. Regenerate the samples with: "
                                 "python sample_graphs/make_samples.py") from None
    return load_bytes(g.file, read(g.file), source="bundled", node_table=read(g.node_table) if g.node_table else None,
                      node_table_name=g.node_table, label_column=g.label_column,
                      feature_columns=list(g.feature_columns) if g.feature_columns else None,
                      limits=resolve(limits), name=g.name, description=g.description)

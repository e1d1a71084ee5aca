"""Planetoid citation graphs (Cora, CiteSeer, PubMed) through PyG, usable from a read-only folder.

PyG writes ``processed/`` next to ``raw/``; when the data folder is read-only (a shared dataset
mount) the raw files are copied to a writable cache first. Downloading is attempted only when the
raw files are missing, after a quick connectivity probe (PyG's download has no timeout).
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..errors import GraphLoadError
from ..graph import GraphBundle
from ..options import RuntimeOptions, current
from .build import RawGraph, clean_edges, to_edge_index

PLANETOID_NAMES = ("Cora", "CiteSeer", "PubMed")
RAW_PARTS = ("x", "tx", "allx", "y", "ty", "ally", "graph", "test.index")
# Class order of PyG's one-hot labels (checked against the class sizes of the original datasets).
LABEL_NAMES = {
    "Cora": ["Theory", "Reinforcement_Learning", "Genetic_Algorithms", "Neural_Networks",
             "Probabilistic_Methods", "Case_Based", "Rule_Learning"],
    "CiteSeer": ["AI", "ML", "IR", "DB", "Agents", "HCI"],
    "PubMed": ["Diabetes Mellitus, Experimental", "Diabetes Mellitus Type 1", "Diabetes Mellitus Type 2"],
}
DESCRIPTIONS = {
    "Cora": "Cora: 2,708 machine-learning papers linked by citations; bag-of-words features; 7 subjects.",
    "CiteSeer": "CiteSeer: 3,327 computer-science papers linked by citations; bag-of-words features; 6 areas.",
    "PubMed": "PubMed: 19,717 diabetes papers linked by citations; TF-IDF features; 3 classes.",
}


def _cache_home() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "graphcl_studio"


def data_root(data_dir=None, options: RuntimeOptions | None = None) -> Path:
    """Argument, else ``options.data_dir`` (GRAPHCL_DATA_DIR), else ~/.cache/graphcl_studio/planetoid."""
    if data_dir:
        return Path(data_dir).expanduser()
    configured = (options or current()).data_dir
    return Path(configured).expanduser() if configured else _cache_home() / "planetoid"


def canonical_name(name: str) -> str:
    for p in PLANETOID_NAMES:
        if p.lower() == str(name).strip().lower():
            return p
    raise GraphLoadError(f"'{name}' is not a Planetoid dataset. Choose one of: {', '.join(PLANETOID_NAMES)}.")


def _raw_files(root: Path, name: str) -> list[Path]:
    return [root / name / "raw" / f"ind.{name.lower()}.{part}" for part in RAW_PARTS]


def _writable(path: Path) -> bool:
    """Writable by permission bits too: root passes ``os.access`` even on a folder marked read-only,
    and we must not write into a shared dataset folder that its owner marked read-only."""
    while not path.exists():
        path = path.parent
    return os.access(path, os.W_OK | os.X_OK) and bool(path.stat().st_mode & 0o222)


def _copy_raw(root: Path, name: str) -> Path:
    """Copy ``<root>/<name>/raw`` to a writable cache so PyG can write ``processed/`` beside it."""
    for base in (_cache_home() / "planetoid_copy", None):
        try:
            target = Path(tempfile.mkdtemp(prefix="graphcl_planetoid_")) if base is None else base
            raw = target / name / "raw"
            raw.mkdir(parents=True, exist_ok=True)
            for f in _raw_files(root, name):
                dest = raw / f.name
                if not dest.exists() or dest.stat().st_size != f.stat().st_size:
                    shutil.copyfile(f, dest)
            return target
        except OSError:
            continue
    raise GraphLoadError(f"The folder {root} is read-only and no writable cache folder could be created "
                         f"to prepare {name}. Set GRAPHCL_DATA_DIR to a writable folder.")


def _online(host: str = "github.com", timeout: float = 3.0, options: RuntimeOptions | None = None) -> bool:
    """A quick probe before PyG's download (which has no timeout); never tried when offline is on."""
    if (options or current()).offline:
        return False
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
        return True
    except OSError:
        return False


def _missing_message(root: Path, name: str, why: str) -> str:
    return (f"The {name} dataset is not in {root / name / 'raw'} and could not be downloaded ({why}). "
            f"Put the files ind.{name.lower()}.* there, or set GRAPHCL_DATA_DIR to a folder that contains "
            f"{name}/raw/ (for example: export GRAPHCL_DATA_DIR=/path/to/planetoid).")


def _load_dataset(load_root: Path, name: str):
    import contextlib
    import io

    from torch_geometric.datasets import Planetoid

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return Planetoid(root=str(load_root), name=name)[0]


def _unlabelled_citeseer(root: Path, n: int) -> np.ndarray:
    """CiteSeer has test nodes missing from the original data; PyG gives them class 0. Find them."""
    test = np.loadtxt(root / "CiteSeer" / "raw" / "ind.citeseer.test.index", dtype=np.int64)
    full = np.arange(test.min(), test.max() + 1)
    return np.setdiff1d(full, test)[np.setdiff1d(full, test) < n]


@lru_cache(maxsize=8)
def _load_cached(name: str, root_str: str) -> GraphBundle:
    root = Path(root_str)
    raw_ok = all(f.is_file() for f in _raw_files(root, name))
    processed_ok = (root / name / "processed" / "data.pt").is_file()
    if raw_ok or processed_ok:
        load_root = root if _writable(root / name) else (_copy_raw(root, name) if raw_ok else root)
    else:
        if not _online():
            raise GraphLoadError(_missing_message(root, name, "no internet connection"))
        load_root = root if _writable(root) else _cache_home() / "planetoid"
    try:
        data = _load_dataset(load_root, name)
    except Exception as e:  # noqa: BLE001 - PyG raises many kinds (URLError, OSError, unpickling...)
        if raw_ok and load_root == root and not _writable(root / name):
            data = _load_dataset(_copy_raw(root, name), name)
        elif raw_ok:
            raise GraphLoadError(f"The {name} files in {root / name / 'raw'} could not be read "
                                 f"({type(e).__name__}: {str(e)[:120]}). They may be incomplete; replace them.") from None
        else:
            raise GraphLoadError(_missing_message(root, name, f"{type(e).__name__}: {str(e)[:120]}")) from None
    n = int(data.num_nodes)
    ei = data.edge_index.numpy()
    u, v, _, notes = clean_edges(RawGraph([], ei[0], ei[1]), n)
    notes = [m for m in notes if "both directions" not in m]
    edge_index, _ = to_edge_index(u, v, None)
    data.edge_index = edge_index
    data.x = data.x.float()
    y = data.y.clone().long()
    if name == "CiteSeer" and raw_ok:
        missing = _unlabelled_citeseer(root, n)
        if len(missing):
            y[missing] = -1
            notes.append(f"{len(missing)} CiteSeer papers have no label or words in the original data; "
                         "they are marked unlabelled.")
    data.y = y
    return GraphBundle(data=data, name=name, node_names=[f"paper {i}" for i in range(n)], source="planetoid",
                       description=DESCRIPTIONS[name], label_names=list(LABEL_NAMES[name]),
                       feature_source="given", notes=notes)


def load_planetoid(name: str, data_dir=None) -> GraphBundle:
    """Load a Planetoid dataset with its public train/val/test masks (cached per name and folder)."""
    canon = canonical_name(name)
    cached = _load_cached(canon, str(data_root(data_dir).resolve()))
    return GraphBundle(data=cached.data.clone(), name=cached.name, node_names=list(cached.node_names),
                       source=cached.source, description=cached.description,
                       label_names=list(cached.label_names or []) or None, feature_source=cached.feature_source,
                       notes=list(cached.notes))

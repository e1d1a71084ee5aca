"""Packaging: pyproject.toml installs graphcl_core with the README's dependencies and the bundled graphs;
graphcl-studio finds the app."""

import json
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

from graphcl_core import studio
from graphcl_core.loaders import bundled

REPO = Path(__file__).resolve().parents[1]


def test_pyproject_commands_and_dependencies_come_from_requirements():
    meta = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert meta["project"]["scripts"] == {"graphcl": "graphcl_core.cli:main",
                                          "graphcl-studio": "graphcl_core.studio:main"}
    assert meta["tool"]["setuptools"]["dynamic"]["dependencies"] == {"file": ["requirements.txt"]}
    assert "dependencies" in meta["project"]["dynamic"]


def test_studio_runs_the_repository_app(monkeypatch):
    assert studio.find_app() == REPO / "app.py"
    calls = []

    class Proc:
        def __init__(self, cmd, env):
            calls.append((cmd, env["PYTHONPATH"].split(os.pathsep)[0]))

        def wait(self):
            return 0

    monkeypatch.setattr(studio.subprocess, "Popen", Proc)
    assert studio.main(["--server.port", "8999"]) == 0
    assert calls == [([sys.executable, "-m", "ui.studio_server", str(REPO / "app.py"), "--server.port", "8999"],
                      str(REPO))]


def test_studio_without_the_repository_says_how_to_get_it(monkeypatch, capsys):
    monkeypatch.setattr(studio, "find_app", lambda: None)
    assert studio.main([]) == 2
    assert "pip install -e ." in capsys.readouterr().err


def test_bundled_graphs_come_from_the_checkout_else_from_the_installed_package(tmp_path):
    assert bundled.find_samples_dir() == REPO / "sample_graphs" == bundled.SAMPLES_DIR
    installed = bundled.find_samples_dir(checkout=tmp_path / "no_checkout")
    assert Path(str(installed)) == REPO / "graphcl_core" / "sample_graphs"  # where a wheel puts them


def test_a_plain_install_ships_every_subpackage_and_the_bundled_graphs(tmp_path):
    """Build the wheel from a copy (no build/ or egg-info in the repository), unpack it as pip would
    (a pure-Python wheel), and load a bundled graph from outside the repository (~1 s + one import)."""
    src = tmp_path / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("graphcl_core", "sample_graphs"):
        shutil.copytree(REPO / name, src / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md", "requirements.txt"):
        shutil.copy(REPO / name, src / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", str(src),
                    "-w", str(tmp_path / "whl")], check=True, capture_output=True, timeout=120)
    [wheel] = (tmp_path / "whl").glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    subpackages = {p.parent.relative_to(REPO).as_posix() for p in (REPO / "graphcl_core").rglob("__init__.py")}
    missing = {p for p in subpackages if f"{p}/__init__.py" not in names}
    assert not missing, f"add {sorted(missing)} to [tool.setuptools] packages in pyproject.toml"
    index = json.loads((REPO / "sample_graphs" / "index.json").read_text(encoding="utf-8"))
    for entry in index:
        for f in (entry["file"], entry.get("node_table")):
            assert f is None or f"graphcl_core/sample_graphs/{f}" in names
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = ("import graphcl_core; from graphcl_core.loaders import load_graph; "
            "print(graphcl_core.__file__); print(load_graph('karate').num_nodes)")
    p = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                       env={**os.environ, "PYTHONPATH": str(site)})
    assert p.returncode == 0, p.stderr
    where, nodes = p.stdout.split()
    assert Path(where).is_relative_to(site) and nodes == "34"
